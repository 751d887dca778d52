"""Every write of the warnings engine: authoring, approval, issue, Update/Cancel, re-send,
receipts, endpoints and CAP import.

Each `do_*` takes a typed actor (core.actors: a user, `Actor.on_behalf(user, via=...)`,
`Actor.system("water")` for an alarm, OPERATOR for the CLI) explicitly, passes the one gate
(core.permissions.require: grant and region), validates, writes and audits in one transaction.
Fan-out and notifications run on commit. Apps (water) call these with their system actor.
"""

import secrets
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from shuxiang.core import audit
from shuxiang.core.actors import as_actor
from shuxiang.core.choices import Role
from shuxiang.core.errors import Forbidden, NotFound, ServiceError
from shuxiang.core.models import Notification, Place, Unit
from shuxiang.core.permissions import has_perm, in_domain, require
from shuxiang.core.scope import place_in_scope
from shuxiang.core.services import notify, resolve_place, users_at
from shuxiang.warnings import conf, registry
from shuxiang.warnings.choices import (
    Adapter,
    CapStatus,
    Certainty,
    Colour,
    DeliveryStatus,
    MsgType,
    Urgency,
    WarningStatus,
)
from shuxiang.warnings.models import Delivery, Endpoint, SignalType, Warning, WarningArea, waiting_label

WARNING_DOMAIN = "warnings"

# What each write needs (declared for roles and machines in apps.py).
AUTHOR = "warnings.warning.add"  # write, submit, issue, update, cancel, re-send, import
EDIT = "warnings.warning.change"  # change a draft; attach the rendered speech
APPROVE = "warnings.warning.approve"  # the second person for orange and red
ESCALATE = "warnings.warning.escalate"  # the periodic check handing up a machine's warning nobody approves
ENDPOINT_ADD = "warnings.endpoint.add"
ENDPOINT_CHANGE = "warnings.endpoint.change"
RECEIPT = "warnings.delivery.receipt"  # a loudspeaker gateway reports back


def may(actor, perm, obj=None) -> bool:
    """Whether to offer an action (buttons, menu, pending work): the grant, and for department users
    a unit responsible for warnings (区气象局, 区应急局). The services decide with `_gate`."""
    return has_perm(actor, perm, obj) and in_domain(actor, WARNING_DOMAIN)


def _gate(actor, perm, target=None, *, message="您没有执行此操作的权限", field="areas"):
    """The one gate (grant, constraint, region) plus the warnings duty of department users.

    A target place outside the actor's region is refused naming the place and the form field."""
    actor = as_actor(actor)
    try:
        require(actor, perm, target, message=message)
    except ServiceError as exc:
        if exc.code != "out_of_scope" or not isinstance(target, Place):
            raise
        raise ServiceError(
            "out_of_scope",
            f"{target.name}不在您的管辖范围内",
            {field: [f"{target.name}不在管辖范围内"]},
            status=exc.status,
        ) from None
    if not in_domain(actor, WARNING_DOMAIN):
        raise Forbidden(message)
    return actor


def _gate_places(actor, perm, places, *, message, field="areas"):
    actor = _gate(actor, perm, message=message)
    for place in places:
        _gate(actor, perm, place, message=message, field=field)
    return actor


# --- validation helpers -------------------------------------------------------------------


def resolve_signal_type(value) -> SignalType:
    if isinstance(value, SignalType):
        return value
    found = SignalType.objects.filter(code=str(value or "").strip(), is_active=True).first()
    if found is None:
        raise ServiceError(
            "unknown_signal_type", f"预警信号类型 {value} 不存在", {"signal_type": ["请选择信号类型"]}
        )
    return found


def resolve_areas(values, *, field="areas") -> list[Place]:
    """Target areas by division code or Place: the district, townships or villages (not hamlets)."""
    places, missing = [], []
    for value in values or []:
        if isinstance(value, Place):
            places.append(value)
            continue
        code = str(value).strip()
        place = Place.objects.filter(code=code).first()
        if place is None:
            missing.append(code)
        else:
            places.append(place)
    if missing:
        raise ServiceError(
            "unknown_place",
            f"区划代码 {'、'.join(missing)} 不存在",
            {field: [f"区划代码 {c} 不存在" for c in missing]},
        )
    if not places:
        raise ServiceError("required", "请选择预警目标区域", {field: ["至少选择一个乡镇或村"]})
    too_fine = [p.name for p in places if p.level > 3]
    if too_fine:
        raise ServiceError(
            "area_too_fine",
            "目标区域应为区、乡镇或村",
            {field: [f"{n}是村民小组，请选择所属村" for n in too_fine]},
        )
    # A village inside a chosen township adds nothing: keep the broadest.
    unique = {p.pk: p for p in places}.values()
    kept = [p for p in unique if not any(o.pk != p.pk and p.path.startswith(o.path) for o in unique)]
    return sorted(kept, key=lambda p: p.code)


def coverage_root(places) -> Place:
    """The lowest place whose subtree holds every target area."""
    paths = [[c for c in p.path.split("/") if c] for p in places]
    common = []
    for codes in zip(*paths, strict=False):
        if len(set(codes)) != 1:
            break
        common.append(codes[0])
    return Place.objects.get(code=common[-1])


def _unit_of(actor, unit):
    if unit is not None:
        return unit if isinstance(unit, Unit) else Unit.objects.filter(pk=unit).first()
    person = as_actor(actor).human
    return person.unit if person is not None else None


def _validate(warning: Warning, *, now, check_expired=True) -> dict:
    errors: dict[str, list[str]] = {}
    if not warning.headline.strip():
        errors["headline"] = ["请填写标题"]
    if not warning.description.strip():
        errors["description"] = ["请填写预警内容"]
    if warning.colour not in Colour.values:
        errors["colour"] = ["颜色应为蓝色、黄色、橙色或红色"]
    elif not warning.signal_type.allows(warning.colour):
        allowed = "、".join(Colour(c).label for c in warning.signal_type.colours)
        errors["colour"] = [f"{warning.signal_type.name}预警只有{allowed}"]
    if warning.urgency not in Urgency.values:
        errors["urgency"] = ["紧迫程度无效"]
    if warning.certainty not in Certainty.values:
        errors["certainty"] = ["确定程度无效"]
    if warning.cap_status not in CapStatus.values:
        errors["cap_status"] = ["CAP 状态应为 Actual、Exercise、Test 或 System"]
    if check_expired and warning.expires and warning.expires <= now:
        errors["expires"] = ["失效时间已过，不能发布已过期的预警"]
    elif warning.effective and warning.expires and warning.expires <= warning.effective:
        errors["expires"] = ["失效时间应晚于生效时间"]
    return errors


def _set_areas(warning: Warning, places):
    WarningArea.objects.filter(warning=warning).delete()
    WarningArea.objects.bulk_create([WarningArea(warning=warning, place=p) for p in places])


# --- authoring ------------------------------------------------------------------------------


@transaction.atomic
def do_create_warning(
    *,
    actor,
    signal_type,
    colour,
    headline,
    description,
    areas,
    expires,
    instruction=None,
    effective=None,
    onset=None,
    urgency=Urgency.EXPECTED,
    certainty=Certainty.LIKELY,
    cap_status=CapStatus.ACTUAL,
    source="",
    unit=None,
    submit=False,
    immediate=False,
    polygons=None,
) -> Warning:
    """A new warning (CAP Alert) as a draft.

    `instruction=None` takes the signal type's defence guide for the colour. `submit=True`
    puts an orange/red draft in the approval queue. `immediate=True` also issues it now,
    without a second person: only for machine actors (an alarm rule a person configured
    to do so), never for a signed-in user.
    """
    actor = _gate(actor, AUTHOR, message="您没有编写预警的权限")
    if immediate and actor.is_person:
        raise ServiceError("approval_required", "人工编写的预警须经审批流程发布，不能直接发布", {})
    now = timezone.now()
    stype = resolve_signal_type(signal_type)
    places = resolve_areas(areas)
    _gate_places(actor, AUTHOR, places, message="您没有编写预警的权限")
    unit = _unit_of(actor, unit)
    warning = Warning(
        signal_type=stype,
        colour=colour,
        headline=(headline or "").strip(),
        description=(description or "").strip(),
        instruction=(stype.guides.get(colour, "") if instruction is None else instruction).strip(),
        effective=effective or now,
        onset=onset,
        expires=expires,
        urgency=urgency,
        certainty=certainty,
        cap_status=cap_status,
        source=source[:100],
        unit=unit,
        sender_name=unit.name if unit else conf.sender_name(),
        place=coverage_root(places),
        polygons=polygons or [],
        author=actor.human,
        author_label=actor.audit_label[:100],
    )
    errors = _validate(warning, now=now)
    if errors:
        raise ServiceError("invalid", "预警信息有误：" + next(iter(errors.values()))[0], errors)
    warning.save()
    _set_areas(warning, places)
    audit.record_create(actor, warning)
    if immediate:
        return _issue(warning, actor=actor, now=now)
    if submit:
        return do_submit_warning(warning, actor=actor)
    return warning


EDITABLE = {
    "signal_type",
    "colour",
    "headline",
    "description",
    "instruction",
    "effective",
    "onset",
    "expires",
    "urgency",
    "certainty",
    "cap_status",
    "areas",
}


@transaction.atomic
def do_edit_warning(warning: Warning, *, actor, **changes) -> Warning:
    """Change a draft (or one returned by the approver); once submitted it is frozen."""
    actor = _gate(actor, EDIT, warning, message="您没有修改预警的权限")
    if warning.status != WarningStatus.DRAFT:
        raise ServiceError("not_draft", f"预警已{warning.get_status_display()}，不能修改", {})
    unknown = set(changes) - EDITABLE
    if unknown:
        raise ServiceError("readonly_field", "这些字段不可修改", {f: ["不可修改"] for f in unknown})
    before = audit.snapshot(warning)
    if "signal_type" in changes:
        changes["signal_type"] = resolve_signal_type(changes["signal_type"])
    places = None
    if "areas" in changes:
        places = resolve_areas(changes.pop("areas"))
        _gate_places(actor, EDIT, places, message="您没有修改预警的权限")
    for key, value in changes.items():
        setattr(warning, key, value.strip() if isinstance(value, str) else value)
    if places is not None:
        warning.place = coverage_root(places)
    errors = _validate(warning, now=timezone.now())
    if errors:
        raise ServiceError("invalid", "预警信息有误：" + next(iter(errors.values()))[0], errors)
    warning.save()
    if places is not None:
        _set_areas(warning, places)
    audit.record_update(actor, warning, before)
    return warning


def _transition(actor, warning, new_status, **extra):
    old = warning.status
    warning.status = new_status
    for key, value in extra.items():
        setattr(warning, key, value)
    warning.save(update_fields=["status", "updated_at", *extra])
    audit.record(
        actor,
        "transition",
        warning,
        changes={"status": [old, new_status], **{k: [None, audit._plain(v)] for k, v in extra.items()}},
    )


@transaction.atomic
def do_submit_warning(warning: Warning, *, actor) -> Warning:
    """Draft → waiting for a second person's approval."""
    actor = _gate(actor, AUTHOR, warning, message="您没有编写预警的权限")
    if warning.status != WarningStatus.DRAFT:
        raise ServiceError("not_draft", f"预警已{warning.get_status_display()}，不能再提交", {})
    errors = _validate(warning, now=timezone.now())
    if errors:
        raise ServiceError("invalid", "预警信息有误：" + next(iter(errors.values()))[0], errors)
    _transition(
        actor, warning, WarningStatus.PENDING, review_note="", submitted_at=timezone.now(), escalated_at=None
    )
    transaction.on_commit(lambda: _notify_approvers(warning))
    return warning


def approvers_of(warning) -> list:
    """Everyone who may approve this warning: a grant of `approve` (by role or personally, with its
    constraint), the warnings duty of department users and the region — never its author."""
    from shuxiang.core.models import Grant, User

    roles, users = set(), set()
    rows = Grant.objects.filter(object_type="warnings.warning").values_list("role", "user_id", "actions")
    for role, user_id, actions in rows:
        if "approve" in (actions or []):
            if user_id:
                users.add(user_id)
            elif role:
                roles.add(role)
    candidates = (
        User.objects.filter(Q(role__in=roles) | Q(pk__in=users) | Q(is_superuser=True), is_active=True)
        .exclude(pk=warning.author_id)
        .select_related("unit", "place")
    )
    return [u for u in candidates if may(u, APPROVE, warning) and place_in_scope(u, warning.place)]


def _notify_approvers(warning):
    notify(
        approvers_of(warning),
        title=f"待审批：{warning.signal_name}预警 {warning.headline}",
        body=warning.description[:200],
        url=f"/warnings/{warning.pk}/",
        kind="warning.approval",
    )


def _approval_done(warning):
    """The warning left the approval queue: the "待审批" messages of every approver are settled, so
    nobody opens one that another approver already decided."""
    Notification.objects.filter(
        kind="warning.approval", url=f"/warnings/{warning.pk}/", read_at__isnull=True
    ).update(read_at=timezone.now())


def escalation_units():
    names = conf.escalation_units()
    return Unit.objects.filter(Q(name__in=names) | Q(short_name__in=names), is_active=True)


def escalation_recipients(warning) -> list:
    """Who hears of a machine's warning left waiting for approval: above the approvers, the district
    officers, and the emergency bureau's staff — those whose region covers the warning."""
    from shuxiang.core.models import User

    candidates = User.objects.filter(
        Q(role=Role.DISTRICT) | Q(unit__in=escalation_units()), is_active=True
    ).select_related("place", "unit")
    return [u for u in candidates if place_in_scope(u, warning.place)]


def is_escalation_recipient(user) -> bool:
    """Whether escalated approvals are this user's to chase (home page line)."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    return user.role == Role.DISTRICT or (
        user.unit_id is not None and escalation_units().filter(pk=user.unit_id).exists()
    )


def do_escalate_waiting_warnings(*, actor, now=None) -> int:
    """A warning written by a machine (a reservoir alarm) and waiting for approval longer than
    `conf.approval_escalate_minutes()` goes up, once — as an unacknowledged alarm does: the
    district officers and the emergency bureau are told, and see it on their home page with its age.
    A person's own draft waits for its approver as before."""
    actor = as_actor(actor)
    require(actor, ESCALATE)
    now = now or timezone.now()
    limit = conf.approval_escalate_minutes()
    due = Warning.objects.filter(
        status=WarningStatus.PENDING,
        author__isnull=True,
        escalated_at__isnull=True,
        submitted_at__lte=now - timedelta(minutes=limit),
    ).select_related("signal_type", "place")
    count = 0
    for warning in due:
        with transaction.atomic():
            claimed = Warning.objects.filter(
                pk=warning.pk, status=WarningStatus.PENDING, escalated_at__isnull=True
            ).update(escalated_at=now)
            if not claimed:
                continue
            warning.escalated_at = now
            audit.record(actor, "transition", warning, changes={"escalated_at": [None, now.isoformat()]})
            minutes = int((now - warning.submitted_at).total_seconds() // 60)
            transaction.on_commit(lambda w=warning, m=minutes: _notify_escalation(w, m))
        count += 1
    return count


def _notify_escalation(warning, minutes):
    # Same kind as the approvers' message: approving or returning the warning settles these too.
    notify(
        escalation_recipients(warning),
        title=f"【预警审批超时】{warning.signal_name}预警已等待 {waiting_label(minutes)}：{warning.headline}",
        body=warning.description[:200],
        url=f"/warnings/{warning.pk}/",
        kind="warning.approval",
    )


@transaction.atomic
def do_approve_warning(warning: Warning, *, actor, note="") -> Warning:
    """A second person (not the author) approves an orange or red warning for issue."""
    actor = _gate(actor, APPROVE, warning, message="您没有审批预警的权限")
    if warning.status != WarningStatus.PENDING:
        raise ServiceError("not_pending", f"预警当前为{warning.get_status_display()}，不在待审批状态", {})
    if actor.human is not None and warning.author_id == actor.human.pk:
        raise ServiceError("same_person", "编写人不能审批自己编写的预警，须由另一人审批", {})
    _transition(
        actor,
        warning,
        WarningStatus.APPROVED,
        approver=actor.human,
        approved_at=timezone.now(),
        review_note=(note or "")[:300],
    )
    _approval_done(warning)
    return warning


@transaction.atomic
def do_reject_warning(warning: Warning, *, actor, note) -> Warning:
    """The approver returns the draft to its author with a reason."""
    actor = _gate(actor, APPROVE, warning, message="您没有审批预警的权限")
    if warning.status != WarningStatus.PENDING:
        raise ServiceError("not_pending", f"预警当前为{warning.get_status_display()}，不在待审批状态", {})
    if not (note or "").strip():
        raise ServiceError("invalid", "请填写退回理由", {"note": ["必填"]})
    _transition(actor, warning, WarningStatus.DRAFT, review_note=note.strip()[:300])
    _approval_done(warning)
    if warning.author_id:
        author = warning.author
        transaction.on_commit(
            lambda: notify(
                [author],
                title=f"预警被退回：{warning.headline}",
                body=note,
                url=f"/warnings/{warning.pk}/",
                kind="warning.rejected",
            )
        )
    return warning


@transaction.atomic
def do_issue_warning(warning: Warning, *, actor) -> Warning:
    """Publish: identifier, deliveries to every targeted endpoint, notifications, speech audio.

    Orange and red need an approval first; blue and yellow may go straight from draft.
    """
    actor = _gate(actor, AUTHOR, warning, message="您没有发布预警的权限")
    if warning.needs_approval and warning.status != WarningStatus.APPROVED:
        raise ServiceError(
            "approval_required",
            f"{warning.get_colour_display()}预警须经另一人审批后才能发布（当前：{warning.get_status_display()}）",
            {},
        )
    if warning.status not in (WarningStatus.DRAFT, WarningStatus.APPROVED):
        raise ServiceError("not_issuable", f"预警当前为{warning.get_status_display()}，不能发布", {})
    return _issue(warning, actor=actor, now=timezone.now())


def _issue(warning: Warning, *, actor, now) -> Warning:
    errors = _validate(warning, now=now)
    if errors:
        raise ServiceError("invalid", "预警信息有误：" + next(iter(errors.values()))[0], errors)
    if warning.references_id:
        original = Warning.objects.select_for_update().get(pk=warning.references_id)
        if original.status != WarningStatus.ISSUED:
            raise ServiceError(
                "not_current",
                f"原预警已{original.get_status_display()}，不能再更新或解除",
                {"references": ["原预警已不是当前有效预警"]},
            )
    warning.identifier = warning.identifier or new_identifier(warning.unit, now)
    warning.sender = warning.sender or sender_code(warning.unit)
    warning.issued_at = now
    warning.issued_by = as_actor(actor).audit_label[:100]
    warning.save(update_fields=["identifier", "sender", "issued_at", "issued_by", "updated_at"])
    _transition(actor, warning, WarningStatus.ISSUED)
    if warning.references_id:
        _transition(
            actor,
            original,
            WarningStatus.CANCELLED if warning.msg_type == MsgType.CANCEL else WarningStatus.UPDATED,
        )
    count = _create_deliveries(warning, now)
    audit.record(actor, "transition", warning, changes={"deliveries": [0, count]})
    transaction.on_commit(lambda: _after_issue(warning.pk))
    for callback in registry.on_issued():  # apps that react to warnings (farmland drafts rice advice)
        transaction.on_commit(lambda c=callback, pk=warning.pk: c(pk), robust=True)
    return warning


def _create_deliveries(warning: Warning, now) -> int:
    q = Q()
    for place in warning.areas.all():
        q |= Q(place__path__startswith=place.path)
    endpoint_ids = set(Endpoint.objects.filter(is_active=True).filter(q).values_list("pk", flat=True))
    if warning.references_id:
        earlier = [w.pk for w in warning.references.chain()]
        # An Update or Cancel reaches everyone who was sent the warning, even outside the new areas.
        endpoint_ids |= set(
            Delivery.objects.filter(warning_id__in=earlier).values_list("endpoint_id", flat=True)
        )
        Delivery.objects.filter(warning_id__in=earlier, status=DeliveryStatus.PENDING).update(
            status=DeliveryStatus.SKIPPED, last_error="已被后续更新或解除消息取代"
        )
    Delivery.objects.bulk_create(
        [
            Delivery(warning=warning, endpoint_id=pk, next_attempt_at=now, token=secrets.token_hex(16))
            for pk in sorted(endpoint_ids)
        ],
        batch_size=1000,
    )
    return len(endpoint_ids)


def _after_issue(warning_id):
    from shuxiang.warnings import tasks

    # Speech is rendered by the dispatch task once the first pass is out: on a small machine
    # espeak-ng would otherwise compete with the fan-out for the CPU.
    tasks.dispatch_deliveries(warning_id)
    tasks.notify_targeted_people(warning_id)


def notify_targeted(warning: Warning):
    """In-app messages to township staff, village cadres and grid workers of the targeted places —
    and to the township staff of a targeted village's township, who must see that it is heard."""
    areas = list(warning.areas.all())
    q = Q()
    for place in areas:
        q |= Q(path__startswith=place.path)
    places = list(Place.objects.filter(level__in=[2, 3]).filter(q))
    recipients = users_at(places, [Role.TOWNSHIP, Role.VILLAGE, Role.GRID])
    above = {codes[1] for codes in ([c for c in p.path.split("/") if c] for p in areas) if len(codes) > 2}
    township_staff = users_at(Place.objects.filter(code__in=above, level=2), [Role.TOWNSHIP])
    recipients += [u for u in township_staff if u not in recipients]
    verb = {"Cancel": "解除", "Update": "更新"}.get(warning.msg_type, "发布")
    notify(
        recipients,
        title=f"【{warning.signal_name}预警】{verb}：{warning.headline}",
        body=(warning.instruction or warning.description)[:500],
        url=f"/warnings/{warning.pk}/",
        kind="warning",
    )
    return len(recipients)


# --- Update and Cancel ----------------------------------------------------------------------


def _current(original: Warning):
    if original.status != WarningStatus.ISSUED:
        raise ServiceError(
            "not_current",
            f"原预警已{original.get_status_display()}，只能更新或解除当前有效的预警",
            {"references": ["原预警不是当前有效预警"]},
        )


@transaction.atomic
def do_update_warning(original: Warning, *, actor, submit=False, **changes) -> Warning:
    """An Update of an issued warning, as a new draft that refers to it; fields not given are kept.

    Goes through the same approval as a new warning of its colour; when issued it reaches
    every endpoint that got the original plus the (possibly new) areas.
    """
    actor = _gate(actor, AUTHOR, original, message="您没有编写预警的权限")
    _current(original)
    unknown = set(changes) - EDITABLE
    if unknown:
        raise ServiceError("readonly_field", "这些字段不可修改", {f: ["不可修改"] for f in unknown})
    if Warning.objects.filter(references=original, status__in=["draft", "pending", "approved"]).exists():
        raise ServiceError("followup_open", "该预警已有未发布的更新或解除，请先处理", {})
    now = timezone.now()
    places = resolve_areas(changes.pop("areas")) if "areas" in changes else list(original.areas.all())
    _gate_places(actor, AUTHOR, places, message="您没有编写预警的权限")
    stype = resolve_signal_type(changes.pop("signal_type", original.signal_type))
    colour = changes.pop("colour", original.colour)
    instruction = changes.pop("instruction", None)
    if instruction is None:
        instruction = stype.guides.get(colour, "") if colour != original.colour else original.instruction
    fields = {
        f: changes.get(f, getattr(original, f))
        for f in ("headline", "description", "onset", "expires", "urgency", "certainty", "cap_status")
    }
    warning = Warning(
        signal_type=stype,
        colour=colour,
        instruction=instruction,
        effective=changes.get("effective") or now,
        msg_type=MsgType.UPDATE,
        references=original,
        unit=original.unit,
        sender_name=original.sender_name,
        place=coverage_root(places),
        source=original.source,
        author=actor.human,
        author_label=actor.audit_label[:100],
        **fields,
    )
    errors = _validate(warning, now=now)
    if errors:
        raise ServiceError("invalid", "预警信息有误：" + next(iter(errors.values()))[0], errors)
    warning.save()
    _set_areas(warning, places)
    audit.record_create(actor, warning)
    if submit and warning.needs_approval:
        return do_submit_warning(warning, actor=actor)
    return warning


@transaction.atomic
def do_cancel_warning(original: Warning, *, actor, reason="") -> Warning:
    """Lift (解除) an issued warning now: a Cancel message to every endpoint that was sent it.

    Cancelling lowers the risk, so it needs no second person; it is audited like any issue.
    """
    actor = _gate(actor, AUTHOR, original, message="您没有解除预警的权限")
    _current(original)
    now = timezone.now()
    warning = Warning(
        signal_type=original.signal_type,
        colour=original.colour,
        headline=(reason or "").strip() or f"{original.signal_name}预警解除",
        description=f"{original.sender_name}于{timezone.localtime(now):%Y年%m月%d日%H时%M分}解除{original.signal_name}预警。"
        + ((reason or "").strip() and f"原因：{reason.strip()}"),
        instruction="",
        effective=now,
        expires=max(original.expires, now + timedelta(hours=1)),
        urgency=Urgency.PAST,
        certainty=original.certainty,
        cap_status=original.cap_status,
        msg_type=MsgType.CANCEL,
        references=original,
        unit=original.unit,
        sender_name=original.sender_name,
        place=original.place,
        source=original.source,
        author=actor.human,
        author_label=actor.audit_label[:100],
    )
    warning.save()
    _set_areas(warning, list(original.areas.all()))
    audit.record_create(actor, warning)
    return _issue(warning, actor=actor, now=now)


# --- deliveries -------------------------------------------------------------------------------


@transaction.atomic
def do_resend(warning: Warning, *, actor, deliveries=None) -> int:
    """Send again to failed endpoints (or to the given deliveries): attempts start over."""
    actor = _gate(actor, AUTHOR, warning, message="您没有重发预警的权限")
    if warning.status not in (WarningStatus.ISSUED,) and warning.msg_type != MsgType.CANCEL:
        raise ServiceError("not_current", "只能重发当前有效的预警", {})
    qs = Delivery.objects.filter(warning=warning)
    qs = (
        qs.filter(pk__in=[d.pk if isinstance(d, Delivery) else d for d in deliveries])
        if deliveries
        else qs.filter(status=DeliveryStatus.FAILED)
    )
    qs = qs.exclude(status__in=[DeliveryStatus.PENDING, DeliveryStatus.SENDING])
    count = qs.update(
        status=DeliveryStatus.PENDING,
        attempts=0,
        next_attempt_at=timezone.now(),
        last_error="",
        claimed_by="",
        receipt_at=None,
        receipt_note="",
    )
    if not count:
        raise ServiceError("nothing_to_resend", "没有需要重发的送达记录", {})
    audit.record(actor, "transition", warning, changes={"resend": [None, count]})
    from shuxiang.warnings import tasks

    transaction.on_commit(lambda: tasks.dispatch_deliveries(warning.pk))
    return count


RECEIPT_STATUSES = {
    "delivered": DeliveryStatus.DELIVERED,
    "played": DeliveryStatus.PLAYED,
    "failed": DeliveryStatus.FAILED,
}


@transaction.atomic
def do_record_receipt(*, actor, token, status, note="") -> Delivery:
    """A gateway reports back: delivered, played, or failed with a reason.

    Two things identify it: its gateway account (`warnings.delivery.receipt`, the loudspeaker
    gateway role; its region bounds the deliveries it may report on) and the receipt token the
    delivery was sent with. An unknown token and one outside the gateway's region answer alike."""
    actor = as_actor(actor)
    require(actor, RECEIPT, message="您没有上报预警回执的权限")
    if status not in RECEIPT_STATUSES:
        raise ServiceError(
            "invalid",
            "回执状态应为 delivered、played 或 failed",
            {"status": ["可选：delivered、played、failed"]},
        )
    if status == "failed" and not (note or "").strip():
        raise ServiceError("invalid", "失败回执须说明原因", {"note": ["请说明失败原因"]})
    delivery = (
        Delivery.objects.select_for_update()
        .filter(token=str(token or ""))
        .select_related("endpoint__place")
        .first()
    )
    try:
        if delivery is None:
            raise NotFound()
        require(actor, RECEIPT, delivery, message="您没有上报预警回执的权限")
    except NotFound:
        raise ServiceError("unknown_delivery", "回执凭证无效", {"token": ["无效"]}, status=404) from None
    before = delivery.status
    now = timezone.now()
    delivery.status = RECEIPT_STATUSES[status]
    delivery.receipt_at = now
    delivery.receipt_note = (note or "")[:300]
    if delivery.delivered_at is None and status != "failed":
        delivery.delivered_at = now
    if status == "failed":
        delivery.last_error = f"终端回执：{note}"[:300]
    delivery.save(update_fields=["status", "receipt_at", "receipt_note", "delivered_at", "last_error"])
    audit.record(
        actor,
        "transition",
        delivery,
        changes={"status": [before, delivery.status], "receipt": [None, status]},
    )
    return delivery


# --- endpoints ------------------------------------------------------------------------------


def _unprintable(text: str) -> bool:
    return any(ord(c) < 32 or ord(c) == 127 for c in text)


def _url_problem(url: str) -> str | None:
    """Why a push address cannot be used, or None. The dispatcher writes it into an HTTP request
    line and the API into a header: a control character or a space would break either (or smuggle
    a second header), so it is refused here, before anything is written."""
    if not url.startswith(("http://", "https://")):
        return "HTTP 终端须填写以 http:// 或 https:// 开头的推送地址"
    if _unprintable(url) or any(c.isspace() for c in url):
        return "推送地址不能含空格、换行或其他控制字符"
    if not url.isascii():
        return "推送地址只能含 ASCII 字符（中文路径或域名请先编码）"
    try:
        parts = urlsplit(url)
        host, _port = parts.hostname, parts.port  # the port raises ValueError when out of range
    except ValueError:
        return "推送地址格式错误（端口或主机名无效）"
    if not host:
        return "推送地址缺少主机名"
    return None


def _clean_endpoint(endpoint: Endpoint) -> dict:
    errors: dict[str, list[str]] = {}
    if not endpoint.name.strip():
        errors["name"] = ["请填写名称"]
    elif _unprintable(endpoint.name):
        errors["name"] = ["名称不能含换行或其他控制字符"]
    if endpoint.adapter not in Adapter.values:
        errors["adapter"] = ["接入方式应为 http、mqtt 或 file"]
    elif endpoint.adapter == Adapter.HTTP:
        problem = _url_problem(endpoint.url)
        if problem:
            errors["url"] = [problem]
    elif endpoint.adapter == Adapter.MQTT:
        if (
            not endpoint.topic.strip()
            or any(c in endpoint.topic for c in "+#")
            or endpoint.topic.startswith("/")
            or _unprintable(endpoint.topic)
        ):
            errors["topic"] = ["MQTT 终端须填写主题（不能含 + 或 # 或控制字符，不以 / 开头）"]
    elif endpoint.adapter == Adapter.FILE:
        parts = [p for p in endpoint.directory.replace("\\", "/").split("/") if p]
        if (
            not parts
            or any(p in (".", "..") for p in parts)
            or endpoint.directory.startswith("/")
            or _unprintable(endpoint.directory)
        ):
            errors["directory"] = ["文件投递须填写投递根目录下的相对目录（不能含 .. 或控制字符）"]
    if endpoint.place.level < 2:
        errors["place"] = ["广播终端应登记在乡镇、村或村民小组"]
    return errors


@transaction.atomic
def do_create_endpoint(
    *, actor, name, place, adapter, url="", topic="", directory="", note="", is_active=True
) -> Endpoint:
    actor = _gate(actor, ENDPOINT_ADD, message="您没有登记广播终端的权限")
    place = resolve_place(place)
    _gate(actor, ENDPOINT_ADD, place, message="您没有登记广播终端的权限", field="place")
    endpoint = Endpoint(
        name=(name or "").strip(),
        place=place,
        adapter=adapter,
        url=(url or "").strip(),
        topic=(topic or "").strip(),
        directory=(directory or "").strip(),
        note=(note or "").strip(),
        is_active=is_active,
    )
    errors = _clean_endpoint(endpoint)
    if not errors and Endpoint.objects.filter(place=place, name=endpoint.name).exists():
        errors["name"] = [f"{place.name}已有名为“{endpoint.name}”的终端"]
    if errors:
        raise ServiceError("invalid", "终端信息有误：" + next(iter(errors.values()))[0], errors)
    endpoint.save()
    audit.record_create(actor, endpoint)
    return endpoint


@transaction.atomic
def do_update_endpoint(endpoint: Endpoint, *, actor, **changes) -> Endpoint:
    actor = _gate(actor, ENDPOINT_CHANGE, endpoint, message="您没有修改广播终端的权限")
    allowed = {"name", "place", "adapter", "url", "topic", "directory", "note", "is_active"}
    unknown = set(changes) - allowed
    if unknown:
        raise ServiceError("readonly_field", "这些字段不可修改", {f: ["不可修改"] for f in unknown})
    before = audit.snapshot(endpoint)
    if "place" in changes:
        changes["place"] = resolve_place(changes["place"])
        _gate(actor, ENDPOINT_CHANGE, changes["place"], message="您没有修改广播终端的权限", field="place")
    for key, value in changes.items():
        setattr(endpoint, key, value.strip() if isinstance(value, str) else value)
    errors = _clean_endpoint(endpoint)
    if Endpoint.objects.filter(place=endpoint.place, name=endpoint.name).exclude(pk=endpoint.pk).exists():
        errors["name"] = ["该区划已有同名终端"]
    if errors:
        raise ServiceError("invalid", "终端信息有误：" + next(iter(errors.values()))[0], errors)
    endpoint.save()
    audit.record_update(actor, endpoint, before)
    return endpoint


# --- identifiers ------------------------------------------------------------------------------


def sender_code(unit) -> str:
    """ZZZZZZDDDUUUXX: region, organisation sector, sub-unit 000, extension 00."""
    region = settings.COUNTY_CODE[:6]
    sector = conf.sector_codes().get(unit.short_name or unit.name, "000") if unit else "000"
    return f"{region}{sector}00000"


def new_identifier(unit, at: datetime) -> str:
    """GB/T 35965.1 identifier: sender code _ Beijing time YYYYMMDDhhmmss _ sequence 0–9."""
    prefix = sender_code(unit)
    moment = timezone.localtime(at).replace(microsecond=0)
    while True:
        stem = f"{prefix}_{moment:%Y%m%d%H%M%S}_"
        used = set(Warning.objects.filter(identifier__startswith=stem).values_list("identifier", flat=True))
        for n in range(10):
            if f"{stem}{n}" not in used:
                return f"{stem}{n}"
        moment += timedelta(seconds=1)


# --- CAP import -------------------------------------------------------------------------------


@transaction.atomic
def do_import_cap(xml: bytes, *, actor) -> Warning:
    """Accept a CAP 1.2 message from a provincial feed or another system.

    Alerts become issued warnings (they were issued upstream) and go out to our endpoints;
    Update/Cancel must refer to a warning we hold. Areas match by division-code geocode,
    else by polygon against place positions.
    """
    from shuxiang.warnings import cap

    actor = _gate(actor, AUTHOR, message="您没有导入预警的权限")
    parsed = cap.parse(xml)
    now = timezone.now()
    if Warning.objects.filter(identifier=parsed.identifier).exists():
        raise ServiceError("duplicate", f"预警 {parsed.identifier} 已导入", {"identifier": ["已存在"]})
    if parsed.expires <= now:
        raise ServiceError(
            "expired", "该预警已过期（expires 早于当前时间），不予接收", {"expires": ["已过期"]}
        )
    original = None
    if parsed.msg_type != MsgType.ALERT:
        original = Warning.objects.filter(identifier__in=parsed.references).order_by("-issued_at").first()
        if original is None:
            raise ServiceError(
                "unknown_reference",
                f"{parsed.msg_type} 所指的原预警不存在：{' '.join(parsed.references) or '（未给出 references）'}",
                {"references": ["原预警不存在"]},
            )
        _current(original)
    places = cap.match_places(parsed)
    _gate_places(actor, AUTHOR, places, message="您没有导入预警的权限")
    stype = SignalType.objects.filter(
        Q(code=parsed.event_code) | Q(name=parsed.event_name), is_active=True
    ).first()
    if stype is None:
        raise ServiceError(
            "unknown_signal_type",
            f"不认识的预警事件：{parsed.event}",
            {"event": [f"未登记的信号类型 {parsed.event}"]},
        )
    unit = _unit_of(actor, None)
    warning = Warning(
        identifier=parsed.identifier,
        sender=parsed.sender,
        sender_name=parsed.sender_name or (unit.name if unit else conf.sender_name()),
        unit=unit,
        signal_type=stype,
        colour=parsed.colour,
        msg_type=parsed.msg_type,
        cap_status=parsed.status,
        urgency=parsed.urgency,
        certainty=parsed.certainty,
        headline=parsed.headline or f"{stype.name}预警",
        description=parsed.description or parsed.headline,
        instruction=parsed.instruction,
        effective=parsed.effective or parsed.sent,
        onset=parsed.onset,
        expires=parsed.expires,
        references=original,
        place=coverage_root(places),
        polygons=parsed.polygons,
        source="cap-import",
        author=actor.human,
        author_label=actor.audit_label[:100],
    )
    errors = _validate(warning, now=now)
    if errors:
        raise ServiceError("invalid", "CAP 内容有误：" + next(iter(errors.values()))[0], errors)
    warning.save()
    _set_areas(warning, places)
    audit.record_create(actor, warning)
    issued = _issue(warning, actor=actor, now=now)
    Warning.objects.filter(pk=issued.pk).update(issued_at=parsed.sent)
    issued.issued_at = parsed.sent
    return issued
