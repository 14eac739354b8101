/* The portfolio over time (monitoring/trends.html): data from the json_script block. */
(function () {
  if (!window.Chart) { return; }
  var source = document.getElementById("trend-data");
  if (!source) { return; }
  var data = JSON.parse(source.textContent);
  var ratios = document.getElementById("chart-ratios");
  var names = JSON.parse(document.getElementById("trend-names").textContent);
  if (ratios) {
    new Chart(ratios, {type: "line", data: {labels: data.labels, datasets: [
      {label: names.overdue_rate, data: data.overdue_rate, borderColor: "#fd7e14", spanGaps: true},
      {label: names.npl_ratio, data: data.npl_ratio, borderColor: "#dc3545", spanGaps: true},
      {label: names.provision_coverage, data: data.provision_coverage, borderColor: "#198754", spanGaps: true,
       yAxisID: "coverage"}
    ]}, options: {responsive: true, scales: {y: {title: {display: true, text: "%"}, beginAtZero: true},
      coverage: {position: "right", beginAtZero: true, grid: {drawOnChartArea: false}}}}});
  }
  var letters = document.getElementById("chart-letters");
  if (letters) {
    var colours = {A: "#198754", B: "#0d6efd", C: "#ffc107", D: "#dc3545", NR: "#adb5bd"};
    new Chart(letters, {type: "bar", data: {labels: data.labels, datasets: Object.keys(data.letters).map(function (k) {
      return {label: k === "NR" ? names.not_rated : k, data: data.letters[k], backgroundColor: colours[k]};
    })}, options: {responsive: true, scales: {x: {stacked: true}, y: {stacked: true, beginAtZero: true}}}});
  }
})();
