// The appraisal form on a phone: a submission key against double sends, and the position when allowed.
(function () {
  "use strict";
  var form = document.getElementById("appraisal-form");
  if (!form) { return; }
  var key = form.querySelector("input[name=submission_key]");
  if (key && !key.value && window.crypto && crypto.getRandomValues) {
    var bytes = new Uint8Array(12);
    crypto.getRandomValues(bytes);
    key.value = Array.prototype.map.call(bytes, function (b) { return ("0" + b.toString(16)).slice(-2); }).join("");
  }
  var status = document.getElementById("locate-status");
  if (navigator.geolocation) {
    navigator.geolocation.getCurrentPosition(function (pos) {
      form.querySelector("input[name=latitude]").value = pos.coords.latitude.toFixed(6);
      form.querySelector("input[name=longitude]").value = pos.coords.longitude.toFixed(6);
      if (status) { status.textContent = "已记录现场位置"; }
    }, function () {
      if (status) { status.textContent = "未获取位置（不影响提交）"; }
    }, { timeout: 8000, maximumAge: 60000 });
  }
})();
