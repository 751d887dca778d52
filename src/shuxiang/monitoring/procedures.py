"""Identification (监测对象识别) and risk elimination (风险消除), on the case engine.

Each procedure is a case of type `monitoring.identification` or
`monitoring.elimination`: the case engine holds the lifecycle, the 15-day
deadline, overdue escalation and the timeline; this module holds the order of
the national procedure — 入户核实 → 村级民主评议和公示 (≥5 days) → 乡镇审核 →
县级审定 — who may do each step, and what each step records.

Case mapping: start = open (submitted, to the village committee); home visit
= accept + start + note with photos (in progress); village review = note;
township approval = dispatch to the county's monitoring bureau; county
approval = resolve + close; a refusal at any review = resolve + close.
Each step checks monitoring's own permission for it first, then carries the
case step into the case engine on the person's behalf
(`Actor.on_behalf(user, via="monitoring")`), so the case's timeline and the
audit name the cadre who did it.
"""

import secrets
from datetime import date, timedelta

from django.db import transaction
from django.utils import timezone

from shuxiang.cases import services as case_services
from shuxiang.cases.registry import CaseField, CaseType, register_type
from shuxiang.core import audit
from shuxiang.core.actors import as_actor
from shuxiang.core.choices import UnitKind
from shuxiang.core.errors import ServiceError
from shuxiang.core.models import Unit
from shuxiang.monitoring import choices as c
from shuxiang.monitoring import perms
from shuxiang.monitoring.models import Clue, Household, HouseholdRisk, IncomeRecord, Procedure
from shuxiang.monitoring.perms import carried, require
from shuxiang.monitoring.services import threshold_for

TIME_LIMIT = timedelta(days=15)  # 从发现风险线索到完成识别不超过15天
NOTICE_MIN_DAYS = 5  # 公示不少于5天
STABLE_MONTHS = 6  # 收入持续稳定超过监测标准，原则上不低于半年
CASE_ACTIONS = {"accept", "start", "note", "dispatch", "resolve", "close", "escalate"}

IDENTIFICATION = register_type(
    CaseType(
        code="monitoring.identification",
        label="防返贫监测对象识别",
        actions=CASE_ACTIONS,
        fields=[CaseField("household", "户编号", required=True, max_length=32)],
    )
)
ELIMINATION = register_type(
    CaseType(
        code="monitoring.elimination",
        label="防返贫风险消除",
        actions=CASE_ACTIONS,
        fields=[CaseField("household", "户编号", required=True, max_length=32)],
    )
)
CASE_TYPE = {
    c.ProcedureKind.IDENTIFICATION: IDENTIFICATION.code,
    c.ProcedureKind.ELIMINATION: ELIMINATION.code,
}
CASE_TYPES = sorted(CASE_TYPE.values())


def _lock(procedure: Procedure) -> Procedure:
    return (
        Procedure.objects.select_for_update(of=("self",))
        .select_related("household__place", "case")
        .get(pk=procedure.pk)
    )


def _require_stage(procedure: Procedure, stage: str):
    if procedure.stage != stage:
        want = c.Stage(stage).label
        now = procedure.get_stage_display()
        raise ServiceError(
            "step_out_of_order",
            f"当前环节是“{now}”，不能办理“{want}”：须按 入户核实→民主评议和公示→乡镇审核→县级审定 的顺序进行",
            {"stage": [f"当前环节：{now}"]},
            status=409,
        )


def _text(value, field, label, errors, min_length=2):
    value = (value or "").strip()
    if len(value) < min_length:
        errors.setdefault(field, []).append(f"请填写{label}")
    return value


def _open_case(procedure: Procedure, actor) -> None:
    household = procedure.household
    village = household.place.parent
    unit = Unit.objects.filter(place=village, kind=UnitKind.VILLAGE_COMMITTEE, is_active=True).first()
    case = case_services.do_open_case(
        actor=carried(actor),
        case_type=CASE_TYPE[procedure.kind],
        title=f"{procedure.get_kind_display()}：户 {household.number}",
        description=f"{procedure.get_kind_display()}程序，办结时限 {timezone.localtime(procedure.due_at):%Y-%m-%d}",
        place=household.place,
        unit=unit,
        deadline=procedure.due_at,
        extra={"household": household.number},
        source_ref=f"monitoring.procedure:{procedure.pk}",
        is_public=False,
        channel="system",
    )
    procedure.case = case
    procedure.save(update_fields=["case"])


def _start(household: Household, *, actor, kind, started_at, clue=None) -> Procedure:
    if household.procedures.filter(decided_at__isnull=True).exists():
        raise ServiceError("procedure_open", f"户 {household.number} 已有进行中的识别或风险消除程序")
    procedure = Procedure.objects.create(
        household=household, kind=kind, clue=clue, started_at=started_at, due_at=started_at + TIME_LIMIT
    )
    audit.record_create(actor, procedure)
    _open_case(procedure, actor)
    return procedure


@transaction.atomic
def do_start_identification(household: Household, *, actor, clue: Clue | None = None) -> Procedure:
    """Verify a household's risk: the 15 days run from its first open risk clue."""
    require(actor, perms.SCREEN, household, message="只有村、乡镇干部和网格员可以发起识别")
    household = (
        Household.objects.select_for_update(of=("self",)).select_related("place__parent").get(pk=household.pk)
    )
    if household.status not in (c.MonitoringStatus.NONE, c.MonitoringStatus.ELIMINATED):
        raise ServiceError(
            "wrong_state",
            f"该户当前为“{household.get_status_display()}”，不能发起识别",
            {"household": ["状态不符"]},
        )
    open_clues = household.clues.filter(status=c.ClueStatus.NEW)
    if clue is not None and clue.household_id != household.pk:
        raise ServiceError("invalid", "线索不属于该户", {"clue": ["线索不属于该户"]})
    first = open_clues.order_by("created_at").first()
    started_at = first.created_at if first else timezone.now()
    procedure = _start(
        household, actor=actor, kind=c.ProcedureKind.IDENTIFICATION, started_at=started_at, clue=clue or first
    )
    open_clues.update(status=c.ClueStatus.IDENTIFYING, handled_at=timezone.now())
    before = audit.snapshot(household)
    household.status = c.MonitoringStatus.IDENTIFYING
    household.save(update_fields=["status"])
    audit.record(actor, "transition", household, changes=audit.diff(before, audit.snapshot(household)))
    return procedure


def elimination_blockers(household: Household, today: date | None = None) -> list[str]:
    """Why the risk may not be marked eliminated yet (empty when it may)."""
    today = today or timezone.localdate()
    reasons = []
    members = list(household.members.all())
    if not any(m.labour in c.WITH_LABOUR for m in members):
        reasons.append("该户无劳动能力，落实兜底保障后继续监测，不标注风险消除")
    failures = household.guarantee_failures
    if failures:
        reasons.append("三保障或饮水安全未达标：" + "；".join(failures))
    latest = IncomeRecord.objects.filter(household=household).order_by("-year").first()
    line = threshold_for(household.place, today.year) or threshold_for(household.place, today.year - 1)
    if line is None:
        reasons.append(f"未设置{today.year}年（或上年）监测收入标准，无法判断收入是否稳定")
        return reasons
    if latest is None or latest.per_capita_net <= line.amount:
        reasons.append(f"最近年度人均纯收入未超过监测收入标准 {line.amount} 元")
    months = []
    y, m = today.year, today.month
    for _ in range(STABLE_MONTHS):
        months.append((y, m))
        y, m = (y, m - 1) if m > 1 else (y - 1, 12)
    window_start = date(months[-1][0], months[-1][1], 1)
    visits = household.visits.filter(
        purpose=c.VisitPurpose.FOLLOW_UP, visited_on__gte=window_start, visited_on__lte=today
    ).exclude(income_estimate__isnull=True)
    covered = {(v.visited_on.year, v.visited_on.month) for v in visits if v.income_estimate > line.amount}
    below = [v for v in visits if v.income_estimate <= line.amount]
    missing = [f"{y}年{m}月" for y, m in reversed(months) if (y, m) not in covered]
    if below:
        reasons.append(
            f"近{STABLE_MONTHS}个月回访测算收入有 {len(below)} 次未超过监测收入标准 {line.amount} 元"
        )
    elif missing:
        reasons.append(
            f"收入须连续{STABLE_MONTHS}个月稳定超过监测收入标准，缺少回访测算：{'、'.join(missing)}"
        )
    return reasons


@transaction.atomic
def do_start_elimination(household: Household, *, actor) -> Procedure:
    require(actor, perms.SCREEN, household, message="只有村、乡镇干部和网格员可以发起风险消除")
    household = (
        Household.objects.select_for_update(of=("self",)).select_related("place__parent").get(pk=household.pk)
    )
    if household.status != c.MonitoringStatus.MONITORED:
        raise ServiceError("wrong_state", "只有监测对象可以申请风险消除", {"household": ["不是监测对象"]})
    reasons = elimination_blockers(household)
    if reasons:
        raise ServiceError("cannot_eliminate", "不能标注风险消除：" + reasons[0], {"household": reasons})
    procedure = _start(household, actor=actor, kind=c.ProcedureKind.ELIMINATION, started_at=timezone.now())
    before = audit.snapshot(household)
    household.status = c.MonitoringStatus.ELIMINATING
    household.save(update_fields=["status"])
    audit.record(actor, "transition", household, changes=audit.diff(before, audit.snapshot(household)))
    return procedure


def _transition(actor, procedure, before, step):
    audit.record(
        actor,
        "transition",
        procedure,
        changes={"step": step, **audit.diff(before, audit.snapshot(procedure))},
    )


@transaction.atomic
def do_home_visit(
    procedure: Procedure,
    *,
    actor,
    consent_signed,
    notes,
    visited_on,
    photos=(),
    proposed_type="",
    risk_types=(),
    primary_risk="",
) -> Procedure:
    """入户核实: on the phone, with the household's signed authorisation and photos."""
    require(actor, perms.HOME_VISIT, procedure, message="入户核实由村干部或网格员办理")
    procedure = _lock(procedure)
    _require_stage(procedure, c.Stage.HOME_VISIT)
    errors: dict[str, list[str]] = {}
    if consent_signed is not True:
        errors["consent_signed"] = ["农户须签署授权承诺书后方可核实（请勾选并拍照上传）"]
    notes = _text(notes, "notes", "核实情况", errors, min_length=5)
    if visited_on is None:
        errors["visited_on"] = ["请填写核实日期"]
    elif visited_on > timezone.localdate():
        errors["visited_on"] = ["核实日期不能晚于今天"]
    if not photos:
        errors["photos"] = ["请上传入户照片和签字的授权承诺书照片"]
    risks = list(dict.fromkeys(r for r in (risk_types or []) if r))
    if procedure.kind == c.ProcedureKind.IDENTIFICATION:
        if proposed_type not in c.MonitoredType.values:
            errors["proposed_type"] = ["请选择拟认定的监测对象类型"]
        bad = [r for r in risks if r not in c.RiskType.values]
        if bad:
            errors["risk_types"] = [f"未知的风险类型：{'、'.join(bad)}"]
        elif not risks:
            errors["risk_types"] = ["请至少选择一个风险类型"]
        if primary_risk not in risks:
            errors["primary_risk"] = ["主要风险类型须是所选风险类型之一"]
    if errors:
        raise ServiceError("invalid", "入户核实信息有误", errors)
    before = audit.snapshot(procedure)
    procedure.consent_signed, procedure.visit_notes, procedure.visited_on = True, notes, visited_on
    procedure.visited_by = as_actor(actor).human
    if procedure.kind == c.ProcedureKind.IDENTIFICATION:
        procedure.proposed_type, procedure.proposed_risks, procedure.primary_risk = (
            proposed_type,
            risks,
            primary_risk,
        )
    procedure.stage = c.Stage.VILLAGE_REVIEW
    procedure.save()
    who = carried(actor)
    case = case_services.do_accept_case(procedure.case, actor=who)
    case = case_services.do_start_case(case, actor=who, note="入户核实完成，农户已签署授权承诺书")
    case_services.do_add_note(case, actor=who, note=f"入户核实：{notes}", photos=photos)
    _transition(actor, procedure, before, "home_visit")
    return procedure


@transaction.atomic
def do_village_review(procedure: Procedure, *, actor, notes, notice_from, notice_to) -> Procedure:
    """村级民主评议 and the start of the public notice (only once, in the village, ≥5 days)."""
    require(actor, perms.VILLAGE_REVIEW, procedure, message="民主评议和公示由村干部登记")
    procedure = _lock(procedure)
    _require_stage(procedure, c.Stage.VILLAGE_REVIEW)
    errors: dict[str, list[str]] = {}
    notes = _text(notes, "notes", "民主评议意见", errors, min_length=4)
    if notice_from is None or notice_to is None:
        errors["notice_from"] = ["请填写公示起止日期"]
    else:
        if (notice_to - notice_from).days + 1 < NOTICE_MIN_DAYS:
            errors["notice_to"] = [f"公示期不少于{NOTICE_MIN_DAYS}天"]
        if procedure.visited_on and notice_from < procedure.visited_on:
            errors["notice_from"] = ["公示不能早于入户核实"]
    if errors:
        raise ServiceError("invalid", "民主评议和公示信息有误", errors)
    before = audit.snapshot(procedure)
    procedure.review_notes, procedure.notice_from, procedure.notice_to = notes, notice_from, notice_to
    procedure.notice_token = secrets.token_urlsafe(16)
    procedure.stage = c.Stage.TOWNSHIP_REVIEW
    procedure.save()
    case_services.do_add_note(
        procedure.case,
        actor=carried(actor),
        note=f"村级民主评议：{notes}；公示 {notice_from:%Y-%m-%d} 至 {notice_to:%Y-%m-%d}",
    )
    _transition(actor, procedure, before, "village_review")
    return procedure


def _county_unit():
    return (
        Unit.objects.filter(kind=UnitKind.BUREAU, is_active=True, domains__icontains="monitoring")
        .order_by("id")
        .first()
    )


def _finish(procedure, *, actor, approved, notes, step):
    procedure.approved = approved
    procedure.decided_at = timezone.now()
    procedure.stage = c.Stage.DONE
    procedure.save()
    who = carried(actor)
    case = case_services.do_resolve_case(
        procedure.case, actor=who, note=f"{step}：{'通过' if approved else '不通过'}。{notes}"
    )
    case_services.do_close_case(case, actor=who)


@transaction.atomic
def do_township_review(procedure: Procedure, *, actor, approve: bool, notes) -> Procedure:
    """乡镇审核, once the notice period is over."""
    require(actor, perms.TOWNSHIP_REVIEW, procedure, message="乡镇审核由乡镇干部办理")
    procedure = _lock(procedure)
    _require_stage(procedure, c.Stage.TOWNSHIP_REVIEW)
    errors: dict[str, list[str]] = {}
    notes = _text(notes, "notes", "审核意见", errors)
    if procedure.notice_to and timezone.localdate() <= procedure.notice_to:
        errors["notice_to"] = [f"公示期至 {procedure.notice_to:%Y-%m-%d} 结束，公示期满后方可审核"]
    if errors:
        raise ServiceError("invalid", errors.get("notice_to", ["审核信息有误"])[0], errors)
    before = audit.snapshot(procedure)
    procedure.township_notes = notes
    if approve:
        procedure.stage = c.Stage.COUNTY_APPROVAL
        procedure.save()
        unit = _county_unit()
        case_services.do_dispatch_case(
            procedure.case, actor=carried(actor), unit=unit, note=f"乡镇审核通过，报县级审定：{notes}"
        )
    else:
        _finish(procedure, actor=actor, approved=False, notes=notes, step="乡镇审核")
        _revert(procedure, actor, notes)
    _transition(actor, procedure, before, "township_review")
    return procedure


def _revert(procedure, actor, notes):
    household = procedure.household
    before = audit.snapshot(household)
    if procedure.kind == c.ProcedureKind.IDENTIFICATION:
        household.status = (
            c.MonitoringStatus.NONE if not household.eliminated_on else c.MonitoringStatus.ELIMINATED
        )
        household.clues.filter(status=c.ClueStatus.IDENTIFYING).update(
            status=c.ClueStatus.DISMISSED, note=f"识别未通过：{notes}"[:1000], handled_at=timezone.now()
        )
    else:
        household.status = c.MonitoringStatus.MONITORED
    household.save(update_fields=["status"])
    audit.record(actor, "transition", household, changes=audit.diff(before, audit.snapshot(household)))


@transaction.atomic
def do_county_approval(procedure: Procedure, *, actor, approve: bool, notes) -> Procedure:
    """县级审定: the household becomes a monitored household (or its risk is marked eliminated)."""
    require(actor, perms.COUNTY_APPROVAL, procedure, message="县级审定由区乡村振兴（农业农村）部门办理")
    procedure = _lock(procedure)
    _require_stage(procedure, c.Stage.COUNTY_APPROVAL)
    errors: dict[str, list[str]] = {}
    notes = _text(notes, "notes", "审定意见", errors)
    household = (
        Household.objects.select_for_update(of=("self",))
        .select_related("place")
        .get(pk=procedure.household_id)
    )
    if approve and procedure.kind == c.ProcedureKind.ELIMINATION:
        reasons = elimination_blockers(household)
        if reasons:
            errors["household"] = reasons
    if errors:
        raise ServiceError("invalid", "审定未完成：" + next(iter(errors.values()))[0], errors)
    before = audit.snapshot(procedure)
    procedure.county_notes = notes
    _finish(procedure, actor=actor, approved=approve, notes=notes, step="县级审定")
    if not approve:
        _revert(procedure, actor, notes)
    elif procedure.kind == c.ProcedureKind.IDENTIFICATION:
        hh_before = audit.snapshot(household)
        household.status, household.monitored_type = c.MonitoringStatus.MONITORED, procedure.proposed_type
        household.identified_on = timezone.localdate()
        household.save(update_fields=["status", "monitored_type", "identified_on"])
        household.risks.all().delete()
        HouseholdRisk.objects.bulk_create(
            [
                HouseholdRisk(household=household, risk_type=r, is_primary=r == procedure.primary_risk)
                for r in procedure.proposed_risks
            ]
        )
        household.clues.filter(status=c.ClueStatus.IDENTIFYING).update(
            status=c.ClueStatus.IDENTIFIED, handled_at=timezone.now()
        )
        audit.record(
            actor,
            "transition",
            household,
            changes={
                **audit.diff(hh_before, audit.snapshot(household)),
                "risk_types": procedure.proposed_risks,
            },
        )
    else:
        hh_before = audit.snapshot(household)
        household.status, household.eliminated_on = c.MonitoringStatus.ELIMINATED, timezone.localdate()
        household.save(update_fields=["status", "eliminated_on"])
        audit.record(actor, "transition", household, changes=audit.diff(hh_before, audit.snapshot(household)))
    _transition(actor, procedure, before, "county_approval")
    return procedure


def notice_is_running(procedure: Procedure, today=None) -> bool:
    today = today or timezone.localdate()
    return bool(procedure.notice_from and procedure.notice_from <= today <= procedure.notice_to)
