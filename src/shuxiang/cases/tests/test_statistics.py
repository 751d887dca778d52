from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine

from shuxiang.cases import services, stats

pytestmark = pytest.mark.django_db
SH = ZoneInfo("Asia/Shanghai")
MONDAY_9 = datetime(2026, 11, 23, 9, 0, tzinfo=SH)
PUBLIC = services.REPORTER


def at(hours):
    return time_machine.travel(MONDAY_9 + timedelta(hours=hours), tick=False)


@pytest.fixture
def four_cases(open_case, places, cast):
    """A: on time, rated 5. B: accepted and resolved late, rated 2. C: road, on time, then reopened. D: 兰溪, untouched."""
    with at(0):
        a, b, c = open_case(), open_case(), open_case(category="road", description="村道路面塌陷一个大坑")
        d = open_case(place=places.hamlet_b.code)
    keys = {x.pk: x.reporter_key for x in (a, b, c, d)}
    officer = cast.township_a
    with at(1):
        a = services.do_accept_case(a, actor=officer)
    with at(2):
        c = services.do_accept_case(c, actor=officer)
    with at(3):
        c = services.do_resolve_case(c, actor=officer, note="已修补路面")
    with at(6):
        b = services.do_accept_case(b, actor=officer)
    with at(24):
        a = services.do_resolve_case(a, actor=officer, note="已清运完毕")
        a = services.do_confirm_case(a, actor=PUBLIC, reporter_key=keys[a.pk])
        a = services.do_rate_case(a, actor=PUBLIC, reporter_key=keys[a.pk], rating=5)
        c = services.do_reopen_case(c, actor=PUBLIC, reporter_key=keys[c.pk], reason="坑又塌了")
    with at(96):
        b = services.do_resolve_case(b, actor=officer, note="已清运完毕")
        b = services.do_rate_case(b, actor=PUBLIC, reporter_key=keys[b.pk], rating=2)
    return a, b, c, d


def test_statistics_per_township_match_the_hand_computed_figures(four_cases, cast, places):
    rows = {r.label: r for r in stats.statistics(stats.restricted(cast.district), "township")}
    qjh, lx = rows["泉交河镇"], rows["兰溪镇"]
    assert qjh.volume == 3 and lx.volume == 1
    assert (qjh.accepted_on_time, qjh.accepted_on_time_rate) == (2, 66.7)
    assert (qjh.resolved_on_time, qjh.resolved_on_time_rate) == (1, 33.3)
    assert (qjh.reopened, qjh.reopen_rate) == (1, 33.3)
    assert (qjh.rated, qjh.rating_avg, qjh.satisfaction_rate) == (2, 3.5, 50.0)
    assert (lx.accepted_on_time_rate, lx.resolved_on_time_rate, lx.reopen_rate, lx.rating_avg) == (
        0.0,
        0.0,
        None,
        None,
    )


def test_statistics_per_category_and_in_total(four_cases, cast):
    rows = {r.label: r for r in stats.statistics(stats.restricted(cast.district), "category")}
    rubbish, road = rows["垃圾堆放"], rows["道路破损"]
    assert (rubbish.volume, rubbish.accepted_on_time, rubbish.resolved_on_time, rubbish.reopened) == (
        3,
        1,
        1,
        0,
    )
    assert (road.volume, road.accepted_on_time, road.resolved_on_time, road.reopen_rate) == (1, 1, 0, 100.0)
    total = stats.totals(stats.restricted(cast.district))
    assert (total.volume, total.accepted_on_time_rate, total.resolved_on_time_rate) == (4, 50.0, 25.0)
    assert (total.reopen_rate, total.rating_avg) == (33.3, 3.5)


def test_statistics_per_unit_name_the_responsible_units(four_cases, cast):
    rows = {r.label: r.volume for r in stats.statistics(stats.restricted(cast.district), "unit")}
    assert rows == {"泉交河镇人民政府": 3, "兰溪镇人民政府": 1}


def test_a_township_officer_counts_only_their_township(four_cases, cast):
    rows = stats.statistics(stats.restricted(cast.township_a), "township")
    assert [(r.label, r.volume) for r in rows] == [("泉交河镇", 3)]
