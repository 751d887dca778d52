"""The reservoir chain (issue 14 §2): a reading over the flood limit → an alarm → a case people can act
on (category, deadline, the people responsible, links both ways, all in Chinese) → followed through
the alarm's clearing and its return; and the plan's reservoir figure counted from the telemetry."""

import re
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.utils import timezone

from shuxiang.cases.models import Case, CaseCategory
from shuxiang.cases.worktime import add_work_hours
from shuxiang.core import services as core_services
from shuxiang.core.actors import OPERATOR, Actor
from shuxiang.core.choices import Role, UnitKind
from shuxiang.core.models import Notification
from shuxiang.iot import services as iot
from shuxiang.iot.models import Alarm, AlarmRule
from shuxiang.testing import PASSWORD
from shuxiang.water import services
from shuxiang.water.tests.conftest import rtu_code

# Monday 7 December 2026, 09:00 in Beijing: a working day, so the deadline is easy to read.
MONDAY_9 = datetime(2026, 12, 7, 1, 0, tzinfo=UTC)


@pytest.fixture
def bureau(places, cast):
    unit = core_services.do_create_unit(
        actor=OPERATOR,
        name="区水利局",
        short_name="区水利局",
        kind=UnitKind.BUREAU,
        place=places.district,
        domains=["water", "iot"],
    )
    user = core_services.do_create_user(
        actor=OPERATOR,
        username="t_water",
        role=Role.DEPARTMENT,
        place=places.district,
        unit=unit,
        password=PASSWORD,
        display_name="区水利局 周工",
    )
    return unit, user


@pytest.fixture
def watched(places, cast, bureau):
    """清水冲水库 in 泉交河镇's village, with its responsible person; over its flood limit opens a case."""
    person = core_services.do_create_person(
        actor=OPERATOR, name="刘守库", place=places.village_a, phone="13807371234"
    )
    reservoir = services.do_create_reservoir(
        actor=OPERATOR,
        code="HS-SK-C01",
        place=places.village_a,
        rtu_code=rtu_code(),
        name="清水冲水库",
        scale="small2",
        dam_type="earth",
        capacity=52.0,
        normal_level=85.0,
        flood_limit_level=84.5,
        crest_elevation=87.0,
        responsible=person,
        owner_unit=bureau[0],
        downstream=[places.village_a],
    )
    rule = AlarmRule.objects.get(device=reservoir.device, name="超汛限水位")
    iot.do_update_rule(rule, actor=OPERATOR, actions=["water.open_case"])
    return reservoir


def level(reservoir, value, at, capture):
    with capture(execute=True):
        iot.do_ingest_one(
            reservoir.device.code, [("Z", at, value)], actor=Actor.device(reservoir.device.code), now=at
        )


def panel_text(client, case):
    """The case page and the text of its panel (details, steps, timeline), tags removed."""
    page = client.get(f"/cases/{case.pk}/").content.decode()
    panel = page[page.index('<div id="case-panel">') : page.index("每一步同时记入")]
    return page, re.sub(r"<[^>]+>", " ", panel)


def ascii_words(text, cast):
    """Latin words on a Chinese page, but for the test cast's user names (t_grid …), which are data."""
    for user in vars(cast).values():
        text = text.replace(str(user), "")
    return re.findall(r"[A-Za-z]{2,}", text)


def test_the_category_is_added_to_the_cases_categories_by_the_water_app(db):
    category = CaseCategory.objects.get(code="water-alarm")
    assert category.name == "水利设施告警" and category.case_type == "water.alarm"
    assert category.deadline_unit == "work_hours" and not category.is_public


def test_a_reservoir_alarm_opens_a_case_people_can_act_on(
    watched, places, cast, bureau, client_for, django_capture_on_commit_callbacks
):
    water_user = bureau[1]
    with time_machine.travel(MONDAY_9, tick=False):
        level(watched, 85.0, timezone.now(), django_capture_on_commit_callbacks)
        alarm = Alarm.objects.get()
        case = Case.objects.get(case_type="water.alarm")
    assert case.category.name == "水利设施告警"
    assert case.priority == "urgent" and case.unit == bureau[0] and case.place == places.village_a
    assert case.deadline == add_work_hours(MONDAY_9, case.category.deadline_amount)
    assert timezone.localtime(case.deadline).strftime("%H:%M") == "15:00"  # 4 working hours, lunch excluded
    assert case.title == "清水冲水库超汛限水位"
    assert "库水位 85.00 m，高于告警阈值 84.50 m" in case.description and "刘守库" in case.description
    # the water bureau (the unit), the township and the village are told
    for user in (water_user, cast.township_a, cast.village_a, cast.grid_a):
        assert Notification.objects.filter(recipient=user, url=f"/cases/{case.pk}/").exists(), user
    assert not Notification.objects.filter(recipient=cast.township_b, url=f"/cases/{case.pk}/").exists()
    # the case page names the reservoir, its responsible person and township, and links the alarm
    page, text = panel_text(client_for(cast.township_a), case)
    assert "水利设施告警" in text and "区水利局" in text
    assert "刘守库 138****1234" in text and "属地乡镇" in text and "泉交河镇" in text
    assert f'href="/water/reservoirs/{watched.pk}/"' in page and f'href="/iot/alarms/{alarm.pk}/"' in page
    assert watched.device.code not in text
    assert not ascii_words(text, cast), ascii_words(text, cast)
    # and the alarm and the reservoir pages link back to the case
    alarm_page = client_for(cast.township_a).get(f"/iot/alarms/{alarm.pk}/").content.decode()
    assert f'href="/cases/{case.pk}/"' in alarm_page and case.tracking_number in alarm_page
    assert f'href="/water/reservoirs/{watched.pk}/"' in alarm_page
    reservoir_page = client_for(water_user).get(f"/water/reservoirs/{watched.pk}/").content.decode()
    assert f'href="/cases/{case.pk}/"' in reservoir_page and "待受理" in reservoir_page


def test_without_an_owner_unit_the_case_goes_to_the_countys_water_bureau(
    places, cast, bureau, django_capture_on_commit_callbacks
):
    reservoir = services.do_create_reservoir(
        actor=OPERATOR,
        code="HS-SK-C02",
        place=places.village_a,
        rtu_code=rtu_code(),
        name="马鞍塘水库",
        scale="small2",
        dam_type="earth",
        capacity=20.0,
        normal_level=60.0,
        flood_limit_level=59.0,
        crest_elevation=62.0,
    )
    rule = AlarmRule.objects.get(device=reservoir.device, name="超汛限水位")
    iot.do_update_rule(rule, actor=OPERATOR, actions=["water.open_case"])
    level(reservoir, 59.5, timezone.now(), django_capture_on_commit_callbacks)
    assert Case.objects.get(case_type="water.alarm").unit == bureau[0]


def test_clearing_the_alarm_adds_a_line_to_the_case_and_tells_its_handlers(
    watched, bureau, client_for, django_capture_on_commit_callbacks
):
    now = timezone.now() - timedelta(minutes=30)
    level(watched, 85.0, now, django_capture_on_commit_callbacks)
    case = Case.objects.get(case_type="water.alarm")
    level(watched, 84.2, now + timedelta(minutes=10), django_capture_on_commit_callbacks)
    assert Alarm.objects.get().status == "cleared"
    case.refresh_from_db()
    assert case.is_open  # people still have to look and report what they found
    last = case.events.order_by("at", "pk").last()
    assert last.action == "note" and last.note.startswith("告警已解除：超汛限水位")
    assert "系统" in last.note and "已恢复正常" in last.note
    assert Notification.objects.filter(recipient=bureau[1], title="告警已解除：清水冲水库超汛限水位").exists()
    _page, text = panel_text(client_for(bureau[1]), case)
    assert "告警已解除" in text and "已解除" in text


def test_a_person_clearing_the_alarm_is_named_on_the_case(
    watched, bureau, django_capture_on_commit_callbacks
):
    level(watched, 85.0, timezone.now() - timedelta(minutes=5), django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        iot.do_clear_alarm(Alarm.objects.get(), actor=bureau[1], note="已现场核实，溢洪道畅通")
    note = Case.objects.get().events.order_by("at", "pk").last().note
    assert "区水利局 周工" in note and "已现场核实，溢洪道畅通" in note


def test_the_alarm_raised_again_while_the_case_is_handled_joins_that_case(
    watched, bureau, client_for, django_capture_on_commit_callbacks
):
    now = timezone.now() - timedelta(hours=2)
    level(watched, 85.0, now, django_capture_on_commit_callbacks)
    level(watched, 84.2, now + timedelta(minutes=20), django_capture_on_commit_callbacks)
    level(watched, 85.3, now + timedelta(minutes=40), django_capture_on_commit_callbacks)
    assert Alarm.objects.count() == 2
    case = Case.objects.get(case_type="water.alarm")
    notes = list(case.events.filter(action="note").values_list("note", flat=True))
    assert notes[0].startswith("告警已解除") and notes[1].startswith("再次告警：超汛限水位")
    assert "库水位 85.30 m" in notes[1]
    second = Alarm.objects.order_by("pk").last()
    alarm_page = client_for(bureau[1]).get(f"/iot/alarms/{second.pk}/").content.decode()
    assert f'href="/cases/{case.pk}/"' in alarm_page
    # once the case is resolved, a new alarm is a new case
    from shuxiang.cases import services as cases

    cases.do_resolve_case(
        cases.do_accept_case(case, actor=bureau[1]), actor=bureau[1], note="已开闸泄洪至汛限以下"
    )
    level(watched, 84.0, now + timedelta(minutes=60), django_capture_on_commit_callbacks)
    level(watched, 85.1, now + timedelta(minutes=80), django_capture_on_commit_callbacks)
    assert Case.objects.filter(case_type="water.alarm").count() == 2


def test_a_repeated_reading_of_the_same_alarm_adds_nothing(watched, django_capture_on_commit_callbacks):
    now = timezone.now() - timedelta(minutes=20)
    level(watched, 85.0, now, django_capture_on_commit_callbacks)
    level(watched, 85.1, now + timedelta(minutes=5), django_capture_on_commit_callbacks)
    case = Case.objects.get()
    assert list(case.events.values_list("action", flat=True)) == ["open"]


# --- the plan's figure from telemetry --------------------------------------------------------


def reservoir_at(places, code, name, place=None):
    return services.do_create_reservoir(
        actor=OPERATOR,
        code=code,
        place=place or places.village_a,
        rtu_code=rtu_code(),
        name=name,
        scale="small2",
        dam_type="earth",
        capacity=20.0,
        normal_level=60.0,
        flood_limit_level=59.0,
        crest_elevation=62.0,
    )


def test_reservoirs_monitored_counts_the_stations_that_reported_in_the_last_24_hours(places, cast):
    from shuxiang.indicators import services as indicators
    from shuxiang.indicators.periods import quarter_of
    from shuxiang.indicators.registry import sources
    from shuxiang.indicators.rollup import value_at

    now = timezone.now()
    fresh = reservoir_at(places, "R1", "甲水库")
    also = reservoir_at(places, "R2", "乙水库", place=places.village_b)
    silent = reservoir_at(places, "R3", "丙水库")
    reservoir_at(places, "R4", "丁水库")  # never reported
    for r, ago in ((fresh, 1), (also, 23), (silent, 30)):
        at = now - timedelta(hours=ago)
        iot.do_ingest_one(r.device.code, [("Z", at, 58.0)], actor=Actor.device(r.device.code), now=now)
    assert "water.reservoirs_reporting" in sources
    indicator = indicators.do_save_indicator(
        actor=OPERATOR,
        code="reservoirs_monitored",
        name="小型水库监测管理系统覆盖数",
        kind="number",
        unit="座",
        source="computed",
        computed_by="water.reservoirs_reporting",
        decimals=0,
    )
    period = quarter_of(timezone.localdate())
    indicators.do_refresh_computed(indicator, period.code, actor=Actor.system("tasks"))
    assert value_at(indicator, places.district, period.code).value == 2
    assert value_at(indicator, places.township_a, period.code).value == 1


def test_a_past_quarter_is_counted_at_its_end(places, cast):
    from shuxiang.indicators.periods import Period
    from shuxiang.water.indicators import counted_at, reservoirs_reporting

    r = reservoir_at(places, "R1", "甲水库")
    period = Period(2026, 1)
    end = counted_at(period)
    assert timezone.localtime(end).strftime("%Y-%m-%d %H:%M") == "2026-03-31 23:59"
    at = end - timedelta(hours=3)
    iot.do_ingest_one(r.device.code, [("Z", at, 58.0)], actor=Actor.device(r.device.code), now=timezone.now())
    assert reservoirs_reporting(period) == [(places.village_a.pk, 1, None)]
    assert reservoirs_reporting(Period(2026, 2), now=end + timedelta(days=20)) == []


def test_the_plan_no_longer_asks_a_unit_to_type_the_monitored_reservoirs(places, cast):
    from shuxiang.indicators.models import Indicator, ValidationRule
    from shuxiang.plan.loader import load_file

    load_file(actor=OPERATOR)
    indicator = Indicator.objects.get(code="reservoirs_monitored")
    assert indicator.source == "computed" and indicator.computed_by == "water.reservoirs_reporting"
    assert not ValidationRule.objects.filter(code="reservoirs_pair").exists()
    from shuxiang.plan.models import Task

    task = Task.objects.get(number=6)
    reported = {i.code for i in task.indicators.all() if i.source == "reported"}
    assert "reservoirs_total" in reported and "reservoirs_monitored" not in reported
