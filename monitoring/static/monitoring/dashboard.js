/* The portfolio dashboard's charts (monitoring/dashboard.html): data from the json_script block. */
(function () {
  if (!window.Chart) { return; }
  var source = document.getElementById("dashboard-data");
  if (!source) { return; }
  var data = JSON.parse(source.textContent);
  function draw(id, kind, series, colour) {
    var el = document.getElementById(id);
    if (!el) { return; }
    new Chart(el, {type: kind, data: {labels: series.labels, datasets: [{data: series.values.map(Number), backgroundColor: colour}]},
      options: {plugins: {legend: {display: kind === "doughnut"}}, responsive: true}});
  }
  draw("chart-grades", "bar", data.grades, "#0d6efd");
  draw("chart-industries", "bar", data.industries, "#6f42c1");
  draw("chart-alerts", "doughnut", data.alerts, ["#dc3545", "#fd7e14", "#0dcaf0", "#6c757d"]);
  draw("chart-provisions", "bar", data.provisions, "#198754");
  draw("chart-aging", "bar", data.aging, "#ffc107");
})();
