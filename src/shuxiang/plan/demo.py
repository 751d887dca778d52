"""Plan demo: the Heshan plan loaded, coverage registries and service points, the four 2025
quarters reported (mostly on time, some late, some missing, approvals under way), the current
quarter open for input while the plan runs (never a ledger after its last year), assignments, and
the 2025 assessment computed. Deterministic (ctx.rng)."""

from datetime import datetime, timedelta
from decimal import Decimal

from django.utils import timezone

from shuxiang.core.actors import OPERATOR
from shuxiang.core.models import Place, Unit
from shuxiang.indicators import services as indicator_services
from shuxiang.indicators.models import Indicator
from shuxiang.indicators.periods import Period, quarter_of
from shuxiang.plan import assignments, services
from shuxiang.plan.choices import EntryStatus, ServicePointKind
from shuxiang.plan.loader import load_file
from shuxiang.plan.models import LedgerEntry, NetworkCoverage, ServicePoint

PROGRESS = [
    "已召开专题调度会，明确责任人和时间表，按计划推进。",
    "完成阶段建设任务，平台已上线试运行，正在组织培训。",
    "对照年度目标逐项落实，完成进度符合预期。",
    "已完成摸底调查，建立工作台账，下季度集中推进。",
]
PROBLEMS = [
    "部分偏远村民小组光纤入户成本高，运营商投资意愿不足。",
    "基层专业技术人员不足，系统使用培训需加强。",
    "建设资金尚未全部到位。",
]


def _aware(y, m, d):
    return timezone.make_aware(datetime(y, m, d, 18, 0))


def build_registries(ctx):
    rng = ctx.rng
    rows = []
    for township in ctx.townships:
        rows.append(
            NetworkCoverage(
                place=township,
                has_4g=True,
                has_5g=rng.random() < 0.85,
                has_fibre=True,
                bandwidth_mbps=rng.choice([1000, 10000, 10000]),
            )
        )
    for village in ctx.villages:
        rows.append(
            NetworkCoverage(
                place=village,
                has_4g=True,
                has_5g=rng.random() < 0.25,
                has_fibre=True,
                has_cable_tv=rng.random() < 0.93,
                bandwidth_mbps=rng.choice([100, 300, 1000, 1000]),
            )
        )
    for hamlet in ctx.hamlets:
        rows.append(NetworkCoverage(place=hamlet, has_4g=rng.random() < 0.97, has_fibre=rng.random() < 0.9))
    NetworkCoverage.objects.bulk_create(rows, batch_size=2000)
    points = []
    for township in ctx.townships:
        if rng.random() < 0.9:
            points.append(
                ServicePoint(
                    place=township, kind=ServicePointKind.CULTURE_BRANCH, name=f"区文化馆{township.name}分馆"
                )
            )
        if rng.random() < 0.85:
            points.append(
                ServicePoint(
                    place=township, kind=ServicePointKind.LIBRARY_BRANCH, name=f"区图书馆{township.name}分馆"
                )
            )
        points.append(
            ServicePoint(
                place=township, kind=ServicePointKind.REMOTE_MEDICAL, name=f"{township.name}卫生院远程诊室"
            )
        )
    for village in ctx.villages:
        if rng.random() < 0.82:
            points.append(
                ServicePoint(
                    place=village, kind=ServicePointKind.LOGISTICS, name=f"{village.name}电商物流服务站"
                )
            )
        if rng.random() < 0.7:
            points.append(
                ServicePoint(
                    place=village, kind=ServicePointKind.REMOTE_MEDICAL, name=f"{village.name}卫生室远程终端"
                )
            )
    ServicePoint.objects.bulk_create(points)


def report_round(ctx, round_, *, share, figures):
    """Fill a past quarter: most forms in time, some late, some missing; approvals under way.

    `figures` ({(task number, unit id or None, place id): {indicator code: value}}) are what the
    forms report, each under its own reporter (a bureau's figure never lands on another's); a form
    with figures is always reported. Values are written before approvals lock them."""
    rng = ctx.rng
    deadline = round_.deadline
    indicators = {i.code: i for i in Indicator.objects.filter(source="reported")}
    updates = []
    entries = LedgerEntry.objects.filter(round=round_).select_related("place", "unit", "task").order_by("pk")
    for entry in entries:
        mine = figures.get((entry.task.number, entry.unit_id, entry.place_id), {})
        if rng.random() > share and not mine:
            continue
        for code, value in mine.items():
            indicator_services.do_record_value(
                indicators[code],
                place=entry.place,
                period=round_.period,
                value=value,
                unit=entry.unit,
                actor=OPERATOR,
                source_ref=f"ledger:{entry.pk}",
            )
        late = rng.random() < 0.12
        entry.submitted_at = (
            deadline + timedelta(days=rng.randint(1, 6))
            if late
            else deadline - timedelta(days=rng.randint(0, 9), hours=rng.randint(1, 8))
        )
        entry.on_time = not late
        entry.progress = rng.choice(PROGRESS)
        entry.problems = rng.choice(PROBLEMS) if rng.random() < 0.15 else ""
        roll = rng.random()
        if roll < 0.6:
            entry.status, entry.approval_level, entry.approved_at = (
                EntryStatus.APPROVED,
                1,
                entry.submitted_at + timedelta(days=5),
            )
        elif roll < 0.75 and entry.place.level == 3:
            entry.status, entry.approval_level = EntryStatus.SUBMITTED, 2
        else:
            entry.status = EntryStatus.SUBMITTED
        updates.append(entry)
    LedgerEntry.objects.bulk_update(
        updates,
        ["submitted_at", "on_time", "progress", "problems", "status", "approval_level", "approved_at"],
        batch_size=1000,
    )


# What the bureaus report for the district, each its own figure, per quarter of 2025: the water
# bureau keeps the reservoir register (the district figure is its, as the plan file declares); the
# emergency bureau reports it too. How many reservoirs are monitored is not reported: it is counted
# from their stations' telemetry (water.indicators; the water demo rolls the stations out over 2025).
# Online sales are not reported either: they are summed from the monthly sales reports (markets).
UNIT_FIGURES = {
    (6, "区水利局"): {"reservoirs_total": [152] * 4},
    (6, "区应急局"): {"reservoirs_total": [152] * 4},
}


def quarter_figures(ctx, q, units, district, rural, by_name):
    """{(task number, unit id or None, place id): {code: value}} for quarter `q` of 2025."""
    rng = ctx.rng
    figures = {}
    for (task, short), values in UNIT_FIGURES.items():
        unit = units[short]
        figures[(task, unit.pk, district.pk)] = {code: Decimal(str(v[q - 1])) for code, v in values.items()}
    for township in rural:
        stock = Decimal(rng.randint(28, 60)) / 10
        # pigs on digital feeding are counted from the farm registry (livestock.indicators), not typed
        figures[(8, None, township.pk)] = {"pig_stock": stock}
    for name in ("泉交河镇", "兰溪镇"):
        figures[(6, None, by_name[name].pk)] = {"cold_chain_pilots": 1 if q >= 2 else 0}
    return figures


def build(ctx):
    plan = load_file(actor=OPERATOR).plan
    build_registries(ctx)
    by_name = {t.name: t for t in ctx.townships}
    rural = [t for t in ctx.townships if t.kind in ("town", "township")]
    district = ctx.district
    units = {u.short_name: u for u in Unit.objects.filter(place=district)}
    for q in range(1, 5):
        period = Period(2025, q)
        deadline = _aware(period.end.year, period.end.month, period.end.day) + timedelta(days=10)
        round_ = services.do_open_round(plan, year=2025, quarter=q, deadline=deadline, actor=OPERATOR)
        figures = quarter_figures(ctx, q, units, district, rural, by_name)
        report_round(ctx, round_, share=0.97 if q < 4 else 0.9, figures=figures)
        for indicator in Indicator.objects.filter(source="computed"):
            indicator_services.do_refresh_computed(indicator, period.code, actor=OPERATOR)
    # The quarter we are in is opened for input only while the plan runs: no ledgers after its last year.
    now_period = quarter_of(timezone.localdate())
    if 2025 < now_period.year <= plan.end_year:
        services.do_open_round(
            plan,
            year=now_period.year,
            quarter=now_period.quarter,
            deadline=timezone.now() + timedelta(days=12),
            actor=OPERATOR,
        )
        for indicator in Indicator.objects.filter(source="computed"):
            indicator_services.do_refresh_computed(indicator, now_period.code, actor=OPERATOR)
    problem_entries = (
        LedgerEntry.objects.filter(round__period="2025Q4")
        .exclude(problems="")
        .select_related("round", "task", "place", "unit")[:4]
    )
    for i, entry in enumerate(problem_entries):
        assignments.do_assign_from_entry(
            entry, actor=OPERATOR, deadline=timezone.now() + timedelta(days=5 + 5 * i), major=(i == 0)
        )
    assignments.do_assign(
        actor=OPERATOR,
        unit=units["区工信局"],
        title="偏远村民小组光纤覆盖攻坚",
        description="全区仍有部分自然村未通光纤，请区工信局牵头会同各运营商制定攻坚方案。",
        deadline=timezone.now() + timedelta(days=30),
        task=plan.tasks.get(number=5),
        major=True,
    )
    scheme = services.do_save_scheme(plan, actor=OPERATOR, year=2025)
    township = Place.objects.get(code="430903103000")
    services.do_set_manual_score(
        scheme, actor=OPERATOR, place=township, score=95, reason="冷链物流示范点率先建成"
    )
    services.do_run_assessment(scheme, actor=OPERATOR)
