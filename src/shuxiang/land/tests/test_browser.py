"""A member on a phone checks their payout (ID number + the cadre's one-time code), and an officer sees the
village's parcels on our own vector map — in Debian's chromium, with no outside request."""

from datetime import date
from decimal import Decimal

import pytest

from shuxiang import testing
from shuxiang.conftest import login
from shuxiang.core import services as core_services
from shuxiang.core.actors import OPERATOR
from shuxiang.land import coop, finance
from shuxiang.land import parcels as parcel_services
from shuxiang.land.tests.helpers import codes_for, grid_parcels, write_parcels

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_member_checks_their_payout_on_a_phone(live_server, phone_page):
    places = testing.build_places()
    c = coop.do_create_cooperative(
        actor=OPERATOR,
        village=places.village_a,
        name="清水村股份经济合作社",
        cutoff_date=date(2020, 12, 31),
        management="periodic",
    )
    lines = []
    for i, id_number in enumerate(["11010519491231002X", "", ""]):
        person = core_services.do_create_person(
            actor=OPERATOR,
            name=["李秀英", "王德顺", "张建国"][i],
            place=places.hamlet_a,
            id_number=id_number,
            phone="13907371234" if id_number else "",
        )
        m = coop.do_propose_member(
            c, actor=OPERATOR, person=person, basis="hukou", bank_account="6217001234567890123"
        )
        coop.do_approve_member(m, actor=OPERATOR)
        coop.do_approve_member(m, actor=OPERATOR)
        coop.do_set_holding(m, actor=OPERATOR, kind="population", shares=Decimal("1"))
        lines.append(m)
    finance.do_book_entry(
        actor=OPERATOR,
        village=places.village_a,
        kind="income",
        category="land_rent",
        amount="200.00",
        occurred_on=date(2025, 6, 1),
        voucher_no="PZ1",
        summary="租金",
    )
    dist = coop.do_compute_distribution(c, actor=OPERATOR, period="2025", amount=Decimal("100.00"))
    coop.do_approve_distribution(dist, actor=OPERATOR)
    coop.do_approve_distribution(dist, actor=OPERATOR)
    page = phone_page
    outside = []
    page.on("request", lambda r: outside.append(r.url) if not r.url.startswith(live_server.url) else None)
    page.goto(f"{live_server.url}/land/my/")
    page.fill("input[name=id_number]", "11010519491231002X")
    # the member asks for a code to their registered phone; with no SMS gateway it waits in the
    # outbox, where the village cadre reads it out to them
    page.click("#send-code")
    page.wait_for_selector("#my-sent")
    assert page.input_value("input[name=id_number]") == "11010519491231002X"
    from shuxiang.land.models import TextMessage

    text = TextMessage.objects.get(member=lines[0]).text
    code = text.split("查询码为 ")[1][:6]
    page.fill("input[name=code]", code)
    page.click("button[value=check]")
    page.wait_for_selector("#my-payouts")
    text = page.locator("#my-payouts").inner_text()
    assert "33.34" in text  # the first of three equal members gets the odd fen
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    assert outside == []


def test_an_officer_sees_the_parcels_on_the_map(live_server, phone_page, tmp_path):
    places = testing.build_places()
    testing.build_cast(places)
    shapes = grid_parcels()
    parcel_services.do_import_parcels(
        write_parcels(tmp_path / "qs.shp", shapes, codes_for("43090310320100", len(shapes))), actor=OPERATOR
    )
    page = phone_page
    outside = []
    page.on("request", lambda r: outside.append(r.url) if not r.url.startswith(live_server.url) else None)
    login(page, live_server.url, "t_quanjiaohe", testing.PASSWORD)
    page.goto(f"{live_server.url}/land/parcels/")
    page.wait_for_selector("#parcel-map[data-loaded='12']")
    assert page.locator("#parcel-map path.leaflet-interactive").count() >= 12
    assert page.locator("#kpi-count").inner_text() == "12"
    assert outside == []


def test_a_village_cadre_registers_a_contract_on_a_phone(live_server, phone_page, tmp_path):
    from shuxiang.land import services
    from shuxiang.land.models import Contract

    places = testing.build_places()
    testing.build_cast(places)
    shapes = grid_parcels()
    parcel_services.do_import_parcels(
        write_parcels(tmp_path / "qs.shp", shapes, codes_for("43090310320100", len(shapes))), actor=OPERATOR
    )
    head = core_services.do_create_person(actor=OPERATOR, name="李德顺", place=places.hamlet_a)
    services.do_register_contractor(actor=OPERATOR, code="430903103201000001", head=head)
    page = phone_page
    login(page, live_server.url, "t_cadre", testing.PASSWORD)
    page.goto(f"{live_server.url}/land/contracts/add/")
    page.fill("input[name=contractor]", "430903103201000001")
    page.select_option("select[name=method]", "J")
    page.fill("textarea[name=parcels]", "4309031032010000001\n4309031032010000002")
    page.fill("input[name=start]", "1998-09-30")
    page.fill("input[name=end]", "2028-09-29")
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    page.click("section.card form button.primary")
    page.wait_for_selector("#contract-status")
    assert "李德顺户" in page.content() and Contract.objects.get().parcels.count() == 2
    page.click("#contract-terminate")
    page.fill("input[name=ended_on]", "2026-03-01")
    page.select_option("select[name=end_reason]", "自愿交回承包地")
    page.click("section.card form button.primary")
    page.wait_for_selector("#contract-status")
    assert page.locator("#contract-status").inner_text() == "已终止"
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
