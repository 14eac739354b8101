/* The rating history's grade chart (ratings/_grade_chart.html): data from the json_script block, the
   translated series label from the canvas's data-label. */
document.addEventListener("DOMContentLoaded", function () {
  var canvas = document.getElementById("grade-chart");
  var source = document.getElementById("grade-chart-data");
  if (!canvas || !source || !window.Chart) { return; }
  var data = JSON.parse(JSON.parse(source.textContent));
  if (!data.points.length) { return; }
  var grades = data.grades;
  new Chart(canvas, {
    type: "line",
    data: {labels: data.points.map(function (p) { return p.date; }),
           datasets: [{label: canvas.dataset.label, data: data.points.map(function (p) { return p.rank; }), stepped: true}]},
    options: {scales: {y: {reverse: true, min: 0, max: grades.length - 1,
                           ticks: {stepSize: 1, callback: function (v) { return grades[v]; }}}},
              plugins: {tooltip: {callbacks: {label: function (c) { return grades[c.parsed.y]; }}}}}
  });
});
