// Points (farms, ponds, reports) and circles (outbreak zones) of a livestock page on the county's
// boundaries (core/map.js); a base map only where the county configured one.
(function () {
  "use strict";
  var el = document.getElementById("livestock-map");
  if (!el || typeof L === "undefined" || !window.ShuxiangMap) { return; }
  var map = ShuxiangMap.create(el);
  var shapes = ShuxiangMap.boundaries(map, el.dataset.boundaries, { drill: true, fit: false, interactive: false });
  fetch(el.getAttribute("data-map-url"), { credentials: "same-origin" })
    .then(function (r) { return r.json(); })
    .then(function (data) {
      var bounds = [];
      (data.circles || []).forEach(function (c) {
        L.circle([c.lat, c.lng], { radius: c.radius_m, color: c.colour, weight: 1, fillOpacity: 0.08 })
          .bindTooltip(c.label).addTo(map);
      });
      data.points.forEach(function (p) {
        var marker = L.circleMarker([p.lat, p.lng], {
          radius: 6, color: p.colour, fillColor: p.colour, fillOpacity: 0.85, weight: 1
        }).addTo(map);
        var popup = document.createElement("div");
        var link = document.createElement("a");
        link.href = p.url; link.textContent = p.name;
        popup.appendChild(link);
        popup.appendChild(document.createElement("br"));
        popup.appendChild(document.createTextNode(p.text));
        marker.bindPopup(popup);
        bounds.push([p.lat, p.lng]);
      });
      if (bounds.length) {
        map.fitBounds(bounds, { padding: [20, 20], maxZoom: 13 });
      } else {
        shapes.ready.then(shapes.fit, function () { return null; });
      }
      el.setAttribute("data-loaded", String(data.points.length));
    });
})();
