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

// htmx does not swap 4xx/5xx answers: without this a refused reveal (403, 429) or a failed filter
// showed nothing at all. Show the server's Chinese message at the top of the page instead.
document.addEventListener("htmx:responseError", function (event) {
  var xhr = event.detail.xhr;
  var text = "操作未完成（" + xhr.status + "）";
  try {
    var body = JSON.parse(xhr.responseText);
    if (body && body.message) { text = body.message; }
  } catch (e) {
    var doc = new DOMParser().parseFromString(xhr.responseText || "", "text/html");
    var said = doc.querySelector("main p, .error, h1");
    if (said && said.textContent.trim()) { text = said.textContent.trim(); }
  }
  var list = document.querySelector("ul.messages");
  if (!list) {
    list = document.createElement("ul");
    list.className = "messages";
    var main = document.querySelector("main") || document.body;
    main.insertBefore(list, main.firstChild);
  }
  var item = document.createElement("li");
  item.className = "msg-error";
  item.setAttribute("role", "alert");
  item.textContent = text;
  list.appendChild(item);
});
