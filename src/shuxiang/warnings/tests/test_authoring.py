import re

import pytest

from shuxiang.core.actors import Actor
from shuxiang.core.errors import ServiceError
from shuxiang.core.models import AuditEntry
from shuxiang.warnings import services
from shuxiang.warnings.models import Delivery, Warning
from shuxiang.warnings.tests.helpers import draft, endpoint, later

pytestmark = pytest.mark.django_db

NATIONAL_ID = re.compile(r"^430903\d{8}_\d{14}_\d$")


def test_red_warning_waits_for_a_second_person_before_it_can_be_issued(
    officers, places, gateways, django_capture_on_commit_callbacks
):
    endpoint(places.village_a, gateways.url("qs"))
    warning = draft(officers, [places.village_a.code])
    with pytest.raises(ServiceError) as refused:
        services.do_issue_warning(warning, actor=officers.weather)
    assert refused.value.code == "approval_required"
    services.do_submit_warning(warning, actor=officers.weather)
    with pytest.raises(ServiceError) as own:
        services.do_approve_warning(warning, actor=officers.weather)
    assert own.value.code == "same_person"
    assert "另一人" in own.value.message
    services.do_approve_warning(warning, actor=officers.emergency, note="同意发布")
    with django_capture_on_commit_callbacks(execute=True):
        services.do_issue_warning(warning, actor=officers.weather)
    warning.refresh_from_db()
    assert warning.status == "issued"
    assert warning.approver == officers.emergency
    assert NATIONAL_ID.match(warning.identifier), warning.identifier
    assert len(warning.identifier) == 31
    assert gateways.paths() == {"qs"}


def test_blue_warning_goes_out_from_its_author_without_approval(
    officers, places, gateways, django_capture_on_commit_callbacks
):
    endpoint(places.village_b, gateways.url("hh"))
    warning = draft(officers, [places.township_b.code], colour="blue", signal="gale")
    with django_capture_on_commit_callbacks(execute=True):
        services.do_issue_warning(warning, actor=officers.weather)
    assert gateways.messages_for("hh")[0]["signal"]["name"] == "大风"


def test_meteorological_sender_code_uses_sector_416(officers, places, django_capture_on_commit_callbacks):
    warning = draft(officers, [places.village_a.code], colour="yellow")
    with django_capture_on_commit_callbacks(execute=True):
        services.do_issue_warning(warning, actor=officers.weather)
    assert warning.identifier.startswith("43090341600000_")
    assert warning.sender == "43090341600000"


def test_colour_the_signal_type_does_not_have_is_refused_and_nothing_is_written(officers, places):
    before = Warning.objects.count(), AuditEntry.objects.count()
    with pytest.raises(ServiceError) as refused:
        draft(officers, [places.village_a.code], signal="frost", colour="red")
    assert refused.value.fields["colour"] == ["霜冻预警只有蓝色、黄色、橙色"]
    assert (Warning.objects.count(), AuditEntry.objects.count()) == before


def test_expired_warning_is_refused(officers, places):
    with pytest.raises(ServiceError) as refused:
        draft(officers, [places.village_a.code], expires=later(-1))
    assert "过期" in refused.value.message
    assert not Warning.objects.exists()


def test_unknown_area_code_is_refused_naming_the_code(officers, places):
    with pytest.raises(ServiceError) as refused:
        draft(officers, ["430903999201"])
    assert refused.value.fields == {"areas": ["区划代码 430903999201 不存在"]}
    assert not Warning.objects.exists()


def test_bureau_without_warning_duty_cannot_write_warnings(cast, places):
    with pytest.raises(ServiceError) as refused:
        services.do_create_warning(
            actor=cast.department,
            signal_type="rainstorm",
            colour="blue",
            headline="x",
            description="x",
            areas=[places.village_a.code],
            expires=later(),
        )
    assert refused.value.status == 403


def test_instruction_defaults_to_the_defence_guide_of_type_and_colour(officers, places):
    warning = draft(officers, [places.village_a.code], colour="red")
    assert warning.instruction.startswith("做好防暴雨应急和抢险工作")
    assert "立即转移" in warning.instruction


def test_village_inside_a_chosen_township_is_folded_into_the_township(officers, places):
    warning = draft(officers, [places.village_a.code, places.township_a.code])
    assert [p.code for p in warning.areas.all()] == [places.township_a.code]
    assert warning.place == places.township_a


def test_alarm_rule_may_issue_immediately_but_a_person_may_not(
    officers, places, gateways, django_capture_on_commit_callbacks
):
    endpoint(places.village_a, gateways.url("qs"))
    with pytest.raises(ServiceError) as refused:
        draft(officers, [places.village_a.code], immediate=True)
    assert refused.value.code == "approval_required"
    with django_capture_on_commit_callbacks(execute=True):
        warning = services.do_create_warning(
            actor=Actor.system("water"),
            signal_type="reservoir",
            colour="orange",
            headline="某水库水位超汛限",
            description="水库水位超过汛限水位0.5米，下游村组注意。",
            areas=[places.village_a.code],
            expires=later(),
            immediate=True,
            source="alarm:reservoir-7",
        )
    assert warning.status == "issued"
    assert warning.issued_by == "system:water"
    assert warning.author is None
    assert gateways.messages_for("qs")[0]["signal"]["colour"] == "orange"


def test_rejected_draft_returns_to_its_author_with_the_reason(
    officers, places, django_capture_on_commit_callbacks
):
    warning = draft(officers, [places.village_a.code])
    services.do_submit_warning(warning, actor=officers.weather)
    with pytest.raises(ServiceError):
        services.do_reject_warning(warning, actor=officers.emergency, note="")
    with django_capture_on_commit_callbacks(execute=True):
        services.do_reject_warning(warning, actor=officers.emergency, note="降雨量与实况不符")
    warning.refresh_from_db()
    assert (warning.status, warning.review_note) == ("draft", "降雨量与实况不符")
    assert officers.weather.notifications.filter(title__contains="退回").exists()
    services.do_edit_warning(warning, actor=officers.weather, description="预计降雨量50毫米。")
    assert Warning.objects.get(pk=warning.pk).description == "预计降雨量50毫米。"


def test_submitting_puts_the_warning_on_the_approvers_home_page(
    officers, places, client_for, django_capture_on_commit_callbacks
):
    warning = draft(officers, [places.village_a.code])
    with django_capture_on_commit_callbacks(execute=True):
        services.do_submit_warning(warning, actor=officers.weather)
    page = client_for(officers.emergency).get("/").content.decode()
    assert "待审批的预警" in page
    assert "待审批的预警" not in client_for(officers.weather).get("/").content.decode()
    assert officers.emergency.notifications.filter(kind="warning.approval").exists()
    assert not Delivery.objects.exists()
