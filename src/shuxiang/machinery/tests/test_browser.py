"""A township's service centre on a phone: files a request, assigns a machine, the job starts and
finishes, and the settlement comes from the track; the track map draws — in Debian's chromium, with
no outside request."""

from datetime import timedelta

import pytest
from django.utils import timezone

from shuxiang import testing
from shuxiang.conftest import login
from shuxiang.core.actors import OPERATOR
from shuxiang.iot import services as iot
from shuxiang.machinery import services
from shuxiang.machinery.models import ServiceRequest
from shuxiang.machinery.tests import samples
from shuxiang.machinery.tests.conftest import store_track

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_dispatch_on_a_phone_settles_the_job_by_the_worked_area(live_server, phone_page):
    places = testing.build_places()
    testing.build_cast(places)
    iot.caches.clear()
    device, _ = iot.do_register_device(
        actor=OPERATOR, code="013800990001", protocol="jt808", place=places.village_a
    )
    machine = services.do_register_machine(
        actor=OPERATOR,
        place=places.village_a,
        device_code=device.code,
        code="HS-NJ-B001",
        name="雷沃旋耕机",
        kind="tractor",
        owner_kind="centre",
        owner_name="泉交河镇农机服务中心",
        implement_width_m=2.5,
        price_per_mu=80,
    )
    page = phone_page
    outside = []
    page.on("request", lambda r: outside.append(r.url) if not r.url.startswith(live_server.url) else None)
    login(page, live_server.url, "t_quanjiaohe", testing.PASSWORD)
    page.goto(f"{live_server.url}/machinery/dispatch/")
    today = timezone.localdate().isoformat()
    page.fill("#request-form input[name=place]", places.village_a.code)
    page.fill("#request-form input[name=requester_name]", "赵六")
    page.select_option("#request-form select[name=kind]", "till")
    page.fill("#request-form input[name=area_mu]", "8")
    page.fill("#request-form input[name=window_start]", today)
    page.fill("#request-form input[name=window_end]", today)
    page.click("#request-form button[type=submit]")
    page.wait_for_selector("#open-requests >> text=赵六")
    page.select_option("#open-requests select[name=machine]", str(machine.pk))
    page.fill("#open-requests input[name=price]", "80")
    page.click("#open-requests button[type=submit]")
    page.wait_for_selector("#active-requests >> text=雷沃旋耕机")
    page.click("#active-requests >> text=开始作业")
    page.wait_for_selector("#active-requests >> text=作业中")
    req = ServiceRequest.objects.get()
    req.started_at -= timedelta(hours=1)  # an hour's work, as the terminal reported it
    req.save(update_fields=["started_at"])
    store_track(
        machine,
        samples.boustrophedon(req.started_at + timedelta(seconds=5), passes=10, length=200, spacing=2.5),
    )
    page.click("#active-requests >> text=完成并按轨迹结算")
    page.wait_for_selector("#done-requests >> text=赵六")
    req.refresh_from_db()
    assert req.status == "done" and req.operation.net_mu == pytest.approx(7.5, rel=0.02)
    assert f"{req.amount}" in page.locator("#done-requests").inner_text()
    start = timezone.localtime(req.started_at)
    page.goto(f"{live_server.url}/machinery/machines/{machine.pk}/track/?start={start:%Y-%m-%dT%H:%M}")
    page.wait_for_selector("#track-map[data-loaded='2']")  # the track and its worked area
    assert page.locator(".leaflet-interactive").count() >= 2
    assert outside == []
