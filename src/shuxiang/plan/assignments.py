"""Assignments (交办): problems found in ledgers, or raised by the district, handed to a unit
with a deadline and followed to closure — as cases of type "plan.assignment" in the case engine.

The case engine owns the lifecycle, deadlines, overdue marking and escalation; this module
opens the cases, says which ledger or task they came from, and counts them for the
bulletin and the assessment.
"""

from django.db import transaction
from django.db.models import Count, F, Q
from django.utils import timezone

from shuxiang.cases import services as case_services
from shuxiang.cases.choices import FINISHED_STATES, OPEN_STATES, Priority
from shuxiang.cases.models import Case
from shuxiang.cases.registry import CaseField, CaseType, register_type
from shuxiang.core.choices import PlaceLevel, UnitKind
from shuxiang.core.errors import ServiceError
from shuxiang.core.models import Unit
from shuxiang.core.permissions import require
from shuxiang.plan.models import LedgerEntry, Task
from shuxiang.plan.permissions import MANAGE, carried

CASE_TYPE = "plan.assignment"

ASSIGNMENT = CaseType(
    code=CASE_TYPE,
    label="交办事项",
    actions={"accept", "dispatch", "return", "start", "note", "resolve", "close", "escalate"},
    fields=[
        CaseField("task_number", "任务序号", kind="int"),
        CaseField("period", "季度", max_length=8),
        CaseField("ledger_entry", "来源台账", kind="int"),
        CaseField("major", "提请区委、区政府研究", kind="bool"),
    ],
    public=False,
    reporter_actions=False,
)


def register():
    register_type(ASSIGNMENT)


def _default_unit(entry: LedgerEntry) -> Unit | None:
    if entry.unit_id:
        return entry.unit
    township = entry.place if entry.place.level == PlaceLevel.TOWNSHIP else entry.place.parent
    return Unit.objects.filter(place=township, kind=UnitKind.TOWNSHIP_GOV, is_active=True).first()


@transaction.atomic
def do_assign(
    *, actor, unit: Unit, title, description, deadline, task: Task | None = None, entry=None, major=False
) -> Case:
    """交办 one problem to `unit` by `deadline`; `major` flags it for the district government.

    The case is opened in the case engine on the assigning person's behalf (their case grants apply).
    """
    require(actor, MANAGE)
    errors = {}
    if unit is None:
        errors["unit"] = ["请选择承办单位"]
    if not str(description or "").strip():
        errors["description"] = ["请写明交办的问题"]
    if deadline is None:
        errors["deadline"] = ["请填写办理时限"]
    elif deadline <= timezone.now():
        errors["deadline"] = ["办理时限应晚于现在"]
    if errors:
        raise ServiceError("invalid", "交办信息有误", errors)
    extra = {"major": bool(major)}
    if task is not None:
        extra["task_number"] = task.number
    if entry is not None:
        extra["ledger_entry"] = entry.pk
        extra["period"] = entry.round.period
    title = str(title or "").strip() or (f"任务{task.number}：{task.title}" if task else "交办事项")
    source_ref = (
        f"plan.entry:{entry.pk}" if entry is not None else (f"plan.task:{task.number}" if task else "plan")
    )
    return case_services.do_open_case(
        actor=carried(actor),
        case_type=CASE_TYPE,
        title=title[:100],
        description=str(description).strip(),
        place=unit.place,
        unit=unit,
        deadline=deadline,
        extra=extra,
        source_ref=source_ref,
        priority=Priority.URGENT if major else Priority.NORMAL,
        is_public=False,
        channel="system",
    )


def do_assign_from_entry(entry: LedgerEntry, *, actor, deadline, unit=None, major=False) -> Case:
    """The problems a ledger reported become an assignment to its unit (or its township government)."""
    require(actor, "plan.ledgerentry.view", entry)
    if not entry.problems.strip():
        raise ServiceError("no_problem", "该台账没有填写“存在问题”，无可交办的内容", {"problems": ["未填写"]})
    unit = unit or _default_unit(entry)
    return do_assign(
        actor=actor,
        unit=unit,
        title=f"{entry.reporter_name} · 任务{entry.task.number}：{entry.task.title}",
        description=entry.problems,
        deadline=deadline,
        task=entry.task,
        entry=entry,
        major=major,
    )


def assignments_qs():
    return Case.objects.filter(case_type=CASE_TYPE)


def completion_by_unit(year) -> dict[int, tuple[int, int]]:
    """{unit id: (finished by the deadline, assigned)} for assignments opened in `year`."""
    rows = (
        assignments_qs()
        .filter(created_at__year=year)
        .values("unit_id")
        .annotate(
            total=Count("id"),
            done=Count(
                "id",
                filter=Q(state__in=FINISHED_STATES)
                & (Q(deadline__isnull=True) | Q(resolved_at__lte=F("deadline"))),
            ),
        )
        .order_by()
    )
    return {r["unit_id"]: (r["done"], r["total"]) for r in rows}


def open_assignments():
    return assignments_qs().filter(state__in=OPEN_STATES).select_related("unit", "place").order_by("deadline")
