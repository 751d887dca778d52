// The resident's report page: phone location, map tap (Leaflet, our own village layer, no outside tiles).
(function () {
  "use strict";
  var form = document.getElementById("report-form");
  if (!form) { return; }
  var lat = form.querySelector("input[name=latitude]");
  var lng = form.querySelector("input[name=longitude]");
  var status = document.getElementById("where-status");
  var mapBox = document.getElementById("pick-map");
  var map = null, marker = null;

  function setPoint(la, lo, how) {
    lat.value = la.toFixed(6);
    lng.value = lo.toFixed(6);
    status.textContent = how + "：" + la.toFixed(5) + ", " + lo.toFixed(5) + "（提交时自动归入最近的村）";
    if (map) {
      if (marker) { marker.setLatLng([la, lo]); } else { marker = L.marker([la, lo]).addTo(map); }
    }
  }

  function openMap() {
    mapBox.classList.remove("hidden");
    if (map) { map.invalidateSize(); return; }
    map = L.map(mapBox, { attributionControl: false }).setView([28.5, 112.45], 10);
    fetch(mapBox.dataset.places).then(function (r) { return r.json(); }).then(function (data) {
      var bounds = [];
      data.places.forEach(function (p) {
        var isTownship = p[2] === 2;
        L.circleMarker([p[3], p[4]], {
          radius: isTownship ? 6 : 3, color: isTownship ? "#344054" : "#98a2b3", weight: 1, fillOpacity: 0.6
        }).bindTooltip(p[1]).addTo(map);
        bounds.push([p[3], p[4]]);
      });
      if (bounds.length) { map.fitBounds(bounds); }
    });
    map.on("click", function (e) { setPoint(e.latlng.lat, e.latlng.lng, "地图选点"); });
    if (lat.value && lng.value) { setPoint(parseFloat(lat.value), parseFloat(lng.value), "已选位置"); }
  }

  document.getElementById("show-map").addEventListener("click", openMap);
  document.getElementById("locate-me").addEventListener("click", function () {
    if (!navigator.geolocation) { status.textContent = "此浏览器不支持定位，请在地图上点选或选择所在村"; return; }
    status.textContent = "正在定位…";
    navigator.geolocation.getCurrentPosition(function (pos) {
      setPoint(pos.coords.latitude, pos.coords.longitude, "手机定位");
    }, function () {
      status.textContent = "定位失败（可能未授权），请在地图上点选或选择所在村";
    }, { enableHighAccuracy: true, timeout: 10000 });
  });
  form.addEventListener("submit", function () {
    var button = document.getElementById("submit-report");
    button.disabled = true;
    button.textContent = "正在提交…";
  });
})();
