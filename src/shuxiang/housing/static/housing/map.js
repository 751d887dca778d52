// House map: the boundaries of the user's region (core/map.js), one dot per house coloured by grade;
// the list's filters apply. A base map only where the county configured one.
(function () {
  "use strict";
  var el = document.getElementById("house-map");
  if (!el || typeof L === "undefined" || !window.ShuxiangMap) { return; }
  var colours = { A: "#16a34a", B: "#65a30d", C: "#f59e0b", D: "#dc2626", "": "#9ca3af" };
  var map = ShuxiangMap.create(el);
  var shapes = ShuxiangMap.boundaries(map, el.dataset.boundaries, { drill: true, fit: false, interactive: false });
  fetch(el.getAttribute("data-map-url"), { credentials: "same-origin" })
    .then(function (r) { return r.json(); })
    .then(function (data) {
      var bounds = [];
      data.houses.forEach(function (h) {
        var danger = h.grade === "C" || h.grade === "D";
        var marker = L.circleMarker([h.lat, h.lng], {
          radius: danger ? 7 : 4, color: colours[h.grade] || colours[""],
          fillColor: colours[h.grade] || colours[""], fillOpacity: 0.85, weight: h.key ? 2 : 1
        }).addTo(map);
        var popup = document.createElement("div");
        var link = document.createElement("a");
        link.href = h.url; link.textContent = h.code;
        popup.appendChild(link);
        popup.appendChild(document.createElement("br"));
        popup.appendChild(document.createTextNode((h.grade ? h.grade + "级" : "未鉴定") + (h.business ? " · 经营性自建房" : "") + (h.address ? " · " + h.address : "")));
        marker.bindPopup(popup);
        bounds.push([h.lat, h.lng]);
      });
      if (bounds.length) {
        map.fitBounds(bounds, { padding: [20, 20], maxZoom: 16 });
      } else {
        shapes.ready.then(shapes.fit, function () { return null; });
      }
      el.setAttribute("data-loaded", String(data.houses.length));
    });
})();
