// Parcel map: our own vector layer (the parcels of the list's filter as GeoJSON) over the region's
// boundaries; no outside tiles unless the county configured a base map (core/map.js).
(function () {
  "use strict";
  var el = document.getElementById("parcel-map");
  if (!el || typeof L === "undefined" || !window.ShuxiangMap) { return; }
  var map = ShuxiangMap.create(el);
  var shapes = ShuxiangMap.boundaries(map, el.dataset.boundaries, { drill: false, fit: false, interactive: false });
  fetch(el.getAttribute("data-map-url"), { credentials: "same-origin" })
    .then(function (r) { return r.json(); })
    .then(function (data) {
      var layer = L.geoJSON(data, {
        style: function (f) {
          var bad = f.properties.flagged;
          return { color: bad ? "#c2410c" : "#15803d", weight: 1, fillColor: bad ? "#fb923c" : "#4ade80", fillOpacity: 0.45 };
        },
        onEachFeature: function (f, l) {
          var box = document.createElement("div");
          var a = document.createElement("a");
          a.href = f.properties.url; a.textContent = f.properties.code;
          box.appendChild(a);
          if (f.properties.name) { box.appendChild(document.createElement("br")); box.appendChild(document.createTextNode(f.properties.name)); }
          l.bindPopup(box);
        }
      }).addTo(map);
      if (data.features.length) { map.fitBounds(layer.getBounds(), { padding: [10, 10] }); }
      else { shapes.ready.then(shapes.fit, function () { return null; }); }
      el.setAttribute("data-loaded", String(data.features.length));
    });
})();
