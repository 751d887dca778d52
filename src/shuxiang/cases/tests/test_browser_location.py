"""In Debian's chromium on a phone, with no base map at all: a resident finds the village by name, taps inside
its boundary (a tap outside it is refused), and the report lands on that village at that spot."""

import pytest
import shapely

from shuxiang import testing
from shuxiang.cases import reference
from shuxiang.cases.models import Case
from shuxiang.core.actors import OPERATOR
from shuxiang.core.boundaries import set_boundary

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

VILLAGE = shapely.box(112.59, 28.46, 112.61, 28.48)  # 清水村: about 2 km × 2 km around its centre


def _county():
    places = testing.build_places()
    reference.do_save_category(
        actor=OPERATOR, code="rubbish", name="垃圾堆放", deadline_amount=3, accept_hours=8
    )
    for place, shape in (
        (places.district, shapely.box(112.30, 28.35, 112.75, 28.80)),
        (places.township_a, shapely.box(112.50, 28.40, 112.70, 28.55)),
        (places.township_b, shapely.box(112.45, 28.60, 112.65, 28.75)),
        (places.village_a, VILLAGE),
        (places.village_b, shapely.box(112.51, 28.68, 112.53, 28.70)),
    ):
        set_boundary(place, shape, actor=OPERATOR, source="测试")
    return places


def test_a_resident_finds_the_village_by_name_and_taps_inside_its_boundary_without_a_base_map(
    live_server, phone_page
):
    places = _county()
    base = live_server.url
    page = phone_page
    problems = []
    page.on("pageerror", lambda exc: problems.append(str(exc)))
    page.on("console", lambda m: problems.append(m.text) if "Refused" in m.text else None)
    page.on("request", lambda r: problems.append(r.url) if not r.url.startswith((base, "data:")) else None)

    page.goto(f"{base}/report/")
    page.select_option("select[name=category]", "rubbish")
    page.fill("#village-search", "清水")
    page.click("#village-results button:has-text('清水村（泉交河镇）')")
    page.wait_for_selector(f"#pick-map[data-village='{places.village_a.code}']")
    assert page.input_value("select[name=village]") == places.village_a.code
    page.wait_for_selector("#pick-map .sx-label:has-text('清水村')")  # names on the map, not only lines

    page.locator("#pick-map").scroll_into_view_if_needed()
    area = page.locator("#pick-map").bounding_box()
    page.mouse.click(area["x"] + area["width"] - 6, area["y"] + area["height"] - 6)  # a corner: outside
    assert "不在清水村范围内" in page.inner_text("#where-status")
    assert page.input_value("input[name=latitude]") == ""

    page.mouse.click(area["x"] + area["width"] / 2, area["y"] + area["height"] / 2)
    lat = float(page.input_value("input[name=latitude]"))
    lng = float(page.input_value("input[name=longitude]"))
    assert VILLAGE.contains(shapely.Point(lng, lat))
    assert "清水村" in page.inner_text("#where-status")

    page.fill("textarea[name=description]", "村口桥头垃圾堆放三天无人清理")
    page.click("#submit-report")
    page.wait_for_selector("#submitted")
    case = Case.objects.get(tracking_number=page.inner_text("#tracking-number").strip())
    assert case.place == places.village_a
    assert case.latitude == pytest.approx(lat, abs=1e-5) and case.longitude == pytest.approx(lng, abs=1e-5)
    assert problems == []  # no script error, no CSP refusal, nothing fetched from outside
