// CareKey: progressive enhancement only; every flow works without this file.
(function () {
  "use strict";

  function reveal(selector) {
    document.querySelectorAll(selector).forEach(function (el) { el.hidden = false; });
  }

  function copySecret(button) {
    var source = document.getElementById(button.getAttribute("data-copy"));
    var status = button.parentElement.querySelector(".copy-status");
    var text = source.textContent.replace(/\s+/g, "");
    var done = function () {
      if (status) { status.textContent = button.getAttribute("data-copied") || "Copied"; }
    };
    if (navigator.clipboard && navigator.clipboard.writeText) {
      navigator.clipboard.writeText(text).then(done, function () {
        if (status) { status.textContent = button.getAttribute("data-copy-failed") || ""; }
      });
    }
  }

  document.addEventListener("DOMContentLoaded", function () {
    reveal(".js-only");
    document.querySelectorAll("[data-copy]").forEach(function (button) {
      button.addEventListener("click", function () { copySecret(button); });
    });
    document.querySelectorAll("[data-print]").forEach(function (button) {
      button.addEventListener("click", function () { window.print(); });
    });
    // Times arrive in UTC; show them in the patient's own time zone when the browser knows it.
    var locale = document.documentElement.lang || undefined;
    document.querySelectorAll("time[datetime][data-local]").forEach(function (el) {
      var when = new Date(el.getAttribute("datetime"));
      if (isNaN(when.getTime())) { return; }
      try {
        el.textContent = when.toLocaleString(locale, {
          year: "numeric", month: "short", day: "numeric",
          hour: "2-digit", minute: "2-digit", timeZoneName: "short"
        });
      } catch (e) { /* keep the server's UTC text */ }
    });
    // Move screen readers to what changed; a heading or a summary is no control, so the
    // focus ring stays off (focusVisible: false) for keyboard, mouse and touch alike.
    var target = document.getElementById("error-summary") || document.getElementById("step-heading");
    if (target) { target.focus({ focusVisible: false }); }
  });
})();
