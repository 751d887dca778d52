"""The browser forms of e-commerce and grain: stations (and their status), sellers, live-streaming
sessions and grain purchases — written through the services, bad input refused with nothing written."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from shuxiang.core import services as core
from shuxiang.core.actors import OPERATOR
from shuxiang.core.models import AuditEntry
from shuxiang.core.pii import id_check_char
from shuxiang.markets import commerce, grain
from shuxiang.markets.models import CommerceStation, GrainPurchase, LiveSession, MinimumPrice, Seller

pytestmark = pytest.mark.django_db
ID = "43090319800512341" + id_check_char("43090319800512341")


def test_a_township_officer_registers_a_village_station_and_opens_it(places, cast, client_for):
    c = client_for(cast.township_a)
    assert c.get("/commerce/stations/new/").status_code == 200
    bad = c.post(
        "/commerce/stations/new/",
        {
            "code": "QS-ST",
            "name": "清水村电商服务站",
            "kind": "village",
            "place": places.township_a.pk,
            "status": "open",
        },
    )
    assert bad.status_code == 400 and "村级电商服务站应登记在行政村" in bad.content.decode()
    assert not CommerceStation.objects.exists()
    outside = c.post(
        "/commerce/stations/new/",
        {
            "code": "LX-ST",
            "name": "荷花村电商服务站",
            "kind": "village",
            "place": places.village_b.pk,
            "status": "open",
        },
    )
    assert outside.status_code == 400 and not CommerceStation.objects.exists()
    done = c.post(
        "/commerce/stations/new/",
        {
            "code": "QS-ST",
            "name": "清水村电商服务站",
            "kind": "village",
            "place": places.village_a.pk,
            "status": "building",
            "carriers": "邮政、中通",
        },
    )
    assert done.status_code == 302
    station = CommerceStation.objects.get(code="QS-ST")
    assert station.status == "building" and station.carriers == "邮政、中通"
    listing = c.get("/commerce/stations/").content.decode()
    assert "清水村电商服务站" in listing and f"/commerce/stations/{station.pk}/status/" in listing
    assert c.post(f"/commerce/stations/{station.pk}/status/", {"status": "open"}).status_code == 302
    station.refresh_from_db()
    assert station.status == "open" and station.opened_on == timezone.localdate()
    assert AuditEntry.objects.filter(object_type="markets.commercestation", action="update").exists()
    # Another township's officer does not see it; a grid worker may not add one.
    assert client_for(cast.township_b).get(f"/commerce/stations/{station.pk}/status/").status_code == 404
    assert client_for(cast.grid_a).get("/commerce/stations/new/").status_code == 403


def test_sellers_and_live_sessions_are_entered_in_the_browser(places, cast, client_for):
    c = client_for(cast.township_a)
    assert c.post("/commerce/sellers/new/", {"name": "", "place": places.village_a.pk}).status_code == 400
    done = c.post(
        "/commerce/sellers/new/",
        {
            "name": "清水村小龙虾合作社",
            "place": places.village_a.pk,
            "shop": "抖音@清水龙虾",
            "main_products": "小龙虾",
        },
    )
    assert done.status_code == 302
    seller = Seller.objects.get()
    twice = c.post("/commerce/sellers/new/", {"name": "清水村小龙虾合作社", "place": places.village_a.pk})
    assert twice.status_code == 400 and "该区划已登记同名网销主体" in twice.content.decode()
    assert "清水村小龙虾合作社" in c.get("/commerce/sellers/").content.decode()

    cadre = client_for(cast.village_a)
    form = {
        "seller": seller.pk,
        "host": "刘小燕",
        "platform": "douyin",
        "held_on": (timezone.localdate() + timedelta(days=2)).isoformat(),
        "viewers": 12000,
        "orders": 860,
        "amount": "51600",
    }
    future = cadre.post("/commerce/sessions/new/", form)
    assert future.status_code == 400 and "日期不能晚于今天" in future.content.decode()
    assert not LiveSession.objects.exists()
    form["held_on"] = timezone.localdate().isoformat()
    assert cadre.post("/commerce/sessions/new/", form).status_code == 302
    session = LiveSession.objects.get()
    assert session.amount == Decimal("51600") and session.host == "刘小燕"
    assert "刘小燕" in cadre.get("/commerce/sessions/").content.decode()
    assert "刘小燕" not in client_for(cast.township_b).get("/commerce/sessions/").content.decode()
    # The other township's seller is not offered (and so refused).
    other = commerce.do_create_seller(actor=OPERATOR, name="荷花村莲子", place=places.village_b)
    refused = cadre.post("/commerce/sessions/new/", {**form, "seller": other.pk})
    assert refused.status_code == 400 and LiveSession.objects.count() == 1


def test_a_grain_purchase_form_finds_the_farmer_by_id_number_and_opens_a_case_below_the_floor(
    places, cast, client_for
):
    year = timezone.localdate().year
    MinimumPrice.objects.create(variety="late_indica", year=year, price=Decimal("2.580"))
    core.do_create_unit(actor=OPERATOR, name="区发展和改革局", kind="bureau", place=places.district)
    depot = grain.do_create_buyer(
        actor=cast.township_a, name="泉交河粮站", kind="depot", place=places.township_a
    )
    farmer = core.do_create_person(actor=OPERATOR, name="周德胜", place=places.hamlet_a, id_number=ID)
    c = client_for(cast.township_a)
    assert "/grain/purchases/new/" in c.get("/grain/").content.decode()
    form = {
        "buyer": depot.pk,
        "farmer": "43090319800512341" + ("0" if ID[-1] != "0" else "1"),
        "variety": "late_indica",
        "grade": "3",
        "weight_kg": "5000",
        "price": "2.400",
        "purchased_on": (timezone.localdate() - timedelta(days=3)).isoformat(),
    }
    wrong = c.post("/grain/purchases/new/", form)
    assert wrong.status_code == 400 and not GrainPurchase.objects.exists()
    absurd = c.post("/grain/purchases/new/", {**form, "farmer": ID, "price": "80"})
    assert absurd.status_code == 400 and "收购价应在0–50元/公斤之间" in absurd.content.decode()
    assert not GrainPurchase.objects.exists()
    done = c.post("/grain/purchases/new/", {**form, "farmer": ID})
    assert done.status_code == 302
    purchase = GrainPurchase.objects.get()
    assert purchase.farmer == farmer and purchase.below_minimum and purchase.case is not None
    # The other township cannot find this farmer or this depot.
    other = client_for(cast.township_b).post("/grain/purchases/new/", {**form, "farmer": ID})
    assert other.status_code == 400 and GrainPurchase.objects.count() == 1


def test_live_sessions_over_the_api(places, cast, api_for):
    seller = commerce.do_create_seller(actor=OPERATOR, name="清水村小龙虾合作社", place=places.village_a)
    commerce.do_create_seller(actor=OPERATOR, name="荷花村莲子", place=places.village_b)
    body = {
        "seller": "清水村小龙虾合作社",
        "host": "刘小燕",
        "platform": "douyin",
        "held_on": timezone.localdate().isoformat(),
        "viewers": 12000,
        "orders": 860,
        "amount": "51600.00",
    }
    api = api_for(cast.village_a)
    for bad in ({"amount": "-1"}, {"platform": "myspace"}, {"seller": "荷花村莲子"}, {"viewers": "很多"}):
        refused = api.post("/api/v1/commerce/sessions/", {**body, **bad}, format="json")
        assert refused.status_code == 400 and refused.json()["message"]
    assert not LiveSession.objects.exists()
    made = api.post("/api/v1/commerce/sessions/", body, format="json")
    assert made.status_code == 201 and made.json()["seller"] == "清水村小龙虾合作社"
    assert made.json()["place"] == places.village_a.code
    listed = api.get("/api/v1/commerce/sessions/").json()
    assert listed["count"] == 1 and listed["results"][0]["amount"] == "51600.00"
    assert api_for(cast.township_b).get("/api/v1/commerce/sessions/").json()["count"] == 0
    assert LiveSession.objects.get().seller == seller
