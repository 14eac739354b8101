// The statement entry page: show beside each subtotal the sum of its lines as they are typed (the service
// computes the same on saving: a subtotal left empty takes this sum).
(function () {
  "use strict";
  var root = document.getElementById("statement-lines");
  if (!root) { return; }
  var inputs = Array.prototype.slice.call(root.querySelectorAll("input[data-line]"));
  var byCode = {};
  inputs.forEach(function (input) { byCode[input.dataset.line] = input; });
  function value(code, computed) {
    var input = byCode[code];
    var text = input ? input.value.replace(/,/g, "").trim() : "";
    if (text !== "" && !isNaN(Number(text))) { return Number(text); }
    return Object.prototype.hasOwnProperty.call(computed, code) ? computed[code] : null;
  }
  function recompute() {
    var computed = {};
    // deepest first: repeat until nothing changes (the chart is a few levels deep)
    for (var pass = 0; pass < 6; pass += 1) {
      root.querySelectorAll("[data-sum-of]").forEach(function (cell) {
        var code = cell.dataset.sumOf, total = 0, any = false;
        inputs.forEach(function (input) {
          if (input.dataset.parent === code) {
            var v = value(input.dataset.line, computed);
            if (v !== null) { total += Number(input.dataset.sign) * v; any = true; }
          }
        });
        if (any) { computed[code] = Math.round(total * 100) / 100; } else { delete computed[code]; }
      });
    }
    root.querySelectorAll("[data-sum-of]").forEach(function (cell) {
      var code = cell.dataset.sumOf;
      cell.textContent = Object.prototype.hasOwnProperty.call(computed, code) ? "Σ " + computed[code].toFixed(2) : "";
      var input = byCode[code];
      if (input) { input.placeholder = cell.textContent ? computed[code].toFixed(2) : ""; }
    });
  }
  root.addEventListener("input", recompute);
  recompute();
}());
