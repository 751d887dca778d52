// Farmland maps: our own vector layers over the county's boundaries (core/map.js), no outside tiles.
// An element .farmland-map carries either data-geojson-url (fetched) or data-geojson-id (the id of a
// <script type="application/json"> block, written by json_script), and data-colour for the fill.
(function () {
  "use strict";
  if (typeof L === "undefined" || !window.ShuxiangMap) { return; }
  var FINDING = { non_grain: "#f59e0b", non_agri: "#dc2626", idle: "#7c3aed" };

  function popup(f) {
    var p = f.properties, box = document.createElement("div");
    var title = document.createElement(p.url ? "a" : "b");
    if (p.url) { title.href = p.url; }
    title.textContent = p.label || ((p.kind_display || "") + " " + p.code);
    box.appendChild(title);
    box.appendChild(document.createElement("br"));
    var line = p.area_mu !== undefined ? " · " + p.area_mu + " 亩" + (p.land_class ? " · " + p.land_class : "") : (p.detail ? " · " + p.detail : "");
    box.appendChild(document.createTextNode("编号 " + p.code + line));
    if (p.village_name) { box.appendChild(document.createElement("br")); box.appendChild(document.createTextNode(p.village_name)); }
    return box;
  }

  function draw(el, data) {
    var map = ShuxiangMap.create(el);
    ShuxiangMap.boundaries(map, el.dataset.boundaries, { drill: false, fit: false, interactive: false });
    var colour = el.getAttribute("data-colour") || "#15803d";
    var detail = el.getAttribute("data-link") === "parcel";
    var layer = L.geoJSON(data, {
      // Facilities are points, drawn as dots in their status colour (no marker images needed).
      pointToLayer: function (f, latlng) {
        var c = f.properties.colour || colour;
        return L.circleMarker(latlng, { radius: 7, color: "#fff", weight: 2, fillColor: c, fillOpacity: 0.95 });
      },
      style: function (f) {
        if (f.geometry && f.geometry.type === "Point") { return {}; }
        var c = f.properties.finding_type ? FINDING[f.properties.finding_type] || colour : colour;
        return { color: c, weight: 1, fillColor: c, fillOpacity: 0.45 };
      },
      onEachFeature: function (f, l) {
        if (detail && f.id) { f.properties.url = f.properties.url || null; }
        l.bindPopup(popup(f));
      }
    }).addTo(map);
    if (data.features && data.features.length) {
      map.fitBounds(layer.getBounds(), { padding: [16, 16], maxZoom: 16 });
    }
    el.setAttribute("data-loaded", String((data.features || []).length));
  }

  document.querySelectorAll(".farmland-map").forEach(function (el) {
    var inline = el.getAttribute("data-geojson-id");
    if (inline) {
      var block = document.getElementById(inline);
      if (block) { draw(el, JSON.parse(block.textContent)); }
      return;
    }
    fetch(el.getAttribute("data-geojson-url"), { credentials: "same-origin", headers: { Accept: "application/geo+json, application/json" } })
      .then(function (r) { return r.json(); })
      .then(function (data) { draw(el, data); });
  });
})();
