// The event form shows only the fields of the chosen step; the certificate page prints itself.
(function () {
  var FIELDS = {
    input_use: ["input_kind", "input_name", "input_dose", "interval_days"],
    inspecting: ["test_item", "test_agency", "test_passed", "report"],
    shipping: ["counterparty", "quantity"],
    receiving: ["counterparty", "quantity"],
    planting: ["quantity"],
    stocking: ["quantity"],
    harvesting: ["quantity"],
    processing: ["quantity"],
    packing: ["quantity"]
  };
  var OPTIONAL = ["input_kind", "input_name", "input_dose", "interval_days", "test_item", "test_agency",
    "test_passed", "report", "counterparty", "quantity"];
  var select = document.querySelector(".event-form select[name=biz_step]");
  function update() {
    var shown = FIELDS[select.value] || [];
    OPTIONAL.forEach(function (name) {
      var label = document.querySelector('.event-form [data-field="' + name + '"]');
      if (label) { label.hidden = shown.indexOf(name) < 0 && !label.classList.contains("has-error"); }
    });
  }
  if (select) { select.addEventListener("change", update); update(); }
  document.addEventListener("click", function (event) {
    if (event.target.closest("[data-print]")) { window.print(); }
  });
})();
