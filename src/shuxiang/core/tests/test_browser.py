"""A person signs in, opens a list, exports it and signs out — in Debian's chromium."""

from pathlib import Path

import pytest

from shuxiang import testing
from shuxiang.conftest import login
from shuxiang.core import services
from shuxiang.core.actors import OPERATOR

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_sign_in_filter_people_export_and_sign_out(live_server, desk_page):
    places = testing.build_places()
    testing.build_cast(places)
    services.do_create_person(actor=OPERATOR, name="本镇张三", place=places.hamlet_a, phone="13812341234")
    services.do_create_person(actor=OPERATOR, name="外镇李四", place=places.hamlet_b)
    page = desk_page
    login(page, live_server.url, "t_quanjiaohe", testing.PASSWORD)
    page.wait_for_selector("h2:has-text('我的待办')")
    page.hover("button.nav-label:has-text('基础信息')")  # menus open on hover/focus on a desk
    page.click(".nav-items >> text=人员")
    page.wait_for_selector("text=本镇张三")
    assert "外镇李四" not in page.content()
    assert "138****1234" in page.content()

    # The filter runs on input (after a pause: a word picked from a Chinese input method's candidates
    # fires no keyup) and again on change, when the box loses focus. Await both answers: an export
    # clicked while one is still running raced it on the test server's shared SQLite database.
    def filtered(response):
        return "/people/?" in response.url and "q=" in response.url

    with page.expect_response(filtered):
        page.fill("input[name=q]", "张三")
    with page.expect_response(filtered):
        page.press("input[name=q]", "Tab")
    assert page.locator("table tbody tr").count() == 1
    with page.expect_download() as download_info:
        page.click("#export-csv")
    path = download_info.value.path()
    text = Path(path).read_text(encoding="utf-8-sig")
    assert "本镇张三" in text and "外镇李四" not in text
    page.click("#logout")
    page.wait_for_selector("text=登录数乡")


def test_login_page_works_on_a_phone_without_outside_requests(live_server, phone_page):
    outside = []
    phone_page.on(
        "request", lambda r: outside.append(r.url) if not r.url.startswith(live_server.url) else None
    )
    phone_page.goto(f"{live_server.url}/login/")
    assert phone_page.locator("h1").inner_text() == "登录数乡"
    assert outside == []
