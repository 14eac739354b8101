/* The portal's own behaviour, kept out of the pages: the Content-Security-Policy allows scripts from the
   portal's static files only (no inline <script>, no on*= attributes). */
(function () {
  "use strict";
  function wire(root) {
    // the language switcher submits its form as soon as a language is chosen
    root.querySelectorAll("select[data-submit-on-change]").forEach(function (select) {
      if (select.dataset.wired) { return; }
      select.dataset.wired = "1";
      select.addEventListener("change", function () { select.form.submit(); });
    });
  }
  document.addEventListener("DOMContentLoaded", function () { wire(document); });
  document.addEventListener("htmx:afterSwap", function (event) { wire(event.target); });
})();
