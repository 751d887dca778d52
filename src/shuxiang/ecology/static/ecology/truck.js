// A garbage truck's day on the county's own map (core/map.js): its track and the points it stopped at.
(function () {
  "use strict";
  var el = document.getElementById("track-map");
  if (!el || typeof L === "undefined" || !window.ShuxiangMap) { return; }
  var map = ShuxiangMap.create(el);
  var shapes = ShuxiangMap.boundaries(map, el.dataset.boundaries, { fit: false, interactive: false });
  fetch(el.getAttribute("data-url"), { credentials: "same-origin" })
    .then(function (r) { return r.json(); })
    .then(function (data) {
      var layer = L.geoJSON(data, {
        style: function () { return { color: "#2563eb", weight: 2 }; },
        pointToLayer: function (f, latlng) {
          return L.circleMarker(latlng, { radius: 7, color: "#15803d", fillColor: "#22c55e", fillOpacity: 0.8 });
        },
        onEachFeature: function (f, l) {
          if (f.properties.kind === "visit") {
            var p = document.createElement("span");
            p.textContent = f.properties.name + " " + f.properties.arrived + "，停留 " + f.properties.minutes + " 分钟";
            l.bindPopup(p);
          }
        }
      }).addTo(map);
      if (data.features && data.features.length) {
        map.fitBounds(layer.getBounds(), { padding: [20, 20] });
      } else {
        shapes.ready.then(shapes.fit, function () { return null; });
      }
      el.setAttribute("data-loaded", String((data.features || []).length));
    });
})();
