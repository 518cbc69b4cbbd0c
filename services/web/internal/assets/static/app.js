// Closeloop console: the little the pages need beyond htmx. No inline
// scripts anywhere (the Content-Security-Policy forbids them).
(function () {
  "use strict";
  // The browser's time zone, for users whose identity provider names none.
  try {
    var tz = Intl.DateTimeFormat().resolvedOptions().timeZone;
    if (tz) {
      document.cookie = "closeloop_tz=" + encodeURIComponent(tz) + "; path=/; max-age=31536000; SameSite=Lax";
    }
  } catch (e) { /* no Intl: the server's default applies */ }

  function init(root) {
    // Selects that apply themselves (the language switch, filters).
    root.querySelectorAll("select[data-autosubmit]").forEach(function (el) {
      if (el.dataset.bound) { return; }
      el.dataset.bound = "1";
      el.addEventListener("change", function () {
        if (el.form.requestSubmit) { el.form.requestSubmit(); } else { el.form.submit(); }
      });
    });
    // Buttons whose only job is to submit without script.
    root.querySelectorAll(".js-hide").forEach(function (el) { el.hidden = true; });
    // Copy buttons (a secret shown once): without script the text is
    // selected and copied by hand, as the page says.
    root.querySelectorAll("button[data-copy]").forEach(function (b) {
      if (b.dataset.bound) { return; }
      b.dataset.bound = "1";
      b.hidden = false;
      b.addEventListener("click", function () {
        var el = document.getElementById(b.dataset.copy);
        if (!el) { return; }
        el.select();
        var done = function () { b.textContent = b.dataset.copied || b.textContent; };
        if (navigator.clipboard && navigator.clipboard.writeText) {
          navigator.clipboard.writeText(el.value).then(done, function () { document.execCommand("copy"); done(); });
        } else {
          document.execCommand("copy");
          done();
        }
      });
    });
  }
  document.addEventListener("DOMContentLoaded", function () { init(document); });
  document.addEventListener("htmx:load", function (ev) { init(ev.target); });

  // A form is sent once: its submit buttons stay disabled until the answer
  // arrives (the form's idempotency key covers what slips through).
  document.addEventListener("submit", function (ev) {
    var form = ev.target;
    if (form.hasAttribute("hx-post") || form.hasAttribute("hx-put") || form.hasAttribute("hx-get")) { return; }
    setTimeout(function () {
      form.querySelectorAll("button[type=submit]").forEach(function (b) { b.disabled = true; });
    }, 0);
  });
  // htmx answers with an error status still carry a page part to show
  // (a problem banner, a form with its field errors).
  document.addEventListener("htmx:beforeSwap", function (ev) {
    var s = ev.detail.xhr.status;
    if (s === 400 || s === 403 || s === 404 || s === 409 || s === 422) {
      ev.detail.shouldSwap = true;
      ev.detail.isError = false;
    }
  });
})();
