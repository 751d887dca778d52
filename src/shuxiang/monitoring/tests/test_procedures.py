from datetime import timedelta

import pytest
from django.utils import timezone

from shuxiang.cases.models import Case
from shuxiang.core.errors import ServiceError
from shuxiang.monitoring import procedures, services
from shuxiang.monitoring.models import Clue, Household, Procedure
from shuxiang.monitoring.tests.conftest import png
from shuxiang.monitoring.tests.helpers import household, member


def today():
    return timezone.localdate()


@pytest.fixture
def flagged(places, cast, threshold):
    hh = household(places.hamlet_a, incomes={today().year - 1: {"wage": "8000"}})
    services.do_record_visit(
        hh,
        actor=cast.grid_a,
        purpose="screening",
        visited_on=today(),
        notes="户主住院，收入骤降",
        concern=True,
        risk_types=["illness"],
    )
    return hh


def run_to_county(hh, cast, kind="identification"):
    if kind == "identification":
        proc = procedures.do_start_identification(hh, actor=cast.village_a)
    else:
        proc = procedures.do_start_elimination(hh, actor=cast.village_a)
    procedures.do_home_visit(
        proc,
        actor=cast.grid_a,
        consent_signed=True,
        notes="入户查看，户主患病住院，家庭收入大幅下降",
        visited_on=today() - timedelta(days=8),
        photos=[png()],
        proposed_type="marginal" if kind == "identification" else "",
        risk_types=["illness", "unstable_job"] if kind == "identification" else [],
        primary_risk="illness" if kind == "identification" else "",
    )
    procedures.do_village_review(
        proc,
        actor=cast.village_a,
        notes="村民代表会议评议同意",
        notice_from=today() - timedelta(days=7),
        notice_to=today() - timedelta(days=2),
    )
    procedures.do_township_review(proc, actor=cast.township_a, approve=True, notes="材料齐全，同意上报")
    return Procedure.objects.get(pk=proc.pk)


def test_identification_runs_in_order_and_makes_a_monitored_household_with_risk_types(flagged, cast, bureau):
    proc = run_to_county(flagged, cast)
    assert proc.case.state == "dispatched" and proc.case.unit == bureau
    procedures.do_county_approval(proc, actor=cast.district, approve=True, notes="同意纳入监测")
    hh = Household.objects.get(pk=flagged.pk)
    assert hh.status == "monitored" and hh.monitored_type == "marginal"
    assert {(r.risk_type, r.is_primary) for r in hh.risks.all()} == {
        ("illness", True),
        ("unstable_job", False),
    }
    assert set(hh.clues.values_list("status", flat=True)) == {"identified"}
    case = Case.objects.get(pk=proc.case_id)
    assert case.state == "closed" and case.case_type == "monitoring.identification"


def test_the_fifteen_days_run_from_the_first_clue_and_the_case_carries_that_deadline(flagged, cast):
    first = Clue.objects.filter(household=flagged).earliest("created_at")
    Clue.objects.filter(pk=first.pk).update(created_at=timezone.now() - timedelta(days=20))
    proc = procedures.do_start_identification(flagged, actor=cast.village_a)
    assert proc.due_at == proc.started_at + timedelta(days=15)
    assert proc.case.deadline == proc.due_at
    from shuxiang.monitoring import worklist

    assert list(worklist.procedures_overdue(cast.township_a)) == [proc]
    assert list(worklist.procedures_overdue(cast.township_b)) == []


def test_township_review_before_the_home_visit_is_refused_and_nothing_changes(flagged, cast):
    proc = procedures.do_start_identification(flagged, actor=cast.village_a)
    with pytest.raises(ServiceError) as err:
        procedures.do_township_review(proc, actor=cast.township_a, approve=True, notes="同意")
    assert err.value.code == "step_out_of_order" and "入户核实" in err.value.message
    proc.refresh_from_db()
    assert proc.stage == "home_visit" and proc.township_notes == ""


def test_a_step_by_the_wrong_role_is_refused(flagged, cast):
    proc = procedures.do_start_identification(flagged, actor=cast.village_a)
    with pytest.raises(ServiceError) as err:
        procedures.do_county_approval(proc, actor=cast.township_a, approve=True, notes="同意")
    assert err.value.code == "forbidden" and "县级审定" in err.value.message


def test_a_home_visit_without_signed_consent_is_refused_and_nothing_is_written(flagged, cast):
    proc = procedures.do_start_identification(flagged, actor=cast.village_a)
    with pytest.raises(ServiceError) as err:
        procedures.do_home_visit(
            proc,
            actor=cast.grid_a,
            consent_signed=False,
            notes="入户查看情况属实",
            visited_on=today(),
            photos=[png()],
            proposed_type="marginal",
            risk_types=["illness"],
            primary_risk="illness",
        )
    assert "授权承诺书" in err.value.fields["consent_signed"][0]
    proc.refresh_from_db()
    assert proc.stage == "home_visit" and proc.visit_notes == ""
    assert Case.objects.get(pk=proc.case_id).state == "submitted"


def test_a_notice_shorter_than_five_days_is_refused(flagged, cast):
    proc = procedures.do_start_identification(flagged, actor=cast.village_a)
    procedures.do_home_visit(
        proc,
        actor=cast.village_a,
        consent_signed=True,
        notes="入户查看情况属实",
        visited_on=today(),
        photos=[png()],
        proposed_type="marginal",
        risk_types=["illness"],
        primary_risk="illness",
    )
    with pytest.raises(ServiceError) as err:
        procedures.do_village_review(
            proc,
            actor=cast.village_a,
            notes="评议同意",
            notice_from=today(),
            notice_to=today() + timedelta(days=3),
        )
    assert err.value.fields["notice_to"] == ["公示期不少于5天"]


def test_township_review_waits_until_the_notice_period_is_over(flagged, cast):
    proc = procedures.do_start_identification(flagged, actor=cast.village_a)
    procedures.do_home_visit(
        proc,
        actor=cast.village_a,
        consent_signed=True,
        notes="入户查看情况属实",
        visited_on=today(),
        photos=[png()],
        proposed_type="marginal",
        risk_types=["illness"],
        primary_risk="illness",
    )
    procedures.do_village_review(
        proc,
        actor=cast.village_a,
        notes="评议同意",
        notice_from=today(),
        notice_to=today() + timedelta(days=5),
    )
    with pytest.raises(ServiceError) as err:
        procedures.do_township_review(proc, actor=cast.township_a, approve=True, notes="同意上报")
    assert "公示期满后方可审核" in err.value.message


def test_a_grid_worker_of_another_village_gets_not_found(flagged, cast):
    proc = procedures.do_start_identification(flagged, actor=cast.village_a)
    with pytest.raises(ServiceError) as err:
        procedures.do_home_visit(
            proc,
            actor=cast.grid_b,
            consent_signed=True,
            notes="入户查看情况属实",
            visited_on=today(),
            photos=[png()],
            proposed_type="marginal",
            risk_types=["illness"],
            primary_risk="illness",
        )
    assert err.value.code == "not_found" and err.value.status == 404
    proc.refresh_from_db()
    assert proc.stage == "home_visit" and proc.visit_notes == ""


def test_refusal_at_county_level_returns_the_household_and_dismisses_its_clues(flagged, cast, bureau):
    proc = run_to_county(flagged, cast)
    procedures.do_county_approval(proc, actor=cast.district, approve=False, notes="收入核实后高于标准")
    hh = Household.objects.get(pk=flagged.pk)
    assert hh.status == "none"
    assert set(hh.clues.values_list("status", flat=True)) == {"dismissed"}


def monitored(places, cast, **kwargs):
    hh = household(places.hamlet_a, **kwargs)
    Household.objects.filter(pk=hh.pk).update(
        status="monitored", monitored_type="marginal", identified_on=today() - timedelta(days=400)
    )
    hh.refresh_from_db()
    return hh


def six_good_months(hh, cast, estimate="9000"):
    d = today()
    for _ in range(6):
        services.do_record_visit(
            hh,
            actor=cast.village_a,
            purpose="follow_up",
            visited_on=d,
            notes="每月回访，了解收入",
            income_estimate=estimate,
        )
        d = (d.replace(day=1) - timedelta(days=1)).replace(day=min(d.day, 28))


def test_elimination_is_refused_while_income_is_not_stably_above_the_threshold(places, cast, threshold):
    hh = monitored(places, cast, incomes={today().year - 1: {"wage": "30000"}})
    six_good_months(hh, cast, estimate="6500")
    with pytest.raises(ServiceError) as err:
        procedures.do_start_elimination(hh, actor=cast.village_a)
    assert err.value.code == "cannot_eliminate"
    assert "未超过监测收入标准" in err.value.message
    assert Procedure.objects.count() == 0


def test_elimination_is_refused_when_a_guarantee_item_fails(places, cast, threshold):
    hh = monitored(places, cast, housing_grade="D", incomes={today().year - 1: {"wage": "30000"}})
    six_good_months(hh, cast)
    with pytest.raises(ServiceError) as err:
        procedures.do_start_elimination(hh, actor=cast.village_a)
    assert any("住房安全" in r for r in err.value.fields["household"])


def test_a_household_without_labour_capacity_stays_monitored(places, cast, threshold):
    hh = monitored(
        places,
        cast,
        members=[member("李老汉", labour="lost"), member("王奶奶", "spouse", labour="none")],
        incomes={today().year - 1: {"transfer": "30000"}},
    )
    six_good_months(hh, cast)
    with pytest.raises(ServiceError) as err:
        procedures.do_start_elimination(hh, actor=cast.village_a)
    assert "无劳动能力" in err.value.message
    hh.refresh_from_db()
    assert hh.status == "monitored"


def test_elimination_with_six_stable_months_runs_the_same_chain_and_marks_the_risk_eliminated(
    places, cast, threshold, bureau
):
    hh = monitored(places, cast, housing_grade="B", incomes={today().year - 1: {"wage": "30000"}})
    six_good_months(hh, cast)
    proc = run_to_county(hh, cast, kind="elimination")
    procedures.do_county_approval(proc, actor=cast.district, approve=True, notes="风险已稳定消除")
    hh.refresh_from_db()
    assert hh.status == "eliminated" and hh.eliminated_on == today()
    assert Case.objects.get(pk=proc.case_id).case_type == "monitoring.elimination"
