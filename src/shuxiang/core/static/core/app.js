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
