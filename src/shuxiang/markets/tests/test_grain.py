"""Grain purchases and stocks: a price below the minimum and a stock that does not reconcile become
cases for the development and reform bureau; paid on time is counted."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from shuxiang.core import services as core
from shuxiang.core.actors import OPERATOR
from shuxiang.core.errors import ServiceError
from shuxiang.indicators.periods import Period
from shuxiang.markets import grain, indicators
from shuxiang.markets.models import GrainPurchase, GrainStock, MinimumPrice

pytestmark = pytest.mark.django_db
YEAR = timezone.localdate().year


@pytest.fixture
def depot(places, cast):
    MinimumPrice.objects.create(variety="late_indica", year=YEAR, price=Decimal("2.580"))
    core.do_create_unit(actor=OPERATOR, name="区发展和改革局", kind="bureau", place=places.district)
    return grain.do_create_buyer(
        actor=cast.township_a, name="泉交河粮站", kind="depot", place=places.township_a
    )


@pytest.fixture
def farmer(places):
    return core.do_create_person(actor=OPERATOR, name="周德胜", place=places.hamlet_a)


def buy(depot, farmer, actor, **kw):
    day = kw.pop("purchased_on", timezone.localdate() - timedelta(days=20))
    values = {
        "variety": "late_indica",
        "grade": 3,
        "weight_kg": Decimal(5000),
        "price": Decimal("2.620"),
        "purchased_on": day,
    }
    return grain.do_record_purchase(actor=actor, buyer=depot, farmer=farmer, **{**values, **kw})


def test_a_purchase_below_the_minimum_price_opens_a_case_for_the_bureau(depot, farmer, cast):
    purchase = buy(depot, farmer, cast.township_a, price=Decimal("2.400"))
    assert purchase.below_minimum and purchase.case is not None
    assert purchase.case.unit.name == "区发展和改革局" and "低于最低收购价" in purchase.case.title
    # a second one of the same buyer and month is a note on that case, not a second case
    again = buy(depot, farmer, cast.township_a, price=Decimal("2.300"))
    assert again.case_id == purchase.case_id


def test_grade_two_has_a_higher_floor_than_grade_three(depot, farmer, cast):
    assert not buy(depot, farmer, cast.township_a, grade=3, price=Decimal("2.590")).below_minimum
    assert buy(depot, farmer, cast.township_a, grade=2, price=Decimal("2.590")).below_minimum


@pytest.mark.parametrize(
    "bad, field",
    [
        ({"weight_kg": Decimal(-1)}, "weight_kg"),
        ({"price": Decimal(0)}, "price"),
        ({"grade": 9}, "grade"),
        ({"purchased_on": date(2099, 1, 1)}, "purchased_on"),
    ],
)
def test_bad_purchases_are_refused_and_nothing_written(depot, farmer, cast, bad, field):
    with pytest.raises(ServiceError) as refused:
        buy(depot, farmer, cast.township_a, **bad)
    assert field in refused.value.fields and not GrainPurchase.objects.exists()


def test_another_townships_officer_cannot_record_for_this_depot(depot, farmer, cast):
    with pytest.raises(ServiceError):
        buy(depot, farmer, cast.township_b)
    assert not GrainPurchase.objects.exists()


def test_a_stock_report_that_does_not_reconcile_is_marked_and_opens_a_case(depot, farmer, cast):
    month = (timezone.localdate() - timedelta(days=20)).replace(day=1)
    buy(depot, farmer, cast.township_a, purchased_on=month + timedelta(days=1))  # 5 t
    ok = grain.do_report_stock(
        actor=cast.township_a,
        depot=depot,
        month=month,
        variety="late_indica",
        opening_t=Decimal(100),
        purchased_t=Decimal(5),
        sold_t=Decimal(10),
        closing_t=Decimal(95),
    )
    assert ok.anomaly == "" and ok.case is None
    bad = grain.do_report_stock(
        actor=cast.township_a,
        depot=depot,
        month=month,
        variety="early_indica",
        opening_t=Decimal(100),
        purchased_t=Decimal(20),
        sold_t=Decimal(10),
        closing_t=Decimal(60),
    )
    assert "相差" in bad.anomaly and "收购记录合计 0.000 吨" in bad.anomaly and bad.case is not None
    with pytest.raises(ServiceError) as dup:
        grain.do_report_stock(
            actor=cast.township_a,
            depot=depot,
            month=month,
            variety="early_indica",
            opening_t=Decimal(1),
            purchased_t=Decimal(0),
            sold_t=Decimal(0),
            closing_t=Decimal(1),
        )
    assert dup.value.code == "duplicate" and GrainStock.objects.count() == 2


def test_paid_on_time_is_counted_per_buyer(depot, farmer, cast, places):
    today = timezone.localdate()
    start = today - timedelta(days=30)
    buy(
        depot,
        farmer,
        cast.township_a,
        purchased_on=start,
        due_on=start + timedelta(days=5),
        paid_on=start + timedelta(days=2),
    )
    late = buy(depot, farmer, cast.township_a, purchased_on=start, due_on=start + timedelta(days=5))
    period = (
        Period(today.year, (today.month - 1) // 3 + 1)
        if start.month == today.month or (start.month - 1) // 3 == (today.month - 1) // 3
        else None
    )
    if period is None:
        pytest.skip("the month straddles two quarters")
    rows = indicators.grain_paid_on_time(period)
    assert rows == [(places.township_a.pk, 1, 2)]
    grain.do_mark_paid(late, actor=cast.township_a, paid_on=today)
    assert indicators.grain_paid_on_time(period) == [(places.township_a.pk, 1, 2)]  # paid, but late


def test_the_grain_page_and_api_show_the_purchases_to_their_township_only(
    depot, farmer, cast, client_for, api_for
):
    buy(depot, farmer, cast.township_a, price=Decimal("2.400"))
    page = client_for(cast.township_a).get("/grain/")
    assert page.status_code == 200 and "泉交河粮站" in page.content.decode()
    assert "泉交河粮站" not in client_for(cast.township_b).get("/grain/").content.decode()
    listed = api_for(cast.township_a).get("/api/v1/grain/purchases/?below_minimum=true").json()
    assert listed["count"] == 1 and listed["results"][0]["farmer"] == "周德胜"
    posted = api_for(cast.township_a).post(
        "/api/v1/grain/purchases/",
        {
            "buyer": "泉交河粮站",
            "farmer": farmer.pk,
            "variety": "late_indica",
            "grade": 3,
            "weight_kg": "3000",
            "price": "2.650",
            "purchased_on": (timezone.localdate() - timedelta(days=1)).isoformat(),
        },
        format="json",
    )
    assert posted.status_code == 201 and posted.json()["below_minimum"] is False
    refused = api_for(cast.township_b).post(
        "/api/v1/grain/purchases/",
        {
            "buyer": "泉交河粮站",
            "farmer": farmer.pk,
            "variety": "late_indica",
            "grade": 3,
            "weight_kg": "1",
            "price": "2.6",
            "purchased_on": "2025-10-01",
        },
        format="json",
    )
    assert refused.status_code == 400 and "不存在或不在您的管辖范围内" in refused.json()["message"]
    assert GrainPurchase.objects.count() == 2
