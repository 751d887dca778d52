// Bar chart of an indicator's children values against target, from the JSON block the page carries.
(function () {
  var el = document.getElementById("values-chart");
  if (!el || !window.echarts) return;
  var data = JSON.parse(document.getElementById(el.dataset.source).textContent);
  var colours = { ok: "#067647", warn: "#b54708", danger: "#b42318", none: "#0b6e4f" };
  var chart = echarts.init(el);
  chart.setOption({
    tooltip: { trigger: "axis" },
    grid: { left: 48, right: 16, top: 24, bottom: 90 },
    xAxis: { type: "category", data: data.children.map(function (c) { return c.place_name; }), axisLabel: { rotate: 45 } },
    yAxis: { type: "value", name: data.unit || "" },
    series: [
      { name: data.name, type: "bar", data: data.children.map(function (c) {
          return { value: c.value, itemStyle: { color: colours[c.light] || colours.none } };
        }) },
      { name: "目标", type: "line", step: "middle", symbol: "none",
        data: data.children.map(function (c) { return c.target; }) }
    ]
  });
  window.addEventListener("resize", function () { chart.resize(); });
})();
