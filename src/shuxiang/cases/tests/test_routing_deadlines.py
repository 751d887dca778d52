from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine

from shuxiang.cases import reference
from shuxiang.cases.models import RoutingRule
from shuxiang.cases.worktime import add_work_hours
from shuxiang.core import services as core_services
from shuxiang.core.actors import OPERATOR
from shuxiang.core.choices import UnitKind
from shuxiang.core.errors import ServiceError

pytestmark = pytest.mark.django_db
SH = ZoneInfo("Asia/Shanghai")


@pytest.fixture
def water_company(places):
    return core_services.do_create_unit(
        actor=OPERATOR, name="赫山区自来水公司", kind=UnitKind.COMPANY, place=places.district
    )


def test_a_category_rule_for_the_township_sends_sewage_to_the_water_company(
    open_case, places, water_company, categories
):
    reference.do_save_routing_rule(
        actor=OPERATOR, place=places.township_a.code, unit=water_company, category="rubbish"
    )
    case = open_case()
    assert case.unit == water_company


def test_the_deepest_place_wins_over_a_wider_rule(open_case, places, cast, water_company, categories):
    village_committee = core_services.do_create_unit(
        actor=OPERATOR, name="清水村村民委员会", kind=UnitKind.VILLAGE_COMMITTEE, place=places.village_a
    )
    reference.do_save_routing_rule(
        actor=OPERATOR, place=places.district.code, unit=water_company, category="rubbish"
    )
    reference.do_save_routing_rule(actor=OPERATOR, place=places.village_a.code, unit=village_committee)
    assert open_case().unit == village_committee
    assert open_case(place=places.hamlet_b.code).unit == water_company


def test_a_rule_without_grid_notification_leaves_the_grid_worker_out(open_case, places, water_company):
    reference.do_save_routing_rule(
        actor=OPERATOR, place=places.township_a.code, unit=water_company, notify_grid=False
    )
    assert open_case().grid_worker is None


def test_only_district_administrators_edit_the_routing_table(places, cast, water_company):
    with pytest.raises(ServiceError) as err:
        reference.do_save_routing_rule(
            actor=cast.township_a, place=places.township_a.code, unit=water_company
        )
    assert err.value.code == "forbidden"
    assert not RoutingRule.objects.exists()
    reference.do_save_routing_rule(actor=cast.district, place=places.township_a.code, unit=water_company)
    assert RoutingRule.objects.count() == 1


def test_a_duplicate_routing_line_is_refused(places, water_company):
    reference.do_save_routing_rule(actor=OPERATOR, place=places.township_a.code, unit=water_company)
    with pytest.raises(ServiceError) as err:
        reference.do_save_routing_rule(actor=OPERATOR, place=places.township_a.code, unit=water_company)
    assert err.value.code == "duplicate_rule"
    assert RoutingRule.objects.count() == 1


def test_working_hours_skip_lunch_nights_and_weekends():
    friday_4pm = datetime(2026, 11, 27, 16, 0, tzinfo=SH)
    # 2 h left on Friday, Monday 8–12 (4 h), 14–16 (2 h) → 8 working hours end Monday 16:00.
    assert add_work_hours(friday_4pm, 8) == datetime(2026, 11, 30, 16, 0, tzinfo=SH)
    saturday = datetime(2026, 11, 28, 10, 0, tzinfo=SH)
    assert add_work_hours(saturday, 1) == datetime(2026, 11, 30, 9, 0, tzinfo=SH)


def test_a_public_holiday_is_not_counted_and_a_make_up_saturday_is(db):
    reference.do_set_calendar_day(
        actor=OPERATOR, date=datetime(2026, 10, 1).date(), is_workday=False, name="国庆节"
    )
    reference.do_set_calendar_day(
        actor=OPERATOR, date=datetime(2026, 10, 10).date(), is_workday=True, name="调休上班"
    )
    wednesday_eve = datetime(2026, 9, 30, 18, 0, tzinfo=SH)
    assert add_work_hours(wednesday_eve, 4) == datetime(2026, 10, 2, 12, 0, tzinfo=SH)
    friday_eve = datetime(2026, 10, 9, 18, 0, tzinfo=SH)
    assert add_work_hours(friday_eve, 2) == datetime(2026, 10, 10, 10, 0, tzinfo=SH)


def test_road_damage_deadline_is_sixteen_working_hours_after_submission(open_case):
    with time_machine.travel(datetime(2026, 11, 27, 16, 0, tzinfo=SH), tick=False):
        case = open_case(category="road", description="村道路面塌陷一个大坑")
    assert case.deadline == datetime(2026, 12, 1, 16, 0, tzinfo=SH)
    assert case.accept_deadline == datetime(2026, 11, 28, 0, 0, tzinfo=SH)
