// Small behaviours that need no framework. No inline scripts anywhere: the CSP forbids them.
document.addEventListener("click", function (event) {
  var toggle = event.target.closest("[data-toggle]");
  if (toggle) {
    document.getElementById(toggle.dataset.toggle).classList.toggle("open");
  }
  var confirmer = event.target.closest("[data-confirm]");
  if (confirmer && !window.confirm(confirmer.dataset.confirm)) {
    event.preventDefault();
  }
});

// Filters take the whole screen on a phone: start them folded there.
document.addEventListener("DOMContentLoaded", function () {
  if (window.innerWidth < 700) {
    document.querySelectorAll("details[data-collapse-on-phone]").forEach(function (d) { d.removeAttribute("open"); });
  }
});
