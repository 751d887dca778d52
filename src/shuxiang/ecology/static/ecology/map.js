// 生态环境一张图: region boundaries (core/map.js), and our own layers, each switched on and off in the layer
// control: forest stands (林地小班) coloured by type, drinking-water protection zones, monitoring points
// coloured by their latest class (or verdict), pollution sources as squares. Nothing is loaded from outside.
// The forest layer is read from the API for the box on screen (a county holds tens of thousands of stands).
// A stand's own page (#stand-map) draws its polygon from the JSON block the page carries.
(function () {
  "use strict";
  if (typeof L === "undefined" || !window.ShuxiangMap) { return; }

  function popup(title, url, lines) {
    var box = document.createElement("div");
    var head = url ? document.createElement("a") : document.createElement("b");
    if (url) { head.href = url; }
    head.textContent = title;
    box.appendChild(head);
    [].concat(lines).forEach(function (line) {
      if (!line) { return; }
      box.appendChild(document.createElement("br"));
      box.appendChild(document.createTextNode(line));
    });
    return box;
  }

  var FOREST = { arbor: "#166534", bamboo: "#65a30d", shrub: "#a16207", other: "#a8a29e" };

  function forestStyle(f) {
    var c = FOREST[f.properties.forest_type] || "#166534";
    return { color: c, weight: 1, fillColor: c, fillOpacity: 0.45 };
  }

  function forestPopup(f) {
    var p = f.properties;
    var kind = p.forest_type_display + (p.category_display ? " · " + p.category_display : "");
    var area = p.area_mu + " 亩" + (p.species ? " · " + p.species : "");
    return popup("小班 " + p.code, p.url, [kind, area, p.place_name]);
  }

  function drawStand(el) {
    var block = document.getElementById(el.getAttribute("data-geojson-id"));
    if (!block) { return; }
    var map = ShuxiangMap.create(el);
    ShuxiangMap.boundaries(map, el.dataset.boundaries, { drill: false, fit: false, interactive: false });
    var layer = L.geoJSON(JSON.parse(block.textContent), { style: forestStyle, onEachFeature: function (f, l) { l.bindPopup(forestPopup(f)); } }).addTo(map);
    map.fitBounds(layer.getBounds(), { padding: [16, 16], maxZoom: 16 });
    el.setAttribute("data-loaded", "1");
  }

  // The forest overlay: features of the box on screen, fetched again when the map moves (the ones already
  // drawn stay); a box with too many stands asks for a closer zoom.
  function forestLayer(map, url, note) {
    var group = L.featureGroup();
    var drawn = {};
    var pending = null;
    function load() {
      if (!map.hasLayer(group)) { return; }
      var b = map.getBounds();
      var box = [b.getWest(), b.getSouth(), b.getEast(), b.getNorth()].map(function (v) { return v.toFixed(5); }).join(",");
      if (pending) { pending.abort(); }
      pending = new AbortController();
      fetch(url + "&bbox=" + box, { credentials: "same-origin", signal: pending.signal, headers: { Accept: "application/geo+json, application/json" } })
        .then(function (r) { return r.json().then(function (body) { return { ok: r.ok, body: body }; }); })
        .then(function (answer) {
          if (!answer.ok) {
            note.textContent = "林地小班：" + (answer.body.message || "当前范围小班过多") + "（请放大地图）";
            note.hidden = false;
            return;
          }
          note.hidden = true;
          answer.body.features.forEach(function (f) {
            if (drawn[f.id]) { return; }
            drawn[f.id] = true;
            L.geoJSON(f, { style: forestStyle, onEachFeature: function (feature, l) { l.bindPopup(forestPopup(feature)); } }).addTo(group);
          });
          map.getContainer().setAttribute("data-forests", String(Object.keys(drawn).length));
        })
        .catch(function () { return null; });
    }
    group.on("add", load);
    map.on("moveend", load);
    return group;
  }

  function drawMap(el) {
    var map = ShuxiangMap.create(el);
    var shapes = ShuxiangMap.boundaries(map, el.dataset.boundaries, { drill: false, fit: false, interactive: false });
    var overlays = {};
    var forestsUrl = el.getAttribute("data-forests-url");
    if (forestsUrl) {
      var forests = forestLayer(map, forestsUrl, document.getElementById("forest-note"));
      overlays["林地小班"] = forests;
      forests.addTo(map);
    }
    var zones = L.featureGroup().addTo(map);
    var points = L.featureGroup().addTo(map);
    var sources = L.featureGroup().addTo(map);
    overlays["水源保护区"] = zones;
    overlays["监测点位"] = points;
    overlays["污染源"] = sources;
    L.control.layers(null, overlays, { collapsed: window.innerWidth < 600 }).addTo(map);
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
        }).addTo(zones);
        data.sources.forEach(function (s) {
          var d = 0.0012;
          L.rectangle([[s.lat - d, s.lng - d], [s.lat + d, s.lng + d]], { color: "#7c3aed", weight: 1, fillOpacity: 0.7 })
            .bindPopup(popup(s.name, null, s.kind + (s.scale ? " · " + s.scale : ""))).addTo(sources);
        });
        data.points.forEach(function (p) {
          L.circleMarker([p.lat, p.lng], { radius: p.meets === false ? 9 : 6, color: "#333", weight: 1, fillColor: p.colour, fillOpacity: 0.9 })
            .bindPopup(popup(p.name, p.url, p.kind + " · " + p.class_label)).addTo(points);
          bounds.push([p.lat, p.lng]);
        });
        if (bounds.length) { map.fitBounds(bounds, { padding: [20, 20], maxZoom: 14 }); } else { shapes.ready.then(shapes.fit, function () { return null; }); }
        el.setAttribute("data-loaded", String(data.points.length));
      });
  }

  var eco = document.getElementById("eco-map");
  if (eco) { drawMap(eco); }
  var stand = document.getElementById("stand-map");
  if (stand) { drawStand(stand); }
})();
