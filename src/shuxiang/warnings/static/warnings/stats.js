// Statistics: warnings per signal type, stacked by colour (the signal's own colour).
(function () {
  var box = document.getElementById("stats-chart");
  if (!box || typeof echarts === "undefined") { return; }
  var data = JSON.parse(box.dataset.chart);
  var palette = { "蓝色": "#1d64d8", "黄色": "#e6b800", "橙色": "#f07c00", "红色": "#d11a1a" };
  var chart = echarts.init(box);
  chart.setOption({
    tooltip: { trigger: "axis" },
    legend: { top: 0 },
    grid: { left: 40, right: 10, bottom: 30, top: 40 },
    xAxis: { type: "category", data: data.types },
    yAxis: { type: "value", minInterval: 1 },
    series: data.colours.map(function (name, i) {
      return { name: name, type: "bar", stack: "n", data: data.series[i], itemStyle: { color: palette[name] } };
    })
  });
  window.addEventListener("resize", function () { chart.resize(); });
})();
