"""A township officer on a phone enters a sample at a river section: the form has a box per factor of the
point's standard; saved, the sample is judged (class, exceedance) and the point's page shows its case —
in Debian's chromium, with no outside request."""

import pytest

from shuxiang import testing
from shuxiang.conftest import login
from shuxiang.core.actors import OPERATOR
from shuxiang.ecology import services
from shuxiang.ecology.models import Standard

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_officer_enters_an_exceeding_sample_on_a_phone_and_sees_its_case(live_server, phone_page):
    places = testing.build_places()
    cast = testing.build_cast(places)
    point = services.do_create_point(
        actor=OPERATOR,
        code="HS-DM-B01",
        name="清水河清水村断面",
        kind="surface_section",
        place=places.village_a,
        standard=Standard.objects.get(code="GB 3838", edition="2002"),
        grade="III",
        responsible_unit=cast.department.unit,
    )
    page = phone_page
    outside = []
    page.on("request", lambda r: outside.append(r.url) if not r.url.startswith(live_server.url) else None)
    login(page, live_server.url, "t_quanjiaohe", testing.PASSWORD)
    page.goto(f"{live_server.url}/ecology/points/{point.pk}/")
    page.click("#add-sample")
    page.fill("input[name=sampler]", "李明")
    page.fill("input[name=lab]", "赫山区环境监测站")
    page.fill("input[name=f_w21003]", "2.6")
    page.fill("input[name=f_w01018]", "18")
    page.fill("input[name=f_w01009]", "5.5")
    assert page.evaluate("document.documentElement.scrollWidth") <= 380  # no sideways scrolling on 360 px
    page.click("#save-sample")
    page.wait_for_selector("#verdict")
    assert page.locator("#verdict").inner_text() == "超标"
    assert page.locator("#water-class").inner_text() == "劣Ⅴ类"
    page.click(f"text={point.name}")
    page.wait_for_selector("#exceedances")
    assert "超标未消除" in page.locator("#exceedances").inner_text()
    assert "氨氮 2.6 mg/L" in page.locator("#exceedances").inner_text()
    assert outside == []
