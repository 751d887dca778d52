"""A township officer on a phone: sees the alarm on the home page, the reservoir map and table,
the level chart, and acknowledges the alarm — in Debian's chromium, with no outside request."""

import pytest
from django.utils import timezone

from shuxiang import testing
from shuxiang.conftest import login
from shuxiang.core.actors import OPERATOR, Actor
from shuxiang.iot import services as iot
from shuxiang.water import services

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_officer_sees_the_over_limit_reservoir_on_map_table_chart_and_acknowledges_its_alarm(
    live_server, phone_page
):
    places = testing.build_places()
    testing.build_cast(places)
    reservoir = services.do_create_reservoir(
        actor=OPERATOR,
        code="HS-SK-B01",
        place=places.village_a,
        rtu_code="0077000001",
        name="清水冲水库",
        scale="small2",
        dam_type="earth",
        capacity=52.0,
        normal_level=85.0,
        flood_limit_level=84.5,
        crest_elevation=87.0,
    )
    now = timezone.now()
    iot.caches.clear()
    for minutes, value in ((120, 84.1), (60, 84.4), (0, 84.9)):
        at = now - timezone.timedelta(minutes=minutes)
        iot.do_ingest_one(
            reservoir.device.code, [("Z", at, value)], actor=Actor.device(reservoir.device.code), now=at
        )
    page = phone_page
    outside = []
    page.on("request", lambda r: outside.append(r.url) if not r.url.startswith(live_server.url) else None)
    login(page, live_server.url, "t_quanjiaohe", testing.PASSWORD)
    page.wait_for_selector("text=未确认的告警")
    page.goto(f"{live_server.url}/water/reservoirs/")
    page.wait_for_selector("#reservoir-map[data-loaded='1']")
    assert page.locator(".leaflet-interactive").count() == 1
    assert page.locator("#kpi-over").inner_text() == "1"
    row = page.locator("table tbody tr").first
    assert "清水冲水库" in row.inner_text() and "+0.40" in row.inner_text()
    page.click("text=清水冲水库")
    page.wait_for_selector("#chart-level canvas")
    assert page.locator("#level-status").inner_text() == "超汛限"
    page.click("text=超汛限水位")
    page.click("#acknowledge")
    page.wait_for_selector("text=告警已确认")
    assert "已确认" in page.locator("#alarm-status").inner_text()
    page.goto(f"{live_server.url}/")
    assert page.locator("text=未确认的告警").count() == 0
    assert outside == []
