// Authoring form: only the colours a signal type has, and its defence guide as the default instruction.
(function () {
  var form = document.getElementById("warning-form");
  if (!form) { return; }
  var data = JSON.parse(form.dataset.guides || "{}");
  var typeSelect = form.querySelector("[data-signal-types]");
  var colourSelect = form.querySelector("[data-colour]");
  var instruction = form.querySelector("[data-instruction]");
  var lastGuide = instruction ? instruction.value : "";

  function currentType() {
    return typeSelect ? data[typeSelect.value] : null;
  }

  function limitColours() {
    var type = currentType();
    if (!type || !colourSelect) { return; }
    var firstAllowed = null;
    Array.prototype.forEach.call(colourSelect.options, function (opt) {
      var allowed = type.colours.indexOf(opt.value) !== -1;
      opt.disabled = !allowed;
      opt.hidden = !allowed;
      if (allowed && firstAllowed === null) { firstAllowed = opt.value; }
    });
    if (type.colours.indexOf(colourSelect.value) === -1 && firstAllowed) {
      colourSelect.value = firstAllowed;
    }
  }

  function fillGuide() {
    var type = currentType();
    if (!type || !instruction || !colourSelect) { return; }
    var guide = type.guides[colourSelect.value] || "";
    // Replace only text the officer has not changed by hand.
    if (!instruction.value || instruction.value === lastGuide) {
      instruction.value = guide;
      lastGuide = guide;
    }
  }

  if (typeSelect) { typeSelect.addEventListener("change", function () { limitColours(); fillGuide(); }); }
  if (colourSelect) { colourSelect.addEventListener("change", fillGuide); }
  limitColours();
  fillGuide();

  // Ticking a township covers its villages: untick and grey them out.
  form.addEventListener("change", function (event) {
    var box = event.target;
    if (box.name !== "areas") { return; }
    var node = box.closest("details");
    if (node && box.closest("summary")) {
      node.querySelectorAll(".tree-children input").forEach(function (child) {
        if (box.checked) { child.checked = false; }
        child.disabled = box.checked;
      });
    }
  });
  // A click on the checkbox inside <summary> should not also open or close the node.
  form.querySelectorAll("summary input").forEach(function (input) {
    input.addEventListener("click", function (event) { event.stopPropagation(); });
  });
})();

// Map picker on the county's own boundaries (core/map.js; no outside tiles unless the county set a base
// map): townships are outlined and labelled, a tap on one zooms in and loads its villages, a tap on a village
// ticks or unticks it in the tree (adding a box under the map when its township is not opened yet). A village
// with no imported boundary is a dot at its centre, tapped the same way.
(function () {
  var button = document.getElementById("show-area-map");
  var box = document.getElementById("area-map");
  var picks = document.getElementById("map-picks");
  if (!button || !box || typeof L === "undefined" || !window.ShuxiangMap) { return; }
  var map = null, shapes = null, townshipOf = {};
  var PICKED = { color: "#d11a1a", fillColor: "#d11a1a", fillOpacity: 0.35, weight: 2 };
  var FREE = { color: "#475467", fillColor: "#98a2b3", fillOpacity: 0.12, weight: 1 };

  function boxFor(code) {
    return document.querySelector("input[name=areas][value='" + code + "']");
  }

  function isSelected(code) {
    var own = boxFor(code);
    var parent = townshipOf[code] ? boxFor(townshipOf[code]) : null;
    return (own && own.checked) || (parent && parent.checked);
  }

  function villageStyle(feature) {
    if (feature.properties.level < 3) { return null; }
    return isSelected(feature.properties.code) ? PICKED : FREE;
  }

  function paint() {
    if (!shapes) { return; }
    shapes.entries.forEach(function (e) {
      var style = villageStyle(e.feature);
      if (style) { e.layer.setStyle(style); }
    });
  }

  function toggle(code, name) {
    var input = boxFor(code);
    if (!input) {
      var label = document.createElement("label");
      label.className = "tree-row village";
      input = document.createElement("input");
      input.type = "checkbox";
      input.name = "areas";
      input.value = code;
      label.appendChild(input);
      label.appendChild(document.createTextNode(" " + name));
      picks.appendChild(label);
      input.checked = true;
    } else {
      input.checked = !input.checked;
    }
    paint();
  }

  function open(feature, layer) {
    var p = feature.properties;
    if (p.level >= 3) { toggle(p.code, p.name); return; }
    // A township: zoom to it and load its villages.
    shapes.open(p.code).then(paint);
    if (layer.getBounds) {
      map.fitBounds(layer.getBounds(), { padding: [8, 8], animate: false });
    } else {
      map.setView(layer.getLatLng(), 12.5, { animate: false });
    }
  }

  button.addEventListener("click", function () {
    box.classList.remove("hidden");
    if (map) { map.invalidateSize(); return; }
    map = ShuxiangMap.create(box);
    fetch(box.dataset.places, { credentials: "same-origin" }).then(function (r) { return r.json(); })
      .then(function (data) {
        data.places.forEach(function (p) { if (p[2] !== 2) { townshipOf[p[0]] = p[5]; } });
        paint();
      });
    shapes = ShuxiangMap.boundaries(map, box.dataset.boundaries, { drill: true, style: villageStyle, onClick: open });
    box.setAttribute("data-ready", "1");
  });
  document.getElementById("warning-form").addEventListener("change", paint);
})();
