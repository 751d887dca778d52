"""A grid worker on a phone enters a price at the township market, is asked to confirm a jump, confirms
it; the district officer then sees the series chart — in Debian's chromium, no outside request."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from shuxiang import testing
from shuxiang.conftest import login
from shuxiang.core.actors import OPERATOR
from shuxiang.markets import services
from shuxiang.markets.models import PriceObservation

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_grid_worker_enters_a_price_on_a_phone_and_confirms_a_questioned_one(live_server, phone_page):
    places = testing.build_places()
    cast = testing.build_cast(places)
    chilli = services.do_create_product(
        actor=OPERATOR,
        code="chilli",
        name="辣椒",
        category="vegetable",
        unit="元/公斤",
        min_price="2",
        max_price="20",
    )
    point = services.do_create_point(
        actor=OPERATOR,
        code="QJH-01",
        name="泉交河镇农贸市场",
        kind="farmers",
        place=places.township_a,
        collectors=[cast.grid_a],
    )
    today = timezone.localdate()
    for weeks, price in ((3, "7.10"), (2, "7.30"), (1, "7.00")):
        PriceObservation.objects.create(
            point=point,
            product=chilli,
            observed_on=today - timedelta(weeks=weeks),
            price=Decimal(price),
            source="phone",
        )

    page = phone_page
    outside = []
    page.on("request", lambda r: outside.append(r.url) if not r.url.startswith(live_server.url) else None)
    login(page, live_server.url, "t_grid", testing.PASSWORD)
    page.goto(f"{live_server.url}/markets/prices/new/")
    page.select_option("select[name=point]", str(point.pk))
    page.select_option("select[name=product]", str(chilli.pk))
    page.fill("input[name=price]", "23.5")
    assert page.evaluate("document.documentElement.scrollWidth") <= 360  # no sideways scrolling
    page.click("form[method=post] button.primary")
    page.wait_for_selector("text=请核实后确认")
    assert not PriceObservation.objects.filter(observed_on=today).exists()
    page.check("input[name=confirm]")
    page.click("form[method=post] button.primary")
    page.wait_for_selector("text=价格已上报")
    saved = PriceObservation.objects.get(observed_on=today)
    assert saved.price == Decimal("23.50") and saved.questioned

    page.context.clear_cookies()
    login(page, live_server.url, "t_quanjiaohe", testing.PASSWORD)
    page.goto(f"{live_server.url}/markets/prices/?product=chilli&township={places.township_a.code}")
    page.wait_for_selector("#price-chart canvas")
    assert "23.5" in page.locator("#last-price").inner_text()
    assert outside == []


def test_a_village_cadre_records_a_live_session_on_a_phone_and_the_public_sees_the_brand(
    live_server, phone_page
):
    from shuxiang.markets import brands, commerce
    from shuxiang.markets.models import LiveSession

    places = testing.build_places()
    testing.build_cast(places)  # the accounts
    seller = commerce.do_create_seller(
        actor=OPERATOR, name="清水村小龙虾合作社", place=places.village_a, main_products="小龙虾"
    )
    brand = brands.do_create_brand(
        actor=OPERATOR,
        name="泉交河小龙虾",
        kind="township",
        place=places.township_a,
        products="小龙虾、虾稻米",
        description="稻虾共作，一水两用。",
    )
    page = phone_page
    outside = []
    page.on("request", lambda r: outside.append(r.url) if not r.url.startswith(live_server.url) else None)
    login(page, live_server.url, "t_cadre", testing.PASSWORD)
    page.goto(f"{live_server.url}/commerce/sessions/new/")
    page.select_option("select[name=seller]", str(seller.pk))
    page.fill("input[name=host]", "刘小燕")
    page.select_option("select[name=platform]", "douyin")
    page.fill("input[name=viewers]", "12000")
    page.fill("input[name=orders]", "860")
    page.fill("input[name=amount]", "-5")
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    page.click("form[method=post] button.primary")
    page.wait_for_selector(".has-error")
    assert not LiveSession.objects.exists()
    page.fill("input[name=amount]", "51600")
    page.click("form[method=post] button.primary")
    page.wait_for_selector("text=直播场次已登记")
    assert LiveSession.objects.get().host == "刘小燕"

    page.context.clear_cookies()
    page.goto(f"{live_server.url}/brands/{brand.pk}/")
    page.wait_for_selector("text=泉交河小龙虾")
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    assert outside == []
