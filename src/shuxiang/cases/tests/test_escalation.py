from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine

from shuxiang.cases import services, tasks
from shuxiang.cases.choices import CaseState
from shuxiang.cases.models import Case, CaseEvent
from shuxiang.core.models import Notification

pytestmark = pytest.mark.django_db
SH = ZoneInfo("Asia/Shanghai")
MONDAY_9 = datetime(2026, 11, 23, 9, 0, tzinfo=SH)


def test_a_case_not_accepted_in_time_is_escalated_to_the_district_by_the_periodic_task(
    open_case, places, cast, django_capture_on_commit_callbacks
):
    with time_machine.travel(MONDAY_9, tick=False):
        case = open_case()  # rubbish: accept within 4 hours, unit = 泉交河镇人民政府
    with time_machine.travel(MONDAY_9 + timedelta(hours=3), tick=False):
        tasks.escalate_due_cases.call_local()
        assert Case.objects.get(pk=case.pk).escalation_level == 0
    with (
        time_machine.travel(MONDAY_9 + timedelta(hours=5), tick=False),
        django_capture_on_commit_callbacks(execute=True),
    ):
        tasks.escalate_due_cases.call_local()
        tasks.escalate_due_cases.call_local()  # idempotent: a second run escalates nothing more
    case.refresh_from_db()
    assert case.accept_overdue and case.escalation_level == 1
    assert case.escalated_to == places.district  # the township government's level above
    assert Notification.objects.filter(recipient=cast.district, title__startswith="督办").exists()


def test_an_overdue_case_is_flagged_and_escalated_once(open_case, places, cast):
    with time_machine.travel(MONDAY_9, tick=False):
        case = open_case()
        case = services.do_dispatch_case(case, actor=cast.township_a, assignee=cast.grid_a)
    with time_machine.travel(MONDAY_9 + timedelta(days=3, minutes=1), tick=False):
        tasks.escalate_due_cases.call_local()
        tasks.escalate_due_cases.call_local()
    case.refresh_from_db()
    assert case.is_overdue and case.escalation_level == 1
    assert CaseEvent.objects.filter(case=case, action="overdue").count() == 1
    assert case.state == CaseState.DISPATCHED


def test_a_case_resolved_before_its_deadline_is_never_escalated(open_case, cast):
    with time_machine.travel(MONDAY_9, tick=False):
        case = open_case()
        case = services.do_accept_case(case, actor=cast.township_a)
        case = services.do_resolve_case(case, actor=cast.township_a, note="当天已清运")
    with time_machine.travel(MONDAY_9 + timedelta(days=10), tick=False):
        tasks.escalate_due_cases.call_local()
    case.refresh_from_db()
    assert case.escalation_level == 0 and not case.is_overdue


def test_a_resolved_case_nobody_answers_closes_itself_after_seven_days(open_case, cast):
    with time_machine.travel(MONDAY_9, tick=False):
        case = open_case()
        case = services.do_accept_case(case, actor=cast.township_a)
        case = services.do_resolve_case(case, actor=cast.township_a, note="已清运完毕")
    with time_machine.travel(MONDAY_9 + timedelta(days=8), tick=False):
        tasks.close_unconfirmed_cases.call_local()
    case.refresh_from_db()
    assert case.state == CaseState.CLOSED
