// Public case map: our own GeoJSON, village layer for orientation, no outside tiles.
(function () {
  "use strict";
  var box = document.getElementById("public-map");
  if (!box) { return; }
  var map = L.map(box, { attributionControl: false }).setView([28.5, 112.45], 10);
  var cases = L.layerGroup().addTo(map);
  var trackBase = box.dataset.track;

  fetch(box.dataset.places).then(function (r) { return r.json(); }).then(function (data) {
    var bounds = [];
    data.places.forEach(function (p) {
      L.circleMarker([p[3], p[4]], { radius: p[2] === 2 ? 5 : 2, color: "#98a2b3", weight: 1, fillOpacity: 0.4 })
        .bindTooltip(p[1]).addTo(map);
      bounds.push([p[3], p[4]]);
    });
    if (bounds.length) { map.fitBounds(bounds); }
  });

  function load() {
    var params = new URLSearchParams(new FormData(document.getElementById("map-filters")));
    fetch(box.dataset.url + "?" + params.toString()).then(function (r) { return r.json(); }).then(function (data) {
      cases.clearLayers();
      data.features.forEach(function (f) {
        var p = f.properties;
        var c = f.geometry.coordinates;
        var label = document.createElement("div");
        var link = document.createElement("a");
        link.href = trackBase + "?number=" + encodeURIComponent(p.n);
        link.textContent = p.n;
        label.appendChild(link);
        label.appendChild(document.createElement("br"));
        label.appendChild(document.createTextNode(p.c + " · " + (data.states[p.s] || p.s) + " · " + p.d));
        L.circleMarker([c[1], c[0]], { radius: 6, color: p.o ? "#d92d20" : "#079455", weight: 2, fillOpacity: 0.7 })
          .bindPopup(label).addTo(cases);
      });
    });
  }
  document.getElementById("map-filters").addEventListener("submit", function (e) { e.preventDefault(); load(); });
  load();
})();
