"""Every write to cases: open, accept, dispatch, return, start, note, resolve, confirm, close,
reopen, rate, escalate. The reference data (categories, routing table, working calendar) is written
by cases.reference; who may be given a case is cases.assignment.

Each `do_*` takes the actor explicitly (core.actors): a person (`Actor.user`, or a User — checked
with their grants and region by the one gate, core.permissions.require), another app carrying a
person's action (`Actor.on_behalf`), the platform (`Actor.system("escalation")`, …, each with the
narrow grants of cases.permissions) or a resident without an account (`Actor.anonymous("public")`
on the report page, `Actor.anonymous("reporter")` for the reporter's own steps, which also need
`reporter_key`, the secret given when the case was opened). A string is never an actor.

Which step needs which permission, from which states, is one table: cases.choices.TRANSITIONS.
Scope rules live here, not in views: a handler acts on their own cases; a dispatcher gives a case
only to units and people responsible for its place (cases.assignment, applied on every dispatch).

Every service locks the case row, checks the transition against the shared
lifecycle and the case type, writes the case, a timeline event and an audit
entry in one transaction, and returns the updated case; notifications and the
`cases.signals.case_changed` signal run on commit.
"""

import hmac
import re
import secrets
from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone

from shuxiang.cases import routing
from shuxiang.cases.assignment import handlers_for
from shuxiang.cases.choices import (
    OPEN_STATES,
    STAFF_TRANSITIONS,
    TRANSITIONS,
    CaseAction,
    CaseState,
    Channel,
    Priority,
)
from shuxiang.cases.geo import check_in_county, locate
from shuxiang.cases.models import Case, CaseEvent
from shuxiang.cases.reference import category_by_code
from shuxiang.cases.registry import get_type
from shuxiang.cases.worktime import accept_deadline_for, deadline_for
from shuxiang.core import audit, pii
from shuxiang.core.actors import Actor, as_actor
from shuxiang.core.choices import PlaceLevel, Role
from shuxiang.core.errors import Forbidden, NotFound, ServiceError
from shuxiang.core.files import store_attachment
from shuxiang.core.models import Place, User
from shuxiang.core.permissions import has_perm, require
from shuxiang.core.services import notify, resolve_place

MAX_PHOTOS = 6
AUTO_CLOSE_DAYS = 7  # a resolved case the reporter neither confirms nor reopens closes itself

# Residents without an account: whoever uses the report page, and the reporter acting with their key.
PUBLIC_ACTOR = Actor.anonymous("public")
REPORTER = Actor.anonymous("reporter")
# The periodic tasks of this app.
ESCALATION = Actor.system("escalation")
AUTO_CLOSE = Actor.system("tasks")


def actor_name(actor) -> str:
    """How the actor appears on a case's timeline (a resident is "反映人", never a name)."""
    actor = as_actor(actor)
    if actor.kind == "anonymous" and actor.label in ("public", "reporter"):
        return "反映人"
    return actor.display_name


def _lock(case: Case) -> Case:
    """The current row, locked for the rest of the transaction (PostgreSQL; SQLite locks the database)."""
    try:
        return (
            Case.objects.select_for_update(of=("self",))
            .select_related("category", "place", "unit")
            .get(pk=case.pk)
        )
    except Case.DoesNotExist:
        raise NotFound() from None


def is_mine(case: Case, actor) -> bool:
    """A handler's own case: assigned to them, their grid's, or their unit's (dispatchers: any in scope)."""
    actor = as_actor(actor)
    if not actor.is_person:
        return True
    user = actor.person
    if has_perm(actor, "case.dispatch", case):
        return True
    return (
        case.assignee_id == user.pk
        or case.grid_worker_id == user.pk
        or (user.unit_id is not None and case.unit_id == user.unit_id)
    )


def _check_staff(case: Case, actor, action: str) -> Actor:
    """The gate for a staff step: the step's permission on the case (region included), then ownership."""
    actor = as_actor(actor)
    step = TRANSITIONS[action]
    require(actor, step.perm, case)
    if step.own_case and not is_mine(case, actor):
        raise Forbidden("该事件没有派给您或您所在的单位")
    return actor


def _check_reporter(case: Case, actor, reporter_key: str | None, action_label: str) -> Actor:
    """The reporter's own steps: the anonymous reporter's grant, a case type that has them, and the key."""
    actor = as_actor(actor)
    require(actor, "case.respond", message=f"只有反映人本人可以{action_label}")
    case_type = get_type(case.case_type)
    if not case_type.reporter_actions:
        raise ServiceError("not_allowed", f"{case_type.label}不由反映人{action_label}", status=403)
    if not reporter_key or not case.reporter_key_digest:
        raise ServiceError("not_reporter", f"只有反映人本人可以{action_label}", status=403)
    if not hmac.compare_digest(pii.digest(reporter_key), case.reporter_key_digest):
        raise ServiceError("not_reporter", f"只有反映人本人可以{action_label}（查询码不正确）", status=403)
    return actor


def _check_staff_or_reporter(case: Case, actor, action: str, reporter_key, label: str) -> Actor:
    """Steps both sides may take (confirm, reopen): people by their grant, residents by their key."""
    actor = as_actor(actor)
    if actor.kind == "anonymous":
        return _check_reporter(case, actor, reporter_key, label)
    return _check_staff(case, actor, action)


def _visible(action: str, is_public) -> bool:
    """Whether a step shows on the reporter's page: the table's default, or staff's choice where allowed."""
    step = TRANSITIONS[action]
    if is_public is None or not step.staff_choose:
        return step.public
    return bool(is_public)


def _check_transition(case: Case, action: str) -> str | None:
    case_type = get_type(case.case_type)
    label = CaseAction(action).label
    if not case_type.allows(action):
        raise ServiceError(
            "action_not_allowed", f"“{case_type.label}”不使用“{label}”这一步", {"action": ["不适用"]}
        )
    step = TRANSITIONS[action]
    if case.state not in step.sources:
        raise ServiceError(
            "illegal_transition",
            f"事件当前状态为“{case.get_state_display()}”，不能{label}",
            {"state": [f"当前状态不能{label}"]},
            status=409,
        )
    refusal = case_type.refusal(case, action)
    if refusal:
        raise ServiceError("step_refused", refusal, {"action": [refusal]}, status=409)
    return step.target


def _record(
    case: Case,
    action: str,
    *,
    actor,
    from_state: str,
    note: str = "",
    is_public: bool | None = None,
    unit=None,
    data=None,
    changes=None,
    now=None,
) -> CaseEvent:
    """The timeline event and the audit entry for one change; followers hear about it on commit.

    `is_public` (shown on the reporter's tracking page) defaults to the step's row in TRANSITIONS;
    registering a case is always shown.
    """
    actor = as_actor(actor)
    if is_public is None:
        is_public = TRANSITIONS[action].public if action in TRANSITIONS else True
    event = CaseEvent.objects.create(
        case=case,
        action=action,
        from_state=from_state,
        to_state=case.state,
        actor=actor.human,
        actor_label=actor_name(actor)[:100],
        note=note,
        is_public=is_public,
        unit=unit,
        data=data or {},
        at=now or timezone.now(),
    )
    audit.record(
        actor,
        "transition" if from_state != case.state else "update",
        case,
        changes={"action": action, "state": [from_state, case.state], "note": note[:200], **(changes or {})},
    )
    from shuxiang.cases.signals import fire

    transaction.on_commit(lambda: fire(case.pk, event.pk, action))
    return event


def _store_photos(case: Case, photos, *, actor, public: bool) -> list[int]:
    photos = [p for p in (photos or []) if p]
    if len(photos) > MAX_PHOTOS:
        raise ServiceError(
            "too_many_photos", f"最多上传{MAX_PHOTOS}张照片", {"photos": [f"最多{MAX_PHOTOS}张"]}
        )
    return [
        store_attachment(
            photo,
            owner=case,
            place=case.place,
            actor=actor,
            kind="photo",
            is_public=public and case.is_public,
        ).pk
        for photo in photos
    ]


def _notify_on_commit(users, *, title, body, case: Case):
    recipients = [u for u in users if u is not None]
    if not recipients:
        return
    url = f"/cases/{case.pk}/"
    transaction.on_commit(lambda: notify(recipients, title=title, body=body, url=url, kind="case"))


def _unit_users(unit) -> list[User]:
    if unit is None:
        return []
    return list(User.objects.filter(unit=unit, is_active=True))


def _clean_text(value, *, field, label, required=False, max_length=None, min_length=0) -> str:
    value = (value or "").strip()
    if required and not value:
        raise ServiceError("required", f"请填写{label}", {field: [f"{label}必填"]})
    if value and len(value) < min_length:
        raise ServiceError("too_short", f"{label}至少{min_length}个字", {field: [f"至少{min_length}个字"]})
    if max_length and len(value) > max_length:
        raise ServiceError(
            "too_long", f"{label}不能超过{max_length}个字", {field: [f"不能超过{max_length}个字"]}
        )
    return value


def _new_tracking_number(now: datetime) -> str:
    """Date plus six random digits: short enough to read over the phone, not guessable in sequence."""
    day = timezone.localtime(now).strftime("%Y%m%d")
    for _ in range(20):
        number = f"{day}{secrets.randbelow(10**6):06d}"
        if not Case.objects.filter(tracking_number=number).exists():
            return number
    raise ServiceError("busy", "系统繁忙，请稍后重试", status=503)


def anonymous_rate() -> tuple[int, timedelta]:
    """How many cases one anonymous client may submit per window (settings: DEFAULT_THROTTLE_RATES anon_submit)."""
    from django.conf import settings

    rate = settings.REST_FRAMEWORK.get("DEFAULT_THROTTLE_RATES", {}).get("anon_submit") or "20/hour"
    count, _, period = rate.partition("/")
    seconds = {"s": 1, "m": 60, "h": 3600, "d": 86400}.get(period[:1], 3600)
    return int(count), timedelta(seconds=seconds)


def _window_label(window: timedelta) -> str:
    return {1: "每秒", 60: "每分钟", 3600: "每小时", 86400: "每天"}.get(
        int(window.total_seconds()), "一段时间"
    )


# --- open -------------------------------------------------------------------------------------


@transaction.atomic
def do_open_case(
    *,
    actor,
    description,
    title="",
    category=None,
    case_type=None,
    place=None,
    latitude=None,
    longitude=None,
    address="",
    reporter_name="",
    phone="",
    person=None,
    photos=(),
    channel=Channel.WEB,
    extra=None,
    unit=None,
    assignee=None,
    deadline=None,
    priority=Priority.NORMAL,
    is_public=None,
    source_ref="",
    submission_key=None,
    media_url="",
    client=None,
) -> Case:
    """Register a case; route it (unit + grid worker) unless `unit`/`assignee` are given; set its deadlines.

    `category` and `place` may be objects or codes; a place may instead come
    from `latitude`/`longitude` (refused outside the county). Anonymous
    residents (actor `PUBLIC_ACTOR`) may only use public categories. A
    repeated `submission_key` returns the first case instead of a second one.
    `client` (an anonymous caller's address) is rate-limited: see `anonymous_rate()`.
    A person who names the `unit` or `assignee` is held to the dispatch rule (`dispatch_units`,
    `check_assignee`); the platform's own callers choose for the types they own.
    The returned case carries `reporter_key` (plaintext, this once) for the
    reporter's tracking link.
    """
    actor = as_actor(actor)
    require(actor, "case.open")
    if submission_key:
        existing = Case.objects.filter(submission_key=submission_key).first()
        if existing is not None:
            existing.reporter_key = None
            return existing
    now = timezone.now()
    category = category_by_code(category) if category not in (None, "") else None
    type_code = case_type or (category.case_type if category else "complaint")
    case_type_obj = get_type(type_code)
    client_digest = pii.digest(f"client:{client}") if client and not actor.is_person else ""
    if client_digest:
        limit, window = anonymous_rate()
        recent = Case.objects.filter(client_digest=client_digest, created_at__gte=now - window).count()
        if recent >= limit:
            raise ServiceError(
                "rate_limited",
                f"提交过于频繁：同一网络{_window_label(window)}内最多提交{limit}件，请稍后再试",
                status=429,
            )
    if actor == PUBLIC_ACTOR and (category is None or not category.is_public or type_code != "complaint"):
        raise ServiceError("unknown_category", "请选择问题类别", {"category": ["该类别不接受群众直接反映"]})

    errors: dict[str, list[str]] = {}
    description = (description or "").strip()
    if len(description) < 5:
        errors["description"] = ["请描述问题，至少5个字"]
    elif len(description) > 2000:
        errors["description"] = ["问题描述不能超过2000字"]
    title = (title or "").strip()
    if len(title) > 100:
        errors["title"] = ["标题不能超过100字"]
    reporter_name = (reporter_name or "").strip()
    if len(reporter_name) > 50:
        errors["reporter_name"] = ["姓名不能超过50字"]
    clean_phone = ""
    if phone:
        try:
            clean_phone = pii.normalize_phone(phone)
        except pii.PIIError as exc:
            errors["phone"] = [exc.message]
    media_url = (media_url or "").strip()
    if media_url and (not re.fullmatch(r"https?://\S{3,490}", media_url)):
        errors["media_url"] = ["图片链接应为 http(s) 网址"]
    if priority not in Priority.values:
        errors["priority"] = ["紧急程度只能是一般或紧急"]
    if channel not in Channel.values:
        errors["channel"] = ["来源渠道无效"]
    if errors:
        raise ServiceError("invalid", "提交的信息有误：" + next(iter(errors.values()))[0], errors)

    has_point = latitude not in (None, "") and longitude not in (None, "")
    if place not in (None, ""):
        place = resolve_place(place)
        if has_point:
            check_in_county(latitude, longitude)
    elif has_point:
        place = locate(latitude, longitude)
    else:
        raise ServiceError("place_required", "请定位、在地图上选点或选择所在村", {"place": ["请选择位置"]})
    require(actor, "case.open", place)
    clean_extra = case_type_obj.clean_extra(extra)

    rule_id = None
    if unit in (None, "") and assignee in (None, ""):
        route = routing.route(category, place)
        unit, grid_worker = route.unit, route.grid_worker
        rule_id = route.rule.pk if route.rule else None
    else:
        unit, assignee = handlers_for(
            actor, place=place, category=category, case_type=case_type_obj, unit=unit, assignee=assignee
        )
        grid_worker = routing.grid_worker_for(place)

    if is_public is None:
        is_public = case_type_obj.public and not (category and category.is_sensitive)
    key = secrets.token_urlsafe(12) if case_type_obj.reporter_actions else ""
    case = Case(
        tracking_number=_new_tracking_number(now),
        case_type=type_code,
        category=category,
        title=title or (f"{category.name}：{description[:20]}" if category else description[:30]),
        description=description,
        place=place,
        latitude=float(latitude) if has_point else place.latitude,
        longitude=float(longitude) if has_point else place.longitude,
        address=(address or "").strip()[:200],
        priority=priority,
        channel=channel,
        is_public=bool(is_public),
        reporter_name=reporter_name,
        phone=clean_phone,
        phone_digest=pii.digest(clean_phone) if clean_phone else "",
        person=person,
        reporter_key_digest=pii.digest(key) if key else "",
        unit=unit,
        assignee=assignee,
        grid_worker=grid_worker,
        opened_by=actor.human,
        accept_deadline=accept_deadline_for(category, now),
        deadline=deadline or deadline_for(category, now),
        extra=clean_extra,
        source_ref=(source_ref or "")[:80],
        submission_key=submission_key or None,
        media_url=media_url,
        client_digest=client_digest,
        created_at=now,
        status_notes="已收到，等待受理",
    )
    for attempt in range(3):
        try:
            with transaction.atomic():
                case.save()
            break
        except IntegrityError:
            if submission_key and Case.objects.filter(submission_key=submission_key).exists():
                existing = Case.objects.get(submission_key=submission_key)
                existing.reporter_key = None
                return existing
            if attempt == 2 or not Case.objects.filter(tracking_number=case.tracking_number).exists():
                raise
            # A concurrent submission drew the same number between our check and our insert.
            case.pk, case.tracking_number = None, _new_tracking_number(now)
    audit.record_create(actor, case)
    attachment_ids = _store_photos(case, photos, actor=actor, public=True)
    _record(
        case,
        CaseAction.OPEN,
        actor=actor,
        from_state="",
        note=f"经{case.get_channel_display()}提交",
        unit=unit,
        data={"attachments": attachment_ids, "routing_rule": rule_id},
        now=now,
    )
    _notify_on_commit(
        [*_unit_users(unit), grid_worker, assignee],
        title=f"新事件待受理：{case.title}",
        body=f"受理编号 {case.tracking_number}，{place.name}",
        case=case,
    )
    case.reporter_key = key
    return case


# --- staff transitions ----------------------------------------------------------------------------


@transaction.atomic
def do_accept_case(case: Case, *, actor, note="", is_public=None) -> Case:
    """受理: the responsible unit (or its grid worker) takes the case on."""
    case = _lock(case)
    actor = _check_staff(case, actor, CaseAction.ACCEPT)
    target = _check_transition(case, CaseAction.ACCEPT)
    note = _clean_text(note, field="note", label="说明", max_length=1000)
    before, now = case.state, timezone.now()
    case.state, case.accepted_at = target, now
    if case.assignee_id is None and actor.is_person:
        case.assignee = actor.person
    case.status_notes = "已受理，正在安排处置"
    case.save(update_fields=["state", "accepted_at", "assignee", "status_notes", "updated_at"])
    _record(
        case,
        CaseAction.ACCEPT,
        actor=actor,
        from_state=before,
        note=note or "已受理",
        is_public=_visible(CaseAction.ACCEPT, is_public),
        unit=case.unit,
        now=now,
    )
    return case


@transaction.atomic
def do_dispatch_case(case: Case, *, actor, unit=None, assignee=None, note="", deadline=None) -> Case:
    """派单 / 改派: give the case to a unit (a bureau, a township, a village, or a company) and/or a person.

    Both must be responsible for the case's place (`dispatch_units`, `check_assignee`): the rule is
    here, so the web page, the API and other apps' calls are held to it alike. Dispatching a case
    that was not yet accepted accepts it at the same time. The instruction is internal.
    """
    case = _lock(case)
    actor = _check_staff(case, actor, CaseAction.DISPATCH)
    target = _check_transition(case, CaseAction.DISPATCH)
    if unit in (None, "") and assignee in (None, ""):
        raise ServiceError("required", "请选择承办单位或承办人", {"unit": ["请选择承办单位"]})
    unit, assignee = handlers_for(
        actor,
        place=case.place,
        category=case.category,
        case_type=get_type(case.case_type),
        unit=unit,
        assignee=assignee,
        current=case.unit_id,
    )
    note = _clean_text(note, field="note", label="派单说明", max_length=1000)
    if deadline is not None and deadline <= timezone.now():
        raise ServiceError("invalid_deadline", "办理时限不能早于现在", {"deadline": ["应晚于现在"]})
    before, now = case.state, timezone.now()
    previous_unit = case.unit
    case.state = target
    case.unit = unit
    case.assignee = assignee
    case.dispatched_at = now
    if case.accepted_at is None:
        case.accepted_at = now
    if deadline is not None:
        case.deadline, case.is_overdue = deadline, False
    case.status_notes = f"已派{unit.name if unit else '承办人'}办理"
    case.save(
        update_fields=[
            "state",
            "unit",
            "assignee",
            "dispatched_at",
            "accepted_at",
            "deadline",
            "is_overdue",
            "status_notes",
            "updated_at",
        ]
    )
    _record(
        case,
        CaseAction.DISPATCH,
        actor=actor,
        from_state=before,
        note=note or case.status_notes,
        unit=unit,
        data={"unit": unit.pk if unit else None, "assignee": assignee.pk if assignee else None},
        changes={"unit": [previous_unit.pk if previous_unit else None, unit.pk if unit else None]},
        now=now,
    )
    _notify_on_commit(
        [*_unit_users(unit), assignee],
        title=f"派单：{case.title}",
        body=f"受理编号 {case.tracking_number}，请在时限内办理",
        case=case,
    )
    return case


def _dispatchers_of(case: Case) -> list[User]:
    township = routing.township_of(case.place)
    return routing_users(township, (Role.TOWNSHIP,)) if township else []


def routing_users(place, roles) -> list[User]:
    from shuxiang.core.services import users_at

    return users_at([place], roles) if place is not None else []


@transaction.atomic
def do_return_case(case: Case, *, actor, reason) -> Case:
    """退回: the unit says the case is not theirs (or cannot be handled as given), with the reason."""
    case = _lock(case)
    actor = _check_staff(case, actor, CaseAction.RETURN)
    target = _check_transition(case, CaseAction.RETURN)
    reason = _clean_text(
        reason, field="reason", label="退回理由", required=True, min_length=2, max_length=1000
    )
    before = case.state
    case.state, case.assignee = target, None
    case.status_notes = "重新分派中"
    case.save(update_fields=["state", "assignee", "status_notes", "updated_at"])
    _record(case, CaseAction.RETURN, actor=actor, from_state=before, note=reason, unit=case.unit)
    _notify_on_commit(
        _dispatchers_of(case),
        title=f"事件被退回：{case.title}",
        body=f"{actor_name(actor)}退回：{reason}",
        case=case,
    )
    return case


@transaction.atomic
def do_start_case(case: Case, *, actor, note="", is_public=None) -> Case:
    """开始处置. The note is internal unless staff mark it for the reporter."""
    case = _lock(case)
    actor = _check_staff(case, actor, CaseAction.START)
    target = _check_transition(case, CaseAction.START)
    note = _clean_text(note, field="note", label="说明", max_length=1000)
    visible = _visible(CaseAction.START, is_public)
    before = case.state
    case.state = target
    if case.assignee_id is None and actor.is_person:
        case.assignee = actor.person
    case.status_notes = (note[:300] if visible else "") or "正在处置"
    case.save(update_fields=["state", "assignee", "status_notes", "updated_at"])
    _record(
        case,
        CaseAction.START,
        actor=actor,
        from_state=before,
        note=note or "开始处置",
        is_public=visible,
        unit=case.unit,
    )
    return case


@transaction.atomic
def do_add_note(case: Case, *, actor, note, photos=(), is_public=False, data=None) -> Case:
    """A handler's note (with photos): internal by default; notes for the reporter become the status notes.

    An app writing to a case of its type (a cleared or repeated alarm) passes `data`, its own
    references, kept on the timeline event so it can find the case again (`events__data__alarm=7`)."""
    case = _lock(case)
    actor = _check_staff(case, actor, CaseAction.NOTE)
    _check_transition(case, CaseAction.NOTE)
    note = _clean_text(note, field="note", label="办理记录", required=True, max_length=2000)
    visible = _visible(CaseAction.NOTE, is_public)
    ids = _store_photos(case, photos, actor=actor, public=visible)
    if visible:
        case.status_notes = note[:300]
        case.save(update_fields=["status_notes", "updated_at"])
    _record(
        case,
        CaseAction.NOTE,
        actor=actor,
        from_state=case.state,
        note=note,
        is_public=visible,
        unit=case.unit,
        data={**(data or {}), "attachments": ids},
    )
    return case


@transaction.atomic
def do_resolve_case(case: Case, *, actor, note, photos=()) -> Case:
    """办结 with evidence: what was done (required) and photos of the result — both shown to the reporter."""
    case = _lock(case)
    actor = _check_staff(case, actor, CaseAction.RESOLVE)
    target = _check_transition(case, CaseAction.RESOLVE)
    note = _clean_text(note, field="note", label="办理结果", required=True, min_length=4, max_length=2000)
    before, now = case.state, timezone.now()
    ids = _store_photos(case, photos, actor=actor, public=True)
    case.state, case.resolved_at = target, now
    case.status_notes = note[:300]
    case.save(update_fields=["state", "resolved_at", "status_notes", "updated_at"])
    _record(
        case,
        CaseAction.RESOLVE,
        actor=actor,
        from_state=before,
        note=note,
        unit=case.unit,
        data={"attachments": ids},
        now=now,
    )
    return case


@transaction.atomic
def do_close_case(case: Case, *, actor, note="", is_public=None) -> Case:
    """Close a resolved case without the reporter: after a follow-up call (回访), or automatically."""
    case = _lock(case)
    actor = _check_staff(case, actor, CaseAction.CLOSE)
    target = _check_transition(case, CaseAction.CLOSE)
    note = _clean_text(note, field="note", label="说明", max_length=1000)
    before, now = case.state, timezone.now()
    case.state, case.closed_at = target, now
    case.save(update_fields=["state", "closed_at", "updated_at"])
    _record(
        case,
        CaseAction.CLOSE,
        actor=actor,
        from_state=before,
        note=note or "已关闭",
        is_public=_visible(CaseAction.CLOSE, is_public),
        unit=case.unit,
        now=now,
    )
    return case


@transaction.atomic
def do_escalate_case(case: Case, *, actor, reason, to_place=None) -> Case:
    """升级督办: the level above the handling unit now supervises the case (by hand or by the periodic task)."""
    case = _lock(case)
    actor = _check_staff(case, actor, CaseAction.ESCALATE)
    _check_transition(case, CaseAction.ESCALATE)
    reason = _clean_text(reason, field="reason", label="督办理由", required=True, max_length=500)
    target = resolve_place(to_place, field="to_place") if to_place else escalation_target(case)
    return _escalate(case, actor=actor, reason=reason, target=target)


def escalation_target(case: Case) -> Place:
    """One level above whoever supervises the case now (the handling unit's place, or the township)."""
    base = case.escalated_to
    if base is None:
        base = case.unit.place if case.unit_id else routing.township_of(case.place) or case.place
    if base.level > PlaceLevel.DISTRICT and base.parent_id:
        return base.parent
    return base


def _escalate(case: Case, *, actor, reason, target: Place, changes=None) -> Case:
    before_level, now = case.escalation_level, timezone.now()
    case.escalation_level += 1
    case.escalated_to, case.escalated_at = target, now
    case.save(update_fields=["escalation_level", "escalated_to", "escalated_at", "updated_at"])
    _record(
        case,
        CaseAction.ESCALATE,
        actor=actor,
        from_state=case.state,
        note=f"升级至{target.name}督办：{reason}",
        unit=case.unit,
        data={"to_place": target.code, "level": case.escalation_level},
        changes={"escalation_level": [before_level, case.escalation_level], **(changes or {})},
        now=now,
    )
    roles = {PlaceLevel.DISTRICT: (Role.DISTRICT,), PlaceLevel.TOWNSHIP: (Role.TOWNSHIP,)}.get(
        target.level, (Role.VILLAGE,)
    )
    _notify_on_commit(
        routing_users(target, roles),
        title=f"督办：{case.title}",
        body=f"受理编号 {case.tracking_number}，{reason}",
        case=case,
    )
    return case


# --- the reporter --------------------------------------------------------------------------------


@transaction.atomic
def do_add_info(case: Case, *, actor, reporter_key=None, note, photos=()) -> Case:
    """The reporter adds information or photos to their open case."""
    case = _lock(case)
    actor = _check_reporter(case, actor, reporter_key, "补充信息")
    _check_transition(case, CaseAction.INFO)
    note = _clean_text(note, field="note", label="补充内容", required=True, max_length=2000)
    ids = _store_photos(case, photos, actor=actor, public=True)
    _record(
        case,
        CaseAction.INFO,
        actor=actor,
        from_state=case.state,
        note=note,
        unit=case.unit,
        data={"attachments": ids},
    )
    _notify_on_commit(
        [*_unit_users(case.unit), case.assignee],
        title=f"反映人补充了信息：{case.title}",
        body=note[:100],
        case=case,
    )
    return case


@transaction.atomic
def do_confirm_case(case: Case, *, actor, reporter_key=None, note="", is_public=None) -> Case:
    """The reporter confirms the problem is fixed (staff may do so for them with case.close, after a call)."""
    case = _lock(case)
    actor = _check_staff_or_reporter(case, actor, CaseAction.CONFIRM, reporter_key, "确认解决")
    target = _check_transition(case, CaseAction.CONFIRM)
    note = _clean_text(note, field="note", label="说明", max_length=500)
    before, now = case.state, timezone.now()
    case.state, case.closed_at = target, now
    case.status_notes = "反映人已确认解决"
    case.save(update_fields=["state", "closed_at", "status_notes", "updated_at"])
    _record(
        case,
        CaseAction.CONFIRM,
        actor=actor,
        from_state=before,
        note=note or "确认已解决",
        is_public=_visible(CaseAction.CONFIRM, is_public if actor.is_person else None),
        unit=case.unit,
        now=now,
    )
    return case


@transaction.atomic
def do_reopen_case(case: Case, *, actor, reporter_key=None, reason) -> Case:
    """Not fixed: back to the unit that resolved it, with a fresh deadline. Only the reporter or a supervisor."""
    case = _lock(case)
    actor = _check_staff_or_reporter(case, actor, CaseAction.REOPEN, reporter_key, "要求重新办理")
    _check_transition(case, CaseAction.REOPEN)
    reason = _clean_text(
        reason, field="reason", label="未解决的原因", required=True, min_length=2, max_length=1000
    )
    before, now = case.state, timezone.now()
    case.state = CaseState.DISPATCHED if case.unit_id or case.assignee_id else CaseState.SUBMITTED
    case.reopen_count += 1
    case.resolved_at = case.closed_at = None
    case.rating, case.rating_comment = None, ""
    case.deadline = deadline_for(case.category, now) if case.category else case.deadline
    case.is_overdue = False
    case.status_notes = "反映人反馈未解决，已重新交办"
    case.save(
        update_fields=[
            "state",
            "reopen_count",
            "resolved_at",
            "closed_at",
            "rating",
            "rating_comment",
            "deadline",
            "is_overdue",
            "status_notes",
            "updated_at",
        ]
    )
    _record(case, CaseAction.REOPEN, actor=actor, from_state=before, note=reason, unit=case.unit, now=now)
    _notify_on_commit(
        [*_unit_users(case.unit), case.assignee],
        title=f"事件被要求重新办理：{case.title}",
        body=reason[:100],
        case=case,
    )
    return case


@transaction.atomic
def do_rate_case(case: Case, *, actor, reporter_key=None, rating, comment="") -> Case:
    """The reporter's satisfaction, 1–5, once per resolution."""
    case = _lock(case)
    actor = _check_reporter(case, actor, reporter_key, "评价")
    _check_transition(case, CaseAction.RATE)
    try:
        rating = int(rating)
    except (TypeError, ValueError):
        rating = 0
    if not 1 <= rating <= 5:
        raise ServiceError("invalid_rating", "请选择1–5分的评价", {"rating": ["应为1–5分"]})
    if case.rating is not None:
        raise ServiceError("already_rated", "您已评价过本次办理结果", {"rating": ["已评价"]}, status=409)
    comment = _clean_text(comment, field="comment", label="评价意见", max_length=300)
    case.rating, case.rating_comment = rating, comment
    case.save(update_fields=["rating", "rating_comment", "updated_at"])
    _record(
        case,
        CaseAction.RATE,
        actor=actor,
        from_state=case.state,
        note=f"{rating}分" + (f"：{comment}" if comment else ""),
        unit=case.unit,
        data={"rating": rating},
    )
    return case


def available_actions(actor, case: Case) -> list[str]:
    """The staff steps this actor may offer on this case now, read from TRANSITIONS (the service
    still has the last word: it checks the same rows)."""
    actor = as_actor(actor)
    case_type = get_type(case.case_type, default=None)
    if case_type is None:
        return []
    mine = None
    found = []
    for step in STAFF_TRANSITIONS:
        if not case_type.allows(step.action) or case.state not in step.sources:
            continue
        if case_type.refusal(case, step.action):
            continue
        if not has_perm(actor, step.perm, case):
            continue
        if step.own_case:
            mine = is_mine(case, actor) if mine is None else mine
            if not mine:
                continue
        found.append(step.action)
    return found


# --- periodic work --------------------------------------------------------------------------------


def escalate_due_cases(*, now=None) -> dict:
    """Mark overdue cases and escalate those not accepted in time or past their deadline (the periodic task).

    Each case is escalated at most once per reason (not accepted in time; past
    the deadline), one level up each time. Returns the counts.
    """
    require(ESCALATION, "case.supervise")
    now = now or timezone.now()
    counts = {"accept_overdue": 0, "overdue": 0}
    late_accept = Case.objects.filter(
        state=CaseState.SUBMITTED, accept_deadline__lt=now, accept_overdue=False
    ).values_list("pk", flat=True)
    for pk in list(late_accept):
        with transaction.atomic():
            case = (
                Case.objects.select_for_update(of=("self",)).select_related("unit__place", "place").get(pk=pk)
            )
            if case.state != CaseState.SUBMITTED or case.accept_overdue:
                continue
            case.accept_overdue = True
            case.save(update_fields=["accept_overdue", "updated_at"])
            _escalate(
                case,
                actor=ESCALATION,
                reason="超过受理时限未受理",
                target=escalation_target(case),
                changes={"accept_overdue": [False, True]},
            )
            counts["accept_overdue"] += 1
    late = Case.objects.filter(state__in=OPEN_STATES, deadline__lt=now, is_overdue=False).values_list(
        "pk", flat=True
    )
    for pk in list(late):
        with transaction.atomic():
            case = (
                Case.objects.select_for_update(of=("self",)).select_related("unit__place", "place").get(pk=pk)
            )
            if case.state not in OPEN_STATES or case.is_overdue:
                continue
            case.is_overdue = True
            case.save(update_fields=["is_overdue", "updated_at"])
            _record(
                case,
                CaseAction.OVERDUE,
                actor=ESCALATION,
                from_state=case.state,
                note="已超过办理时限",
                unit=case.unit,
                changes={"is_overdue": [False, True]},
            )
            _escalate(case, actor=ESCALATION, reason="超过办理时限未办结", target=escalation_target(case))
            counts["overdue"] += 1
    return counts


def close_unconfirmed_cases(*, now=None, days=AUTO_CLOSE_DAYS) -> int:
    """Resolved cases the reporter left unanswered for `days` close themselves (the periodic task)."""
    now = now or timezone.now()
    pks = list(
        Case.objects.filter(state=CaseState.RESOLVED, resolved_at__lt=now - timedelta(days=days)).values_list(
            "pk", flat=True
        )
    )
    for pk in pks:
        do_close_case(Case(pk=pk), actor=AUTO_CLOSE, note=f"办结{days}天内反映人未反馈，系统自动关闭")
    return len(pks)
