// Trend charts: every element with data-series-url gets an ECharts line (value, and min–max band for rollups).
(function () {
  "use strict";
  function highest(limits) {
    return Math.max.apply(null, limits.map(function (l) { return l.value; }));
  }
  function draw(el) {
    var url = el.getAttribute("data-series-url");
    var range = el.getAttribute("data-range") || "24h";
    var limits = [];
    ["flood-limit", "normal", "crest"].forEach(function (name) {
      var v = el.getAttribute("data-" + name);
      if (v) { limits.push({ name: name, value: parseFloat(v) }); }
    });
    var labels = { "flood-limit": "汛限水位", normal: "正常蓄水位", crest: "坝顶高程" };
    fetch(url + (url.indexOf("?") >= 0 ? "&" : "?") + "range=" + range, { credentials: "same-origin" })
      .then(function (r) { return r.json(); })
      .then(function (data) {
        var chart = echarts.getInstanceByDom(el) || echarts.init(el);
        var series = [{
          name: data.name, type: "line", showSymbol: false, data: data.points,
          markLine: limits.length ? {
            symbol: "none",
            data: limits.map(function (l) { return { yAxis: l.value, name: labels[l.name], label: { position: "insideEndTop", formatter: labels[l.name] + " {c}" } }; })
          } : undefined
        }];
        if (data.bands && data.bands.length) {
          series.push({ name: "最低", type: "line", showSymbol: false, lineStyle: { opacity: 0.3 }, data: data.bands.map(function (b) { return [b[0], b[1]]; }) });
          series.push({ name: "最高", type: "line", showSymbol: false, lineStyle: { opacity: 0.3 }, data: data.bands.map(function (b) { return [b[0], b[2]]; }) });
        }
        chart.setOption({
          tooltip: { trigger: "axis" },
          grid: { left: 48, right: 16, top: 28, bottom: 32 },
          xAxis: { type: "time", axisLabel: { hideOverlap: true } },
          yAxis: { type: "value", scale: true, name: data.unit || "",
                   max: limits.length ? function (v) { return Math.ceil(Math.max(v.max, highest(limits)) + 0.1); } : null },
          series: series
        }, true);
        if (!data.points.length) {
          chart.setOption({ title: { text: "该时段无数据", left: "center", top: "middle", textStyle: { color: "#888", fontSize: 14 } } });
        }
      });
  }
  document.querySelectorAll("[data-series-url]").forEach(draw);
  document.querySelectorAll("[data-range-for]").forEach(function (bar) {
    bar.addEventListener("click", function (ev) {
      var btn = ev.target.closest("button[data-range]");
      if (!btn) { return; }
      var el = document.getElementById(bar.getAttribute("data-range-for"));
      el.setAttribute("data-range", btn.getAttribute("data-range"));
      bar.querySelectorAll("button").forEach(function (b) { b.classList.toggle("primary", b === btn); });
      draw(el);
    });
  });
  window.addEventListener("resize", function () {
    document.querySelectorAll("[data-series-url]").forEach(function (el) {
      var c = echarts.getInstanceByDom(el); if (c) { c.resize(); }
    });
  });
})();
