"""Every write to cases: open, accept, dispatch, return, start, note, resolve, confirm, close,
reopen, rate, escalate — and the reference data (categories, routing table, working calendar).

Each `do_*` takes the actor explicitly: a core User (permission + region are
checked), a label string such as "device:RTU01" or "plan" (a trusted caller:
another app's service, a device, a task), or None (the platform itself). The
public reporter is not a User: their actions (add information, confirm,
reopen, rate) take `reporter_key`, the secret given when the case was opened.

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
from shuxiang.cases.choices import (
    OPEN_STATES,
    TRANSITIONS,
    CaseAction,
    CaseState,
    Channel,
    DeadlineUnit,
    Priority,
)
from shuxiang.cases.geo import check_in_county, locate
from shuxiang.cases.models import Case, CaseCategory, CaseEvent, RoutingRule, WorkCalendarDay
from shuxiang.cases.registry import get_type
from shuxiang.cases.worktime import accept_deadline_for, deadline_for
from shuxiang.core import audit, pii
from shuxiang.core.choices import PlaceLevel, Role
from shuxiang.core.errors import Forbidden, NotFound, ServiceError
from shuxiang.core.files import store_attachment
from shuxiang.core.models import Place, Unit, User
from shuxiang.core.permissions import has_perm, require  # noqa: F401
from shuxiang.core.scope import place_in_scope
from shuxiang.core.services import notify, resolve_place

MAX_PHOTOS = 6
PUBLIC_ACTOR = "public"  # the label of an anonymous resident on the public channels
AUTO_CLOSE_DAYS = 7  # a resolved case the reporter neither confirms nor reopens closes itself


def _is_user(actor) -> bool:
    return actor is not None and not isinstance(actor, str)


def actor_name(actor) -> str:
    if _is_user(actor):
        return str(actor)
    if actor is None:
        return "系统"
    if actor == PUBLIC_ACTOR or str(actor).startswith("reporter:"):
        return "反映人"
    return str(actor)


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


def _check_staff(case: Case, actor, perm: str, *, own_case_only: bool):
    """Users need the permission, the case in their region and — for handler actions — the case to be theirs."""
    if not _is_user(actor):
        return
    if not place_in_scope(actor, case.place):
        raise NotFound()
    require(actor, perm)
    if own_case_only and not has_perm(actor, "case.dispatch"):
        mine = (
            case.assignee_id == actor.pk
            or case.grid_worker_id == actor.pk
            or (actor.unit_id is not None and case.unit_id == actor.unit_id)
        )
        if not mine:
            raise Forbidden("该事件没有派给您或您所在的单位")


def _check_reporter(case: Case, reporter_key: str | None, action_label: str):
    case_type = get_type(case.case_type)
    if not case_type.reporter_actions:
        raise ServiceError("not_allowed", f"{case_type.label}不由反映人{action_label}", status=403)
    if not reporter_key or not case.reporter_key_digest:
        raise ServiceError("not_reporter", f"只有反映人本人可以{action_label}", status=403)
    if not hmac.compare_digest(pii.digest(reporter_key), case.reporter_key_digest):
        raise ServiceError("not_reporter", f"只有反映人本人可以{action_label}（查询码不正确）", status=403)


def _check_transition(case: Case, action: str) -> str | None:
    case_type = get_type(case.case_type)
    label = CaseAction(action).label
    if not case_type.allows(action):
        raise ServiceError(
            "action_not_allowed", f"“{case_type.label}”不使用“{label}”这一步", {"action": ["不适用"]}
        )
    allowed_from, target = TRANSITIONS[action]
    if case.state not in allowed_from:
        raise ServiceError(
            "illegal_transition",
            f"事件当前状态为“{case.get_state_display()}”，不能{label}",
            {"state": [f"当前状态不能{label}"]},
            status=409,
        )
    return target


def _record(
    case: Case,
    action: str,
    *,
    actor,
    from_state: str,
    note: str = "",
    is_public: bool = True,
    unit=None,
    data=None,
    changes=None,
    now=None,
) -> CaseEvent:
    """The timeline event and the audit entry for one change; followers hear about it on commit."""
    event = CaseEvent.objects.create(
        case=case,
        action=action,
        from_state=from_state,
        to_state=case.state,
        actor=actor if _is_user(actor) else None,
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
            actor=actor if _is_user(actor) else None,
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


def category_by_code(code) -> CaseCategory:
    if isinstance(code, CaseCategory):
        return code
    category = CaseCategory.objects.filter(code=(code or "").strip(), is_active=True).first()
    if category is None:
        raise ServiceError("unknown_category", "请选择问题类别", {"category": ["类别不存在或已停用"]})
    return category


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
    The returned case carries `reporter_key` (plaintext, this once) for the
    reporter's tracking link.
    """
    if submission_key:
        existing = Case.objects.filter(submission_key=submission_key).first()
        if existing is not None:
            existing.reporter_key = None
            return existing
    now = timezone.now()
    category = category_by_code(category) if category not in (None, "") else None
    type_code = case_type or (category.case_type if category else "complaint")
    case_type_obj = get_type(type_code)
    client_digest = pii.digest(f"client:{client}") if client and not _is_user(actor) else ""
    if client_digest:
        limit, window = anonymous_rate()
        recent = Case.objects.filter(client_digest=client_digest, created_at__gte=now - window).count()
        if recent >= limit:
            raise ServiceError(
                "rate_limited",
                f"提交过于频繁：同一网络{_window_label(window)}内最多提交{limit}件，请稍后再试",
                status=429,
            )
    if _is_user(actor):
        require(actor, "case.open")
    elif actor == PUBLIC_ACTOR and (category is None or not category.is_public or type_code != "complaint"):
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
    if _is_user(actor) and not place_in_scope(actor, place):
        raise ServiceError("out_of_scope", "所选区划不在您的管辖范围内", {"place": ["不在管辖范围内"]})
    clean_extra = case_type_obj.clean_extra(extra)

    rule_id = None
    if unit is None and assignee is None:
        route = routing.route(category, place)
        unit, grid_worker = route.unit, route.grid_worker
        rule_id = route.rule.pk if route.rule else None
    else:
        if isinstance(assignee, User) and unit is None:
            unit = assignee.unit
        grid_worker = routing.grid_worker_for(place)
    if unit is not None and not unit.is_active:
        raise ServiceError("inactive_unit", f"{unit.name}已停用", {"unit": ["单位已停用"]})

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
        opened_by=actor if _is_user(actor) else None,
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
def do_accept_case(case: Case, *, actor, note="") -> Case:
    """受理: the responsible unit (or its grid worker) takes the case on."""
    case = _lock(case)
    _check_staff(case, actor, "case.accept", own_case_only=True)
    target = _check_transition(case, CaseAction.ACCEPT)
    note = _clean_text(note, field="note", label="说明", max_length=1000)
    before, now = case.state, timezone.now()
    case.state, case.accepted_at = target, now
    if case.assignee_id is None and _is_user(actor):
        case.assignee = actor
    case.status_notes = "已受理，正在安排处置"
    case.save(update_fields=["state", "accepted_at", "assignee", "status_notes", "updated_at"])
    _record(
        case,
        CaseAction.ACCEPT,
        actor=actor,
        from_state=before,
        note=note or "已受理",
        unit=case.unit,
        now=now,
    )
    return case


@transaction.atomic
def do_dispatch_case(case: Case, *, actor, unit=None, assignee=None, note="", deadline=None) -> Case:
    """派单 / 改派: give the case to a unit (a bureau, a township, a village, or a company) and/or a person.

    Dispatching a case that was not yet accepted accepts it at the same time.
    """
    case = _lock(case)
    _check_staff(case, actor, "case.dispatch", own_case_only=False)
    target = _check_transition(case, CaseAction.DISPATCH)
    if unit is None and assignee is None:
        raise ServiceError("required", "请选择承办单位或承办人", {"unit": ["请选择承办单位"]})
    if unit is not None and not isinstance(unit, Unit):
        unit = Unit.objects.filter(pk=unit).first()
        if unit is None:
            raise ServiceError("unknown_unit", "承办单位不存在", {"unit": ["单位不存在"]})
    if unit is not None and not unit.is_active:
        raise ServiceError("inactive_unit", f"{unit.name}已停用", {"unit": ["单位已停用"]})
    if assignee is not None:
        if not isinstance(assignee, User):
            assignee = User.objects.filter(pk=assignee).first()
        if assignee is None or not assignee.is_active:
            raise ServiceError("unknown_user", "承办人不存在或已停用", {"assignee": ["承办人无效"]})
        if unit is None:
            unit = assignee.unit
        elif assignee.unit_id != unit.pk and not place_in_scope(assignee, case.place):
            raise ServiceError(
                "assignee_mismatch",
                "承办人不属于所选单位，也不负责该区域",
                {"assignee": ["承办人与单位不符"]},
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
    case.status_notes = f"已派{unit.name if unit else assignee}办理"
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
    _check_staff(case, actor, "case.handle", own_case_only=True)
    target = _check_transition(case, CaseAction.RETURN)
    reason = _clean_text(
        reason, field="reason", label="退回理由", required=True, min_length=2, max_length=1000
    )
    before = case.state
    case.state, case.assignee = target, None
    case.status_notes = "重新分派中"
    case.save(update_fields=["state", "assignee", "status_notes", "updated_at"])
    _record(
        case, CaseAction.RETURN, actor=actor, from_state=before, note=reason, is_public=False, unit=case.unit
    )
    _notify_on_commit(
        _dispatchers_of(case),
        title=f"事件被退回：{case.title}",
        body=f"{actor_name(actor)}退回：{reason}",
        case=case,
    )
    return case


@transaction.atomic
def do_start_case(case: Case, *, actor, note="") -> Case:
    """开始处置."""
    case = _lock(case)
    _check_staff(case, actor, "case.handle", own_case_only=True)
    target = _check_transition(case, CaseAction.START)
    note = _clean_text(note, field="note", label="说明", max_length=1000)
    before = case.state
    case.state = target
    if case.assignee_id is None and _is_user(actor):
        case.assignee = actor
    case.status_notes = note[:300] or "正在处置"
    case.save(update_fields=["state", "assignee", "status_notes", "updated_at"])
    _record(case, CaseAction.START, actor=actor, from_state=before, note=note or "开始处置", unit=case.unit)
    return case


@transaction.atomic
def do_add_note(case: Case, *, actor, note, photos=(), is_public=False) -> Case:
    """A handler's note (with photos): internal by default; public notes become the status notes."""
    case = _lock(case)
    _check_staff(case, actor, "case.handle", own_case_only=True)
    _check_transition(case, CaseAction.NOTE)
    note = _clean_text(note, field="note", label="办理记录", required=True, max_length=2000)
    ids = _store_photos(case, photos, actor=actor, public=is_public)
    if is_public:
        case.status_notes = note[:300]
        case.save(update_fields=["status_notes", "updated_at"])
    _record(
        case,
        CaseAction.NOTE,
        actor=actor,
        from_state=case.state,
        note=note,
        is_public=is_public,
        unit=case.unit,
        data={"attachments": ids},
    )
    return case


@transaction.atomic
def do_resolve_case(case: Case, *, actor, note, photos=()) -> Case:
    """办结 with evidence: what was done (required) and photos of the result."""
    case = _lock(case)
    _check_staff(case, actor, "case.handle", own_case_only=True)
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
def do_close_case(case: Case, *, actor, note="") -> Case:
    """Close a resolved case without the reporter: after a follow-up call (回访), or automatically."""
    case = _lock(case)
    _check_staff(case, actor, "case.close", own_case_only=False)
    target = _check_transition(case, CaseAction.CLOSE)
    note = _clean_text(note, field="note", label="说明", max_length=1000)
    before, now = case.state, timezone.now()
    case.state, case.closed_at = target, now
    case.save(update_fields=["state", "closed_at", "updated_at"])
    _record(
        case, CaseAction.CLOSE, actor=actor, from_state=before, note=note or "已关闭", unit=case.unit, now=now
    )
    return case


@transaction.atomic
def do_escalate_case(case: Case, *, actor, reason, to_place=None) -> Case:
    """升级督办: the level above the handling unit now supervises the case (by hand or by the periodic task)."""
    case = _lock(case)
    _check_staff(case, actor, "case.supervise", own_case_only=False)
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
        is_public=False,
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
    _check_reporter(case, reporter_key, "补充信息")
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
def do_confirm_case(case: Case, *, actor, reporter_key=None, note="") -> Case:
    """The reporter confirms the problem is fixed (staff may do so for them with case.close, after a call)."""
    case = _lock(case)
    if _is_user(actor):
        _check_staff(case, actor, "case.close", own_case_only=False)
    else:
        _check_reporter(case, reporter_key, "确认解决")
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
        unit=case.unit,
        now=now,
    )
    return case


@transaction.atomic
def do_reopen_case(case: Case, *, actor, reporter_key=None, reason) -> Case:
    """Not fixed: back to the unit that resolved it, with a fresh deadline. Only the reporter or a supervisor."""
    case = _lock(case)
    if _is_user(actor):
        _check_staff(case, actor, "case.supervise", own_case_only=False)
    else:
        _check_reporter(case, reporter_key, "要求重新办理")
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
    _check_reporter(case, reporter_key, "评价")
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


# --- periodic work --------------------------------------------------------------------------------


def escalate_due_cases(*, now=None) -> dict:
    """Mark overdue cases and escalate those not accepted in time or past their deadline (the periodic task).

    Each case is escalated at most once per reason (not accepted in time; past
    the deadline), one level up each time. Returns the counts.
    """
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
                actor=None,
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
                actor=None,
                from_state=case.state,
                note="已超过办理时限",
                is_public=False,
                unit=case.unit,
                changes={"is_overdue": [False, True]},
            )
            _escalate(case, actor=None, reason="超过办理时限未办结", target=escalation_target(case))
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
        do_close_case(Case(pk=pk), actor=None, note=f"办结{days}天内反映人未反馈，系统自动关闭")
    return len(pks)


# --- reference data: categories, routing table, working calendar --------------------------------------


@transaction.atomic
def do_save_category(
    *,
    actor,
    code,
    name,
    category=None,
    description="",
    group="",
    case_type="complaint",
    is_public=True,
    is_sensitive=False,
    deadline_amount=5,
    deadline_unit=DeadlineUnit.CALENDAR_DAYS,
    accept_hours=24,
    order=100,
    is_active=True,
) -> CaseCategory:
    """Create a category, or update `category`; deadlines apply to cases opened afterwards."""
    if _is_user(actor):
        require(actor, "case.configure")
    errors: dict[str, list[str]] = {}

    code = (code or "").strip()
    if not re.fullmatch(r"[a-z0-9][a-z0-9_-]{1,39}", code):
        errors["code"] = ["代码为2–40位小写字母、数字、_ 或 -"]
    elif CaseCategory.objects.filter(code=code).exclude(pk=category.pk if category else None).exists():
        errors["code"] = [f"代码 {code} 已存在"]
    if not (name or "").strip():
        errors["name"] = ["名称必填"]
    if get_type(case_type, default=None) is None:
        errors["case_type"] = ["事件类型未注册"]
    if deadline_unit not in DeadlineUnit.values:
        errors["deadline_unit"] = ["时限单位只能是工作小时或自然日"]
    try:
        deadline_amount = int(deadline_amount)
        if deadline_amount <= 0:
            raise ValueError
    except (TypeError, ValueError):
        errors["deadline_amount"] = ["办理时限应为正整数"]
    try:
        accept_hours = int(accept_hours)
        if accept_hours < 0:
            raise ValueError
    except (TypeError, ValueError):
        errors["accept_hours"] = ["受理时限应为不小于0的整数（小时）"]
    if errors:
        raise ServiceError("invalid", "类别信息有误", errors)
    values = {
        "code": code,
        "name": name.strip(),
        "description": (description or "").strip(),
        "group": (group or "").strip(),
        "case_type": case_type,
        "is_public": bool(is_public),
        "is_sensitive": bool(is_sensitive),
        "deadline_amount": deadline_amount,
        "deadline_unit": deadline_unit,
        "accept_hours": accept_hours,
        "order": int(order or 100),
        "is_active": bool(is_active),
    }
    if category is None:
        category = CaseCategory.objects.create(**values)
        audit.record_create(actor, category)
        return category
    before = audit.snapshot(category)
    for key, value in values.items():
        setattr(category, key, value)
    category.save()
    audit.record_update(actor, category, before)
    return category


@transaction.atomic
def do_save_routing_rule(
    *, actor, place, unit, category=None, notify_grid=True, note="", rule=None
) -> RoutingRule:
    """Add a line to the routing table, or change `rule`. A township may route only inside itself."""
    if _is_user(actor):
        require(actor, "case.configure")
    place = resolve_place(place)
    if _is_user(actor) and not place_in_scope(actor, place):
        raise ServiceError("out_of_scope", "所选区划不在您的管辖范围内", {"place": ["不在管辖范围内"]})
    if rule is not None and _is_user(actor) and not place_in_scope(actor, rule.place):
        raise NotFound()
    category = category_by_code(category) if category not in (None, "") else None
    if not isinstance(unit, Unit):
        unit = Unit.objects.filter(pk=unit).first() if unit not in (None, "") else None
    if unit is None or not unit.is_active:
        raise ServiceError("unknown_unit", "请选择启用中的责任单位", {"unit": ["单位不存在或已停用"]})
    clash = RoutingRule.objects.filter(place=place, category=category).exclude(pk=rule.pk if rule else None)
    if clash.exists():
        raise ServiceError(
            "duplicate_rule",
            f"{place.name}已有“{category or '全部类别'}”的分派规则",
            {"category": ["重复的分派规则"]},
        )
    values = {
        "place": place,
        "unit": unit,
        "category": category,
        "notify_grid": bool(notify_grid),
        "note": (note or "")[:200],
    }
    if rule is None:
        rule = RoutingRule.objects.create(**values)
        audit.record_create(actor, rule)
        return rule
    before = audit.snapshot(rule)
    for key, value in values.items():
        setattr(rule, key, value)
    rule.save()
    audit.record_update(actor, rule, before)
    return rule


@transaction.atomic
def do_delete_routing_rule(rule: RoutingRule, *, actor) -> None:
    if _is_user(actor):
        require(actor, "case.configure")
        if not place_in_scope(actor, rule.place):
            raise NotFound()
    audit.record_delete(actor, rule)
    rule.delete()


@transaction.atomic
def do_set_calendar_day(*, actor, date, is_workday, name="") -> WorkCalendarDay:
    """A public holiday (is_workday False) or a make-up working day (True) for deadline counting."""
    if _is_user(actor):
        require(actor, "case.configure")
    day, created = WorkCalendarDay.objects.get_or_create(
        date=date, defaults={"is_workday": bool(is_workday), "name": (name or "")[:50]}
    )
    if created:
        audit.record_create(actor, day)
        return day
    before = audit.snapshot(day)
    day.is_workday, day.name = bool(is_workday), (name or "")[:50]
    day.save()
    audit.record_update(actor, day, before)
    return day
