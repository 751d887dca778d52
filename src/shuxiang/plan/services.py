"""Every write of the plan app: registries, quarterly ledgers with bottom-up approval, assessment.

Each `do_*` takes a typed actor (core.actors: a user, or the operator for the CLI and demo, or
the tasks actor), passes the one gate (`require`: grant and region), validates, writes and audits
in one transaction; a refusal writes nothing. Who reports a form is a grant constraint
(plan.permissions), so "may this person fill it" has one answer everywhere: `may_fill`.
"""

from datetime import datetime, timedelta
from decimal import Decimal

from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from shuxiang.core import audit, files
from shuxiang.core import services as core_services
from shuxiang.core.actors import as_actor
from shuxiang.core.choices import PlaceLevel, Role, UnitKind
from shuxiang.core.errors import NotFound, ServiceError
from shuxiang.core.models import Place, Unit
from shuxiang.core.permissions import has_perm, require
from shuxiang.core.scope import place_in_scope
from shuxiang.indicators import services as indicator_services
from shuxiang.indicators.periods import Period
from shuxiang.indicators.validation import validate
from shuxiang.plan.choices import ApprovalLevel, EntryStatus, ServicePointKind, UnitRole
from shuxiang.plan.figures import entry_figures, reported_indicators
from shuxiang.plan.models import (
    AssessmentScheme,
    LedgerEntry,
    LedgerRound,
    ManualScore,
    NetworkCoverage,
    Plan,
    ServicePoint,
)
from shuxiang.plan.permissions import APPROVE, FILL, MANAGE, carried


def _visible(actor, place):
    """Objects outside the actor's region do not exist for them (404, as on every read).

    Checked before the grant, so a form of another township is "not found", not "not yours".
    """
    if not place_in_scope(as_actor(actor), place):
        raise NotFound()


def _bool(value, *, field, label):
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("是", "有", "y", "yes", "true", "1", "√", "✓"):
        return True
    if text in ("否", "无", "n", "no", "false", "0", "×"):
        return False
    raise ServiceError("invalid", f"{label}应填“是”或“否”", {field: ["应填“是”或“否”"]})


# --- registries --------------------------------------------------------------------------------

COVERAGE_FIELDS = {
    "has_4g": "4G覆盖",
    "has_5g": "5G覆盖",
    "has_fibre": "光纤通达",
    "has_cable_tv": "有线电视连通",
}


def clean_coverage(place: Place, values: dict) -> dict:
    """The coverage fields from user input, refused with a Chinese reason per field."""
    clean, errors = {}, {}
    if place.level == PlaceLevel.DISTRICT:
        raise ServiceError(
            "wrong_level", "网络覆盖按乡镇、村、村民小组登记", {"place": ["应为乡镇、村或村民小组"]}
        )
    for name, label in COVERAGE_FIELDS.items():
        if name in values:
            try:
                clean[name] = _bool(values[name], field=name, label=label)
            except ServiceError as exc:
                errors.update(exc.fields)
    if "bandwidth_mbps" in values:
        raw = values["bandwidth_mbps"]
        if raw in (None, ""):
            clean["bandwidth_mbps"] = None
        else:
            try:
                number = indicator_services.to_decimal(raw, field="bandwidth_mbps", label="带宽")
                if number != number.to_integral_value() or not 0 <= number <= 1_000_000:
                    raise ServiceError(
                        "out_of_range", "", {"bandwidth_mbps": ["带宽应为 0–1000000 的整数（Mbps）"]}
                    )
                clean["bandwidth_mbps"] = int(number)
            except ServiceError as exc:
                errors.update(exc.fields)
    if "surveyed_on" in values:
        raw = values["surveyed_on"]
        if raw in (None, ""):
            clean["surveyed_on"] = None
        elif hasattr(raw, "year"):
            clean["surveyed_on"] = raw.date() if isinstance(raw, datetime) else raw
        else:
            try:
                clean["surveyed_on"] = datetime.strptime(str(raw).strip()[:10], "%Y-%m-%d").date()
            except ValueError:
                errors["surveyed_on"] = ["日期格式应为 2025-06-30"]
    if "note" in values:
        clean["note"] = str(values["note"] or "")[:200]
    if errors:
        raise ServiceError("invalid", "网络覆盖信息有误", errors)
    return clean


@transaction.atomic
def do_save_coverage(place: Place, *, actor, **values) -> NetworkCoverage:
    """Register (or update) the coverage of one place: one row per place."""
    coverage = NetworkCoverage.objects.filter(place=place).first()
    if coverage is None:
        require(actor, "plan.networkcoverage.add", place)
    else:
        require(actor, "plan.networkcoverage.change", coverage)
    clean = clean_coverage(place, values)
    if coverage is None:
        coverage = NetworkCoverage.objects.create(place=place, **clean)
        audit.record_create(actor, coverage)
        return coverage
    before = audit.snapshot(coverage)
    for key, value in clean.items():
        setattr(coverage, key, value)
    coverage.save()
    audit.record_update(actor, coverage, before)
    return coverage


@transaction.atomic
def do_save_service_point(
    *, actor, place: Place, kind, name, address="", opened_on=None, is_active=True, point=None
) -> ServicePoint:
    """Register a service point, or change `point` (also its place, within the actor's region)."""
    if point is None:
        require(actor, "plan.servicepoint.add", place)
    else:
        require(actor, "plan.servicepoint.change", point)
        require(actor, "plan.servicepoint.change", place)
    errors = {}
    if kind not in ServicePointKind.values:
        errors["kind"] = ["类型应为：" + "、".join(ServicePointKind.labels)]
    name = str(name or "").strip()
    if not name:
        errors["name"] = ["名称必填"]
    if place.level not in (PlaceLevel.TOWNSHIP, PlaceLevel.VILLAGE):
        errors["place"] = ["服务网点登记在乡镇或村"]
    if errors:
        raise ServiceError("invalid", "服务网点信息有误", errors)
    duplicate = ServicePoint.objects.filter(place=place, kind=kind, name=name)
    if point is not None:
        duplicate = duplicate.exclude(pk=point.pk)
    if duplicate.exists():
        raise ServiceError("duplicate", "该区划已登记同名同类网点", {"name": ["已登记"]})
    fields = {
        "place": place,
        "kind": kind,
        "name": name,
        "address": address or "",
        "opened_on": opened_on or None,
        "is_active": bool(is_active),
    }
    if point is None:
        point = ServicePoint.objects.create(**fields)
        audit.record_create(actor, point)
        return point
    before = audit.snapshot(point)
    for key, value in fields.items():
        setattr(point, key, value)
    point.save()
    audit.record_update(actor, point, before)
    return point


# --- quarterly dispatch ------------------------------------------------------------------------


def _township_units() -> dict[int, Unit]:
    return {u.place_id: u for u in Unit.objects.filter(kind=UnitKind.TOWNSHIP_GOV, is_active=True)}


@transaction.atomic
def do_open_round(plan: Plan, *, year, quarter, deadline, actor) -> LedgerRound:
    """Send out a quarter's ledgers: every township (and village, where the task asks) and every
    lead/responsible unit gets one form per task it owns."""
    require(actor, MANAGE, plan)
    try:
        period = Period(int(year), int(quarter))
    except (TypeError, ValueError):
        raise ServiceError("invalid", "年度、季度应为数字", {"quarter": ["应为 1–4"]}) from None
    if period.quarter not in (1, 2, 3, 4):
        raise ServiceError("invalid", "季度应为 1–4", {"quarter": ["应为 1–4"]})
    if not plan.start_year <= period.year <= plan.end_year:
        raise ServiceError(
            "outside_plan",
            f"{period.label}不在规划年限（{plan.start_year}–{plan.end_year}年）内，不能下发台账",
            {"year": [f"应在 {plan.start_year}–{plan.end_year} 年之间"]},
        )
    if not isinstance(deadline, datetime):
        raise ServiceError("invalid", "请填写报送截止时间", {"deadline": ["必填"]})
    if timezone.is_naive(deadline):
        deadline = timezone.make_aware(deadline)
    if deadline.date() < period.start:
        raise ServiceError("invalid", "报送截止时间不能早于季度开始", {"deadline": ["早于季度开始"]})
    if LedgerRound.objects.filter(plan=plan, period=period.code).exists():
        raise ServiceError("duplicate", f"{period.label}的台账已下发", {"quarter": ["已下发"]})
    round_ = LedgerRound.objects.create(
        plan=plan,
        year=period.year,
        quarter=period.quarter,
        period=period.code,
        deadline=deadline,
        opened_by=as_actor(actor).human,
    )
    root = plan.district.path
    townships = list(Place.objects.current().filter(level=2, path__startswith=root))
    villages = list(Place.objects.current().filter(level=3, path__startswith=root))
    entries = []
    for task in plan.tasks.prefetch_related("task_units"):
        for unit_id in sorted({tu.unit_id for tu in task.task_units.all()}):
            entries.append(LedgerEntry(round=round_, task=task, place=plan.district, unit_id=unit_id))
        if task.all_townships:
            entries += [LedgerEntry(round=round_, task=task, place=t) for t in townships]
        if task.village_reporting:
            entries += [LedgerEntry(round=round_, task=task, place=v) for v in villages]
    LedgerEntry.objects.bulk_create(entries, batch_size=2000)
    audit.record(
        actor,
        "create",
        round_,
        changes={
            "period": [None, period.code],
            "deadline": [None, deadline.isoformat()],
            "entries": [None, len(entries)],
        },
    )
    _after_ledger_change(period.code)
    return round_


def _after_ledger_change(period_code):
    from shuxiang.plan.tasks import refresh_ledger_indicators

    transaction.on_commit(lambda: refresh_ledger_indicators(period_code))


def _lock(entry: LedgerEntry) -> LedgerEntry:
    return (
        LedgerEntry.objects.select_for_update(of=("self",))
        .select_related("round", "task", "place", "unit")
        .get(pk=entry.pk)
    )


def may_fill(actor, entry: LedgerEntry) -> bool:
    """Whether a save of this form by `actor` passes the gate: the fill grant on this very form (its
    constraint names the reporters: the unit's staff, or the officers of the form's own township or
    village) and the form inside the actor's region. The save asks `require` the same question;
    the API's `editable` flag and the page's edit form ask this."""
    typed = as_actor(actor)
    return has_perm(typed, FILL, entry) and place_in_scope(typed, entry.place)


def fillable_ids(actor, entries) -> set[int]:
    """Of `entries`, the ids `may_fill` answers True for, in one query (grant filter ∩ region)."""
    ids = [e.pk for e in entries]
    return set(
        LedgerEntry.objects.restrict(as_actor(actor), "change")
        .filter(pk__in=ids)
        .values_list("pk", flat=True)
    )


def _candidates(entry: LedgerEntry):
    from shuxiang.core.models import User

    where = {"unit_id": entry.unit_id} if entry.unit_id else {"place_id": entry.place_id}
    return User.objects.filter(is_active=True, **where)


def reporters_of(entry: LedgerEntry) -> list:
    """The users who fill this form (for notifications): its unit's staff or its place's officers
    who hold the fill grant on it."""
    return [u for u in _candidates(entry) if may_fill(u, entry)]


def _notify_reporters(entry: LedgerEntry, *, title, body):
    url = reverse("plan_ledger_detail", args=[entry.pk])
    recipients = reporters_of(entry)
    transaction.on_commit(
        lambda: core_services.notify(recipients, title=title, body=body, url=url, kind="plan")
    )


def _require_reporter(actor, entry):
    require(actor, FILL, entry, message=f"此台账由{entry.reporter_name}填报")


def _require_open(entry: LedgerEntry, now):
    if entry.status == EntryStatus.APPROVED:
        raise ServiceError("entry_approved", "台账已审定，数据已锁定；如需修改请区级撤销审批后退回")
    if entry.status == EntryStatus.SUBMITTED:
        raise ServiceError("entry_submitted", "台账已报送，等待审批；如需修改请审批人退回")
    if now > entry.lock_time():
        deadline = timezone.localtime(entry.lock_time())
        raise ServiceError(
            "entry_locked",
            f"已过报送截止时间（{deadline:%Y-%m-%d %H:%M}），台账已锁定；如需补报请联系区网信办重新开放",
        )


FORM_FIELDS = ["progress", "problems"]


def _record_fields(actor, entry, before, fields):
    """Audit what changed among `fields` (a snapshot of the whole row would log every other field)."""
    changes = audit.diff(before, audit.snapshot(entry, fields=fields))
    if changes:
        audit.record(actor, "update", entry, changes=changes)


@transaction.atomic
def do_save_entry(
    entry: LedgerEntry, *, actor, progress=None, problems=None, values=None, now=None
) -> LedgerEntry:
    """Save the form: progress, problems and indicator values ({code: value} or {code: (num, den)}).

    The values are the form's reporter's own (its unit's, or its place's for a township or village
    form): saving never changes what another unit reported for the same place."""
    _visible(actor, entry.place)
    entry = _lock(entry)
    now = now or timezone.now()
    _require_reporter(actor, entry)
    _require_open(entry, now)
    before = audit.snapshot(entry, fields=FORM_FIELDS)
    if progress is not None:
        entry.progress = str(progress).strip()
    if problems is not None:
        entry.problems = str(problems).strip()
    indicators = {i.code: i for i in reported_indicators(entry)}
    for code, given in (values or {}).items():
        indicator = indicators.get(code)
        if indicator is None:
            raise ServiceError("unknown_indicator", f"本台账没有指标 {code}", {code: ["本台账不填报此指标"]})
        num, den = given if isinstance(given, tuple | list) else (given, None)
        kwargs = {"numerator": num, "denominator": den} if indicator.is_ratio else {"value": num}
        indicator_services.do_record_value(
            indicator,
            place=entry.place,
            period=entry.round.period,
            actor=carried(actor),
            source_ref=f"ledger:{entry.pk}",
            unit=entry.unit,
            **kwargs,
        )
    entry.save(update_fields=["progress", "problems", "updated_at"])
    _record_fields(actor, entry, before, FORM_FIELDS)
    return entry


def violations_of(entry: LedgerEntry):
    return validate(entry.task.data_set, entry_figures(entry))


@transaction.atomic
def do_submit_entry(entry: LedgerEntry, *, actor, now=None) -> LedgerEntry:
    """报送: complete the form. Refused after the lock, without progress text, or when a
    high-importance validation rule is violated."""
    _visible(actor, entry.place)
    entry = _lock(entry)
    now = now or timezone.now()
    _require_reporter(actor, entry)
    _require_open(entry, now)
    if not entry.progress.strip():
        raise ServiceError("required", "请先填写本季度工作进展再报送", {"progress": ["必填"]})
    blocking = [v for v in violations_of(entry) if v.blocking]
    if blocking:
        raise ServiceError(
            "validation_failed",
            f"数据未通过 {len(blocking)} 条校验规则，不能报送：" + "；".join(v.as_text() for v in blocking),
            {"values": [v.as_text() for v in blocking]},
        )
    first = entry.submitted_at is None
    entry.status = EntryStatus.SUBMITTED
    entry.submitted_at = now
    entry.submitted_by = as_actor(actor).human
    if first:
        entry.on_time = now <= entry.round.deadline
    entry.return_reason = ""
    entry.save(
        update_fields=["status", "submitted_at", "submitted_by", "on_time", "return_reason", "updated_at"]
    )
    audit.record(
        actor,
        "transition",
        entry,
        changes={"status": ["draft", "submitted"], "on_time": [None, entry.on_time]},
    )
    _after_ledger_change(entry.round.period)
    return entry


def _next_level(entry: LedgerEntry) -> int:
    if entry.place.level == PlaceLevel.VILLAGE and entry.approval_level is None:
        return ApprovalLevel.TOWNSHIP
    return ApprovalLevel.DISTRICT


def approver_level(actor, entry: LedgerEntry | None = None) -> int | None:
    """The level at which `actor` approves (`entry`'s grant constraint included when given): the
    district (those who manage the plan, and the platform's own actors that do) or a township."""
    typed = as_actor(actor)
    if not has_perm(typed, APPROVE, entry):
        return None
    if has_perm(typed, MANAGE):
        return ApprovalLevel.DISTRICT
    if typed.is_person and typed.person.role == Role.TOWNSHIP:
        return ApprovalLevel.TOWNSHIP
    return None


def approvable(actor, entries):
    """Of `entries` (a queryset), the submitted forms whose next approval is `actor`'s to give."""
    village_first = Q(place__level=PlaceLevel.VILLAGE, approval_level__isnull=True)
    submitted = entries.filter(status=EntryStatus.SUBMITTED)
    level = approver_level(actor)
    if level == ApprovalLevel.DISTRICT:
        return submitted.exclude(village_first)
    if level == ApprovalLevel.TOWNSHIP:
        return submitted.filter(village_first)
    return entries.none()


def _check_approver(entry, actor, verb) -> int:
    require(actor, APPROVE, entry, message=f"只有乡镇或区级审核人员可以{verb}台账")
    level = approver_level(actor, entry)
    wanted = _next_level(entry)
    if level is None:
        raise ServiceError("approval_wrong_role", f"只有乡镇或区级审核人员可以{verb}台账", status=403)
    if level == ApprovalLevel.DISTRICT and wanted == ApprovalLevel.TOWNSHIP:
        raise ServiceError(
            "approval_out_of_order", f"村级台账须先经乡镇审核，区级才能{verb}（自下而上：村 → 乡镇 → 区）"
        )
    if level == ApprovalLevel.TOWNSHIP and wanted == ApprovalLevel.DISTRICT:
        if entry.approval_level == ApprovalLevel.TOWNSHIP:
            raise ServiceError("approval_out_of_order", "乡镇已审核，等待区级审定")
        raise ServiceError("approval_wrong_role", f"乡镇和部门台账由区级{verb}", status=403)
    return level


@transaction.atomic
def do_approve_entry(entry: LedgerEntry, *, actor, now=None) -> LedgerEntry:
    """审核/审定, bottom-up: a village form first by its township, then by the district; a township
    form by the district only when every village form under it for the task is township-approved."""
    _visible(actor, entry.place)
    entry = _lock(entry)
    now = now or timezone.now()
    if entry.status != EntryStatus.SUBMITTED:
        raise ServiceError("not_submitted", f"只有已报送的台账可以审批（当前：{entry.get_status_display()}）")
    level = _check_approver(entry, actor, "审批")
    if level == ApprovalLevel.DISTRICT and entry.place.level == PlaceLevel.TOWNSHIP and not entry.unit_id:
        waiting = LedgerEntry.objects.filter(
            round=entry.round, task=entry.task, place__parent=entry.place, unit__isnull=True
        ).exclude(approval_level__isnull=False)
        if waiting.exists():
            raise ServiceError(
                "waiting_for_lower_level",
                f"{entry.place.name}还有 {waiting.count()} 个村的本任务台账未经乡镇审核",
            )
    before = {"status": entry.status, "approval_level": entry.approval_level}
    entry.approval_level = level
    if level == ApprovalLevel.DISTRICT:
        entry.status = EntryStatus.APPROVED
        entry.approved_at = now
    entry.save(update_fields=["approval_level", "status", "approved_at", "updated_at"])
    audit.record(
        actor,
        "transition",
        entry,
        changes={
            "status": [before["status"], entry.status],
            "approval_level": [before["approval_level"], entry.approval_level],
        },
    )
    return entry


@transaction.atomic
def do_return_entry(entry: LedgerEntry, *, actor, reason) -> LedgerEntry:
    """退回: the approver due next sends the form back to its reporter with a reason."""
    _visible(actor, entry.place)
    entry = _lock(entry)
    reason = str(reason or "").strip()
    if not reason:
        raise ServiceError("required", "请填写退回原因", {"reason": ["必填"]})
    if entry.status != EntryStatus.SUBMITTED:
        raise ServiceError("not_submitted", f"只有已报送的台账可以退回（当前：{entry.get_status_display()}）")
    _check_approver(entry, actor, "退回")
    before = {"status": entry.status, "approval_level": entry.approval_level}
    entry.status = EntryStatus.RETURNED
    entry.approval_level = None
    entry.return_reason = reason[:300]
    entry.save(update_fields=["status", "approval_level", "return_reason", "updated_at"])
    _notify_reporters(
        entry, title=f"台账被退回：任务{entry.task.number} {entry.round.period}", body=f"退回原因：{reason}"
    )
    audit.record(
        actor,
        "transition",
        entry,
        changes={
            "status": [before["status"], entry.status],
            "approval_level": [before["approval_level"], None],
            "reason": [None, reason],
        },
    )
    _after_ledger_change(entry.round.period)
    return entry


@transaction.atomic
def do_unapprove_entry(entry: LedgerEntry, *, actor) -> LedgerEntry:
    """撤销审批, top-down: the district's approval first, then the township's."""
    _visible(actor, entry.place)
    entry = _lock(entry)
    require(actor, APPROVE, entry, message="只有乡镇或区级审核人员可以撤销审批")
    level = approver_level(actor, entry)
    if level is None:
        raise ServiceError("approval_wrong_role", "只有乡镇或区级审核人员可以撤销审批", status=403)
    if entry.approval_level is None:
        raise ServiceError("not_approved", "台账尚未审批，无需撤销")
    if level == ApprovalLevel.TOWNSHIP and entry.approval_level == ApprovalLevel.DISTRICT:
        raise ServiceError("approval_out_of_order", "台账已经区级审定，须先由区级撤销审定")
    if (
        level == ApprovalLevel.DISTRICT
        and entry.place.level == PlaceLevel.VILLAGE
        and entry.approval_level == ApprovalLevel.TOWNSHIP
    ):
        raise ServiceError("approval_out_of_order", "区级尚未审定此台账；乡镇审核由乡镇撤销")
    if level == ApprovalLevel.TOWNSHIP and entry.approval_level == ApprovalLevel.TOWNSHIP:
        parent = LedgerEntry.objects.filter(
            round=entry.round, task=entry.task, place=entry.place.parent_id, unit__isnull=True
        ).first()
        if parent and parent.status == EntryStatus.APPROVED:
            raise ServiceError("approval_out_of_order", "乡镇本任务台账已经区级审定，须先由区级撤销")
    before = {"status": entry.status, "approval_level": entry.approval_level}
    if entry.approval_level == ApprovalLevel.DISTRICT:
        entry.approval_level = ApprovalLevel.TOWNSHIP if entry.place.level == PlaceLevel.VILLAGE else None
    else:
        entry.approval_level = None
    entry.status = EntryStatus.SUBMITTED
    entry.approved_at = None
    entry.save(update_fields=["status", "approval_level", "approved_at", "updated_at"])
    audit.record(
        actor,
        "transition",
        entry,
        changes={
            "status": [before["status"], entry.status],
            "approval_level": [before["approval_level"], entry.approval_level],
        },
    )
    return entry


def remind_due_entries(*, actor, now=None, within=timedelta(days=2)) -> int:
    """Tell reporters whose forms are still open and due within `within`; at most one reminder a day.

    Only people who may fill a form are reminded of it (the same grant the save checks).
    """
    from shuxiang.core.models import Notification, User

    require(actor, "plan.ledgerentry.view")
    now = now or timezone.now()
    due = list(
        LedgerEntry.objects.restrict(actor)
        .filter(
            status__in=[EntryStatus.DRAFT, EntryStatus.RETURNED],
            round__deadline__gt=now,
            round__deadline__lte=now + within,
        )
        .select_related("round", "task", "place", "unit")
    )
    if not due:
        return 0
    people = User.objects.filter(is_active=True).filter(
        Q(unit_id__in={e.unit_id for e in due if e.unit_id})
        | Q(place_id__in={e.place_id for e in due if not e.unit_id})
    )
    fills = {u: fillable_ids(u, due) for u in people}
    recent = set(
        Notification.objects.filter(
            kind="plan.reminder", created_at__gte=now - timedelta(hours=20), recipient__in=list(fills)
        ).values_list("recipient_id", "url")
    )
    sent = 0
    for entry in due:
        url = reverse("plan_ledger_detail", args=[entry.pk])
        recipients = [u for u, ids in fills.items() if entry.pk in ids and (u.pk, url) not in recent]
        deadline = timezone.localtime(entry.round.deadline)
        core_services.notify(
            recipients,
            title=f"台账即将截止：任务{entry.task.number} {entry.task.title}",
            body=f"{entry.round.year}年第{entry.round.quarter}季度台账请于 {deadline:%m月%d日 %H:%M} 前报送，逾期将锁定。",
            url=url,
            kind="plan.reminder",
        )
        sent += len(recipients)
    return sent


@transaction.atomic
def do_reopen_entry(entry: LedgerEntry, *, actor, until=None, now=None) -> LedgerEntry:
    """重新开放: the district lets a locked form be filled after the deadline, until `until`."""
    _visible(actor, entry.place)
    entry = _lock(entry)
    require(actor, MANAGE, entry.round.plan)
    now = now or timezone.now()
    until = until or now + timedelta(days=7)
    if until <= now:
        raise ServiceError("invalid", "补报截止时间应晚于现在", {"until": ["应晚于现在"]})
    if entry.status not in (EntryStatus.DRAFT, EntryStatus.RETURNED):
        raise ServiceError("not_reopenable", "只有未报送或已退回的台账需要重新开放")
    before = audit.snapshot(entry, fields=["reopened_until"])
    entry.reopened_until = until
    entry.save(update_fields=["reopened_until", "updated_at"])
    _record_fields(actor, entry, before, ["reopened_until"])
    return entry


@transaction.atomic
def do_add_evidence(entry: LedgerEntry, upload, *, actor, now=None):
    """Attach an evidence file (photo or document) to an open form."""
    _visible(actor, entry.place)
    entry = _lock(entry)
    _require_reporter(actor, entry)
    _require_open(entry, now or timezone.now())
    name = getattr(upload, "name", "") or ""
    kind = "photo" if name.lower().endswith((".jpg", ".jpeg", ".png", ".webp")) else "document"
    attachment = files.store_attachment(upload, owner=entry, place=entry.place, actor=actor, kind=kind)
    audit.record(actor, "update", entry, changes={"evidence": [None, attachment.original_name]})
    return attachment


# --- annual assessment -------------------------------------------------------------------------

SCHEME_FIELDS = (
    "name",
    "weight_kpi",
    "weight_timeliness",
    "weight_assignments",
    "weight_manual",
    "manual_default",
    "commend_top",
    "criticize_below",
)


@transaction.atomic
def do_save_scheme(plan: Plan, *, actor, year, **fields) -> AssessmentScheme:
    require(actor, MANAGE, plan)
    unknown = set(fields) - set(SCHEME_FIELDS)
    if unknown:
        raise ServiceError("invalid", f"未知字段：{'、'.join(sorted(unknown))}")
    clean, errors = {}, {}
    for key, value in fields.items():
        if key == "name":
            clean[key] = str(value or "").strip() or f"{year}年度数字乡村建设考核"
            continue
        try:
            number = indicator_services.to_decimal(value, field=key, label=key)
        except ServiceError as exc:
            errors.update(exc.fields)
            continue
        if number is None or number < 0 or (key != "commend_top" and number > 100):
            errors[key] = ["应为 0–100 的数字"]
            continue
        clean[key] = int(number) if key == "commend_top" else number
    scheme = AssessmentScheme.objects.filter(plan=plan, year=year).first()
    weights = [
        clean.get(k, getattr(scheme, k) if scheme else AssessmentScheme._meta.get_field(k).default)
        for k in ("weight_kpi", "weight_timeliness", "weight_assignments", "weight_manual")
    ]
    if not errors and sum(Decimal(w) for w in weights) != 100:
        errors["weight_kpi"] = [f"四项权重之和应为 100（现为 {sum(Decimal(w) for w in weights)}）"]
    if errors:
        raise ServiceError("invalid", "考核方案有误", errors)
    if scheme is None:
        clean.setdefault("name", f"{year}年度数字乡村建设考核")
        scheme = AssessmentScheme.objects.create(plan=plan, year=int(year), **clean)
        audit.record_create(actor, scheme)
        return scheme
    before = audit.snapshot(scheme)
    for key, value in clean.items():
        setattr(scheme, key, value)
    scheme.save()
    audit.record_update(actor, scheme, before)
    return scheme


@transaction.atomic
def do_set_manual_score(
    scheme: AssessmentScheme, *, actor, place: Place, unit=None, score, reason
) -> ManualScore:
    require(actor, MANAGE, scheme.plan)
    require(actor, MANAGE, place)
    number = indicator_services.to_decimal(score, field="score", label="评议分")
    errors = {}
    if number is None or not 0 <= number <= 100:
        errors["score"] = ["评议分应为 0–100"]
    reason = str(reason or "").strip()
    if not reason:
        errors["reason"] = ["请写明评分理由"]
    if errors:
        raise ServiceError("invalid", "评议分有误", errors)
    existing = ManualScore.objects.filter(scheme=scheme, place=place, unit=unit).first()
    user = as_actor(actor).human
    if existing:
        before = audit.snapshot(existing)
        existing.score, existing.reason, existing.given_by = number, reason, user
        existing.save()
        audit.record_update(actor, existing, before)
        return existing
    manual = ManualScore.objects.create(
        scheme=scheme, place=place, unit=unit, score=number, reason=reason, given_by=user
    )
    audit.record_create(actor, manual)
    return manual


@transaction.atomic
def do_run_assessment(scheme: AssessmentScheme, *, actor, assignment_stats=None):
    """Compute every township's and unit's score and rank; replaces the previous run."""
    require(actor, MANAGE, scheme.plan)
    from shuxiang.plan.assessment import compute

    results = compute(scheme, assignment_stats=assignment_stats)
    scheme.results.all().delete()
    for result in results:
        result.save()
    audit.record(
        actor,
        "update",
        scheme,
        changes={"run": [None, len(results)]},
        object_repr=f"计算{scheme.name}",
    )
    return results


def units_of_task(task, role=None):
    qs = task.task_units.select_related("unit")
    return [tu.unit for tu in (qs.filter(role=role) if role else qs)]


LEAD = UnitRole.LEAD
