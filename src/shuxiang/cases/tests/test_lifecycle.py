import pytest

from shuxiang.cases import services
from shuxiang.cases.choices import CaseState
from shuxiang.cases.models import Case, CaseEvent
from shuxiang.core.errors import ServiceError
from shuxiang.core.models import AuditEntry

pytestmark = pytest.mark.django_db


def test_resident_report_goes_to_township_government_and_village_grid_worker(open_case, cast):
    case = open_case()
    assert case.state == CaseState.SUBMITTED
    assert case.unit.name == "泉交河镇人民政府"
    assert case.grid_worker == cast.grid_a
    assert len(case.tracking_number) == 14 and case.reporter_key
    assert case.phone_masked == "138****8000"
    assert case.deadline is not None and case.accept_deadline is not None


def test_full_lifecycle_leaves_a_timeline_and_audit_trail(open_case, cast):
    case = open_case()
    key = case.reporter_key
    case = services.do_accept_case(case, actor=cast.township_a)
    case = services.do_dispatch_case(case, actor=cast.township_a, assignee=cast.grid_a, note="请网格员处理")
    case = services.do_start_case(case, actor=cast.grid_a)
    case = services.do_resolve_case(case, actor=cast.grid_a, note="已组织保洁员清运完毕")
    case = services.do_confirm_case(case, actor=services.REPORTER, reporter_key=key)
    case = services.do_rate_case(case, actor=services.REPORTER, reporter_key=key, rating=5, comment="很快")
    assert case.state == CaseState.CLOSED and case.rating == 5
    actions = list(CaseEvent.objects.filter(case=case).values_list("action", flat=True))
    assert actions == ["open", "accept", "dispatch", "start", "resolve", "confirm", "rate"]
    assert AuditEntry.objects.filter(object_type="cases.case", object_id=str(case.pk)).count() >= 7


def test_resolving_before_acceptance_is_refused_and_changes_nothing(open_case, cast):
    case = open_case()
    with pytest.raises(ServiceError) as err:
        services.do_resolve_case(case, actor=cast.township_a, note="已处理完毕")
    assert err.value.code == "illegal_transition"
    case.refresh_from_db()
    assert case.state == CaseState.SUBMITTED and case.resolved_at is None
    assert CaseEvent.objects.filter(case=case).count() == 1


def test_someone_without_the_reporter_key_cannot_reopen(open_case, cast):
    case = open_case()
    case = services.do_dispatch_case(case, actor=cast.township_a, assignee=cast.grid_a)
    case = services.do_resolve_case(case, actor=cast.grid_a, note="已清运完毕")
    with pytest.raises(ServiceError) as err:
        services.do_reopen_case(case, actor=services.REPORTER, reporter_key="guess", reason="没修好")
    assert err.value.code == "not_reporter"
    with pytest.raises(ServiceError):
        services.do_reopen_case(case, actor=cast.grid_a, reason="没修好")
    case.refresh_from_db()
    assert case.state == CaseState.RESOLVED and case.reopen_count == 0


def test_other_township_officer_cannot_touch_the_case(open_case, cast):
    case = open_case()
    with pytest.raises(ServiceError) as err:
        services.do_accept_case(case, actor=cast.township_b)
    assert err.value.status == 404
    assert Case.objects.get(pk=case.pk).state == CaseState.SUBMITTED
