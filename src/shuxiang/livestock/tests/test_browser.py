"""A grid worker on a phone reports a suspected outbreak with a photo; the animal-health office moves it
to suspected and confirmed, and the outbreak's zones appear on the map — in Debian's chromium, with no
outside request."""

import io

import pytest
from PIL import Image

from shuxiang import testing
from shuxiang.conftest import login
from shuxiang.core.actors import OPERATOR
from shuxiang.livestock import services
from shuxiang.livestock.models import DiseaseReport
from shuxiang.trace.models import Producer

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_grid_worker_reports_on_a_phone_and_the_office_confirms_an_outbreak(
    live_server, phone_page, tmp_path
):
    places = testing.build_places()
    testing.build_cast(places)
    producer = Producer.objects.create(
        name="清水生猪养殖专业合作社", kind="cooperative", place=places.village_a
    )
    farm = services.do_create_farm(
        actor=OPERATOR,
        code="ZC-B01",
        name="清水生猪养殖场",
        kind="pig",
        producer=producer,
        place=places.village_a,
    )
    photo = tmp_path / "pig.jpg"
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), (180, 60, 60)).save(buffer, "JPEG")
    photo.write_bytes(buffer.getvalue())
    page = phone_page
    outside = []
    page.on("request", lambda r: outside.append(r.url) if not r.url.startswith(live_server.url) else None)
    login(page, live_server.url, "t_grid", testing.PASSWORD)
    page.goto(f"{live_server.url}/livestock/outbreaks/new/")
    page.click("#submit-report")  # nothing filled in: refused, on the form
    page.wait_for_selector(".error")
    assert "请选择发生地点" in page.content() and not DiseaseReport.objects.exists()
    page.select_option("select[name=farm]", str(farm.pk))
    page.select_option("select[name=species]", "pig")
    page.fill("textarea[name=symptoms]", "高热、皮肤发绀，3天死亡6头")
    page.fill("input[name=deaths]", "6")
    page.set_input_files("input[name=photos]", str(photo))
    page.click("#submit-report")
    page.wait_for_selector("#stage")
    assert page.locator("#stage").inner_text() == "可疑"
    report = DiseaseReport.objects.get()
    assert report.deaths == 6 and report.farm == farm
    page.context.clear_cookies()
    login(page, live_server.url, "t_agri", testing.PASSWORD)
    page.goto(f"{live_server.url}/livestock/outbreaks/{report.pk}/")
    page.click("#advance")
    page.wait_for_selector("#stage:has-text('疑似')")
    page.click("#advance")
    page.wait_for_selector("#stage:has-text('确诊')")
    assert "清水生猪养殖场" in page.locator("#zone-farms").inner_text()
    page.goto(f"{live_server.url}/livestock/outbreaks/")
    page.wait_for_selector("#livestock-map[data-loaded='1']")
    assert page.locator(".leaflet-interactive").count() >= 3  # the point and its two zones
    assert outside == []
