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
    var done = function () { if (status) { status.textContent = "Copied"; } };
    if (navigator.clipboard && navigator.clipboard.writeText) {
      navigator.clipboard.writeText(text).then(done, function () {
        if (status) { status.textContent = "Copy failed. Select the key and copy it yourself."; }
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
    var summary = document.getElementById("error-summary");
    var heading = document.getElementById("step-heading");
    if (summary) { summary.focus(); } else if (heading) { heading.focus(); }
  });
})();
