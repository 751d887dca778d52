// A garbage truck's day on the county's own map (core/map.js): its track and the points it stopped at.
(function () {
  "use strict";
  var el = document.getElementById("track-map");
  if (!el || typeof L === "undefined" || !window.ShuxiangMap) { return; }
  ShuxiangMap.track(el, {
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
  });
})();
