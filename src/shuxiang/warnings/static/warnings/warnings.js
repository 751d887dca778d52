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
