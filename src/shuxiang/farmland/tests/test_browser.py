"""A grid worker on a phone: sees the village's permanent farmland on our own map, reports a pond found
inside a polygon with the phone's position, and lands on the finding with its case — in Debian's
chromium, with no outside request."""

import pytest

from shuxiang import testing
from shuxiang.conftest import login
from shuxiang.farmland.models import Finding
from shuxiang.farmland.tests.layerfiles import LAT, LNG, import_fields, lonlat_field

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_grid_worker_reports_a_pond_on_permanent_farmland_from_the_phone(live_server, phone_page):
    places = testing.build_places()
    testing.build_cast(places)
    import_fields(
        places.village_a, "permanent", [lonlat_field(0.0, 0.0), lonlat_field(0.002, 0.0)], prefix="P"
    )
    page = phone_page
    outside = []
    page.on("request", lambda r: outside.append(r.url) if not r.url.startswith(live_server.url) else None)
    login(page, live_server.url, "t_grid", testing.PASSWORD)

    page.goto(f"{live_server.url}/farmland/layers/permanent/?village={places.village_a.code}")
    page.wait_for_selector("#layer-map[data-loaded='2']")
    assert page.locator("#layer-map .leaflet-interactive").count() >= 2
    assert "永久基本农田" in page.locator(".legend").inner_text()

    page.context.grant_permissions(["geolocation"], origin=live_server.url)
    page.context.set_geolocation({"latitude": LAT + 0.0005, "longitude": LNG + 0.0025})
    page.goto(f"{live_server.url}/farmland/patrol/?parcel=P0002")
    page.select_option("select[name=observed_use]", "pond")
    page.click("#locate")
    page.wait_for_selector("#locate-status:has-text('已定位')")
    page.fill("textarea[name=note]", "新挖鱼塘约2亩")
    page.click("#patrol-form button[type=submit]")
    page.wait_for_selector("#finding-status")
    assert "非农化" in page.locator("h1").inner_text()
    assert "新挖鱼塘约2亩" in page.locator("#finding-description").inner_text()
    finding = Finding.objects.get()
    assert page.locator("#finding-case").inner_text() == finding.case.tracking_number
    assert outside == []


def test_a_position_outside_the_polygon_is_refused_on_the_phone_form(live_server, phone_page):
    places = testing.build_places()
    testing.build_cast(places)
    import_fields(places.village_a, "permanent", [lonlat_field(0.0, 0.0)], prefix="P")
    page = phone_page
    login(page, live_server.url, "t_grid", testing.PASSWORD)
    page.goto(f"{live_server.url}/farmland/patrol/?parcel=P0001")
    page.select_option("select[name=observed_use]", "building")
    page.fill("input[name=latitude]", f"{LAT + 0.01}")
    page.fill("input[name=longitude]", f"{LNG}")
    page.click("#patrol-form button[type=submit]")
    page.wait_for_selector(".error:has-text('不在图斑 P0001 内')")
    assert Finding.objects.count() == 0
