"""The annual assessment (年考核): scores from KPI progress, ledger timeliness, assignment
completion and assessors' scores, each with the arithmetic that produced it.

Pure computation over stored data, ordered deterministically: running it twice on the
same data gives the same scores, ranks and verdicts.
"""

from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Count, Q

from shuxiang.core.models import Place, Unit
from shuxiang.indicators.models import Indicator, Target
from shuxiang.indicators.periods import Period
from shuxiang.indicators.rollup import drill_down
from shuxiang.plan.choices import UnitRole, Verdict
from shuxiang.plan.models import AssessmentResult, LedgerEntry, ManualScore, TaskUnit

HUNDRED = Decimal(100)
CENT = Decimal("0.01")


def q2(value) -> Decimal:
    return Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


def _kpi_rows(scheme, townships):
    """{place id: [(indicator, value, target, progress)]} for townships, and the district's own rows."""
    year = Period(scheme.year)
    indicators = (
        Indicator.objects.filter(is_active=True, targets__year=scheme.year)
        .distinct()
        .order_by("order", "code")
    )
    district = scheme.plan.district
    by_place, district_rows = {t.pk: [] for t in townships}, []
    for indicator in indicators:
        own, rows = drill_down(indicator, district, year, children=townships)
        if own.target is not None:
            district_rows.append((indicator, own.value, own.target, own.progress))
        for row in rows:
            if row.target is not None:
                by_place[row.place.pk].append((indicator, row.value, row.target, row.progress))
    return by_place, district_rows


def _kpi_score(rows) -> tuple[Decimal | None, list[str]]:
    if not rows:
        return None, []
    lines, total = [], Decimal(0)
    for indicator, value, target, progress in rows:
        capped = min(progress or Decimal(0), Decimal(1))
        total += capped
        shown = "无数据，按0计" if value is None else f"{q2(value)}{indicator.unit}"
        lines.append(
            f"{indicator.name}：{shown} / 目标 {q2(target)}{indicator.unit} → {q2(capped * HUNDRED)}%"
        )
    return total / len(rows) * HUNDRED, lines


def _timeliness(scheme, **where) -> tuple[Decimal, str]:
    counts = LedgerEntry.objects.filter(round__plan=scheme.plan, round__year=scheme.year, **where).aggregate(
        expected=Count("id"), on_time=Count("id", filter=Q(on_time=True))
    )
    if not counts["expected"]:
        return HUNDRED, "本年度无应报台账，按满分计"
    score = Decimal(counts["on_time"]) / counts["expected"] * HUNDRED
    return score, f"按时报送 {counts['on_time']} / 应报 {counts['expected']} = {q2(score)}"


def _assignments(stats, unit) -> tuple[Decimal, str]:
    done, total = stats.get(unit.pk if unit else None, (0, 0))
    if not total:
        return HUNDRED, "本年度无交办事项，按满分计"
    score = Decimal(done) / total * HUNDRED
    return score, f"按期办结 {done} / 交办 {total} = {q2(score)}"


def _manual(scheme, manual, place, unit) -> tuple[Decimal, str]:
    given = manual.get((place.pk, unit.pk if unit else None))
    if given is None:
        return scheme.manual_default, f"未评议，按默认 {q2(scheme.manual_default)} 分计"
    return given.score, f"评议 {q2(given.score)} 分：{given.reason}"


def compute(scheme, *, assignment_stats=None) -> list[AssessmentResult]:
    """Unsaved results for every township and every unit named in the plan's tasks."""
    if assignment_stats is None:
        from shuxiang.plan.assignments import completion_by_unit

        assignment_stats = completion_by_unit(scheme.year)
    district = scheme.plan.district
    townships = list(Place.objects.current().filter(level=2, path__startswith=district.path).order_by("code"))
    township_units = {u.place_id: u for u in Unit.objects.filter(kind="township_gov", place__in=townships)}
    manual = {(m.place_id, m.unit_id): m for m in ManualScore.objects.filter(scheme=scheme)}
    kpis, district_rows = _kpi_rows(scheme, townships)
    district_kpi, district_lines = _kpi_score(district_rows)
    weights = {
        "kpi": scheme.weight_kpi,
        "timeliness": scheme.weight_timeliness,
        "assignments": scheme.weight_assignments,
        "manual": scheme.weight_manual,
    }

    def result(group, subject, place, unit, kpi, kpi_lines, timeliness, assignments, manual_part):
        parts = {
            "kpi": kpi,
            "timeliness": timeliness[0],
            "assignments": assignments[0],
            "manual": manual_part[0],
        }
        total = sum(parts[k] * weights[k] / HUNDRED for k in parts)
        explanation = {
            "weights": {k: str(v) for k, v in weights.items()},
            "kpi": {"score": str(q2(kpi)), "lines": kpi_lines},
            "timeliness": {"score": str(q2(timeliness[0])), "lines": [timeliness[1]]},
            "assignments": {"score": str(q2(assignments[0])), "lines": [assignments[1]]},
            "manual": {"score": str(q2(manual_part[0])), "lines": [manual_part[1]]},
            "total": " + ".join(f"{q2(parts[k])}×{q2(weights[k])}%" for k in parts) + f" = {q2(total)}",
        }
        return AssessmentResult(
            scheme=scheme,
            place=place,
            unit=unit,
            group=group,
            subject=subject,
            kpi_score=q2(kpi),
            timeliness_score=q2(timeliness[0]),
            assignment_score=q2(assignments[0]),
            manual_score=q2(manual_part[0]),
            total=q2(total),
            rank=0,
            explanation=explanation,
        )

    results = []
    for township in townships:
        kpi, lines = _kpi_score(kpis[township.pk])
        if kpi is None:
            kpi, lines = HUNDRED, ["本乡镇无分解目标，按满分计"]
        results.append(
            result(
                "township",
                township.name,
                township,
                None,
                kpi,
                lines,
                _timeliness(scheme, place=township, unit__isnull=True),
                _assignments(assignment_stats, township_units.get(township.pk)),
                _manual(scheme, manual, township, None),
            )
        )
    lead_tasks = {}
    for tu in (
        TaskUnit.objects.filter(task__plan=scheme.plan)
        .select_related("unit", "task")
        .order_by("unit__name", "task__number")
    ):
        lead_tasks.setdefault(tu.unit, set())
        if tu.role == UnitRole.LEAD:
            lead_tasks[tu.unit].add(tu.task_id)
    district_targets = {
        t.indicator_id
        for t in Target.objects.filter(year=scheme.year, place=district).select_related("indicator")
    }
    district_by_indicator = {row[0].pk: row for row in district_rows}
    for unit in sorted(lead_tasks, key=lambda u: (u.name, u.pk)):
        indicator_ids = set(
            Indicator.objects.filter(tasks__in=lead_tasks[unit], pk__in=district_targets).values_list(
                "pk", flat=True
            )
        )
        rows = [district_by_indicator[i] for i in sorted(indicator_ids) if i in district_by_indicator]
        kpi, lines = _kpi_score(rows)
        if kpi is None:
            kpi = district_kpi if district_kpi is not None else HUNDRED
            lines = ["无牵头的量化指标，取全区指标平均完成度", *district_lines]
        results.append(
            result(
                "unit",
                unit.short_name or unit.name,
                district,
                unit,
                kpi,
                lines,
                _timeliness(scheme, unit=unit),
                _assignments(assignment_stats, unit),
                _manual(scheme, manual, district, unit),
            )
        )
    for group in ("township", "unit"):
        members = sorted(
            (r for r in results if r.group == group),
            key=lambda r: (-r.total, r.place.code, r.unit.name if r.unit else ""),
        )
        previous, rank = None, 0
        for position, r in enumerate(members, start=1):
            if r.total != previous:
                rank, previous = position, r.total
            r.rank = rank
            if r.total < scheme.criticize_below:
                r.verdict = Verdict.CRITICIZE
            elif r.rank <= scheme.commend_top:
                r.verdict = Verdict.COMMEND
    return results
