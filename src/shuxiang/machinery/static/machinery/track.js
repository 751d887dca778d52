// A machine's track and worked area on the county's own map (core/map.js); no outside tiles.
(function () {
  "use strict";
  var el = document.getElementById("track-map");
  if (!el || typeof L === "undefined" || !window.ShuxiangMap) { return; }
  ShuxiangMap.track(el, {
    style: function (f) {
      var kind = f.properties.kind;
      if (kind === "worked") { return { color: "#16a34a", weight: 1, fillColor: "#22c55e", fillOpacity: 0.35 }; }
      if (kind === "planned") { return { color: "#ea580c", weight: 1.5, dashArray: "4 4" }; }
      if (kind === "missed") { return { color: "#dc2626", weight: 1, fillColor: "#ef4444", fillOpacity: 0.5 }; }
      return { color: "#2563eb", weight: 2 };
    }
  });
})();
