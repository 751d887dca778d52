// 生态环境一张图: region boundaries (core/map.js), drinking-water protection zones, monitoring points coloured by
// their latest class (or verdict), pollution sources as squares. Nothing is loaded from outside.
(function () {
  "use strict";
  var el = document.getElementById("eco-map");
  if (!el || typeof L === "undefined" || !window.ShuxiangMap) { return; }
  var map = ShuxiangMap.create(el);
  var shapes = ShuxiangMap.boundaries(map, el.dataset.boundaries, { drill: false, fit: false, interactive: false });
  function popup(title, url, line) {
    var box = document.createElement("div");
    var head = url ? document.createElement("a") : document.createElement("b");
    if (url) { head.href = url; }
    head.textContent = title;
    box.appendChild(head);
    box.appendChild(document.createElement("br"));
    box.appendChild(document.createTextNode(line));
    return box;
  }
  fetch(el.getAttribute("data-map-url"), { credentials: "same-origin" })
    .then(function (r) { return r.json(); })
    .then(function (data) {
      var bounds = [];
      L.geoJSON(data.zones, {
        style: function (f) {
          var first = (f.properties.zone || "").indexOf("一级") >= 0;
          return { color: "#0ea5e9", weight: first ? 2 : 1, fillOpacity: first ? 0.25 : 0.1 };
        },
        onEachFeature: function (f, layer) { layer.bindPopup(popup(f.properties.point, null, f.properties.zone || "保护区")); }
      }).addTo(map);
      data.sources.forEach(function (s) {
        var d = 0.0012;
        L.rectangle([[s.lat - d, s.lng - d], [s.lat + d, s.lng + d]], { color: "#7c3aed", weight: 1, fillOpacity: 0.7 })
          .bindPopup(popup(s.name, null, s.kind + (s.scale ? " · " + s.scale : ""))).addTo(map);
      });
      data.points.forEach(function (p) {
        L.circleMarker([p.lat, p.lng], { radius: p.meets === false ? 9 : 6, color: "#333", weight: 1, fillColor: p.colour, fillOpacity: 0.9 })
          .bindPopup(popup(p.name, p.url, p.kind + " · " + p.class_label)).addTo(map);
        bounds.push([p.lat, p.lng]);
      });
      if (bounds.length) { map.fitBounds(bounds, { padding: [20, 20], maxZoom: 14 }); } else { shapes.ready.then(shapes.fit, function () { return null; }); }
      el.setAttribute("data-loaded", String(data.points.length));
    });
})();
