"""On a 360 px phone: a resident posts a rental without an account, a village cadre approves it from the
queue, and the resident finds it on the market by keyword and leaves a message — no phone number on the
public pages, nothing loaded from outside."""

import re

import pytest

from shuxiang import testing
from shuxiang.conftest import login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = re.compile(r"(?<!\d)1[3-9]\d{9}(?!\d)")


def test_a_resident_posts_on_a_phone_a_cadre_approves_and_it_is_found_and_contacted(live_server, chromium):
    from shuxiang.villager.culture import ensure_case_categories
    from shuxiang.villager.models import Inquiry, Posting

    places = testing.build_places()
    testing.build_cast(places)
    ensure_case_categories()
    outside = []

    def phone():
        context = chromium.new_context(
            viewport={"width": 360, "height": 780}, is_mobile=True, has_touch=True, locale="zh-CN"
        )
        page = context.new_page()
        page.on("request", lambda r: outside.append(r.url) if not r.url.startswith(live_server.url) else None)
        return context, page

    resident, page = phone()
    page.goto(f"{live_server.url}/market/")
    page.click("#post-link")
    page.select_option("select[name=kind]", "rental")
    page.select_option("select[name=category]", "machine")
    page.fill("input[name=title]", "出租50马力拖拉机")
    page.fill("textarea[name=body]", "带旋耕机，可上门耕田，电话13907371234")
    page.select_option("select[name=place]", "430903103201")
    page.fill("input[name=contact_name]", "王师傅")
    page.fill("input[name=phone]", "13807372222")
    page.click("#submit-posting")
    page.wait_for_selector("text=请不要在文字中填写电话")
    assert Posting.objects.count() == 0
    page.fill("textarea[name=body]", "带旋耕机，可上门耕田，按亩收费，周边村优先。")
    page.click("#submit-posting")
    page.wait_for_selector("#posting-status")
    assert page.locator("#posting-status").inner_text() == "待审核"
    private = page.url
    assert page.evaluate("document.documentElement.scrollWidth") <= 360

    cadre_context, cadre = phone()
    login(cadre, live_server.url, "t_cadre", testing.PASSWORD)
    cadre.goto(f"{live_server.url}/market/queue/")
    cadre.click("text=出租50马力拖拉机")
    cadre.select_option("select[name=approve]", "yes")
    cadre.select_option("select[name=poster_kind]", "villager")
    cadre.fill("input[name=verified_note]", "清水村村委核实")
    cadre.click("#submit-moderation")
    cadre.wait_for_selector("text=已发布")
    cadre_context.close()

    page.goto(f"{live_server.url}/market/")
    page.fill("input[name=q]", "拖拉机")
    page.click(".market-filters button")
    page.wait_for_selector("#postings >> text=出租50马力拖拉机")
    page.click("text=出租50马力拖拉机")
    page.wait_for_selector("#posting")
    assert "清水村村委核实" in page.content()
    assert not PHONE.search(page.content())
    page.fill("#contact input[name=name]", "张大姐")
    page.fill("#contact input[name=phone]", "13600001111")
    page.fill("#contact textarea[name=message]", "想租两天耕田")
    page.click("#send-inquiry")
    page.wait_for_selector("text=留言已转达给发布人")
    assert Inquiry.objects.count() == 1
    page.goto(private)
    assert "13600001111" in page.locator("#inquiries").inner_text()
    resident.close()
    assert outside == []
