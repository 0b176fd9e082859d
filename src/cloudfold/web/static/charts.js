// cloudfold dashboard charts: every [data-chart] element is drawn with uPlot (vendored,
// static/vendor/uplot) from its JSON: {x: [unix seconds], series: [{label, values}], kind:
// "line" | "bars", unit}. Sparklines ([data-spark]: [values]) are small axis-less lines.
(function () {
  "use strict";
  function color(i) { return ["#0a58ca", "#1a7f37", "#9a6700", "#b42318"][i % 4]; }
  function width(el) { return Math.max(200, el.clientWidth || el.parentNode.clientWidth || 300); }

  function draw(el) {
    var spec;
    try { spec = JSON.parse(el.getAttribute("data-chart")); } catch (e) { return; }
    el.textContent = "";
    var bars = spec.kind === "bars" && window.uPlot.paths && window.uPlot.paths.bars;
    var opts = {
      width: width(el), height: 200,
      series: [{}].concat(spec.series.map(function (s, i) {
        var one = {label: s.label, stroke: color(i), width: 2, value: function (u, v) { return v == null ? "—" : (+v).toFixed(2) + (spec.unit || ""); }};
        if (bars) { one.paths = window.uPlot.paths.bars({size: [0.6, 40]}); one.fill = color(i); }
        return one;
      })),
      axes: [{}, {size: 60}],
      scales: {x: {time: true}},
    };
    var data = [spec.x].concat(spec.series.map(function (s) { return s.values; }));
    el.uplot = new window.uPlot(opts, data, el);
    el.setAttribute("data-drawn", String(spec.x.length));
  }

  function spark(el) {
    var values;
    try { values = JSON.parse(el.getAttribute("data-spark")); } catch (e) { return; }
    if (!values.length) return;
    el.textContent = "";
    var xs = values.map(function (_, i) { return i; });
    new window.uPlot({width: 120, height: 28, legend: {show: false}, cursor: {show: false}, select: {show: false},
      axes: [{show: false}, {show: false}], scales: {x: {time: false}},
      series: [{}, {stroke: color(0), width: 1.5}]}, [xs, values], el);
    el.setAttribute("data-drawn", String(values.length));
  }

  function drawAll(root) {
    if (!window.uPlot) return;
    (root || document).querySelectorAll("[data-chart]").forEach(draw);
    (root || document).querySelectorAll("[data-spark]").forEach(spark);
  }
  document.addEventListener("DOMContentLoaded", function () { drawAll(document); });
  // parts re-read live (ui.js) are drawn again once swapped in
  document.addEventListener("htmx:afterSettle", function (e) { drawAll(e.target.parentNode || document); });
})();
