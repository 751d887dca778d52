// Public case map: the county's township and village boundaries (core/map.js) for orientation, cases on
// top; a base map only where the county configured one.
(function () {
  "use strict";
  var box = document.getElementById("public-map");
  if (!box) { return; }
  var map = ShuxiangMap.create(box);
  ShuxiangMap.boundaries(map, box.dataset.boundaries, { drill: true });
  var cases = L.layerGroup().addTo(map);
  var trackBase = box.dataset.track;

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
