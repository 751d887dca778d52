"""The issue's interfaces: API paths and formats, bad input as 400 with nothing written, scope and
permission refusals, public pages without personal data, the member's phone page."""

from datetime import date
from decimal import Decimal

import pytest

from shuxiang.core.actors import OPERATOR
from shuxiang.land import coop as coop_services
from shuxiang.land import finance
from shuxiang.land.models import Parcel
from shuxiang.land.tests.conftest import confirmed_member

pytestmark = pytest.mark.django_db


def test_parcel_list_as_geojson_carries_the_19_digit_code(village_parcels, cast, api_for):
    body = api_for(cast.township_a).get("/api/v1/land/parcels/?format=geojson").json()
    assert body["type"] == "FeatureCollection" and len(body["features"]) == 12
    assert body["features"][0]["properties"]["code"] == "4309031032010000001"
    assert body["features"][0]["geometry"]["type"] == "Polygon"
    page = api_for(cast.township_a).get("/api/v1/land/parcels/").json()
    assert page["count"] == 12 and page["results"][0]["village"] == "430903103201"


def test_parcels_of_another_township_are_404_and_absent(village_parcels, cast, api_for):
    api = api_for(cast.township_b)
    assert api.get("/api/v1/land/parcels/").json()["count"] == 0
    assert api.get("/api/v1/land/parcels/4309031032010000001/").status_code == 404


def test_posting_a_parcel_with_a_bad_code_is_400_in_chinese_and_nothing_is_written(places, cast, api_for):
    geometry = {
        "type": "Polygon",
        "coordinates": [[[112.6, 28.47], [112.6005, 28.47], [112.6005, 28.4704], [112.6, 28.47]]],
    }
    response = api_for(cast.township_a).post(
        "/api/v1/land/parcels/", {"code": "43090310320100001", "geometry": geometry}, format="json"
    )
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid_code" and "19位" in body["message"]
    assert Parcel.objects.count() == 0
    ok = api_for(cast.township_a).post(
        "/api/v1/land/parcels/", {"code": "4309031032010000007", "geometry": geometry}, format="json"
    )
    assert ok.status_code == 201 and ok.json()["code"] == "4309031032010000007"


def test_a_grid_worker_cannot_create_parcels(places, cast, api_for):
    geometry = {
        "type": "Polygon",
        "coordinates": [[[112.6, 28.47], [112.6005, 28.47], [112.6005, 28.4704], [112.6, 28.47]]],
    }
    response = api_for(cast.grid_a).post(
        "/api/v1/land/parcels/", {"code": "4309031032010000007", "geometry": geometry}, format="json"
    )
    assert response.status_code == 403 and Parcel.objects.count() == 0


def test_payout_file_before_approval_is_refused(places, coop, person_factory, cast, api_for):
    confirmed_member(coop, person_factory())
    finance.do_book_entry(
        actor=OPERATOR,
        village=places.village_a,
        kind="income",
        category="land_rent",
        amount="1000.00",
        occurred_on=date(2025, 6, 1),
        voucher_no="PZ1",
        summary="租金",
    )
    api = api_for(cast.township_a)
    created = api.post(
        "/api/v1/land/distributions/compute/",
        {"village": "430903103201", "period": "2025", "amount": "700.00"},
        format="json",
    )
    assert created.status_code == 201 and created.json()["payouts"][0]["amount"] == "700.00"
    pk = created.json()["id"]
    refused = api.get(f"/api/v1/land/distributions/{pk}/payout-file/")
    assert refused.status_code == 409 and refused.json()["code"] == "not_approved"


def test_public_exchange_and_open_pages_need_no_login_and_show_no_personal_data(
    places, village_parcels, client
):
    from shuxiang.land import exchange

    x = exchange.do_create_listing(
        actor=OPERATOR,
        village=places.village_a,
        title="机动地出租",
        reserve_price=Decimal("5000.00"),
        term_years=3,
        parcels=village_parcels[:1],
    )
    exchange.do_publish_listing(x, actor=OPERATOR, days=10)
    assert "机动地出租" in client.get("/land/exchange/").content.decode()
    assert client.get(f"/land/exchange/{x.code}/").status_code == 200
    page = client.get("/open/430903103201/").content.decode()
    assert "/affairs/430903103201/" in page and "财务公开" in page


def test_a_member_sees_their_own_payout_on_a_phone_after_identifying(places, coop, person_factory, client):
    person = person_factory(id_number="430903199001011234" if False else "")
    from shuxiang.core import services as core_services

    core_services.do_update_person(person, actor=OPERATOR, id_number="11010519491231002X")
    member = confirmed_member(coop, person)
    finance.do_book_entry(
        actor=OPERATOR,
        village=places.village_a,
        kind="income",
        category="land_rent",
        amount="500.00",
        occurred_on=date(2025, 6, 1),
        voucher_no="PZ2",
        summary="租金",
    )
    dist = coop_services.do_compute_distribution(
        coop, actor=OPERATOR, period="2025", amount=Decimal("333.33")
    )
    coop_services.do_approve_distribution(dist, actor=OPERATOR)
    coop_services.do_approve_distribution(dist, actor=OPERATOR)
    code = finance.do_issue_member_code(member, actor=OPERATOR)
    wrong = client.post(
        "/land/my/", {"id_number": "11010519491231002X", "code": "000000" if code != "000000" else "111111"}
    )
    assert "不正确" in wrong.content.decode()
    page = client.post(
        "/land/my/", {"id_number": "11010519491231002X", "code": code}, HTTP_USER_AGENT="Mobile"
    ).content.decode()
    assert "333.33" in page and 'name="viewport"' in page
    again = client.post("/land/my/", {"id_number": "11010519491231002X", "code": code}).content.decode()
    assert "不正确" in again  # the code is spent


def test_staff_pages_render(village_parcels, cast, client_for):
    web = client_for(cast.township_a)
    for url in (
        "/land/parcels/",
        "/land/parcels/4309031032010000001/",
        "/land/parcels/map.geojson",
        "/land/transfers/",
        "/land/listings/",
        "/land/coop/",
        "/land/finance/",
        "/land/parcels/import/",
    ):
        assert web.get(url).status_code == 200, url
    assert (
        web.get("/land/parcels/map.geojson").json()["features"][0]["properties"]["code"]
        == "4309031032010000001"
    )


def test_a_village_cadre_records_a_transfer_in_the_browser_and_a_bad_code_writes_nothing(
    village_parcels, cast, client_for
):
    from shuxiang.land.models import Transfer

    web = client_for(cast.village_a)
    form = {
        "parcels": "4309031032010000001 4309031032010000002",
        "transferee": "赫山区鑫田水稻种植专业合作社",
        "transferee_kind": "cooperative",
        "mode": "lease",
        "start": "2026-01-01",
        "end": "2031-01-01",
        "rent_kind": "grain",
        "grain_kg_per_mu": "200",
        "grain_price": "2.76",
    }
    bad = web.post("/land/transfers/add/", {**form, "parcels": "4309031032019999999"})
    assert bad.status_code == 400 and "地块不存在" in bad.content.decode() and Transfer.objects.count() == 0
    ok = web.post("/land/transfers/add/", form)
    assert ok.status_code == 302
    t = Transfer.objects.get()
    # 2 × 1200 m² = 3.6 亩 × 200 kg × 2.76 元/kg = 1987.20 元/年
    assert t.annual_rent == Decimal("1987.20") and t.area_mu == Decimal("3.60")


def test_a_village_cadre_issues_a_member_code_and_a_grid_worker_may_not(
    coop, person_factory, cast, client_for
):
    from shuxiang.land.models import MemberCode

    member = confirmed_member(coop, person_factory())
    url = f"/land/coop/{coop.village.code}/members/"
    assert client_for(cast.grid_a).post(url, {"member": member.code}).status_code == 403
    assert MemberCode.objects.count() == 0
    page = (
        client_for(cast.village_a)
        .post(url, {"member": member.code, "action": "code"}, follow=True)
        .content.decode()
    )
    assert "的查询码：" in page and MemberCode.objects.filter(member=member).count() == 1


def test_the_village_then_the_township_approve_a_member_on_the_register_page(
    coop, person_factory, cast, client_for
):
    member = coop_services.do_propose_member(coop, actor=OPERATOR, person=person_factory(), basis="marriage")
    url = f"/land/coop/{coop.village.code}/members/"
    # the township cannot take the village's step
    assert (
        client_for(cast.township_a).post(url, {"member": member.code, "action": "approve"}).status_code == 403
    )
    client_for(cast.village_a).post(url, {"member": member.code, "action": "approve"})
    client_for(cast.township_a).post(url, {"member": member.code, "action": "approve"})
    member.refresh_from_db()
    assert member.status == "confirmed"


def test_the_exchange_desk_registers_a_bidder_and_records_a_bid(places, village_parcels, cast, client_for):
    from shuxiang.land import exchange
    from shuxiang.land.models import Bid, Bidder

    x = exchange.do_create_listing(
        actor=OPERATOR,
        village=places.village_a,
        title="机动地出租",
        reserve_price=Decimal("5000.00"),
        term_years=3,
        parcels=village_parcels[:1],
    )
    exchange.do_publish_listing(x, actor=OPERATOR, days=10)
    web = client_for(cast.township_a)
    low = web.post(
        f"/land/listings/{x.code}/",
        {"action": "bid", "bidder_name": "周氏家庭农场", "bidder_kind": "family_farm", "amount": "4000"},
        follow=True,
    )
    assert "低于底价" in low.content.decode() and Bid.objects.count() == 0 and Bidder.objects.count() == 0
    web.post(
        f"/land/listings/{x.code}/",
        {
            "action": "bid",
            "bidder_name": "周氏家庭农场",
            "bidder_kind": "family_farm",
            "phone": "13907370001",
            "amount": "5200",
        },
    )
    bid = Bid.objects.get()
    assert bid.amount == Decimal("5200.00") and Bidder.objects.get().phone == "13907370001"
    page = web.get(f"/land/listings/{x.code}/").content.decode()
    assert "13907370001" not in page


def test_a_village_books_entries_publishes_the_month_and_the_public_page_shows_it(
    places, cast, client_for, client
):
    from shuxiang.land.models import Disclosure, FinanceEntry

    web = client_for(cast.village_a)
    entry = {
        "village": "430903103201",
        "kind": "expense",
        "category": "public_works",
        "occurred_on": "2026-10-12",
        "voucher_no": "2026-10-007",
        "summary": "村道维修",
    }
    bad = web.post("/land/finance/add/", {**entry, "amount": "1200.005"})
    assert "精确到分" in bad.content.decode() or "两位小数" in bad.content.decode()
    assert FinanceEntry.objects.count() == 0
    assert web.post("/land/finance/add/", {**entry, "amount": "1200.50"}).status_code == 302
    assert (
        web.post("/land/finance/disclose/", {"village": "430903103201", "period": "2026-10"}).status_code
        == 302
    )
    assert Disclosure.objects.get().period == "2026-10"
    page = client.get("/open/430903103201/").content.decode()
    assert "村道维修" in page and "1200.50" in page and "2026-10-007" in page
