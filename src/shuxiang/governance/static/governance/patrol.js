// The patrol form on a phone: positions collected while the form is open (when allowed) become the
// route; a submission key guards against sending twice.
(function () {
  "use strict";
  var form = document.getElementById("patrol-form");
  if (!form) { return; }
  var key = form.querySelector("input[name=submission_key]");
  if (key && !key.value && window.crypto && crypto.getRandomValues) {
    var bytes = new Uint8Array(12);
    crypto.getRandomValues(bytes);
    key.value = Array.prototype.map.call(bytes, function (b) { return ("0" + b.toString(16)).slice(-2); }).join("");
  }
  var route = form.querySelector("input[name=route]");
  var status = document.getElementById("route-status");
  var points = [];
  if (navigator.geolocation && route) {
    navigator.geolocation.watchPosition(function (pos) {
      points.push([+pos.coords.longitude.toFixed(6), +pos.coords.latitude.toFixed(6), Math.round(pos.timestamp / 1000)]);
      if (points.length > 2000) { points.shift(); }
      route.value = JSON.stringify(points);
      if (status) { status.textContent = "已记录轨迹点 " + points.length + " 个"; }
    }, function () {
      if (status) { status.textContent = "未获取定位（不影响提交）"; }
    }, { enableHighAccuracy: true, maximumAge: 30000 });
  }
})();
