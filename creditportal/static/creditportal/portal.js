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
    // foreign keys (customers, users): search as you type against the picker's URL (creditportal.core.pickers)
    if (window.TomSelect) {
      root.querySelectorAll("select[data-picker]").forEach(function (select) {
        if (select.tomselect) { return; }
        new window.TomSelect(select, {
          valueField: "id", labelField: "text", searchField: ["text"], maxOptions: 20, loadThrottle: 250,
          allowEmptyOption: true, placeholder: select.dataset.placeholder || "",
          plugins: select.multiple ? ["remove_button"] : ["clear_button"],
          load: function (query, callback) {
            var base = select.dataset.picker;
            var url = base + (base.indexOf("?") >= 0 ? "&" : "?") + "q=" + encodeURIComponent(query);
            fetch(url, {credentials: "same-origin", headers: {"Accept": "application/json"}})
              .then(function (response) { return response.ok ? response.json() : {results: []}; })
              .then(function (data) { callback(data.results); })
              .catch(function () { callback(); });
          },
          shouldLoad: function () { return true; },
          preload: "focus",
          render: {
            no_results: function () { return "<div class=\"no-results\">" + (select.dataset.noResults || "—") + "</div>"; }
          }
        });
      });
    }
  }
  document.addEventListener("DOMContentLoaded", function () { wire(document); });
  document.addEventListener("htmx:afterSwap", function (event) { wire(event.target); });
})();
