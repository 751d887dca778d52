"""Online sales summed from reports into the plan's figure; the network's village coverage."""

from datetime import date
from decimal import Decimal

import pytest
from django.utils import timezone

from shuxiang.core.actors import OPERATOR
from shuxiang.core.errors import ServiceError
from shuxiang.indicators.periods import Period
from shuxiang.markets import commerce, indicators
from shuxiang.markets.models import SalesReport

pytestmark = pytest.mark.django_db


@pytest.fixture
def network(places):
    return {
        "a": commerce.do_create_station(
            actor=OPERATOR, code="QJH-ST", name="清水村电商服务站", kind="village", place=places.village_a
        ),
        "b": commerce.do_create_station(
            actor=OPERATOR,
            code="LX-ST",
            name="荷花村电商服务站",
            kind="village",
            place=places.village_b,
            status="building",
        ),
    }


def row(**kw):
    return {
        "month": "2025-04",
        "station": "QJH-ST",
        "platform": "pdd",
        "product": "赫山大米",
        "amount": "1250000.00",
        "orders": 9800,
        **kw,
    }


def test_monthly_reports_are_summed_into_the_plans_online_sales_in_yi_yuan(network, places, cast):
    commerce.do_report_sales(
        actor=cast.township_a, rows=[row(), row(month="2025-05", platform="douyin", amount="750000")]
    )
    figures = {p: v for p, v, _ in indicators.online_sales(Period(2025, 2))}
    assert figures == {places.village_a.pk: Decimal("0.0200")}
    assert indicators.online_sales(Period(2025, 1)) == []


def test_the_plan_file_computes_online_sales_and_coverage_from_this_app(places, cast):
    from shuxiang.indicators.models import Indicator
    from shuxiang.indicators.registry import sources
    from shuxiang.plan.loader import load_file

    load_file(actor=OPERATOR)
    sales = Indicator.objects.get(code="online_agri_sales")
    assert (
        sales.source == "computed"
        and sales.computed_by == "commerce.online_sales"
        and sales.entry_level is None
    )
    coverage = Indicator.objects.get(code="logistics_villages")
    assert coverage.computed_by == "commerce.logistics_villages"
    assert {"commerce.online_sales", "commerce.logistics_villages"} <= set(sources)


@pytest.mark.parametrize(
    "bad, field, words",
    [
        ({"station": "NOPE"}, "station", "不存在"),
        ({"month": "2099-01"}, "month", "未来月份"),
        ({"amount": "-5"}, "amount", "0–5亿元"),
        ({"platform": "myspace"}, "platform", "平台应为"),
        ({"station": "", "seller": ""}, "station", "站点编码或网销主体"),
    ],
)
def test_bad_sales_rows_refuse_the_whole_report(network, cast, bad, field, words):
    with pytest.raises(ServiceError) as refused:
        commerce.do_report_sales(actor=cast.township_a, rows=[row(month="2025-03"), row(**bad)])
    fields = refused.value.fields
    assert any(words in " ".join(v) for k, v in fields.items() if k.endswith(field))
    assert not SalesReport.objects.exists()


def test_a_report_for_another_townships_station_is_refused(network, cast):
    with pytest.raises(ServiceError):
        commerce.do_report_sales(actor=cast.township_a, rows=[row(station="LX-ST")])
    assert not SalesReport.objects.exists()


def test_a_repeated_month_is_a_duplicate(network, cast):
    commerce.do_report_sales(actor=cast.township_a, rows=[row()])
    with pytest.raises(ServiceError) as refused:
        commerce.do_report_sales(actor=cast.township_a, rows=[row()])
    assert "重复" in str(refused.value.fields)


def test_sales_are_posted_and_listed_through_the_api(network, cast, api_for):
    api = api_for(cast.township_a)
    created = api.post("/api/v1/commerce/sales/", [row(), row(platform="jd")], format="json")
    assert created.status_code == 201 and len(created.json()) == 2
    listed = api.get("/api/v1/commerce/sales/").json()
    assert listed["count"] == 2 and listed["results"][0]["station"] == "QJH-ST"
    refused = api.post("/api/v1/commerce/sales/", row(station="NOPE", month="2025-06"), format="json")
    assert (
        refused.status_code == 400
        and refused.json()["code"] == "invalid"
        and SalesReport.objects.count() == 2
    )
    assert api_for(cast.township_b).get("/api/v1/commerce/sales/").json()["count"] == 0
    assert api_for(cast.bank).get("/api/v1/commerce/sales/").status_code == 403


def test_village_coverage_counts_open_village_stations_and_pickups(network, places):
    rows = {p: (n, d) for p, n, d in indicators.logistics_villages(Period(timezone.localdate().year, 4))}
    assert rows[places.village_a.pk] == (1, 1) and rows[places.village_b.pk] == (0, 1)
    commerce.do_set_station_status(network["b"], actor=OPERATOR, status="open")
    rows = {p: (n, d) for p, n, d in indicators.logistics_villages(Period(timezone.localdate().year, 4))}
    assert rows[places.village_b.pk] == (1, 1)


def test_the_commerce_page_shows_the_years_sales_and_coverage_on_a_phone(network, cast, client_for):
    this_month = timezone.localdate().replace(day=1)
    commerce.do_report_sales(
        actor=OPERATOR, rows=[row(month=this_month.strftime("%Y-%m"), amount="30000000")]
    )
    page = client_for(cast.district).get("/commerce/")
    text = page.content.decode()
    assert (
        page.status_code == 200
        and "0.30 亿元" in text
        and "1/2（50.0%）" in text
        and 'name="viewport"' in text
    )
    assert client_for(cast.district).get("/commerce/stations/").status_code == 200


def test_a_live_session_must_not_be_in_the_future(places, cast):
    seller = commerce.do_create_seller(actor=OPERATOR, name="清水村合作社网店", place=places.village_a)
    with pytest.raises(ServiceError):
        commerce.do_record_live_session(
            actor=cast.township_a,
            seller=seller,
            host="李小妹",
            platform="douyin",
            held_on=date(2099, 1, 1),
            viewers=10,
            orders=1,
            amount=Decimal(100),
        )
