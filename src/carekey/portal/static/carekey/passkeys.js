// CareKey passkeys: the browser's own WebAuthn API, no third-party script.
//
// Each [data-passkey] block holds a plain form. Its button asks the server for options
// (data-options-url, JSON), calls navigator.credentials.create() or .get(), and posts the
// result in the hidden "passkey" field; a browser-side failure is posted as
// "passkey_error" so the server says what happened, in the patient's language. Without
// JavaScript (or WebAuthn) the blocks stay hidden and their .passkey-nojs sentence shows.
(function () {
  "use strict";

  function toBytes(text) {
    var base64 = text.replace(/-/g, "+").replace(/_/g, "/");
    var binary = atob(base64 + "===".slice((base64.length + 3) % 4));
    var bytes = new Uint8Array(binary.length);
    for (var i = 0; i < binary.length; i++) { bytes[i] = binary.charCodeAt(i); }
    return bytes.buffer;
  }

  function toText(buffer) {
    var bytes = new Uint8Array(buffer);
    var binary = "";
    for (var i = 0; i < bytes.length; i++) { binary += String.fromCharCode(bytes[i]); }
    return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }

  function withIds(list) {
    return (list || []).map(function (item) {
      return Object.assign({}, item, { id: toBytes(item.id) });
    });
  }

  function creationOptions(json) {
    if (window.PublicKeyCredential.parseCreationOptionsFromJSON) {
      return PublicKeyCredential.parseCreationOptionsFromJSON(json);
    }
    return Object.assign({}, json, {
      challenge: toBytes(json.challenge),
      user: Object.assign({}, json.user, { id: toBytes(json.user.id) }),
      excludeCredentials: withIds(json.excludeCredentials)
    });
  }

  function requestOptions(json) {
    if (window.PublicKeyCredential.parseRequestOptionsFromJSON) {
      return PublicKeyCredential.parseRequestOptionsFromJSON(json);
    }
    return Object.assign({}, json, {
      challenge: toBytes(json.challenge),
      allowCredentials: withIds(json.allowCredentials)
    });
  }

  function credentialJSON(credential) {
    if (typeof credential.toJSON === "function") {
      try { return credential.toJSON(); } catch (e) { /* fall back below */ }
    }
    var r = credential.response;
    var response = { clientDataJSON: toText(r.clientDataJSON) };
    if (r.attestationObject) {
      response.attestationObject = toText(r.attestationObject);
      response.transports = r.getTransports ? r.getTransports() : [];
    } else {
      response.authenticatorData = toText(r.authenticatorData);
      response.signature = toText(r.signature);
      if (r.userHandle) { response.userHandle = toText(r.userHandle); }
    }
    return {
      id: credential.id,
      rawId: toText(credential.rawId),
      type: credential.type,
      response: response,
      clientExtensionResults: credential.getClientExtensionResults(),
      authenticatorAttachment: credential.authenticatorAttachment || undefined
    };
  }

  function outcome(error, started, timeout) {
    var name = error && error.name;
    if (name === "NotAllowedError") {
      return Date.now() - started >= timeout - 2000 ? "timeout" : "cancelled";
    }
    if (name === "InvalidStateError") { return "exists"; }
    if (name === "SecurityError") { return "not_allowed"; }
    if (name === "NotSupportedError") { return "unsupported"; }
    if (name === "AbortError") { return "cancelled"; }
    return "failed";
  }

  function post(form, field, value) {
    form.querySelector("input[name='" + field + "']").value = value;
    HTMLFormElement.prototype.submit.call(form);
  }

  function fetchOptions(block, form, signal) {
    var token = form.querySelector("input[name='csrfmiddlewaretoken']").value;
    var name = form.querySelector("input[name='friendly_name']");
    var body = name ? { friendly_name: name.value || null } : {};
    return fetch(block.getAttribute("data-options-url"), {
      method: "POST",
      credentials: "same-origin",
      signal: signal,
      headers: { "Content-Type": "application/json", "X-CSRFToken": token },
      body: JSON.stringify(body)
    }).then(function (response) {
      return response.json().then(function (data) {
        if (!response.ok) { throw { server: (data && data.error) || {} }; }
        return data.publicKey;
      });
    });
  }

  function say(block, text) {
    var status = block.querySelector(".passkey-status");
    status.textContent = text;
    status.focus();
  }

  function ceremony(block, form, mediation, signal, options) {
    return (options || fetchOptions(block, form)).then(function (json) {
      var started = Date.now();
      var call = block.getAttribute("data-passkey") === "create"
        ? navigator.credentials.create({ publicKey: creationOptions(json) })
        : navigator.credentials.get(Object.assign(
          { publicKey: requestOptions(json) }, mediation ? { mediation: mediation, signal: signal } : {}
        ));
      return call.then(function (credential) {
        post(form, "passkey", JSON.stringify(credentialJSON(credential)));
      }, function (error) {
        // A conditional request ends quietly: aborted by the button, or no passkey here.
        if (mediation) { return; }
        post(form, "passkey_error", outcome(error, started, json.timeout || 300000));
      });
    });
  }

  // The sign-in page asks for options as it loads (the Email field's passkey autofill),
  // and that answer may start a session and set its cookie. Landing after a form on the
  // page was posted, it would replace the cookie that form's answer set (a sign-in that
  // then shows the sign-in page again), so every form waits for it first; one still out
  // after a few seconds is aborted, so its answer can no longer set anything.
  var optionsInFlight = null;

  function afterOptionsSettle() {
    var waited = optionsInFlight;
    if (!waited) { return Promise.resolve(); }
    var giveUp = new Promise(function (resolve) { setTimeout(resolve, 3000); });
    var quiet = function () {};
    return Promise.race([waited.answer.then(quiet, quiet), giveUp]).then(function () {
      waited.controller.abort();
      if (optionsInFlight === waited) { optionsInFlight = null; }
    });
  }

  function holdOtherForms(passkeyForm, onHold) {
    document.querySelectorAll("form").forEach(function (other) {
      if (other === passkeyForm) { return; }
      other.addEventListener("submit", function (event) {
        if (!optionsInFlight) { return; }
        event.preventDefault();
        onHold();
        var submitter = event.submitter || null;
        afterOptionsSettle().then(function () {
          if (other.requestSubmit) { other.requestSubmit(submitter); } else { other.submit(); }
        });
      });
    });
  }

  function startConditional(block, form, signal) {
    var controller = new AbortController();
    var answer = fetchOptions(block, form, controller.signal);
    var waited = { answer: answer, controller: controller };
    optionsInFlight = waited;
    var settled = function () { if (optionsInFlight === waited) { optionsInFlight = null; } };
    answer.then(settled, settled);
    ceremony(block, form, "conditional", signal, answer).catch(function () { /* quiet */ });
  }

  function start(block) {
    var form = block.querySelector("form");
    var button = form.querySelector("button");
    var pending = null;
    var pressed = false;
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      pressed = true;
      if (pending) { pending.abort(); pending = null; }
      button.disabled = true;
      afterOptionsSettle().then(function () {
        return ceremony(block, form);
      }).catch(function (problem) {
        var server = (problem && problem.server) || {};
        if (server.code === "reauthentication_required") {
          // The few minutes after the last proof ran out while the page was open: post
          // the form empty, and the server asks for a passkey or a code first.
          HTMLFormElement.prototype.submit.call(form);
          return;
        }
        say(block, server.message || block.getAttribute("data-msg-failed"));
      }).then(function () { button.disabled = false; });
    });
    // Conditional UI: the email field offers this site's passkeys as the patient types.
    if (block.hasAttribute("data-conditional") && window.AbortController &&
        PublicKeyCredential.isConditionalMediationAvailable) {
      // A form held on its way out: no conditional request starts after it.
      holdOtherForms(form, function () { pressed = true; });
      // Until the browser says whether it offers autofill, a form posted now would still
      // race the options request about to start: it waits for that answer too.
      var deciding = Promise.resolve(PublicKeyCredential.isConditionalMediationAvailable());
      var undecided = { answer: deciding, controller: new AbortController() };
      optionsInFlight = undecided;
      deciding.then(function (available) {
        if (optionsInFlight === undecided) { optionsInFlight = null; }
        // Never once the button was pressed (two ceremonies at once refuse each other)
        // or a form is leaving the page.
        if (!available || pressed) { return; }
        pending = new AbortController();
        startConditional(block, form, pending.signal);
      }, function () {
        if (optionsInFlight === undecided) { optionsInFlight = null; }
      });
    }
  }

  document.addEventListener("DOMContentLoaded", function () {
    if (!window.PublicKeyCredential || !navigator.credentials) { return; }
    document.querySelectorAll("[data-passkey]").forEach(function (block) {
      block.hidden = false;
      document.querySelectorAll(".passkey-nojs").forEach(function (p) { p.hidden = true; });
      start(block);
    });
  });
})();
