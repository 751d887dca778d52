// One module for every map of the platform: the county's own boundaries with labels that never overlap
// (a name is written only where it fits at the current zoom; the rest show on hover or tap), an optional
// base map that only a county's configuration turns on, and point-in-boundary tests for pickers.
// Pages hand over what the server knows as attributes ({% map_attrs %}): data-boundaries is the URL of a
// place's children as GeoJSON, data-base-layer the configured tiles (absent: nothing is fetched from
// outside). No inline scripts anywhere (CSP); a page's own script calls window.ShuxiangMap.
(function () {
  "use strict";
  if (typeof L === "undefined") { return; }

  var STYLES = {
    1: { color: "#344054", weight: 2, fill: false },
    2: { color: "#475467", weight: 1.5, fillColor: "#ffffff", fillOpacity: 0.5 },
    3: { color: "#98a2b3", weight: 1, dashArray: "4 3", fillColor: "#ffffff", fillOpacity: 0.3 },
    4: { color: "#c0c6d0", weight: 0.8, dashArray: "2 3", fill: false }
  };
  var LABEL_FONT = "12px sans-serif";
  var LINE_HEIGHT = 15;
  var measure = null;

  function textWidth(text) {
    if (!measure) {
      measure = document.createElement("canvas").getContext("2d");
      measure.font = LABEL_FONT;
    }
    return measure.measureText(text).width;
  }

  function textNode(text) {
    // Names come from the database: always text, never HTML.
    var box = document.createElement("span");
    String(text).split("\n").forEach(function (line, i) {
      if (i) { box.appendChild(document.createElement("br")); }
      box.appendChild(document.createTextNode(line));
    });
    return box;
  }

  function baseLayer(el) {
    var raw = el.getAttribute("data-base-layer");
    if (!raw) { return null; }
    try { return JSON.parse(raw); } catch (e) { return null; }
  }

  // A Leaflet map on `el` with our panes, and the configured base map when there is one.
  function create(el, options) {
    var base = baseLayer(el);
    // A map without tiles has no zoom limit of its own, and fitting one point would then ask for zoom
    // Infinity (Leaflet: "Invalid LatLng (NaN, NaN)"); 18 is a village street, as close as anyone needs.
    var settings = { attributionControl: !!base, zoomSnap: 0.25, maxZoom: (base && base.max_zoom) || 18 };
    if (base && base.crs === "EPSG4326") { settings.crs = L.CRS.EPSG4326; }
    Object.keys(options || {}).forEach(function (k) { settings[k] = options[k]; });
    var map = L.map(el, settings);
    map.createPane("sx-boundaries").style.zIndex = 350;
    var labels = map.createPane("sx-labels");
    labels.style.zIndex = 450;
    labels.style.pointerEvents = "none";
    if (base) {
      var tiles = { subdomains: base.subdomains || "abc", maxZoom: base.max_zoom || 18,
        zoomOffset: base.zoom_offset || 0, attribution: base.attribution || "" };
      L.tileLayer(base.url, tiles).addTo(map);
      if (base.overlay) { L.tileLayer(base.overlay, tiles).addTo(map); }
      if (map.attributionControl) { map.attributionControl.setPrefix(false); }
    } else {
      el.classList.add("sx-no-base");
    }
    if (!settings.center) { map.setView([28.5, 112.42], 10); }
    el.sxMap = map;
    return map;
  }

  // The boundaries URL of another place, built from the one the page was given.
  function urlFor(url, fromCode, code) {
    return url.replace("/" + fromCode + "/", "/" + encodeURIComponent(code) + "/");
  }

  function ringContains(ring, x, y) {
    var inside = false;
    for (var i = 0, j = ring.length - 1; i < ring.length; j = i++) {
      var xi = ring[i][0], yi = ring[i][1], xj = ring[j][0], yj = ring[j][1];
      if ((yi > y) !== (yj > y) && x < (xj - xi) * (y - yi) / (yj - yi) + xi) { inside = !inside; }
    }
    return inside;
  }

  // Whether a GeoJSON Polygon/MultiPolygon (or a Feature holding one) holds a Leaflet latlng.
  function contains(geo, latlng) {
    var g = geo && geo.type === "Feature" ? geo.geometry : geo;
    if (!g) { return false; }
    var polygons = g.type === "Polygon" ? [g.coordinates] : g.type === "MultiPolygon" ? g.coordinates : [];
    return polygons.some(function (rings) {
      if (!rings.length || !ringContains(rings[0], latlng.lng, latlng.lat)) { return false; }
      return !rings.slice(1).some(function (hole) { return ringContains(hole, latlng.lng, latlng.lat); });
    });
  }

  function styleFor(level, override, feature) {
    var style = {};
    var base = STYLES[level] || STYLES[3];
    Object.keys(base).forEach(function (k) { style[k] = base[k]; });
    var extra = override ? override(feature) : null;
    if (extra) { Object.keys(extra).forEach(function (k) { style[k] = extra[k]; }); }
    return style;
  }

  // Draws a place's children (and its outline) from `url`. Options:
  //   style(feature) → extra Leaflet path options; label(feature) → text ("\n" for a second line);
  //   tooltip(feature) → text; onClick(feature, layer); fit (default true);
  //   drill (default false): load the children of a shape once it is large on screen, down to maxLevel (3);
  //   interactive (default true): false lets clicks through to the map (pickers).
  // Returns a controller: .ready (a Promise of the first collection), .entries, .find(code), .at(latlng),
  // .open(code) (load a shape's children now).
  function boundaries(map, url, options) {
    options = options || {};
    var maxLevel = options.maxLevel || 3;
    var interactive = options.interactive !== false;
    var group = L.layerGroup().addTo(map);
    var labelLayer = L.layerGroup().addTo(map);
    var entries = [];
    var loaded = {};
    var control = { entries: entries, group: group, data: null };

    function labelOf(f) { return options.label ? options.label(f) : f.properties.name; }
    function tipOf(f) { return options.tooltip ? options.tooltip(f) : labelOf(f); }

    function add(feature, isOutline) {
      var p = feature.properties;
      var layer;
      if (feature.geometry.type === "Point") {
        if (isOutline) { return; }
        var c = feature.geometry.coordinates;
        var dot = styleFor(p.level, options.style, feature);
        if (dot.radius === undefined) { dot.radius = p.level <= 2 ? 6 : 4; }
        dot.fill = true;
        if (dot.fillOpacity === undefined || dot.fillOpacity < 0.5) { dot.fillOpacity = 0.8; }
        dot.pane = "sx-boundaries";
        dot.interactive = interactive;
        layer = L.circleMarker([c[1], c[0]], dot);
      } else {
        var style = styleFor(isOutline ? 1 : p.level, isOutline ? null : options.style, feature);
        style.pane = "sx-boundaries";
        style.interactive = interactive && !isOutline;
        layer = L.geoJSON(feature, { style: function () { return style; }, pane: "sx-boundaries",
          interactive: style.interactive });
      }
      layer.addTo(group);
      if (isOutline) { return; }
      var entry = { feature: feature, layer: layer, text: labelOf(feature), labelled: false,
        point: L.latLng(p.label[1], p.label[0]) };
      if (interactive && options.onClick) {
        layer.on("click", function (e) { options.onClick(feature, layer, e); });
      }
      entries.push(entry);
    }

    function load(u, isRoot) {
      return fetch(u, { credentials: "same-origin" }).then(function (r) {
        if (!r.ok) { throw new Error("boundaries " + r.status); }
        return r.json();
      }).then(function (data) {
        loaded[data.place.code] = true;
        if (isRoot) {
          control.data = data;
          if (data.outline) { add(data.outline, true); }
        }
        data.features.forEach(function (f) { add(f, false); });
        return data;
      });
    }

    function relabel() {
      labelLayer.clearLayers();
      var size = map.getSize();
      var placed = [];
      entries.forEach(function (e) {
        if (e.feature.geometry.type !== "Point") {
          var bounds = e.layer.getBounds();
          var sw = map.latLngToContainerPoint(bounds.getSouthWest());
          var ne = map.latLngToContainerPoint(bounds.getNorthEast());
          e.box = { w: Math.abs(ne.x - sw.x), h: Math.abs(sw.y - ne.y) };
        } else {
          e.box = null;
        }
        e.area = e.box ? e.box.w * e.box.h : 0;
      });
      // Townships before villages, large shapes before small: the names that orient a reader win.
      var ordered = entries.slice().sort(function (a, b) {
        return a.feature.properties.level - b.feature.properties.level || b.area - a.area;
      });
      // A label's rectangle on screen if it is visible, fits inside its shape and overlaps no other label.
      function room(text, at, box) {
        var lines = String(text).split("\n");
        var w = Math.max.apply(null, lines.map(textWidth)) + 8;
        var h = LINE_HEIGHT * lines.length + 2;
        var rect = { x1: at.x - w / 2, y1: at.y - h / 2, x2: at.x + w / 2, y2: at.y + h / 2, w: w, h: h, text: text };
        var visible = rect.x1 >= 0 && rect.y1 >= 0 && rect.x2 <= size.x && rect.y2 <= size.y;
        var fits = box ? w <= box.w * 0.9 && h <= box.h * 0.8 : true;
        var free = !placed.some(function (o) {
          return rect.x1 < o.x2 + 3 && rect.x2 > o.x1 - 3 && rect.y1 < o.y2 + 2 && rect.y2 > o.y1 - 2;
        });
        return visible && fits && free ? rect : null;
      }
      ordered.forEach(function (e) {
        var at = map.latLngToContainerPoint(e.point);
        var text = String(e.text);
        // The whole label where it fits, else its first line (the name), else only a tooltip.
        var rect = room(text, at, e.box) || (text.indexOf("\n") > 0 ? room(text.split("\n")[0], at, e.box) : null);
        e.labelled = !!rect;
        if (rect) {
          placed.push(rect);
          L.marker(e.point, {
            pane: "sx-labels", interactive: false, keyboard: false,
            icon: L.divIcon({ className: "sx-label sx-label-" + e.feature.properties.level, html: textNode(rect.text),
              iconSize: [rect.w, rect.h], iconAnchor: [rect.w / 2, rect.h / 2] })
          }).addTo(labelLayer);
        }
        var complete = rect && rect.text === text && tipOf(e.feature) === text;
        if (complete && e.tip) {
          e.layer.unbindTooltip();
          e.tip = false;
        } else if (!complete && !e.tip) {
          e.layer.bindTooltip(textNode(tipOf(e.feature)), { sticky: true, direction: "top", className: "sx-tip" });
          e.tip = true;
        }
      });
      if (options.drill) { drill(); }
    }

    function drill() {
      var view = map.getBounds();
      entries.forEach(function (e) {
        var p = e.feature.properties;
        if (p.level >= maxLevel || loaded[p.code] || e.loading) { return; }
        var big = e.box ? e.box.w * e.box.h > 250 * 250 : map.getZoom() >= 12;
        var seen = e.box ? view.intersects(e.layer.getBounds()) : view.contains(e.point);
        if (big && seen) {
          e.loading = true;
          load(urlFor(url, control.data.place.code, p.code), false).then(function () {
            e.loading = false;
            relabel();
          }, function () { e.loading = false; loaded[p.code] = true; });
        }
      });
    }

    // Load the children of one loaded shape now, whatever its size on screen (a picker's tap on a township).
    control.open = function (code) {
      var e = control.find(code);
      if (!e || e.feature.properties.level >= maxLevel || loaded[code] || e.loading) {
        return Promise.resolve(null);
      }
      e.loading = true;
      return load(urlFor(url, control.data.place.code, code), false).then(function (data) {
        e.loading = false;
        relabel();
        return data;
      }, function () { e.loading = false; loaded[code] = true; return null; });
    };
    control.relabel = relabel;
    control.fit = function () {
      var shown = L.featureGroup(group.getLayers());
      // Not animated: Leaflet drops a view change asked for while a zoom animation runs (a picker's own fit).
      if (shown.getLayers().length) { map.fitBounds(shown.getBounds(), { padding: [12, 12], animate: false }); }
    };
    control.find = function (code) {
      return entries.filter(function (e) { return e.feature.properties.code === code; })[0] || null;
    };
    // The deepest loaded shape holding a point (a village before its township), or null.
    control.at = function (latlng) {
      var hits = entries.filter(function (e) {
        return e.feature.geometry.type !== "Point" && contains(e.feature, latlng);
      });
      hits.sort(function (a, b) { return b.feature.properties.level - a.feature.properties.level; });
      return hits[0] || null;
    };
    control.remove = function () {
      map.off("zoomend moveend", relabel);
      map.removeLayer(group);
      map.removeLayer(labelLayer);
    };
    if (!url) {  // no county loaded yet: an empty map rather than an error
      control.ready = Promise.reject(new Error("no boundaries"));
      control.ready.catch(function () { return null; });
      return control;
    }
    control.ready = load(url, true).then(function (data) {
      if (options.fit !== false) { control.fit(); }
      relabel();
      map.on("zoomend moveend", relabel);
      return data;
    });
    control.ready.catch(function () { return null; });  // a map without boundaries still works
    return control;
  }

  // A track page (a machine's day, a truck's round): the map of el, the boundaries it was given, and the
  // GeoJSON at its data-url drawn with layerOptions (L.geoJSON's). The view fits the track, or the
  // boundaries when the day has none; data-loaded says how many features came (browser tests wait on it).
  function track(el, layerOptions) {
    var map = create(el);
    var shapes = boundaries(map, el.dataset.boundaries, { fit: false, interactive: false });
    return fetch(el.getAttribute("data-url"), { credentials: "same-origin" })
      .then(function (r) { return r.json(); })
      .then(function (data) {
        var layer = L.geoJSON(data, layerOptions).addTo(map);
        if (data.features && data.features.length) {
          map.fitBounds(layer.getBounds(), { padding: [20, 20] });
        } else {
          shapes.ready.then(shapes.fit, function () { return null; });
        }
        el.setAttribute("data-loaded", String((data.features || []).length));
        return layer;
      });
  }

  window.ShuxiangMap = { create: create, boundaries: boundaries, contains: contains, urlFor: urlFor,
    track: track, styles: STYLES };
})();
