"""A quarter end to end in Debian's chromium: a village cadre reports on a phone, the township
approves, the district approves, downloads the bulletin and reads the dashboard."""

from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone

from shuxiang import testing
from shuxiang.conftest import login
from shuxiang.core.actors import OPERATOR
from shuxiang.plan import services
from shuxiang.plan.loader import load_file
from shuxiang.plan.models import LedgerEntry

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def new_page(chromium, phone):
    viewport = {"width": 360, "height": 780} if phone else {"width": 1280, "height": 900}
    context = chromium.new_context(
        viewport=viewport, locale="zh-CN", timezone_id="Asia/Shanghai", accept_downloads=True
    )
    return context, context.new_page()


def test_a_quarter_from_village_report_to_district_approval_bulletin_and_dashboard(live_server, chromium):
    places = testing.build_places()
    cast = testing.build_cast(places)
    plan = load_file(actor=OPERATOR).plan
    round_ = services.do_open_round(
        plan, year=2025, quarter=4, deadline=timezone.now() + timedelta(days=5), actor=cast.district
    )
    form = LedgerEntry.objects.get(round=round_, task__number=11, place=places.village_a)
    url = f"{live_server.url}/plan/ledgers/{form.pk}/"
    outside = []

    # The village cadre, on a phone, finds the form among the pending work and reports.
    context, page = new_page(chromium, phone=True)
    page.on("request", lambda r: outside.append(r.url) if not r.url.startswith(live_server.url) else None)
    login(page, live_server.url, "t_cadre", testing.PASSWORD)
    page.click("text=待填报的工作台账")
    page.click("text=11. 深化农产品电商发展")
    page.fill("textarea[name=progress]", "村电商物流服务站已建成并投入运营")
    page.fill("textarea[name=problems]", "快递进村费用偏高")
    page.click("#submit-entry")
    page.wait_for_selector("text=台账已报送")
    assert page.locator("#entry-status").inner_text() == "已报送"
    context.close()

    # The township officer approves it first (the district could not yet).
    context, page = new_page(chromium, phone=True)
    login(page, live_server.url, "t_quanjiaohe", testing.PASSWORD)
    page.goto(url)
    page.click("#approve-entry")
    page.wait_for_selector("text=已审核，等待区级审定")
    assert page.locator("#entry-approval").inner_text() == "乡镇审核"
    context.close()

    # The district approves, gets the bulletin and reads the dashboard.
    context, page = new_page(chromium, phone=False)
    page.on("request", lambda r: outside.append(r.url) if not r.url.startswith(live_server.url) else None)
    login(page, live_server.url, "t_district", testing.PASSWORD)
    page.goto(url)
    page.click("#approve-entry")
    page.wait_for_selector("text=已审定")
    assert page.locator("#entry-status").inner_text() == "已审定"
    assert page.locator("textarea[name=progress]").count() == 0
    page.goto(f"{live_server.url}/plan/rounds/")
    with page.expect_download() as download:
        page.click("text=PDF")
    assert Path(download.value.path()).read_bytes()[:4] == b"%PDF"
    page.goto(f"{live_server.url}/plan/dashboard/?indicator=ledger_completeness&period=2025Q4")
    page.wait_for_selector("#dash-chart canvas")
    assert page.locator("#dash-map .leaflet-interactive").count() == 2
    assert "泉交河镇" in page.locator("#ranking").inner_text()
    context.close()
    assert outside == []
