// Dashboard: the children coloured by the chosen indicator on a tile-less Leaflet map, and a bar chart.
(function () {
  function data(id) {
    var el = document.getElementById(id);
    return el ? JSON.parse(el.textContent) : null;
  }
  var mapEl = document.getElementById("dash-map");
  var geo = mapEl && data(mapEl.dataset.source);
  if (mapEl && geo && window.L && geo.features.length) {
    // No tile layer: the county's own shapes (or points) on a blank background, so nothing is fetched.
    var map = L.map(mapEl, { attributionControl: false, zoomSnap: 0.25 });
    var layer = L.geoJSON(geo, {
      style: function (f) { return { color: "#fff", weight: 1, fillColor: f.properties.colour, fillOpacity: 0.8 }; },
      pointToLayer: function (f, latlng) {
        return L.circleMarker(latlng, { radius: 11, color: "#fff", weight: 1, fillColor: f.properties.colour, fillOpacity: 0.9 });
      },
      onEachFeature: function (f, l) {
        var p = f.properties;
        var text = p.name + "：" + (p.value === null ? "无数据" : p.value) + (p.progress === null ? "" : "（" + p.progress + "%）");
        l.bindTooltip(text, { permanent: geo.features.length <= 20, direction: "top", className: "map-label" });
        l.on("click", function () {
          var url = new URL(window.location.href);
          url.searchParams.set("place", p.place);
          window.location.href = url.toString();
        });
      }
    }).addTo(map);
    map.fitBounds(layer.getBounds().pad(0.15));
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
