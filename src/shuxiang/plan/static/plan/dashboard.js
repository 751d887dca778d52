// Dashboard: the children coloured by the chosen indicator on the shared map (core/map.js), and a bar chart.
(function () {
  function data(id) {
    var el = document.getElementById(id);
    return el ? JSON.parse(el.textContent) : null;
  }
  var mapEl = document.getElementById("dash-map");
  var geo = mapEl && data(mapEl.dataset.source);
  if (mapEl && geo && window.ShuxiangMap && geo.features.length) {
    // The children's boundaries (core/map.js) filled with the chosen indicator's light; a name and value are
    // written where they fit, the rest show on hover or tap.
    var rows = {};
    geo.features.forEach(function (f) { rows[f.properties.place] = f.properties; });
    var valueText = function (p) {
      return (p.value === null ? "无数据" : p.value) + (p.progress === null ? "" : "（" + p.progress + "%）");
    };
    var map = ShuxiangMap.create(mapEl);
    ShuxiangMap.boundaries(map, mapEl.dataset.boundaries, {
      style: function (f) {
        var r = rows[f.properties.code];
        return { color: "#fff", weight: 1, dashArray: null, fillColor: r ? r.colour : "#d0d5dd", fillOpacity: 0.8, radius: 10 };
      },
      label: function (f) {
        var r = rows[f.properties.code];
        return r ? f.properties.name + "\n" + valueText(r) : f.properties.name;
      },
      onClick: function (f) {
        var url = new URL(window.location.href);
        url.searchParams.set("place", f.properties.code);
        window.location.href = url.toString();
      }
    });
  }
  var chartEl = document.getElementById("dash-chart");
  var chart = chartEl && data(chartEl.dataset.source);
  if (chartEl && chart && window.echarts) {
    var colours = { ok: "#067647", warn: "#b54708", danger: "#b42318", none: "#98a2b3" };
    var c = echarts.init(chartEl);
    c.setOption({
      tooltip: { trigger: "axis" },
      grid: { left: 48, right: 12, top: 24, bottom: 80 },
      xAxis: { type: "category", data: chart.rows.map(function (r) { return r.name; }), axisLabel: { rotate: 45 } },
      yAxis: { type: "value", name: chart.unit },
      series: [
        { name: chart.name, type: "bar", data: chart.rows.map(function (r) {
          return { value: r.value, itemStyle: { color: colours[r.light] } };
        }) },
        { name: "目标", type: "line", symbol: "none", data: chart.rows.map(function (r) { return r.target; }) }
      ]
    });
    window.addEventListener("resize", function () { c.resize(); });
  }
})();
