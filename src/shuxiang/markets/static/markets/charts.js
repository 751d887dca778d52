// Line or bar charts from data embedded with json_script: {x: [...], y: [...], unit: "..."}.
(function () {
  function draw(id, dataId, kind) {
    var el = document.getElementById(id), data = document.getElementById(dataId);
    if (!el || !data || !window.echarts) return;
    var d = JSON.parse(data.textContent);
    var chart = echarts.init(el);
    chart.setOption({
      grid: {left: 48, right: 12, top: 24, bottom: 32},
      tooltip: {trigger: "axis"},
      xAxis: {type: "category", data: d.x},
      yAxis: {type: "value", name: d.unit || "", scale: kind === "line"},
      dataZoom: kind === "line" ? [{type: "inside", start: 60, end: 100}] : [],
      series: [{type: kind, data: d.y, showSymbol: false, smooth: false}]
    });
    window.addEventListener("resize", function () { chart.resize(); });
  }
  draw("price-chart", "price-data", "line");
  draw("sales-chart", "sales-data", "bar");
})();
