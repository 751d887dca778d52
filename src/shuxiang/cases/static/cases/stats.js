// Statistics chart: volume and on-time resolution per group, from the page's data attribute.
(function () {
  "use strict";
  var box = document.getElementById("stats-chart");
  if (!box || !window.echarts) { return; }
  var data = JSON.parse(box.dataset.chart);
  if (!data.labels.length) { box.classList.add("hidden"); return; }
  var chart = echarts.init(box);
  chart.setOption({
    tooltip: { trigger: "axis" },
    legend: { data: ["事件量", "按时办结率(%)"] },
    grid: { left: 40, right: 40, bottom: 80 },
    xAxis: { type: "category", data: data.labels, axisLabel: { rotate: 40 } },
    yAxis: [{ type: "value", name: "件" }, { type: "value", name: "%", max: 100 }],
    series: [
      { name: "事件量", type: "bar", data: data.volume, itemStyle: { color: "#0b6e4f" } },
      { name: "按时办结率(%)", type: "line", yAxisIndex: 1, data: data.resolved_on_time_rate }
    ]
  });
  window.addEventListener("resize", function () { chart.resize(); });
})();
