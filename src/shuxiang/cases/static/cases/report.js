// The resident's report page: phone location, or find the village by name and tap inside its boundary.
// Works without any base map: the county's own boundaries (core/map.js) are the map.
(function () {
  "use strict";
  var form = document.getElementById("report-form");
  if (!form) { return; }
  var lat = form.querySelector("input[name=latitude]");
  var lng = form.querySelector("input[name=longitude]");
  var village = form.querySelector("select[name=village]");
  var status = document.getElementById("where-status");
  var mapBox = document.getElementById("pick-map");
  var search = document.getElementById("village-search");
  var results = document.getElementById("village-results");
  var map = null, marker = null, county = null, chosen = null;

  function say(text) { status.textContent = text; }

  function villageName(code) {
    var option = village.querySelector("option[value='" + code + "']");
    return option ? option.textContent : "";
  }

  function setPoint(la, lo, how) {
    lat.value = la.toFixed(6);
    lng.value = lo.toFixed(6);
    var where = village.value ? "，" + villageName(village.value) : "（提交时自动归入最近的村）";
    say(how + "：" + la.toFixed(5) + ", " + lo.toFixed(5) + where);
    if (map) {
      if (marker) { marker.setLatLng([la, lo]); } else { marker = L.marker([la, lo]).addTo(map); }
    }
  }

  function openMap() {
    mapBox.classList.remove("hidden");
    if (map) { map.invalidateSize(); return map; }
    map = ShuxiangMap.create(mapBox);
    county = ShuxiangMap.boundaries(map, mapBox.dataset.boundaries, { drill: true, interactive: false });
    map.on("click", tapped);
    if (lat.value && lng.value) { setPoint(parseFloat(lat.value), parseFloat(lng.value), "已选位置"); }
    return map;
  }

  function tapped(e) {
    if (chosen && chosen.outline) {
      if (!ShuxiangMap.contains(chosen.outline, e.latlng)) {
        say("该位置不在" + chosen.name + "范围内：请在蓝色边界内点选，或重新查找所在村");
        return;
      }
      setPoint(e.latlng.lat, e.latlng.lng, "地图选点");
      return;
    }
    // No village chosen yet: the village whose boundary holds the tap is the one (when boundaries exist).
    var hit = county && county.at(e.latlng);
    if (hit && hit.feature.properties.level === 3 && village.querySelector("option[value='" + hit.feature.properties.code + "']")) {
      village.value = hit.feature.properties.code;
    }
    setPoint(e.latlng.lat, e.latlng.lng, "地图选点");
  }

  // Show one village: its boundary in blue, fitted to the screen; taps outside it are refused.
  function focusVillage(code) {
    openMap();
    if (chosen && chosen.layer) { map.removeLayer(chosen.layer); }
    chosen = { code: code, name: villageName(code), outline: null, layer: null };
    var current = chosen;
    county.ready.then(function () {
      var url = ShuxiangMap.urlFor(mapBox.dataset.boundaries, county.data.place.code, code);
      return fetch(url, { credentials: "same-origin" });
    }).then(function (r) { return r.ok ? r.json() : null; }).then(function (data) {
      if (current !== chosen) { return; }
      if (data && data.outline && data.outline.geometry.type !== "Point") {
        chosen.outline = data.outline;
        chosen.layer = L.geoJSON(data.outline, {
          style: function () { return { color: "#1570ef", weight: 3, fillColor: "#1570ef", fillOpacity: 0.08 }; },
          interactive: false
        }).addTo(map);
        map.fitBounds(chosen.layer.getBounds(), { padding: [16, 16], animate: false });
        mapBox.setAttribute("data-village", code);
        say("已选择" + chosen.name + "：请在蓝色边界内点击问题所在位置");
      } else {
        say("已选择" + chosen.name + "（暂无边界数据）：可在地图上点选大致位置，或直接提交");
        if (county.find(code)) { map.setView(county.find(code).point, 14, { animate: false }); }
      }
    });
  }

  function showResults() {
    var q = search.value.trim();
    results.textContent = "";
    if (!q) { return; }
    var found = [];
    Array.prototype.forEach.call(village.querySelectorAll("option"), function (o) {
      if (o.value && o.textContent.indexOf(q) !== -1 && found.length < 8) { found.push(o); }
    });
    if (!found.length) {
      var none = document.createElement("li");
      none.className = "muted";
      none.textContent = "没有找到名称含“" + q + "”的村/社区";
      results.appendChild(none);
      return;
    }
    found.forEach(function (o) {
      var li = document.createElement("li");
      var button = document.createElement("button");
      button.type = "button";
      button.dataset.code = o.value;
      var group = o.parentElement && o.parentElement.label ? "（" + o.parentElement.label + "）" : "";
      button.textContent = o.textContent + group;
      button.addEventListener("click", function () {
        village.value = o.value;
        results.textContent = "";
        search.value = o.textContent;
        focusVillage(o.value);
      });
      li.appendChild(button);
      results.appendChild(li);
    });
  }

  search.addEventListener("input", showResults);
  search.addEventListener("keydown", function (e) {
    if (e.key === "Enter") {
      e.preventDefault();
      var first = results.querySelector("button");
      if (first) { first.click(); }
    }
  });
  village.addEventListener("change", function () {
    if (village.value && map) { focusVillage(village.value); }
  });
  document.getElementById("show-map").addEventListener("click", function () {
    openMap();
    if (village.value && (!chosen || chosen.code !== village.value)) { focusVillage(village.value); }
  });
  document.getElementById("locate-me").addEventListener("click", function () {
    if (!navigator.geolocation) { say("此浏览器不支持定位，请按村名查找后在地图上点选"); return; }
    say("正在定位…");
    navigator.geolocation.getCurrentPosition(function (pos) {
      setPoint(pos.coords.latitude, pos.coords.longitude, "手机定位");
    }, function () {
      say("定位失败（可能未授权），请按村名查找后在地图上点选");
    }, { enableHighAccuracy: true, timeout: 10000 });
  });
  form.addEventListener("submit", function () {
    var button = document.getElementById("submit-report");
    button.disabled = true;
    button.textContent = "正在提交…";
  });
})();
