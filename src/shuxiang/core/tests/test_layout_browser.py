"""Pages fit their screens (issue 14 §5): the case queue and the warnings list overflowed a 1366 px
laptop, and on a phone the queue cut titles off without an ellipsis. Long titles and unit names on
purpose, in Debian's chromium."""

import pytest

from shuxiang import testing
from shuxiang.cases import reference
from shuxiang.cases import services as cases
from shuxiang.conftest import login
from shuxiang.core import services as core
from shuxiang.core.actors import OPERATOR
from shuxiang.core.choices import UnitKind

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LONG_TITLE = "村口桥头东侧约两百米处垃圾堆放已经三天无人清理，气味很大影响群众出行"
LONG_UNIT = "赫山区住房和城乡建设局市政设施维护管理中心"
LONG_HEADLINE = "赫山区气象台发布暴雨红色预警：预计未来三小时内泉交河镇、兰溪镇等地降雨量将达一百毫米以上"


def _world():
    places = testing.build_places()
    cast = testing.build_cast(places)
    reference.do_save_category(actor=OPERATOR, code="rubbish", name="垃圾堆放", deadline_amount=3)
    unit = core.do_create_unit(
        actor=OPERATOR, name=LONG_UNIT, kind=UnitKind.BUREAU, place=places.district, domains=["cases"]
    )
    for i in range(6):
        case = cases.do_open_case(
            actor=cases.PUBLIC_ACTOR,
            category="rubbish",
            place=places.hamlet_a.code,
            description=f"{LONG_TITLE}（{i}）",
            title=f"{LONG_TITLE}（{i}）",
        )
        cases.do_accept_case(case, actor=cast.township_a)
        cases.do_dispatch_case(case, actor=cast.township_a, unit=unit, assignee="t_grid")
    return places, cast


def _widths(page, selector):
    return page.eval_on_selector(selector, "e => [e.scrollWidth, e.clientWidth]")


def test_the_queue_fits_a_laptop_and_cuts_titles_with_an_ellipsis_on_a_phone(
    live_server, chromium, phone_page
):
    _, cast = _world()
    desk = chromium.new_context(viewport={"width": 1366, "height": 768}, locale="zh-CN").new_page()
    login(desk, live_server.url, cast.township_a.username, testing.PASSWORD)
    desk.goto(f"{live_server.url}/cases/queue/")
    scroll, width = _widths(desk, "#queue .table-wrap")
    assert scroll <= width, f"the queue is {scroll}px wide in a {width}px box at 1366px"

    login(phone_page, live_server.url, cast.grid_a.username, testing.PASSWORD)
    phone_page.goto(f"{live_server.url}/cases/queue/")
    scroll, width = _widths(phone_page, "#queue .table-wrap")
    assert scroll <= width, f"the queue is {scroll}px wide on a 360px phone"
    title = phone_page.locator("table.queue a.clip").first
    assert title.evaluate("e => getComputedStyle(e).textOverflow") == "ellipsis"
    assert title.evaluate("e => e.scrollWidth > e.clientWidth")  # cut, and the cut shows as …
    assert title.get_attribute("title").startswith(LONG_TITLE)


def test_the_warnings_list_fits_a_laptop(live_server, chromium):
    from datetime import timedelta

    from django.utils import timezone

    from shuxiang.warnings import services as warnings

    places, cast = _world()
    for i in range(3):
        warnings.do_create_warning(
            actor=OPERATOR,
            signal_type="rainstorm",
            colour="red",
            headline=f"{LONG_HEADLINE}（{i}）",
            description="预计未来3小时内降雨量将达100毫米以上。",
            areas=[places.township_a.code, places.township_b.code],
            expires=timezone.now() + timedelta(hours=12),
        )
    desk = chromium.new_context(viewport={"width": 1366, "height": 768}, locale="zh-CN").new_page()
    login(desk, live_server.url, cast.admin.username, testing.PASSWORD)
    desk.goto(f"{live_server.url}/warnings/")
    assert desk.locator("text=暴雨红色预警").count() >= 1
    scroll, width = _widths(desk, "#object-table .table-wrap")
    assert scroll <= width, f"the warnings list is {scroll}px wide in a {width}px box at 1366px"


def test_opening_a_township_in_the_places_tree_shows_its_villages(live_server, chromium):
    places = testing.build_places()
    cast = testing.build_cast(places)
    desk = chromium.new_context(viewport={"width": 1366, "height": 768}, locale="zh-CN").new_page()
    login(desk, live_server.url, cast.admin.username, testing.PASSWORD)
    desk.goto(f"{live_server.url}/places/")
    township = desk.locator(f"li[data-code='{places.township_a.code}'] > details")
    assert not desk.locator("text=清水村").is_visible()
    township.locator("summary").click(position={"x": 4, "y": 8})
    desk.wait_for_selector(f"li[data-code='{places.village_a.code}']")
    assert desk.locator("text=清水村").is_visible()
    assert desk.locator("text=荷花村").count() == 0


def test_the_full_cases_list_fits_a_laptop(live_server, chromium):
    _, cast = _world()
    desk = chromium.new_context(viewport={"width": 1366, "height": 768}, locale="zh-CN").new_page()
    login(desk, live_server.url, cast.district.username, testing.PASSWORD)
    desk.goto(f"{live_server.url}/cases/")
    assert desk.locator(f"text={LONG_UNIT}").count() >= 1
    scroll, width = _widths(desk, "#object-table .table-wrap")
    assert scroll <= width, f"the cases list is {scroll}px wide in a {width}px box at 1366px"
