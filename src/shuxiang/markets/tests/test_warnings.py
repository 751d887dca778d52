"""Levels computed from stored prices, their history, the bureaus told, the pages that show them."""

import pytest
from django.core.management import call_command

from shuxiang.core.actors import OPERATOR
from shuxiang.core.errors import ServiceError
from shuxiang.core.models import Notification
from shuxiang.markets import monitor, services
from shuxiang.markets.models import Method, WarningLevel
from shuxiang.markets.tests.conftest import weekly

pytestmark = pytest.mark.django_db


@pytest.fixture
def slump(catalogue, points):
    """Maize flat at 2.40; hogs from 16.0 (6.7:1) down to 11.5 (4.8:1) in the last five weeks."""
    weekly(points["a"], catalogue["maize"], [2.40] * 20)
    weekly(points["a"], catalogue["hog"], [16.0] * 15 + [14.2, 13.6, 13.4, 13.3, 11.5])
    weekly(points["b"], catalogue["maize"], [2.40] * 20)
    weekly(points["b"], catalogue["hog"], [16.0] * 20)


def current(product, place, method):
    return WarningLevel.objects.get(product=product, place=place, method__code=method, is_current=True)


def test_the_hog_grain_ratio_under_5_puts_hogs_of_that_township_in_crisis(slump, catalogue, places, cast):
    monitor.do_recompute_warnings(actor=cast.district)
    assert current(catalogue["hog"], places.township_a, "hog_grain").level == "crisis"
    assert current(catalogue["hog"], places.township_b, "hog_grain").level == "normal"
    history = WarningLevel.objects.filter(
        product=catalogue["hog"], place=places.township_a, method__code="hog_grain"
    ).order_by("period_start")
    # 6.67 → 5.92 → 5.67 → 5.58 (third week in 5–6:1) → 5.54 → 4.79
    assert [w.level for w in history][-6:] == ["normal", "stress", "stress", "alert", "alert", "crisis"]


def test_a_rise_to_crisis_tells_district_staff_and_not_the_grid(
    slump, cast, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        result = monitor.do_recompute_warnings(actor=OPERATOR)
    assert result.raised
    told = Notification.objects.filter(kind="markets")
    assert told.filter(recipient=cast.district).exists()
    assert not told.filter(recipient=cast.grid_a).exists()


def test_changed_bands_are_data_and_apply_at_the_next_recompute(slump, catalogue, places, cast):
    method = Method.objects.get(code="hog_grain")
    services.do_change_method(method, actor=cast.district, bands=[{"to": 4, "level": "crisis"}])
    monitor.do_recompute_warnings(actor=OPERATOR)
    assert current(catalogue["hog"], places.township_a, "hog_grain").level == "normal"
    with pytest.raises(ServiceError):
        services.do_change_method(method, actor=cast.district, bands=[{"to": 4, "level": "purple"}])
    with pytest.raises(ServiceError):
        services.do_change_method(method, actor=cast.township_a, bands=[{"to": 4, "level": "crisis"}])


def test_a_township_officer_may_not_recompute(slump, cast, client_for):
    assert client_for(cast.township_a).post("/markets/warnings/recompute/").status_code == 403
    assert not WarningLevel.objects.exists()


def test_the_warnings_page_explains_every_method_and_lists_the_crisis_first(slump, cast, client_for):
    monitor.do_recompute_warnings(actor=OPERATOR)
    page = client_for(cast.township_a).get("/markets/warnings/").content.decode()
    assert "ALPS价格异常指数" in page and "猪粮比价" in page and "连续3期" in page
    table = page.split('id="object-table"')[1].split('id="methods"')[0]
    assert table.index("危机") < table.index("正常")
    # a township officer sees its township, not the other one
    assert "兰溪镇" not in page.split('id="methods"')[0]


def test_the_api_lists_current_levels_and_history_on_request(slump, cast, api_for):
    monitor.do_recompute_warnings(actor=OPERATOR)
    api = api_for(cast.district)
    now = api.get("/api/v1/markets/warnings/?product=hog&method=hog_grain").json()
    assert now["count"] == 3 and all(r["is_current"] for r in now["results"])  # two townships + district
    history = api.get("/api/v1/markets/warnings/?product=hog&method=hog_grain&history=true").json()
    assert history["count"] > now["count"]
    assert api.get("/api/v1/markets/warnings/?level=purple").status_code == 400


def test_the_dashboard_and_home_page_show_the_warning(slump, cast, client_for):
    monitor.do_recompute_warnings(actor=OPERATOR)
    web = client_for(cast.district)
    assert "危机" in web.get("/markets/").content.decode()
    home = web.get("/").content.decode()
    assert "价格危机级预警" in home


def test_the_weekly_bulletin_comes_as_a_page_pdf_and_xlsx(slump, cast, client_for):
    monitor.do_recompute_warnings(actor=OPERATOR)
    week = WarningLevel.objects.filter(method__code="hog_grain", is_current=True).first().period_start
    label = f"{week.isocalendar()[0]}-W{week.isocalendar()[1]:02d}"
    web = client_for(cast.district)
    page = web.get(f"/markets/bulletin/{label}/")
    assert page.status_code == 200 and "生猪" in page.content.decode() and "危机" in page.content.decode()
    pdf = web.get(f"/markets/bulletin/{label}/?format=pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    xlsx = web.get(f"/markets/bulletin/{label}/?format=xlsx")
    assert xlsx.status_code == 200 and xlsx.content[:2] == b"PK"
    assert web.get("/markets/bulletin/2026-W99/").status_code == 404


def test_the_backtest_page_and_command_say_when_a_method_would_have_fired(
    slump, cast, client_for, places, capsys
):
    query = f"method=hog_grain&product=hog&township={places.township_a.code}"
    page = client_for(cast.district).get(f"/markets/backtest/?{query}").content.decode()
    assert "共 2 次报警" in page  # to alert, then on to crisis
    call_command(
        "markets",
        "backtest",
        "--method",
        "hog_grain",
        "--product",
        "hog",
        "--township",
        places.township_a.code,
    )
    out = capsys.readouterr().out
    assert "报警 2 次" in out and "alert" in out and "crisis" in out


def test_the_price_page_shows_the_series_and_its_levels_on_a_phone(slump, cast, client_for, places):
    monitor.do_recompute_warnings(actor=OPERATOR)
    page = client_for(cast.township_a).get(f"/markets/prices/?product=hog&township={places.township_a.code}")
    text = page.content.decode()
    assert (
        page.status_code == 200
        and "11.50 元/公斤" in text.replace("11.5 元", "11.50 元")
        and "price-chart" in text
    )
    assert (
        client_for(cast.township_a)
        .get(f"/markets/prices/?product=hog&township={places.township_b.code}")
        .status_code
        == 404
    )
