"""In Debian's chromium: a cooperative records a lot's life on a phone, and a consumer scans it."""

from datetime import timedelta

import pytest
from django.utils import timezone

from shuxiang import testing
from shuxiang.conftest import login
from shuxiang.core.actors import OPERATOR
from shuxiang.ledger import services as ledger
from shuxiang.trace import services
from shuxiang.trace.models import Lot
from shuxiang.trace.tests.conftest import credit_code

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _farm():
    places = testing.build_places()
    cast = testing.build_cast(places)
    producer = services.do_create_producer(
        actor=OPERATOR,
        name="清水村稻米专业合作社",
        kind="cooperative",
        place=places.village_a,
        credit_code=credit_code(),
        contact_name="李建国",
        contact_phone="13907371234",
    )
    base = services.do_create_base(
        producer, actor=OPERATOR, name="清水村水稻基地", kind="planting", place=places.hamlet_a
    )
    services.do_create_plot(base, actor=OPERATOR, name="1号田")
    services.do_create_product(
        producer, actor=OPERATOR, name="清水贡米", category="rice", gtin="6901234567892"
    )
    services.do_add_operator(producer, cast.producer, actor=OPERATOR)  # t_coop, role producer
    return places, cast, producer


def _local(days_ago):
    """09:00 (Beijing) `days_ago` days back, as the form's datetime-local; today before 09:00, a minute ago."""
    now = timezone.localtime()
    at = (now - timedelta(days=days_ago)).replace(hour=9, minute=0)
    return min(at, now - timedelta(minutes=1)).strftime("%Y-%m-%dT%H:%M")


def _record(page, step, days_ago, **fields):
    page.select_option(".event-form select[name=biz_step]", step)
    page.fill(".event-form input[name=event_time]", _local(days_ago))
    for name, value in fields.items():
        selector = f".event-form [name={name}]"
        if name == "report":
            page.set_input_files(
                selector, files=[{"name": "report.pdf", "mimeType": "application/pdf", "buffer": value}]
            )
        elif page.locator(f".event-form select[name={name}]").count():
            page.select_option(selector, value)
        else:
            page.fill(selector, str(value))
    page.click(".event-form button[type=submit]")


def test_a_cooperative_records_a_lot_from_planting_to_shipping_on_a_phone(live_server, phone_page):
    _places, _cast, producer = _farm()
    page = phone_page
    login(page, live_server.url, "t_coop", testing.PASSWORD)
    page.wait_for_selector("text=我的待办")
    page.goto(f"{live_server.url}/trace/producers/{producer.pk}/lots/add/")
    page.fill("input[name=lot_number]", "2025A01")
    page.fill("input[name=quantity]", "5000")
    page.click("main button[type=submit]")
    page.wait_for_selector(".error:has-text('请选择产地地块')")  # a lot with no origin is refused
    page.select_option("select[name=origin]", index=1)
    page.click("main button[type=submit]")
    page.wait_for_selector("text=批次已建立")
    assert page.locator("#lot-stage").inner_text() == "生产中"

    _record(page, "planting", 120, quantity=30, note="机插秧")
    page.wait_for_selector("text=已记录，并写入可信账本")
    _record(
        page,
        "input_use",
        5,
        input_kind="pesticide",
        input_name="吡虫啉",
        input_dose="每亩 20 g",
        interval_days=14,
    )
    page.wait_for_selector("text=已记录，并写入可信账本")
    # Harvesting now falls inside the 14-day interval: refused, naming the product and the date.
    _record(page, "harvesting", 0, quantity=5000)
    allowed = (timezone.localtime() - timedelta(days=5)).date() + timedelta(days=14)
    page.wait_for_selector(f"text={allowed:%Y-%m-%d}起方可采收")
    assert "清水贡米" in page.locator(".error").first.inner_text()
    # It was a typing error: the spraying was 30 days ago. A correction, not an edit.
    corrected = page.locator(
        ".event-form select[name=corrects] option", has_text="投入品使用"
    ).first.get_attribute("value")
    _record(
        page,
        "input_use",
        30,
        input_kind="pesticide",
        input_name="吡虫啉",
        input_dose="每亩 20 g",
        interval_days=14,
        corrects=corrected,
        note="日期录错",
    )
    page.wait_for_selector("text=已更正")
    _record(page, "harvesting", 0, quantity=5000)
    page.wait_for_selector("#lot-stage:has-text('已采收')")
    _record(
        page, "inspecting", 0, test_item="农药残留快速检测", test_agency="泉交河镇农技站", test_passed="true"
    )
    page.wait_for_selector("text=已记录，并写入可信账本")
    _record(page, "packing", 0, quantity=5000)
    page.wait_for_selector("#lot-stage:has-text('已包装')")
    page.fill(".inline-form input[name=quantity]", "3000")
    page.click("#issue-certificate")
    page.wait_for_selector("text=承诺达标合格证")
    page.go_back()
    page.reload()
    _record(page, "shipping", 0, quantity=3000, counterparty="益阳市农贸市场")
    page.wait_for_selector("#lot-stage:has-text('已发货')")
    assert page.locator(".trace-timeline li").count() == 7

    lot = Lot.objects.get(lot_number="2025A01")
    assert lot.stage == "shipped" and lot.certificates.count() == 1
    assert ledger.verify("trace").ok
    assert page.evaluate("document.documentElement.scrollWidth") <= 360 + 1


def test_a_consumer_scans_the_code_on_a_phone_and_verifies_the_record(live_server, phone_page):
    _places, _cast, producer = _farm()
    lot = services.do_create_lot(
        producer.products.get(),
        actor=OPERATOR,
        lot_number="2025A01",
        origin=producer.bases.get().plots.get(),
        quantity=100,
    )
    for step in ("planting", "harvesting"):
        services.do_record_event(lot, actor=OPERATOR, biz_step=step)
    services.do_record_event(
        lot, actor=OPERATOR, biz_step="inspecting", test_item="农药残留快速检测", test_passed=True
    )
    services.do_issue_certificate(lot, actor=OPERATOR)
    outside = []
    page = phone_page
    page.on("request", lambda r: outside.append(r.url) if not r.url.startswith(live_server.url) else None)
    page.goto(f"{live_server.url}/t/{lot.short_code}")
    page.wait_for_selector("#product-name")
    assert page.url.endswith("/01/06901234567892/10/2025A01")
    assert page.locator("#product-name").inner_text() == "清水贡米"
    assert "清水村稻米专业合作社" in page.locator("#producer-name").inner_text()
    assert page.locator("#certificate-badge").is_visible()
    assert page.locator("#timeline li").count() == 3
    assert page.locator("svg.pub-map").is_visible()
    page.click("#verify-button")
    page.wait_for_selector("#verify-result:has-text('核验通过')")
    assert page.evaluate("document.documentElement.scrollWidth") <= 360 + 1
    page.wait_for_function("1")  # let the scan beacon land
    for _ in range(20):
        lot.refresh_from_db()
        if lot.scan_count:
            break
        page.wait_for_timeout(100)
    assert lot.scan_count == 1
    page.click("#complaint-button")
    page.fill("textarea[name=description]", "大米有霉味，怀疑变质")
    page.click("main button[type=submit]")
    page.wait_for_selector("#complaint-done")
    assert outside == []
