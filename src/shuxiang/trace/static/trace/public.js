// One-code lookup page: count this scan (once per visit) and verify the hash chain on request.
(function () {
  var body = document.body;
  var scanUrl = body.dataset.scanUrl;
  if (scanUrl && window.fetch) {
    var key = "scanned:" + scanUrl;
    var seen = false;
    try { seen = window.sessionStorage.getItem(key); } catch (e) { seen = false; }
    if (!seen) {
      var send = function (position) {
        var data = {};
        if (position) {
          data.lat = position.coords.latitude;
          data.lng = position.coords.longitude;
        }
        fetch(scanUrl, { method: "POST", body: JSON.stringify(data), keepalive: true,
          headers: { "Content-Type": "application/json" } }).catch(function () {});
        try { window.sessionStorage.setItem(key, "1"); } catch (e) { /* private mode */ }
      };
      // A location is sent only when the person has already allowed it for this site: never a prompt.
      if (navigator.permissions && navigator.geolocation) {
        navigator.permissions.query({ name: "geolocation" }).then(function (state) {
          if (state.state === "granted") {
            navigator.geolocation.getCurrentPosition(send, function () { send(null); }, { maximumAge: 600000, timeout: 3000 });
          } else { send(null); }
        }, function () { send(null); });
      } else { send(null); }
    }
  }
  var button = document.getElementById("verify-button");
  var result = document.getElementById("verify-result");
  if (button && result) {
    button.addEventListener("click", function () {
      result.textContent = "正在重新计算哈希链…";
      fetch(body.dataset.verifyUrl, { headers: { Accept: "application/json" } })
        .then(function (r) { return r.json(); })
        .then(function (data) {
          if (data.ok) {
            result.className = "ok";
            result.textContent = "核验通过：共 " + data.entries + " 条记录完好，链头 " + data.head.slice(0, 16) + "…";
          } else if (data.first_bad) {
            result.className = "bad";
            result.textContent = "核验未通过：" + data.first_bad.message;
          } else {
            result.className = "bad";
            result.textContent = data.message || "暂时无法核验，请稍后再试";
          }
        })
        .catch(function () { result.className = "bad"; result.textContent = "网络异常，请稍后再试"; });
    });
  }
})();
