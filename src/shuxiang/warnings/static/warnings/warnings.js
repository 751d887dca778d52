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

// Map picker: villages as dots on our own layer (no outside tiles); a tap ticks or unticks the
// village in the tree, adding a box under the map when its township is not opened yet.
(function () {
  var button = document.getElementById("show-area-map");
  var box = document.getElementById("area-map");
  var picks = document.getElementById("map-picks");
  if (!button || !box || typeof L === "undefined") { return; }
  var map = null, markers = {}, townshipOf = {};

  function boxFor(code) {
    return document.querySelector("input[name=areas][value='" + code + "']");
  }

  function isSelected(code) {
    var own = boxFor(code);
    var parent = townshipOf[code] ? boxFor(townshipOf[code]) : null;
    return (own && own.checked) || (parent && parent.checked);
  }

  function paint() {
    Object.keys(markers).forEach(function (code) {
      var on = isSelected(code);
      markers[code].setStyle({ color: on ? "#d11a1a" : "#667085", fillColor: on ? "#d11a1a" : "#98a2b3" });
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

  button.addEventListener("click", function () {
    box.classList.remove("hidden");
    if (map) { map.invalidateSize(); return; }
    map = L.map(box, { attributionControl: false }).setView([28.5, 112.45], 10);
    fetch(box.dataset.places).then(function (r) { return r.json(); }).then(function (data) {
      var bounds = [];
      data.places.forEach(function (p) {
        var code = p[0], name = p[1], level = p[2];
        bounds.push([p[3], p[4]]);
        if (level === 2) {
          L.marker([p[3], p[4]], {
            interactive: false, icon: L.divIcon({ className: "map-label", html: name, iconSize: null })
          }).addTo(map);
          return;
        }
        townshipOf[code] = p[5];
        markers[code] = L.circleMarker([p[3], p[4]], { radius: 7, weight: 1, fillOpacity: 0.7 })
          .bindTooltip(name)
          .on("click", function () { toggle(code, name); })
          .addTo(map);
      });
      if (bounds.length) { map.fitBounds(bounds, { animate: false, padding: [20, 20] }); }
      paint();
    });
  });
  document.getElementById("warning-form").addEventListener("change", paint);
})();
