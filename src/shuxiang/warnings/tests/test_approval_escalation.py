"""A warning a machine wrote (a reservoir alarm) and nobody approves goes up after N minutes, as an
unacknowledged alarm does; township staff hear of warnings aimed at their villages."""

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from shuxiang.core.actors import Actor
from shuxiang.core.models import AuditEntry, Notification
from shuxiang.warnings import services
from shuxiang.warnings.models import Warning
from shuxiang.warnings.tests.helpers import draft, later

ESCALATION = Actor.system("escalation")


def machine_warning(places, **extra):
    """What water.issue_warning writes: an orange 水库险情 draft put straight into the approval queue."""
    fields = {
        "signal_type": "reservoir",
        "colour": "orange",
        "headline": "清水冲水库超汛限水位",
        "description": "清水冲水库库水位 85.00 m，高于告警阈值 84.50 m。请下游村组做好防范。",
        "areas": [places.village_a],
        "expires": later(),
        "submit": True,
    }
    fields.update(extra)
    return services.do_create_warning(actor=Actor.system("water"), **fields)


def titles(user):
    return list(Notification.objects.filter(recipient=user).values_list("title", flat=True))


@pytest.fixture
def minutes(settings):
    settings.WARNINGS_APPROVAL_ESCALATE_MINUTES = 20
    return 20


def test_a_machine_warning_waiting_past_the_limit_goes_to_the_district_and_the_emergency_bureau(
    places, cast, officers, minutes, django_capture_on_commit_callbacks
):
    warning = machine_warning(places)
    assert warning.status == "pending" and warning.submitted_at is not None
    with django_capture_on_commit_callbacks(execute=True):
        assert services.do_escalate_waiting_warnings(actor=ESCALATION) == 0
    with time_machine.travel(timezone.now() + timedelta(minutes=minutes + 1)):
        with django_capture_on_commit_callbacks(execute=True):
            assert services.do_escalate_waiting_warnings(actor=ESCALATION) == 1
        with django_capture_on_commit_callbacks(execute=True):
            assert services.do_escalate_waiting_warnings(actor=ESCALATION) == 0  # once
    warning.refresh_from_db()
    assert warning.escalated_at is not None
    told = "【预警审批超时】水库险情橙色预警已等待 21 分钟：清水冲水库超汛限水位"
    assert told in titles(cast.district) and told in titles(officers.emergency)
    assert told not in titles(officers.weather) and told not in titles(cast.township_a)
    entry = (
        AuditEntry.objects.filter(object_type="warnings.warning", object_id=str(warning.pk))
        .order_by("pk")
        .last()
    )
    assert entry.actor_label == "system:escalation"


def test_the_home_page_of_the_district_and_the_emergency_bureau_shows_the_late_warning_with_its_age(
    places, cast, officers, minutes, client_for
):
    warning = machine_warning(places)
    with time_machine.travel(timezone.now() + timedelta(minutes=minutes + 45)):
        services.do_escalate_waiting_warnings(actor=ESCALATION)
        for user in (cast.district, officers.emergency):
            page = client_for(user).get("/").content.decode()
            assert "审批超时的预警（最久已等待 1 小时 5 分钟）" in page, user
        assert "审批超时的预警" not in client_for(officers.weather).get("/").content.decode()
        approvals = client_for(officers.emergency).get("/warnings/approvals/").content.decode()
        assert "已等待 1 小时 5 分钟，已升级" in approvals and "系统·水利告警联动" in approvals
        assert "system:water" not in approvals
    services.do_approve_warning(warning, actor=officers.emergency)
    assert "审批超时的预警" not in client_for(cast.district).get("/").content.decode()
    assert not Notification.objects.filter(kind="warning.approval", read_at__isnull=True).exists()


def test_a_persons_draft_waits_for_its_approver_without_escalation(places, officers, minutes):
    warning = draft(officers, [places.village_a], colour="red")
    services.do_submit_warning(warning, actor=officers.weather)
    with time_machine.travel(timezone.now() + timedelta(minutes=minutes * 3)):
        assert services.do_escalate_waiting_warnings(actor=ESCALATION) == 0
    assert Warning.objects.get(pk=warning.pk).escalated_at is None


def test_the_wait_counts_from_the_last_submission(places, cast, officers, minutes):
    warning = machine_warning(places)
    with time_machine.travel(timezone.now() + timedelta(minutes=minutes - 5)):
        services.do_reject_warning(warning, actor=officers.emergency, note="请补充下游村组名单")
    with time_machine.travel(timezone.now() + timedelta(minutes=minutes)):
        services.do_submit_warning(warning, actor=Actor.system("water"))
    with time_machine.travel(timezone.now() + timedelta(minutes=minutes + 10)):
        assert services.do_escalate_waiting_warnings(actor=ESCALATION) == 0


def test_only_the_escalation_task_may_escalate_and_a_string_is_no_actor(places, cast, officers):
    from shuxiang.core.errors import Forbidden

    with pytest.raises(Forbidden):
        services.do_escalate_waiting_warnings(actor=Actor.system("water"))
    with pytest.raises(Forbidden):
        services.do_escalate_waiting_warnings(actor=cast.township_a)
    with pytest.raises(TypeError):
        services.do_escalate_waiting_warnings(actor="escalation")


def test_township_staff_hear_of_a_warning_aimed_at_a_village_of_their_township(places, cast, officers):
    warning = draft(officers, [places.village_a], colour="blue")
    warning = services.do_issue_warning(warning, actor=officers.weather)
    assert services.notify_targeted(warning) >= 3
    title = "【暴雨蓝色预警】发布：赫山区气象台发布暴雨预警"
    assert title in titles(cast.township_a)  # the township of 泉交河镇's village
    assert title in titles(cast.village_a) and title in titles(cast.grid_a)
    assert title not in titles(cast.township_b) and title not in titles(cast.grid_b)
