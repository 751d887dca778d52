"""A grid worker on a phone appraises a key household's house: D grade, findings per part, a photo
from the camera — and sees the house become a renovation, with no outside request and nothing wider
than the screen."""

import io

import pytest
from PIL import Image

from shuxiang import testing
from shuxiang.conftest import login
from shuxiang.housing.models import Renovation
from shuxiang.housing.tests.helpers import house

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_grid_worker_appraises_a_house_on_a_phone(live_server, phone_page, tmp_path):
    places = testing.build_places()
    cast = testing.build_cast(places)
    h = house(places.hamlet_a, key_group="dibao", address="清水村1组12号")
    picture = tmp_path / "wall.jpg"
    buf = io.BytesIO()
    Image.new("RGB", (64, 48), (150, 110, 80)).save(buf, format="JPEG")
    picture.write_bytes(buf.getvalue())

    page = phone_page
    outside = []
    page.on("request", lambda r: outside.append(r.url) if not r.url.startswith(live_server.url) else None)
    login(page, live_server.url, cast.grid_a.username, testing.PASSWORD)
    page.goto(f"{live_server.url}/housing/houses/{h.code}/")
    assert "未鉴定" in page.locator("#house-grade").inner_text()
    page.click("#appraise")
    page.wait_for_selector("#appraisal-form")
    page.check("input[name=grade][value=D]")
    page.select_option("select[name=level_foundation]", "local")
    page.select_option("select[name=level_load_bearing]", "whole")
    page.fill("input[name=note_load_bearing]", "承重墙贯通裂缝")
    page.fill("input[name=appraiser_name]", "赵工")
    # first without a photo: refused on the form, nothing written
    page.click("#appraisal-form button[type=submit]")
    page.wait_for_selector("#field-photos small.error")
    assert "须上传危险部位照片" in page.inner_text("#field-photos small.error")
    assert page.input_value("input[name=appraised_on]")  # today, as the phone's date picker reads it
    assert not Renovation.objects.exists()
    page.check("input[name=grade][value=D]")
    page.select_option("select[name=level_foundation]", "local")
    page.select_option("select[name=level_load_bearing]", "whole")
    page.set_input_files("input[name=photos]", str(picture))
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 362, f"the form is {width}px wide on a 360px phone"
    page.click("#appraisal-form button[type=submit]")
    page.wait_for_selector("text=已自动纳入危房改造")
    assert "D级" in page.locator("#house-grade").inner_text()
    assert page.locator("#appraisals img").count() == 1
    assert Renovation.objects.get().house_id == h.pk
    assert outside == []
