"""In Debian's chromium on a phone viewport: a resident reports with a photo, staff accept, dispatch and
resolve, the resident confirms the fix and rates it."""

import re

import pytest

from shuxiang import testing
from shuxiang.cases import reference
from shuxiang.cases.choices import CaseState
from shuxiang.cases.models import Case
from shuxiang.cases.tests.conftest import jpeg_bytes
from shuxiang.conftest import login
from shuxiang.core.actors import OPERATOR
from shuxiang.core.models import Attachment

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _setup():
    places = testing.build_places()
    cast = testing.build_cast(places)
    reference.do_save_category(
        actor=OPERATOR, code="rubbish", name="垃圾堆放", deadline_amount=3, accept_hours=8
    )
    return places, cast


def _open(page, action):
    page.eval_on_selector(f"details[data-action={action}]", "d => { d.open = true; }")
    return f"details[data-action={action}]"


def _sign_in(page, base, user):
    login(page, base, user.username, testing.PASSWORD)
    page.wait_for_url(f"{base}/")


def test_full_case_lifecycle_on_a_phone(live_server, phone_page, chromium, tmp_path):
    places, cast = _setup()
    base = live_server.url
    resident = phone_page
    errors = []
    # Script errors and CSP refusals would show here; the shell's missing favicon is not ours to judge.
    resident.on("pageerror", lambda exc: errors.append(str(exc)))
    resident.on("console", lambda m: errors.append(m.text) if "Refused" in m.text else None)
    resident.on(
        "response", lambda r: errors.append(r.url) if r.status >= 400 and "favicon" not in r.url else None
    )

    resident.goto(f"{base}/report/")
    resident.select_option("select[name=category]", "rubbish")
    photo = tmp_path / "现场.jpg"
    photo.write_bytes(jpeg_bytes(exif_gps=True))
    resident.set_input_files("input[name=photos]", str(photo))
    resident.click("#show-map")
    resident.wait_for_selector("#pick-map.leaflet-container")
    resident.select_option("select[name=village]", places.village_a.code)
    resident.fill("textarea[name=description]", "村口桥头垃圾堆放三天无人清理")
    resident.fill("input[name=phone]", "13800138000")
    resident.click("#submit-report")
    resident.wait_for_selector("#submitted")
    number = resident.inner_text("#tracking-number").strip()
    assert re.fullmatch(r"\d{14}", number)
    case = Case.objects.get(tracking_number=number)
    assert Attachment.objects.filter(owner_id=str(case.pk), is_public=True).count() == 1

    staff_context = chromium.new_context(
        viewport={"width": 360, "height": 780}, is_mobile=True, has_touch=True
    )
    staff = staff_context.new_page()
    try:
        _sign_in(staff, base, cast.township_a)
        staff.goto(f"{base}/cases/queue/")
        # A phone's queue shows the title (cut with an ellipsis), not the number.
        staff.click(f"table.queue a.clip[href='/cases/{case.pk}/']")
        staff.fill(_open(staff, "accept") + " textarea[name=note]", "已受理")
        staff.click("button[data-action=accept]")
        staff.wait_for_selector("#case-state:has-text('已受理')")
        staff.select_option(_open(staff, "dispatch") + " select[name=assignee]", cast.grid_a.username)
        staff.click("button[data-action=dispatch]")
        staff.wait_for_selector("#case-state:has-text('已派单')")
        staff.click(".menu-toggle")
        staff.click("#logout")

        _sign_in(staff, base, cast.grid_a)
        staff.goto(f"{base}/cases/{case.pk}/")
        resolve = _open(staff, "resolve")
        staff.fill(resolve + " textarea[name=note]", "已组织保洁员清运完毕")
        staff.set_input_files(resolve + " input[name=photos]", str(photo))
        staff.click("button[data-action=resolve]")
        staff.wait_for_selector("#case-state:has-text('已办结')")
    finally:
        staff_context.close()

    resident.goto(f"{base}/report/track/{number}/")
    assert resident.inner_text("#status-notes") == "已组织保洁员清运完毕"
    resident.click("#confirm-fixed")
    resident.wait_for_selector("#case-state:has-text('已关闭')")
    resident.check("#rate-form input[value='5']")
    resident.click("#rate")
    resident.wait_for_selector("text=感谢您的评价")
    case.refresh_from_db()
    assert case.state == CaseState.CLOSED and case.rating == 5
    assert list(case.events.values_list("action", flat=True)) == [
        "open",
        "accept",
        "dispatch",
        "resolve",
        "confirm",
        "rate",
    ]
    assert errors == []
