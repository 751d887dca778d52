// Reservoir map: the boundaries of the user's region (core/map.js), markers coloured by level status; a base
// map only where the county configured one (nothing is loaded from outside otherwise).
(function () {
  "use strict";
  var el = document.getElementById("reservoir-map");
  if (!el || typeof L === "undefined" || !window.ShuxiangMap) { return; }
  var colours = { normal: "#16a34a", near: "#f59e0b", over: "#dc2626", danger: "#7f1d1d", unknown: "#9ca3af" };
  var map = ShuxiangMap.create(el);
  // Boundaries orient the reader; only the reservoirs answer taps (their popups).
  var shapes = ShuxiangMap.boundaries(map, el.dataset.boundaries, { drill: true, fit: false, interactive: false });
  fetch(el.getAttribute("data-map-url"), { credentials: "same-origin" })
    .then(function (r) { return r.json(); })
    .then(function (data) {
      var bounds = [];
      data.reservoirs.forEach(function (r) {
        var marker = L.circleMarker([r.lat, r.lng], {
          radius: r.status === "normal" || r.status === "unknown" ? 5 : 8,
          color: colours[r.status], fillColor: colours[r.status], fillOpacity: 0.85, weight: 1
        }).addTo(map);
        var level = r.level === null ? "无数据" : r.level.toFixed(2) + " m";
        var popup = document.createElement("div");
        var link = document.createElement("a");
        link.href = r.url; link.textContent = r.name;
        popup.appendChild(link);
        popup.appendChild(document.createElement("br"));
        popup.appendChild(document.createTextNode("水位 " + level + "（汛限 " + r.flood_limit.toFixed(2) + " m）· " + r.status_label));
        marker.bindPopup(popup);
        bounds.push([r.lat, r.lng]);
      });
      if (bounds.length) {
        map.fitBounds(bounds, { padding: [20, 20] });
      } else {
        shapes.ready.then(shapes.fit, function () { return null; });
      }
      el.setAttribute("data-loaded", String(data.reservoirs.length));
    });
})();
