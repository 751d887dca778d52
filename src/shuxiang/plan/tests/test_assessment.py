"""Assessment scores against figures computed by hand (see each test's comments)."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from shuxiang.core.actors import OPERATOR
from shuxiang.core.errors import ServiceError
from shuxiang.core.models import Unit
from shuxiang.indicators import services as ind
from shuxiang.plan import services
from shuxiang.plan.models import AssessmentResult, LedgerEntry, LedgerRound, Plan, Section, Task, TaskUnit


@pytest.fixture
def small_plan(places, cast):
    plan = Plan.objects.create(
        code="t",
        title="测试方案",
        version="1",
        district=places.district,
        start_year=2022,
        end_year=2025,
        source_sha256="0" * 64,
    )
    section = Section.objects.create(plan=plan, code="二.1", title="章")
    task = Task.objects.create(plan=plan, section=section, number=1, seed_number=1, title="任务", text="任务")
    bureau = Unit.objects.get(name="区农业农村局")
    TaskUnit.objects.create(task=task, unit=bureau, role="lead", label="区农业农村局")
    cov = ind.do_save_indicator(
        actor=OPERATOR, code="cov", name="覆盖率", kind="ratio", factor=100, source="reported"
    )
    pts = ind.do_save_indicator(
        actor=OPERATOR, code="pts", name="示范点", kind="number", source="reported", entry_level=2
    )
    task.indicators.add(cov)
    ind.do_set_target(cov, place=places.district, year=2025, value=100, actor=OPERATOR)
    ind.do_set_target(pts, place=places.township_a, year=2025, value=2, actor=OPERATOR)
    ind.do_record_value(
        cov, place=places.township_a, period="2025Q1", numerator=3, denominator=4, actor=OPERATOR
    )
    ind.do_record_value(
        cov, place=places.township_b, period="2025Q1", numerator=4, denominator=4, actor=OPERATOR
    )
    ind.do_record_value(pts, place=places.township_a, period="2025Q1", value=1, actor=OPERATOR)
    round_ = LedgerRound.objects.create(
        plan=plan, year=2025, quarter=1, period="2025Q1", deadline=timezone.now() - timedelta(days=1)
    )
    LedgerEntry.objects.create(
        round=round_, task=task, place=places.township_a, on_time=True, status="submitted"
    )
    LedgerEntry.objects.create(round=round_, task=task, place=places.township_a, unit=bureau, on_time=False)
    LedgerEntry.objects.filter(unit=bureau).update(place=places.district)
    LedgerEntry.objects.create(
        round=round_,
        task=Task.objects.create(plan=plan, section=section, number=2, seed_number=2, title="二", text="二"),
        place=places.township_a,
    )
    LedgerEntry.objects.create(
        round=round_, task=task, place=places.township_b, on_time=True, status="approved"
    )
    scheme = services.do_save_scheme(plan, actor=cast.district, year=2025, commend_top=1, criticize_below=61)
    services.do_set_manual_score(
        scheme, actor=cast.district, place=places.township_a, score=90, reason="主动创新"
    )
    return scheme, bureau


def test_scores_ranks_and_verdicts_match_the_hand_computed_figures(small_plan, places, cast):
    scheme, bureau = small_plan
    gov_a = Unit.objects.get(name="泉交河镇人民政府")
    results = services.do_run_assessment(scheme, actor=cast.district, assignment_stats={gov_a.pk: (1, 2)})
    by_subject = {r.subject: r for r in results}
    a, b = by_subject["泉交河镇"], by_subject["兰溪镇"]
    # 泉交河镇: KPI = mean(75 %, 1/2 = 50 %) = 62.5; on time 1 of 2 forms = 50; assignments 1 of 2 = 50;
    # manual 90. Total = 62.5×0.5 + 50×0.2 + 50×0.2 + 90×0.1 = 60.25.
    assert (a.kpi_score, a.timeliness_score, a.assignment_score, a.manual_score, a.total) == (
        Decimal("62.50"),
        Decimal("50.00"),
        Decimal("50.00"),
        Decimal("90.00"),
        Decimal("60.25"),
    )
    # 兰溪镇: KPI 100 (4/4); on time 1 of 1; no assignments → 100; manual default 80. Total 98.
    assert (b.kpi_score, b.timeliness_score, b.assignment_score, b.manual_score, b.total) == (
        Decimal("100.00"),
        Decimal("100.00"),
        Decimal("100.00"),
        Decimal("80.00"),
        Decimal("98.00"),
    )
    assert (b.rank, b.verdict, a.rank, a.verdict) == (1, "commend", 2, "criticize")
    # The bureau leads task 1 whose indicator "cov" is 7/8 = 87.5 % district-wide; its one form was late (0 %).
    unit = by_subject["区农业农村局"]
    assert (unit.kpi_score, unit.timeliness_score, unit.total) == (
        Decimal("87.50"),
        Decimal("0.00"),
        Decimal("71.75"),
    )
    assert "按时报送 0 / 应报 1" in unit.explanation["timeliness"]["lines"][0]
    assert a.explanation["total"] == "62.50×50.00% + 50.00×20.00% + 50.00×20.00% + 90.00×10.00% = 60.25"


def test_running_the_assessment_again_gives_the_same_result(small_plan, cast):
    scheme, _ = small_plan
    first = [
        (r.subject, r.total, r.rank, r.verdict)
        for r in services.do_run_assessment(scheme, actor=cast.district)
    ]
    second = [
        (r.subject, r.total, r.rank, r.verdict)
        for r in services.do_run_assessment(scheme, actor=cast.district)
    ]
    assert first == second and AssessmentResult.objects.count() == len(first)


def test_weights_that_do_not_add_up_to_100_are_refused(small_plan, cast):
    scheme, _ = small_plan
    with pytest.raises(ServiceError) as exc:
        services.do_save_scheme(scheme.plan, actor=cast.district, year=2025, weight_kpi=70)
    assert "权重之和应为 100" in exc.value.fields["weight_kpi"][0]
    scheme.refresh_from_db()
    assert scheme.weight_kpi == 50


def test_a_manual_score_needs_a_reason_and_a_score_within_0_to_100(small_plan, places, cast):
    scheme, _ = small_plan
    with pytest.raises(ServiceError) as exc:
        services.do_set_manual_score(
            scheme, actor=cast.district, place=places.township_b, score=120, reason=""
        )
    assert set(exc.value.fields) == {"score", "reason"}
