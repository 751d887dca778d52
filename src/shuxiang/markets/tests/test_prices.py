"""Prices in: a collector's phone form, the API and files; what is questioned or refused, and that
nothing is written when it is."""

import io
from datetime import timedelta

import pytest
from django.utils import timezone

from shuxiang.core.actors import OPERATOR
from shuxiang.core.errors import ServiceError
from shuxiang.core.models import AuditEntry
from shuxiang.markets import services
from shuxiang.markets.models import PriceObservation
from shuxiang.markets.tests.conftest import weekly

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate


def item(**kw):
    defaults = {"point": "QJH-01", "product": "maize", "observed_on": TODAY(), "price": "2.46"}
    return services.PriceInput(**{**defaults, **kw})


def test_a_grid_worker_records_a_price_and_the_audit_names_them(catalogue, points, cast):
    obs = services.do_record_price(actor=cast.grid_a, item=item())
    assert str(obs.price) == "2.46" and not obs.questioned and obs.recorded_by == cast.grid_a
    assert AuditEntry.objects.filter(object_type="markets.priceobservation", actor=cast.grid_a).exists()


def test_a_price_three_times_the_points_last_is_questioned_not_stored(catalogue, points, cast):
    weekly(points["a"], catalogue["chilli"], [7.0], end=TODAY() - timedelta(days=7))
    with pytest.raises(ServiceError) as refused:
        services.do_record_price(actor=cast.grid_a, item=item(product="chilli", price="21.50"))
    assert refused.value.code == "questioned" and "3倍" in refused.value.message
    assert PriceObservation.objects.filter(observed_on=TODAY()).count() == 0
    confirmed = services.do_record_price(
        actor=cast.grid_a, item=item(product="chilli", price="21.50", confirm=True)
    )
    assert confirmed.questioned


@pytest.mark.parametrize(
    "change, field, words",
    [
        ({"unit": "元/斤"}, "unit", "计价单位是 元/公斤"),
        ({"price": "-2"}, "price", "大于0"),
        ({"price": "abc"}, "price", "数字"),
        ({"price": "980"}, "price", "明显不合理"),
        ({"observed_on": TODAY() + timedelta(days=1)}, "observed_on", "不能晚于今天"),
        ({"product": "caviar"}, "product", "不在监测目录"),
        ({"point": "LX-01"}, "point", "不在您的管辖范围"),
    ],
)
def test_bad_prices_are_refused_with_a_chinese_reason_and_nothing_written(
    catalogue, points, cast, change, field, words
):
    with pytest.raises(ServiceError) as refused:
        services.do_record_price(actor=cast.grid_a, item=item(**change))
    assert refused.value.code == "invalid" and words in " ".join(refused.value.fields[field])
    assert not PriceObservation.objects.exists()


def test_the_same_price_twice_is_a_duplicate(catalogue, points, cast):
    services.do_record_price(actor=cast.grid_a, item=item())
    with pytest.raises(ServiceError) as refused:
        services.do_record_price(actor=cast.grid_a, item=item(price="2.50"))
    assert refused.value.code == "duplicate" and PriceObservation.objects.count() == 1


def test_an_import_with_one_bad_row_writes_nothing_and_names_the_row(catalogue, points):
    rows = [
        (2, item()),
        (3, item(product="hog", price="16.2")),
        (4, item(product="hog", price="16.2")),  # the same again
        (5, item(product="chilli", unit="元/斤", price="7")),
    ]
    with pytest.raises(ServiceError) as refused:
        services.do_import_prices(actor=OPERATOR, items=rows)
    text = " ".join(refused.value.fields["rows"])
    assert "第4行" in text and "重复" in text and "第5行「单位」" in text
    assert not PriceObservation.objects.exists()


def _xlsx(rows):
    from openpyxl import Workbook

    wb = Workbook()
    wb.active.append(["采集点编码", "品种代码", "日期", "价格", "单位"])
    for r in rows:
        wb.active.append(r)
    out = io.BytesIO()
    wb.save(out)
    out.seek(0)
    out.name = "prices.xlsx"
    return out


def test_a_township_officer_imports_an_xlsx_of_prices_on_the_page(catalogue, points, cast, client_for):
    day = (TODAY() - timedelta(days=1)).isoformat()
    upload = _xlsx([["QJH-01", "maize", day, 2.41, "元/公斤"], ["QJH-01", "hog", day, 15.2, "元/公斤"]])
    response = client_for(cast.township_a).post("/markets/prices/import/", {"file": upload})
    assert response.status_code == 302
    assert PriceObservation.objects.filter(point=points["a"], source="import").count() == 2


def test_the_cli_imports_a_file_and_refuses_a_bad_one(catalogue, points, tmp_path):
    from django.core.management import CommandError, call_command

    good = tmp_path / "good.xlsx"
    good.write_bytes(_xlsx([["LX-01", "maize", TODAY().isoformat(), 2.4, "元/公斤"]]).getvalue())
    call_command("markets", "import", str(good))
    assert PriceObservation.objects.count() == 1
    bad = tmp_path / "bad.xlsx"
    bad.write_bytes(_xlsx([["LX-01", "hog", TODAY().isoformat(), -3, "元/公斤"]]).getvalue())
    with pytest.raises(CommandError, match="导入未执行"):
        call_command("markets", "import", str(bad))
    assert PriceObservation.objects.count() == 1


# --- the API ------------------------------------------------------------------------------------


def test_the_api_gives_a_weekly_series_with_week_on_week_and_year_on_year(
    catalogue, points, cast, api_for, places
):
    weekly(points["a"], catalogue["hog"], [10.0] + [12.0] * 51 + [12.0, 13.2])
    response = api_for(cast.district).get(
        f"/api/v1/markets/prices/?product=hog&township={places.township_a.code}"
    )
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 54 and body["unit"] == "元/公斤"
    last = body["results"][-1]
    assert last["price"] == 13.2 and last["wow"] == pytest.approx(10.0) and last["yoy"] == pytest.approx(10.0)


def test_the_series_of_another_township_is_404_for_a_township_officer(
    catalogue, points, cast, api_for, places
):
    response = api_for(cast.township_a).get(
        f"/api/v1/markets/prices/?product=hog&township={places.township_b.code}"
    )
    assert response.status_code == 404


def test_the_api_refuses_a_series_without_a_known_product(catalogue, cast, api_for):
    response = api_for(cast.district).get("/api/v1/markets/prices/?product=caviar")
    assert response.status_code == 400 and response.json()["code"] == "invalid"
    assert "不在监测目录" in response.json()["fields"]["product"][0]


def test_a_price_is_posted_through_the_api_and_a_questioned_one_is_409_free_400(
    catalogue, points, cast, api_for
):
    api = api_for(cast.grid_a)
    ok = api.post(
        "/api/v1/markets/prices/",
        {
            "point": "QJH-01",
            "product": "maize",
            "observed_on": TODAY().isoformat(),
            "price": "2.45",
            "unit": "元/公斤",
        },
        format="json",
    )
    assert ok.status_code == 201 and ok.json()["questioned"] is False
    bad = api.post(
        "/api/v1/markets/prices/",
        {"point": "QJH-01", "product": "hog", "observed_on": TODAY().isoformat(), "price": "150"},
        format="json",
    )
    assert (
        bad.status_code == 400 and bad.json()["code"] == "questioned" and "合理区间" in bad.json()["message"]
    )
    future = api.post(
        "/api/v1/markets/prices/",
        {
            "point": "QJH-01",
            "product": "hog",
            "observed_on": (TODAY() + timedelta(days=3)).isoformat(),
            "price": "15",
        },
        format="json",
    )
    assert future.status_code == 400 and "不能晚于今天" in future.json()["fields"]["observed_on"][0]
    assert PriceObservation.objects.count() == 1


def test_a_batch_of_prices_is_all_or_nothing(catalogue, points, cast, api_for):
    day = TODAY().isoformat()
    batch = [
        {"point": "QJH-01", "product": "maize", "observed_on": day, "price": "2.45"},
        {"point": "QJH-01", "product": "nothing", "observed_on": day, "price": "2.45"},
    ]
    response = api_for(cast.township_a).post("/api/v1/markets/prices/", batch, format="json")
    assert response.status_code == 400 and response.json()["code"] == "import_rejected"
    assert not PriceObservation.objects.exists()
    response = api_for(cast.township_a).post("/api/v1/markets/prices/", batch[:1], format="json")
    assert response.status_code == 201 and len(response.json()) == 1


def test_the_bank_and_a_feed_cannot_read_or_post_prices(catalogue, points, cast, api_for):
    for user in (cast.bank, cast.feed):
        api = api_for(user)
        assert api.get("/api/v1/markets/prices/?product=maize").status_code == 403
        assert api.post("/api/v1/markets/prices/", {"point": "QJH-01"}, format="json").status_code == 403
    assert not PriceObservation.objects.exists()


def test_the_price_form_works_on_a_phone_and_asks_to_confirm_a_jump(catalogue, points, cast, client_for):
    weekly(points["a"], catalogue["chilli"], [7.0], end=TODAY() - timedelta(days=7))
    web = client_for(cast.grid_a)
    page = web.get("/markets/prices/new/")
    assert (
        page.status_code == 200
        and "价格采集" in page.content.decode()
        and 'name="viewport"' in page.content.decode()
    )
    form = {
        "point": points["a"].pk,
        "product": catalogue["chilli"].pk,
        "observed_on": TODAY().isoformat(),
        "price": "22",
    }
    asked = web.post("/markets/prices/new/", form)
    assert asked.status_code == 400 and "请核实后确认" in asked.content.decode()
    assert not PriceObservation.objects.filter(observed_on=TODAY()).exists()
    confirmed = web.post("/markets/prices/new/", {**form, "confirm": "on"})
    assert confirmed.status_code == 302 and PriceObservation.objects.get(observed_on=TODAY()).questioned


def test_every_staff_role_reads_the_catalogue_and_clients_do_not(catalogue, cast, client_for, api_for):
    for user in (cast.township_a, cast.village_a, cast.grid_a):
        page = client_for(user).get("/markets/products/")
        assert page.status_code == 200 and "玉米" in page.content.decode()
    assert client_for(cast.producer).get("/markets/products/").status_code == 403
