// Patrol report on a phone: "定位" fills latitude/longitude from the phone's position.
(function () {
  "use strict";
  var button = document.getElementById("locate");
  if (!button) { return; }
  var status = document.getElementById("locate-status");
  button.addEventListener("click", function () {
    if (!navigator.geolocation) { status.textContent = "此设备不支持定位，请手工填写经纬度"; return; }
    status.textContent = "正在定位…";
    navigator.geolocation.getCurrentPosition(function (pos) {
      document.getElementById("id_latitude").value = pos.coords.latitude.toFixed(6);
      document.getElementById("id_longitude").value = pos.coords.longitude.toFixed(6);
      status.textContent = "已定位（精度约 " + Math.round(pos.coords.accuracy) + " 米）";
    }, function () { status.textContent = "定位失败，请打开定位权限或手工填写"; }, { enableHighAccuracy: true, timeout: 10000 });
  });
})();
