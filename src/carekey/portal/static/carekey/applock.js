// App lock in the browser: an idle timer shared by every open portal tab, a warning a
// minute before the lock (half-way for a 1-minute lock; WCAG 2.2.1), and the page hidden
// at the lock. The server locks the session on its own whatever this script does; this
// only makes it visible sooner.
(function () {
  "use strict";

  var CHANNEL = "carekey-app-lock";
  var ACTIVITY_KEY = "carekey:last-activity";
  var LOCK_KEY = "carekey:locked";
  var HEARTBEAT_MS = 30000;
  var WARNING_MS = 60000;

  var channel = "BroadcastChannel" in window ? new BroadcastChannel(CHANNEL) : null;

  function broadcast(message, storageKey) {
    if (channel) { channel.postMessage(message); }
    try { localStorage.setItem(storageKey, JSON.stringify(message)); } catch (e) { /* private mode */ }
  }

  function onMessage(handler) {
    if (channel) { channel.addEventListener("message", function (e) { handler(e.data); }); }
    window.addEventListener("storage", function (e) {
      if ((e.key === ACTIVITY_KEY || e.key === LOCK_KEY) && e.newValue) {
        try { handler(JSON.parse(e.newValue)); } catch (err) { /* ignore */ }
      }
    });
  }

  function csrfToken() {
    var match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
    return match ? decodeURIComponent(match[1]) : "";
  }

  function hereAsNext() {
    return encodeURIComponent(window.location.pathname + window.location.search);
  }

  // On the lock screen: tell the other tabs, and leave when another tab unlocks.
  function lockScreen() {
    broadcast({ type: "locked", at: Date.now() }, LOCK_KEY);
    onMessage(function (message) {
      if (message.type === "unlocked") { window.location.reload(); }
    });
  }

  // Idle time before the warning: a minute before the lock when the lock is more than a
  // minute away; a lock a minute away or less (the 1-minute setting) warns at half-time,
  // so the warning never greets a page that was just loaded or saved.
  function warningAfter(lockMs) {
    return lockMs > WARNING_MS ? lockMs - WARNING_MS : Math.floor(lockMs / 2);
  }

  function portalPage(root) {
    var lockMs = parseInt(root.getAttribute("data-app-lock-seconds"), 10) * 1000;
    var warnMs = warningAfter(lockMs);
    var dialog = document.getElementById("lock-warning");
    var stay = dialog ? dialog.querySelector("[data-stay]") : null;
    var countdown = dialog ? dialog.querySelector("[data-countdown]") : null;
    var lastActivity = Date.now();
    var lastHeartbeat = Date.now();
    var returnFocus = null;
    var locking = false;

    function heartbeat(force) {
      if (!force && Date.now() - lastHeartbeat < HEARTBEAT_MS) { return; }
      lastHeartbeat = Date.now();
      fetch("/api/v1/session", { credentials: "same-origin", cache: "no-store" });
    }

    function closeWarning() {
      if (dialog && dialog.open) {
        dialog.close();
        if (returnFocus && returnFocus.focus) { returnFocus.focus(); }
      }
    }

    function showWarning() {
      if (!dialog || dialog.open) { return; }
      returnFocus = document.activeElement;
      dialog.showModal();
      if (stay) { stay.focus(); }
    }

    function active(shared) {
      lastActivity = Date.now();
      if (!shared) {
        broadcast({ type: "activity", at: lastActivity }, ACTIVITY_KEY);
        heartbeat(false);
      }
      closeWarning();
    }

    function hide() {
      locking = true;
      closeWarning();
      document.body.classList.add("is-locked");
    }

    function lockHere() {
      if (locking) { return; }
      hide();
      broadcast({ type: "locking", at: Date.now() }, LOCK_KEY);
      var body = "csrfmiddlewaretoken=" + encodeURIComponent(csrfToken());
      fetch("/portal/lock", {
        method: "POST",
        credentials: "same-origin",
        headers: { "Content-Type": "application/x-www-form-urlencoded", "X-CSRFToken": csrfToken() },
        body: body,
        redirect: "manual"
      }).finally(function () {
        window.location.assign("/portal/locked?next=" + hereAsNext());
      });
    }

    onMessage(function (message) {
      if (message.type === "activity") { active(true); }
      if (message.type === "locking") { hide(); }
      if (message.type === "locked") {
        hide();
        window.location.assign("/portal/locked?next=" + hereAsNext());
      }
    });

    ["keydown", "pointerdown", "wheel", "touchstart"].forEach(function (kind) {
      document.addEventListener(kind, function (event) {
        if (dialog && dialog.open) { return; }  // only "Stay signed in" answers the warning
        if (event.isTrusted) { active(false); }
      }, { passive: true, capture: true });
    });

    if (dialog) {
      dialog.addEventListener("cancel", function (event) { event.preventDefault(); });
      // Keep Tab inside the warning: Chromium lets it leave a modal <dialog> for its toolbar.
      dialog.addEventListener("keydown", function (event) {
        if (event.key !== "Tab") { return; }
        var items = Array.prototype.filter.call(
          dialog.querySelectorAll('a[href], button, input, select, textarea, [tabindex]:not([tabindex="-1"])'),
          function (el) { return !el.disabled && el.getClientRects().length > 0; });
        if (!items.length) { return; }
        var first = items[0];
        var last = items[items.length - 1];
        if (event.shiftKey && document.activeElement === first) {
          event.preventDefault();
          last.focus();
        } else if (!event.shiftKey && document.activeElement === last) {
          event.preventDefault();
          first.focus();
        }
      });
    }
    if (stay) {
      stay.addEventListener("click", function () {
        lastActivity = Date.now();
        broadcast({ type: "activity", at: lastActivity }, ACTIVITY_KEY);
        heartbeat(true);
        closeWarning();
      });
    }
    document.querySelectorAll("[data-lock-now]").forEach(function (button) {
      button.form.addEventListener("submit", function () {
        broadcast({ type: "locking", at: Date.now() }, LOCK_KEY);
      });
    });

    broadcast({ type: "unlocked", at: Date.now() }, LOCK_KEY);
    window.setInterval(function () {
      if (locking) { return; }
      var idle = Date.now() - lastActivity;
      if (idle >= lockMs) {
        lockHere();
      } else if (idle >= warnMs) {
        showWarning();
        if (countdown) { countdown.textContent = String(Math.ceil((lockMs - idle) / 1000)); }
      }
    }, 1000);
  }

  document.addEventListener("DOMContentLoaded", function () {
    if (document.body.getAttribute("data-page") === "locked") { lockScreen(); return; }
    var root = document.getElementById("portal-content");
    if (root && root.hasAttribute("data-app-lock-seconds")) { portalPage(root); }
  });
})();
