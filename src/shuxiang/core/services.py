"""Every write to the registry: places, units, people, users, tokens.

Each `do_*` function takes the acting user explicitly, checks permission and
region, validates, writes and audits in one transaction. Views, API, CLI and
importers are thin callers of these.
"""

import re
from datetime import timedelta

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import ProtectedError, RestrictedError
from django.utils import timezone

from shuxiang.core import audit, pii
from shuxiang.core.actors import as_actor
from shuxiang.core.choices import KINDS_BY_LEVEL, ROLE_PLACE_LEVEL, PlaceLevel, Role, UnitKind
from shuxiang.core.errors import NotFound, ServiceError
from shuxiang.core.models import ApiToken, AuditEntry, Notification, Person, Place, Unit, User
from shuxiang.core.permissions import require
from shuxiang.core.scope import place_in_scope


def _require_place_in_scope(actor, place, field="place"):
    if not place_in_scope(as_actor(actor), place):
        raise ServiceError("out_of_scope", "所选区划不在您的管辖范围内", {field: ["不在管辖范围内"]})


_require = require


def resolve_place(code, *, field="place") -> Place:
    """Places are referred to by division code on every input path."""
    if isinstance(code, Place):
        return code
    code = (str(code) if code is not None else "").strip()
    if not code:
        raise ServiceError("required", "请选择区划", {field: ["必填"]})
    try:
        return Place.objects.get(code=code)
    except Place.DoesNotExist:
        raise ServiceError(
            "unknown_place", f"区划代码 {code} 不存在", {field: [f"区划代码 {code} 不存在"]}
        ) from None


# --- places ---------------------------------------------------------------------------

# The levels' codes as the statistics bureau writes them: a county ends in 000000 (its 5th–6th digits
# are not 00, which would be a prefecture), a township in 000, a village in anything else, and a
# group (村民小组) is its village's code plus a 2-digit number, as the land registry writes it.
COUNTY_LEVEL_HINT = "新增区县只能由平台运维在服务器上导入区划表（区县管理员的管辖范围止于本区县）"


def level_of_code(code: str) -> int | None:
    """The level a division code belongs to, from its digits alone (None when it is no such code)."""
    code = (code or "").strip()
    if re.fullmatch(r"\d{14}", code):
        return PlaceLevel.HAMLET
    if not re.fullmatch(r"\d{12}", code) or code[4:6] == "00":
        return None
    if code[6:] == "000000":
        return PlaceLevel.DISTRICT
    if code[9:] == "000":
        return PlaceLevel.TOWNSHIP
    return PlaceLevel.VILLAGE


def parent_code_of(code: str, level: int) -> str | None:
    """The parent's code as the statistics bureau's table implies it. A township may be administered
    by another county than its code says (谢林港镇 is coded under 430972 and belongs to 赫山区): an
    import then names the parent explicitly."""
    if level == PlaceLevel.TOWNSHIP:
        return code[:6] + "000000"
    if level == PlaceLevel.VILLAGE:
        return code[:9] + "000"
    if level == PlaceLevel.HAMLET:
        return code[:12]
    return None


def county_of(place: Place) -> Place | None:
    """The county-level root of a place's tree (itself for a county)."""
    if place is None:
        return None
    root = place.path.split("/")[1] if place.path else place.code
    return place if place.code == root else Place.objects.filter(code=root).first()


def validate_place_fields(*, code, name, level, kind, parent) -> dict:
    """All the reasons a place is not acceptable, by field (empty when it is)."""
    errors: dict[str, list[str]] = {}
    code = (code or "").strip()
    if not (name or "").strip():
        errors.setdefault("name", []).append("名称必填")
    if level not in (1, 2, 3, 4):
        errors.setdefault("level", []).append("层级应为 1–4（区县、乡镇、村、村民小组）")
        return errors
    want_len = 14 if level == PlaceLevel.HAMLET else 12
    if not re.fullmatch(rf"\d{{{want_len}}}", code):
        errors.setdefault("code", []).append(f"{PlaceLevel(level).label}的区划代码应为{want_len}位数字")
    elif level == PlaceLevel.DISTRICT and not code.endswith("000000"):
        errors.setdefault("code", []).append("区县代码后6位应为000000")
    elif level == PlaceLevel.DISTRICT and code[4:6] == "00":
        errors.setdefault("code", []).append("区县代码第5–6位不能为00（那是地级市或省的代码）")
    elif level == PlaceLevel.TOWNSHIP and (code[9:] != "000" or code[6:9] == "000"):
        errors.setdefault("code", []).append("乡镇代码第7–9位为乡镇段、后3位应为000")
    elif level == PlaceLevel.VILLAGE and code[9:] == "000":
        errors.setdefault("code", []).append("村级代码后3位不能为000")
    elif level == PlaceLevel.HAMLET and parent is not None and code[:12] != parent.code:
        errors.setdefault("code", []).append("村民小组代码应为所属村代码加2位组号")
    if kind not in KINDS_BY_LEVEL[level]:
        allowed = "、".join(k.label for k in KINDS_BY_LEVEL[level])
        errors.setdefault("kind", []).append(f"该层级的类型只能是：{allowed}")
    if level == PlaceLevel.DISTRICT:
        if parent is not None:
            errors.setdefault("parent", []).append("区县不能有上级")
    elif parent is None:
        errors.setdefault("parent", []).append("请选择上级区划")
    elif parent.level != level - 1:
        errors.setdefault("parent", []).append(f"上级应为{PlaceLevel(level - 1).label}")
    elif level == PlaceLevel.VILLAGE and code[:9] != parent.code[:9]:
        errors.setdefault("code", []).append("村级代码前9位应与所属乡镇一致")
    return errors


def _validity_errors(valid_from, valid_to) -> dict:
    if valid_from and valid_to and valid_to < valid_from:
        return {"valid_to": ["停用日期不能早于启用日期"]}
    return {}


def _retired(place: Place, on=None) -> bool:
    return place.valid_to is not None and place.valid_to < (on or timezone.localdate())


def may_create_county(actor) -> bool:
    """A county-level root is outside every county admin's region: only the platform's own actors
    (the operator at the command line) and superusers create one."""
    from shuxiang.core.scope import user_scope_path

    return user_scope_path(as_actor(actor)) == ""


@transaction.atomic
def do_create_place(
    *,
    actor,
    code,
    name,
    level,
    kind,
    parent=None,
    valid_from=None,
    valid_to=None,
    geometry=None,
    latitude=None,
    longitude=None,
    synthetic=False,
) -> Place:
    _require(actor, "core.place.add")
    if parent is not None:
        _require_place_in_scope(actor, parent, "parent")
    elif not may_create_county(actor):
        raise ServiceError("out_of_scope", COUNTY_LEVEL_HINT, {"parent": ["请选择上级区划"]}, status=403)
    code = (code or "").strip()
    errors = validate_place_fields(code=code, name=name, level=level, kind=kind, parent=parent)
    for key, messages in _validity_errors(valid_from, valid_to).items():
        errors.setdefault(key, []).extend(messages)
    if parent is not None and _retired(parent):
        errors.setdefault("parent", []).append(f"{parent.name}已于{parent.valid_to}停用，不能再新增下级")
    if not errors and Place.objects.filter(code=code).exists():
        errors["code"] = [f"区划代码 {code} 已存在"]
    if errors:
        raise ServiceError("invalid", "区划信息有误", errors)
    place = Place(
        code=code,
        name=name.strip(),
        level=level,
        kind=kind,
        parent=parent,
        valid_from=valid_from,
        valid_to=valid_to,
        geometry=geometry,
        latitude=latitude,
        longitude=longitude,
        synthetic=synthetic,
    )
    place.path = place.compute_path()
    place.save()
    audit.record_create(actor, place)
    return place


def _current_children(place: Place, on):
    """Children still in use on `on` (no end date, or one after it)."""
    from django.db.models import Q

    return Place.objects.filter(parent=place).filter(Q(valid_to__isnull=True) | Q(valid_to__gt=on))


@transaction.atomic
def do_update_place(place: Place, *, actor, **changes) -> Place:
    """Renames, re-kinds, sets validity (retires) and geometry; the code is identity and stays, and
    the parent changes only through do_move_place (the whole subtree moves with it)."""
    _require(actor, "place.change")
    _require_place_in_scope(actor, place)
    allowed = {"name", "kind", "valid_from", "valid_to", "geometry", "latitude", "longitude"}
    unknown = set(changes) - allowed
    if unknown:
        raise ServiceError(
            "readonly_field", "区划代码不可修改，上级请用“迁移”调整", {f: ["不可修改"] for f in unknown}
        )
    if isinstance(changes.get("name"), str):
        changes["name"] = changes["name"].strip()
    before = audit.snapshot(place)
    for key, value in changes.items():
        setattr(place, key, value)
    errors = validate_place_fields(
        code=place.code, name=place.name, level=place.level, kind=place.kind, parent=place.parent
    )
    for key, messages in _validity_errors(place.valid_from, place.valid_to).items():
        errors.setdefault(key, []).extend(messages)
    if "valid_to" in changes and place.valid_to is not None:
        # A place cannot end while places under it go on: move or retire them first.
        in_use = list(_current_children(place, place.valid_to).values_list("name", flat=True)[:6])
        if in_use:
            more = "等" if len(in_use) > 5 else ""
            errors.setdefault("valid_to", []).append(
                f"仍有下级区划在用（{'、'.join(in_use[:5])}{more}）：请先迁移或停用下级，再停用{place.name}"
            )
    if errors:
        raise ServiceError("invalid", "区划信息有误", errors)
    changed = [k for k in changes if before.get(k) != audit.snapshot(place, [k]).get(k)]
    if changed:
        place.save(update_fields=changed)
        audit.record_update(actor, place, before)
    return place


def do_retire_place(place: Place, *, actor, valid_to=None) -> Place:
    """Ends a place's validity (撤销、合并): it stays with its history, but no longer counts as
    current. Refused while places under it are still in use."""
    if valid_to is None:
        valid_to = timezone.localdate()
    return do_update_place(place, actor=actor, valid_to=valid_to)


@transaction.atomic
def do_move_place(place: Place, *, actor, parent: Place) -> Place:
    """Puts a place (and everything under it) under another parent of the level above (调整隶属).

    The code stays: a village's first 9 digits name its township and a group's first 12 its
    village, so such a move is refused unless the code fits the new parent (when the statistics
    bureau recodes a village, add it under its new code and retire the old one). A township may
    move to another county, as 谢林港镇 is administered by 赫山区 under a code of 430972.
    """
    from django.db.models import Value
    from django.db.models.functions import Concat, Substr

    _require(actor, "place.change")
    _require_place_in_scope(actor, place)
    if parent is None:
        raise ServiceError("invalid", "请选择新的上级区划", {"parent": ["必填"]})
    _require_place_in_scope(actor, parent, "parent")
    errors: dict[str, list[str]] = {}
    if place.level == PlaceLevel.DISTRICT:
        errors["parent"] = ["区县是最上级，不能迁移"]
    elif parent.pk == place.parent_id:
        errors["parent"] = [f"{place.name}已在{parent.name}之下"]
    elif parent.pk == place.pk or parent.path.startswith(place.path):
        errors["parent"] = ["不能迁到自己或自己的下级之下"]
    elif parent.level != place.level - 1:
        errors["parent"] = [f"{PlaceLevel(place.level).label}的上级应为{PlaceLevel(place.level - 1).label}"]
    elif _retired(parent):
        errors["parent"] = [f"{parent.name}已于{parent.valid_to}停用"]
    elif place.level == PlaceLevel.VILLAGE and place.code[:9] != parent.code[:9]:
        errors["parent"] = [
            f"{place.name}的代码 {place.code} 前9位是乡镇段 {place.code[:9]}，与{parent.name}（{parent.code}）"
            f"不一致，不能迁移：请在{parent.name}下按统计局的新代码新增该村，再停用旧代码"
        ]
    elif place.level == PlaceLevel.HAMLET and place.code[:12] != parent.code:
        errors["parent"] = [
            f"村民小组代码 {place.code} 前12位应为所属村代码，与{parent.name}（{parent.code}）不一致，"
            f"不能迁移：请在{parent.name}下按新组号新增，再停用旧组"
        ]
    if errors:
        raise ServiceError("invalid", errors["parent"][0], errors)
    old_parent, old_path = place.parent, place.path
    place.parent = parent
    place.path = place.compute_path()
    place.save(update_fields=["parent", "path"])
    moved = (
        Place.objects.filter(path__startswith=old_path)
        .exclude(pk=place.pk)
        .update(path=Concat(Value(place.path), Substr("path", len(old_path) + 1)))
    )
    audit.record(
        actor,
        "update",
        place,
        changes={
            "parent": [f"{old_parent.name}（{old_parent.code}）", f"{parent.name}（{parent.code}）"],
            "descendants": [None, f"随迁下级 {moved} 个"],
        },
    )
    return place


# --- units ------------------------------------------------------------------------------


@transaction.atomic
def do_create_unit(*, actor, name, kind, place, short_name="", code="", domains=None, phone="") -> Unit:
    _require(actor, "core.unit.add")
    _require_place_in_scope(actor, place)
    errors = {}
    if not (name or "").strip():
        errors["name"] = ["名称必填"]
    if kind not in UnitKind.values:
        errors["kind"] = ["单位类型无效"]
    if name and Unit.objects.filter(place=place, name=name.strip()).exists():
        errors["name"] = [f"{place.name}已有名为“{name}”的单位"]
    if errors:
        raise ServiceError("invalid", "单位信息有误", errors)
    unit = Unit.objects.create(
        name=name.strip(),
        kind=kind,
        place=place,
        short_name=short_name,
        code=code,
        domains=domains or [],
        phone=phone,
    )
    audit.record_create(actor, unit)
    return unit


@transaction.atomic
def do_update_unit(unit: Unit, *, actor, **changes) -> Unit:
    _require(actor, "unit.change")
    _require_place_in_scope(actor, unit.place)
    if "place" in changes:
        _require_place_in_scope(actor, changes["place"])
    before = audit.snapshot(unit)
    for key, value in changes.items():
        setattr(unit, key, value)
    if not unit.name.strip():
        raise ServiceError("invalid", "单位信息有误", {"name": ["名称必填"]})
    if Unit.objects.filter(place=unit.place, name=unit.name).exclude(pk=unit.pk).exists():
        raise ServiceError("invalid", "单位信息有误", {"name": ["同一区划下单位名称重复"]})
    unit.save(update_fields=list(changes))
    audit.record_update(actor, unit, before)
    return unit


# --- people -----------------------------------------------------------------------------


def _clean_person_fields(name, id_number, phone) -> tuple[dict, dict]:
    errors, clean = {}, {}
    if not (name or "").strip():
        errors["name"] = ["姓名必填"]
    else:
        clean["name"] = name.strip()
    if id_number:
        try:
            clean["id_number"] = pii.normalize_id_number(id_number)
        except pii.PIIError as exc:
            errors["id_number"] = [exc.message]
    if phone:
        try:
            clean["phone"] = pii.normalize_phone(phone)
        except pii.PIIError as exc:
            errors["phone"] = [exc.message]
    return clean, errors


def _apply_identifiers(person: Person, clean: dict):
    if "id_number" in clean:
        number = clean["id_number"]
        person.id_number = number
        person.id_number_digest = pii.digest(number)
        person.gender = pii.gender_from_id(number)
        person.birth_date = pii.birth_date_from_id(number)
    if "phone" in clean:
        person.phone = clean["phone"]
        person.phone_digest = pii.digest(clean["phone"])


@transaction.atomic
def do_create_person(*, actor, name, place, id_number="", phone="") -> Person:
    _require(actor, "core.person.add")
    _require_place_in_scope(actor, place)
    clean, errors = _clean_person_fields(name, id_number, phone)
    if (
        "id_number" in clean
        and Person.objects.filter(id_number_digest=pii.digest(clean["id_number"])).exists()
    ):
        errors["id_number"] = ["该身份证号已登记"]
    if errors:
        raise ServiceError("invalid", "人员信息有误", errors)
    person = Person(name=clean["name"], place=place)
    _apply_identifiers(person, clean)
    person.save()
    audit.record_create(actor, person)
    return person


@transaction.atomic
def do_update_person(person: Person, *, actor, name=None, place=None, id_number=None, phone=None) -> Person:
    """None leaves a field as it is; a masked value is refused, never written back."""
    _require(actor, "person.change")
    _require_place_in_scope(actor, person.place)
    if place is not None:
        _require_place_in_scope(actor, place)
    before = audit.snapshot(person)
    clean, errors = _clean_person_fields(name if name is not None else person.name, id_number, phone)
    if "id_number" in clean and (
        Person.objects.filter(id_number_digest=pii.digest(clean["id_number"])).exclude(pk=person.pk).exists()
    ):
        errors["id_number"] = ["该身份证号已登记"]
    if errors:
        raise ServiceError("invalid", "人员信息有误", errors)
    person.name = clean["name"]
    if place is not None:
        person.place = place
    _apply_identifiers(person, clean)
    person.save()
    audit.record_update(actor, person, before)
    return person


@transaction.atomic
def do_delete_person(person: Person, *, actor) -> None:
    _require(actor, "core.person.delete")
    _require_place_in_scope(actor, person.place)
    audit.record_delete(actor, person)
    try:
        with transaction.atomic():
            person.delete()
    except (ProtectedError, RestrictedError) as exc:
        referrers = getattr(exc, "protected_objects", None) or getattr(exc, "restricted_objects", [])
        used_by = sorted({str(o._meta.verbose_name) for o in referrers})
        raise ServiceError(
            "in_use",
            f"{person.name} 仍被{'、'.join(used_by) or '其他记录'}引用，不能删除",
            {"references": used_by},
            status=409,
        ) from None


REVEALABLE = {"id_number", "phone"}


@transaction.atomic
def do_reveal(obj, fields, *, actor) -> dict:
    """Return the plaintext of sensitive fields and leave an audit entry naming them."""
    require(actor, "pii.reveal", obj)
    wanted = [f for f in fields if f in REVEALABLE and hasattr(obj, f)]
    if not wanted:
        raise ServiceError("invalid", "没有可查看的敏感字段", {"fields": ["可选：id_number、phone"]})
    audit.record(actor, "reveal", obj, changes={"fields": wanted})
    return {f: getattr(obj, f) for f in wanted}


# --- users ------------------------------------------------------------------------------


def _validate_user(*, role, place, unit, username=None, password=None, user=None) -> dict:
    errors: dict[str, list[str]] = {}
    if username is not None:
        if not re.fullmatch(r"[A-Za-z0-9_.@-]{3,150}", username or ""):
            errors["username"] = ["用户名为3–150位字母、数字或 _.@-"]
        elif User.objects.filter(username=username).exists():
            errors["username"] = [f"用户名 {username} 已存在"]
    if role not in Role.values:
        errors["role"] = ["角色无效，可选：" + "、".join(Role.values)]
    else:
        level = ROLE_PLACE_LEVEL[Role(role)]
        if place is None:
            errors["place"] = ["请选择所属区划"]
        elif level is not None and place.level != level:
            errors["place"] = [f"{Role(role).label}应归属于{PlaceLevel(level).label}级区划"]
    if (
        unit is not None
        and place is not None
        and not unit.place.path.startswith(place.path)
        and not (place.path.startswith(unit.place.path))
    ):
        errors["unit"] = ["单位不在所属区划范围内"]
    if password is not None:
        try:
            validate_password(password, user)
        except ValidationError as exc:
            errors["password"] = list(exc.messages)
    return errors


@transaction.atomic
def do_create_user(
    *, actor, username, role, place, password, unit=None, display_name="", can_reveal_pii=False, email=""
) -> User:
    _require(actor, "core.user.add")
    if place is not None:
        _require_place_in_scope(actor, place)
    errors = _validate_user(role=role, place=place, unit=unit, username=username, password=password)
    if errors:
        raise ServiceError("invalid", "用户信息有误", errors)
    user = User(
        username=username,
        role=role,
        place=place,
        unit=unit,
        display_name=display_name,
        can_reveal_pii=can_reveal_pii,
        email=email,
    )
    user.set_password(password)
    user.save()
    audit.record_create(actor, user)
    return user


@transaction.atomic
def do_update_user(user: User, *, actor, **changes) -> User:
    _require(actor, "user.change")
    _require_place_in_scope(actor, user.place)
    allowed = {"role", "place", "unit", "display_name", "can_reveal_pii", "is_active", "email"}
    unknown = set(changes) - allowed
    if unknown:
        raise ServiceError("readonly_field", "这些字段不可修改", {f: ["不可修改"] for f in unknown})
    if changes.get("place") is not None:
        _require_place_in_scope(actor, changes["place"])
    before = audit.snapshot(user)
    for key, value in changes.items():
        setattr(user, key, value)
    errors = _validate_user(role=user.role, place=user.place, unit=user.unit)
    if errors:
        raise ServiceError("invalid", "用户信息有误", errors)
    user.save(update_fields=list(changes))
    audit.record_update(actor, user, before)
    return user


@transaction.atomic
def do_set_password(user: User, *, actor, password) -> None:
    typed = as_actor(actor)
    if not (typed.is_person and typed.person.pk == user.pk):
        _require(actor, "user.change")
        _require_place_in_scope(actor, user.place)
    try:
        validate_password(password, user)
    except ValidationError as exc:
        raise ServiceError("weak_password", "密码不符合要求", {"password": list(exc.messages)}) from None
    user.set_password(password)
    user.save(update_fields=["password"])
    audit.record(actor, "update", user, changes={"password": ["<已修改>", "<已修改>"]})


def locked_usernames() -> set[str]:
    """Accounts currently locked by too many failed sign-ins (django-axes)."""
    from axes.models import AccessAttempt
    from django.conf import settings

    cutoff = timezone.now() - timedelta(hours=settings.AXES_COOLOFF_TIME)
    return set(
        AccessAttempt.objects.filter(
            failures_since_start__gte=settings.AXES_FAILURE_LIMIT, attempt_time__gte=cutoff
        ).values_list("username", flat=True)
    )


@transaction.atomic
def do_unlock_user(user: User, *, actor) -> None:
    """Lift a lockout before the cool-off ends (the person called the administrator)."""
    from axes.utils import reset

    _require(actor, "user.change")
    _require_place_in_scope(actor, user.place)
    reset(username=user.username)
    audit.record(actor, "update", user, changes={"locked": [True, False]})


@transaction.atomic
def do_issue_token(user: User, *, actor) -> str:
    """The user's API token, created on first call; later calls return the same key."""
    typed = as_actor(actor)
    if not (typed.is_person and typed.person.pk == user.pk):
        require(typed, "core.user.change", user)
    existing = ApiToken.objects.filter(user=user).first()
    if existing:
        return existing.key
    key = ApiToken.new_key()
    ApiToken.objects.create(user=user, key=key, key_digest=pii.digest(key))
    audit.record(actor, "token", user, changes={"token": ["", "<已创建>"]})
    return key


def authenticate_token(key: str) -> User | None:
    from axes.handlers.proxy import AxesProxyHandler
    from axes.helpers import get_credentials
    from django.http import HttpRequest

    from shuxiang.core.backends import with_place
    from shuxiang.core.context import current_origin

    token = (
        with_place(ApiToken.objects.select_related("user"), "user__")
        .filter(key_digest=pii.digest(key))
        .first()
    )
    if token is None or not token.user.is_active:
        return None
    # The token is the same account's credential: while django-axes holds the account locked after
    # failed sign-ins (someone guessing its password, or the lock not yet lifted), it stops working
    # too. Asked through axes' own handler, so its failure limit, cool-off and lockout parameters decide;
    # axes wants a request, and this one carries the caller's address from the request context.
    probe = HttpRequest()
    probe.META["REMOTE_ADDR"] = current_origin().ip or ""
    if AxesProxyHandler.is_locked(probe, get_credentials(token.user.get_username())):
        return None
    now = timezone.now()
    if token.last_used_at is None or now - token.last_used_at > timedelta(minutes=5):
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token.user


# --- notifications and retention ----------------------------------------------------------


def notify(recipients, *, title, body="", url="", kind=""):
    """Queue in-app notifications; callers run this in transaction.on_commit."""
    Notification.objects.bulk_create(
        [Notification(recipient=r, title=title[:200], body=body, url=url, kind=kind) for r in recipients]
    )


def do_mark_notifications_read(user, ids=None):
    qs = Notification.objects.filter(recipient=user, read_at__isnull=True)
    if ids is not None:
        qs = qs.filter(pk__in=ids)
    return qs.update(read_at=timezone.now())


def purge_audit_log(*, now=None) -> int:
    """Delete entries past the retention period (never less than 180 days, enforced by checks)."""
    from django.conf import settings

    days = max(settings.AUDIT_RETENTION_DAYS, 180)
    cutoff = (now or timezone.now()) - timedelta(days=days)
    deleted, _ = AuditEntry.objects.filter(at__lt=cutoff).delete()
    return deleted


def users_at(places, roles) -> list[User]:
    """Active users holding one of `roles` attached exactly to one of `places` (dispatch targets)."""
    return list(User.objects.filter(place__in=places, role__in=roles, is_active=True))


def get_in_scope(model, user, **lookup):
    try:
        return model.objects.restrict(user).get(**lookup)
    except model.DoesNotExist:
        raise NotFound() from None
