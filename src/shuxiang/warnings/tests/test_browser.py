"""In Debian's chromium on a phone: the forecaster writes a red warning on the place tree and
submits it, the duty officer approves and issues it from the home page's pending list, and the
live board shows the village loudspeaker reached."""

import pytest
import shapely

from shuxiang.conftest import login
from shuxiang.core.actors import OPERATOR
from shuxiang.core.boundaries import set_boundary
from shuxiang.testing import PASSWORD
from shuxiang.warnings.models import Warning
from shuxiang.warnings.tests.helpers import endpoint

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def watch(page, errors):
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("console", lambda m: errors.append(m.text) if "Refused" in m.text else None)
    page.on(
        "response", lambda r: errors.append(r.url) if r.status >= 400 and "favicon" not in r.url else None
    )


def test_red_warning_written_on_a_phone_is_approved_by_another_person_and_reaches_the_village(
    live_server, chromium, phone_page, officers, places, gateways
):
    endpoint(places.village_a, gateways.url("qs"), "清水村大喇叭")
    endpoint(places.village_b, gateways.url("hh"), "荷花村大喇叭")
    base = live_server.url
    errors = []
    author = phone_page
    watch(author, errors)
    login(author, base, officers.weather.username, PASSWORD)
    author.wait_for_url(f"{base}/")
    author.goto(f"{base}/warnings/new/")
    author.select_option("select[name=signal_type]", "rainstorm")
    author.select_option("select[name=colour]", "red")
    assert "立即转移" in author.input_value("textarea[name=instruction]")  # defence guide filled in
    author.fill("input[name=headline]", "赫山区气象台发布暴雨红色预警")
    author.fill("textarea[name=description]", "过去3小时清水村降雨量已达100毫米以上。")
    summary = author.locator(f"summary:has(input[value='{places.township_a.code}'])")
    box = summary.bounding_box()
    summary.click(position={"x": box["width"] - 12, "y": box["height"] / 2})  # the 展开选村 ▾ hint
    village_box = f"input[name=areas][value='{places.village_a.code}']"
    author.wait_for_selector(village_box)
    author.check(village_box)
    author.click("#submit-approval")
    author.wait_for_selector("#waiting-approval")
    assert author.inner_text("#warning-status") == "待审批"
    assert author.locator("#approve").count() == 0  # the author cannot approve their own warning

    context = chromium.new_context(viewport={"width": 360, "height": 780}, is_mobile=True, locale="zh-CN")
    approver = context.new_page()
    watch(approver, errors)
    try:
        login(approver, base, officers.emergency.username, PASSWORD)
        approver.wait_for_url(f"{base}/")
        approver.click("text=待审批的预警")
        approver.click("text=赫山区气象台发布暴雨红色预警")
        approver.fill("input[name=note]", "同意发布")
        approver.click("#approve")
        approver.wait_for_selector("#issue")
        approver.on("dialog", lambda d: d.accept())
        approver.click("#issue")
        approver.wait_for_selector("#board")
        assert approver.inner_text("#kpi-targeted") == "1"
        assert approver.inner_text("#kpi-reached") == "1"
        assert "泉交河镇" in approver.inner_text("#board-townships")
    finally:
        context.close()
    warning = Warning.objects.get()
    assert warning.status == "issued" and warning.approver == officers.emergency
    assert gateways.paths() == {"qs"}
    assert errors == []


def _tap(page, longitude, latitude):
    """A real tap at a map position (Leaflet tells where the point is on screen)."""
    page.locator("#area-map").scroll_into_view_if_needed()
    box = page.locator("#area-map").bounding_box()
    x, y = page.evaluate(
        "([lat, lng]) => { const p = document.getElementById('area-map').sxMap"
        ".latLngToContainerPoint([lat, lng]); return [p.x, p.y]; }",
        [latitude, longitude],
    )
    page.mouse.click(box["x"] + x, box["y"] + y)


def test_villages_are_picked_on_their_boundaries_a_township_tap_opens_its_villages(
    live_server, phone_page, officers, places
):
    for place, shape in (
        (places.district, shapely.box(112.30, 28.35, 112.75, 28.80)),
        (places.township_a, shapely.box(112.50, 28.40, 112.70, 28.55)),
        (places.township_b, shapely.box(112.45, 28.60, 112.65, 28.75)),
        (places.village_a, shapely.box(112.59, 28.46, 112.61, 28.48)),
        (places.village_b, shapely.box(112.51, 28.68, 112.53, 28.70)),
    ):
        set_boundary(place, shape, actor=OPERATOR, source="测试")
    base = live_server.url
    errors = []
    watch(phone_page, errors)
    outside = []
    phone_page.on(
        "request", lambda r: outside.append(r.url) if not r.url.startswith((base, "data:")) else None
    )
    login(phone_page, base, officers.weather.username, PASSWORD)
    phone_page.wait_for_url(f"{base}/")
    phone_page.goto(f"{base}/warnings/new/")
    phone_page.click("#show-area-map")
    # The two townships as outlined shapes with their names, not dots.
    phone_page.wait_for_selector(f"#area-map .sx-label:has-text('{places.township_b.name}')")
    assert phone_page.locator("#area-map path.leaflet-interactive").count() == 2

    _tap(phone_page, 112.47, 28.62)  # inside 兰溪镇, outside its village: zooms in and loads the villages
    phone_page.wait_for_function(
        "() => document.querySelectorAll('#area-map path.leaflet-interactive').length >= 3"
    )
    picked = phone_page.locator(f"#map-picks input[value='{places.village_b.code}']")
    assert picked.count() == 0  # a township tap picks nothing

    _tap(phone_page, 112.52, 28.69)  # inside 荷花村
    assert picked.is_checked()
    _tap(phone_page, 112.52, 28.69)  # a second tap takes it back
    assert not picked.is_checked()
    assert errors == [] and outside == []
