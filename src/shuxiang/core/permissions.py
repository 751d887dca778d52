"""Who may do what: object permissions (object type × action × constraint), granted to roles and users.

The model is NetBox's ObjectPermission with our region on top:

- A permission is `<object type>.<action>`, e.g. `cases.case.dispatch` or `core.person.view`; apps may
  also keep a short name for one (`define("case.dispatch", "cases.case", "dispatch")`).
- Grants attach to a role (every user of the role, at once) or to one user (core.models.Grant). Apps
  declare their roles' grants in code (`default_grant`, `grant`); `sync_builtin_grants` writes them as
  builtin rows after every migrate, and admins may change them in the UI (/grants/), audited.
- System actors (core.actors) have grants declared in code only (`system_grant`); `operator` has all.
- Everything not granted is denied: HTML, API, exports, search, suggestions and the menu.
- Region is separate (core.scope): a grant says "may dispatch cases", scope says "which cases".

`require(actor, perm, target)` is the one gate every service calls.
"""

from __future__ import annotations

import functools
import itertools
import json
from collections import defaultdict

from django.core.exceptions import ImproperlyConfigured
from django.db.models import Q
from django.utils.functional import LazyObject, empty

from shuxiang.core.actors import Actor, as_actor
from shuxiang.core.choices import STAFF_ROLES, Role
from shuxiang.core.errors import Forbidden, NotFound, ServiceError

# Actions every object type has. Others (approve, dispatch, reveal, …) are declared with `define`.
STANDARD_ACTIONS = ("view", "add", "change", "delete", "export")
# Object types that are not models: capabilities of the platform itself.
PSEUDO_TYPES: dict[str, str] = {
    "core.web": "网页界面（use：可登录网页）",
    "core.import": "批量导入（run）",
}

ALIASES: dict[str, tuple[str, str]] = {}
TYPE_ACTIONS: dict[str, set[str]] = defaultdict(set)
ACTION_LABELS: dict[str, str] = {
    "view": "查看",
    "add": "新增",
    "change": "修改",
    "delete": "删除",
    "export": "导出",
    "approve": "审批",
    "reveal": "查看完整敏感信息",
    "use": "使用",
    "run": "执行",
}
# (role, object type, constraint as JSON or "") -> actions, from code.
DEFAULTS: dict[tuple[str, str, str], set[str]] = defaultdict(set)
SYSTEM_GRANTS: dict[str, set[tuple[str, str]]] = defaultdict(set)
DEVICE_GRANTS: set[tuple[str, str]] = set()
ANONYMOUS_GRANTS: dict[str, set[tuple[str, str]]] = defaultdict(set)
# Bookkeeping no person edits, not even an admin (the audit log is append-only).
ADMIN_EXCLUDED = {"core.auditentry", "core.idempotencyrecord", "core.apitoken"}
# Types staff roles do NOT get to view by the blanket staff rule (they are granted explicitly, if at all).
STAFF_VIEW_EXCLUDED: set[str] = set()

_generation = itertools.count(1)
_current_generation = [next(_generation)]


def bump_generation() -> None:
    """Grants changed: every cached grant set in this process is stale."""
    _current_generation[0] = next(_generation)


# --- declaring ------------------------------------------------------------------------------


def define(name: str | None, object_type: str, action: str, label: str = "") -> str:
    """Declare an action on a type (and optionally a short name for it). Returns the full name."""
    TYPE_ACTIONS[object_type].add(action)
    if label:
        ACTION_LABELS.setdefault(action, label)
    full = f"{object_type}.{action}"
    if name and name != full:
        ALIASES[name] = (object_type, action)
    return full


def define_type(object_type: str, label: str, *actions: str) -> None:
    PSEUDO_TYPES[object_type] = label
    TYPE_ACTIONS[object_type].update(actions)


def resolve(perm: str) -> tuple[str, str]:
    """(object type, action) of a permission name."""
    if perm in ALIASES:
        return ALIASES[perm]
    object_type, _, action = perm.rpartition(".")
    if not object_type or "." not in object_type:
        raise ImproperlyConfigured(
            f"unknown permission {perm!r}: use '<app>.<model>.<action>' or define() it"
        )
    return object_type, action


def _key(constraint) -> str:
    return json.dumps(constraint, sort_keys=True, ensure_ascii=False) if constraint else ""


def default_grant(roles, object_type: str, actions, constraint=None) -> None:
    """Code-declared grant for one or more roles (synced to builtin Grant rows)."""
    if isinstance(roles, str):
        roles = (roles,)
    if isinstance(actions, str):
        actions = (actions,)
    for action in actions:
        if action not in STANDARD_ACTIONS:
            TYPE_ACTIONS[object_type].add(action)
    for role in roles:
        DEFAULTS[(str(role), object_type, _key(constraint))].update(actions)


def grant(role: str, *perms: str) -> None:
    """Grant permissions by name to a role (the short form apps use in AppConfig.ready)."""
    for perm in perms:
        object_type, action = resolve(perm)
        default_grant(role, object_type, [action])


def system_grant(label: str, *perms: str) -> None:
    for perm in perms:
        SYSTEM_GRANTS[label].add(resolve(perm))


def device_grant(*perms: str) -> None:
    DEVICE_GRANTS.update(resolve(p) for p in perms)


def anonymous_grant(channel: str, *perms: str) -> None:
    ANONYMOUS_GRANTS[channel].update(resolve(p) for p in perms)


def exclude_from_admin(*object_types: str) -> None:
    """Types no person writes, not even an admin (telemetry readings come from devices only)."""
    ADMIN_EXCLUDED.update(object_types)


def exclude_from_staff_view(*object_types: str) -> None:
    """Types too sensitive for the blanket "staff view everything in their region" rule."""
    STAFF_VIEW_EXCLUDED.update(object_types)


# --- evaluating -----------------------------------------------------------------------------


def _unwrap(actor):
    """The object behind `request.user`'s lazy proxy (anything else is returned as it is).

    Every attribute read through Django's SimpleLazyObject costs two extra Python calls; a permission
    check reads a dozen attributes and a page makes dozens of checks (its menu alone ~50), which made
    the proxy a visible part of a list page's CPU.
    """
    if isinstance(actor, LazyObject):
        if actor._wrapped is empty:
            actor._setup()
        return actor._wrapped
    return actor


def _user_of(actor):
    """The person an actor stands for, or None (machines, anonymous, signed-out)."""
    if actor is None:
        return None
    actor = _unwrap(actor)
    if isinstance(actor, Actor):
        return actor.person
    if isinstance(actor, str):
        raise TypeError(f"a string is not an actor: {actor!r}")
    if not getattr(actor, "is_authenticated", False) or not getattr(actor, "is_active", False):
        return None
    return actor


def user_grants(user) -> dict[str, tuple[tuple[frozenset, object], ...]]:
    """{object type: [(actions, constraint or None)]} in effect for the user (role + personal).

    Read from the database once per request (a grant an admin revokes counts on the next request, in
    every process); the rows are read as text with one prepared statement and parsed once per process
    for each distinct set of rows (the same for every user of a role), which was ~1.5 ms of every
    page through the ORM. The answer is shared: read it, never change it.
    """
    return _loaded_grants(user)[1]


def _loaded_grants(user) -> tuple:
    """(generation, parsed grants, the rows they were parsed from), read once per request."""
    cached = getattr(user, "_shuxiang_grants", None)
    if cached is not None and cached[0] == _current_generation[0]:
        return cached
    rows = _grant_rows(user.role, user.pk)
    user._shuxiang_grants = cached = (_current_generation[0], _parse_grant_rows(rows), rows)
    return cached


def type_level_key(actor) -> tuple | None:
    """What every type-level answer about a user depends on — `has_perm(user, perm)` without an object
    and `in_domain(user, domain)` — as a hashable key; None for anything but a signed-in person.

    Two users with the same key get the same answers (a grant's constraint only matters once an object
    is asked about), so answers computed from these (the menu) may be kept per key. The grant rows are
    the ones read on this request, so a grant revoked a moment ago gives a new key at once.
    """
    actor = _unwrap(actor)
    if isinstance(actor, Actor) or getattr(actor, "pk", None) is None:
        return None
    user = _user_of(actor)
    if user is None:
        return ("inactive",)
    if user.is_superuser:
        return ("superuser",)
    domains = None
    if user.role == Role.DEPARTMENT:
        domains = tuple(user.unit.domains or []) if user.unit is not None else ()
    return (str(user.role), bool(user.can_reveal_pii), domains, _loaded_grants(user)[2])


def _grant_rows(role, user_pk) -> tuple:
    from django.db import connections

    from shuxiang.core.models import Grant

    connection = connections[Grant.objects.db]
    with connection.cursor() as cursor:
        cursor.execute(_grant_sql(connection.alias), [role, user_pk])
        return tuple(cursor.fetchall())


@functools.cache
def _grant_sql(alias: str) -> str:
    from django.db import connections

    from shuxiang.core.models import Grant

    quote = connections[alias].ops.quote_name
    column = {f.name: quote(f.column) for f in Grant._meta.fields}
    return (
        f"SELECT {column['object_type']}, {column['actions']}, {column['constraint']} "
        f"FROM {quote(Grant._meta.db_table)} "
        f"WHERE {column['role']} = %s OR {column['user']} = %s ORDER BY {column['id']}"
    )


@functools.lru_cache(maxsize=256)
def _parse_grant_rows(rows: tuple) -> dict[str, tuple[tuple[frozenset, object], ...]]:
    def parse(value):
        return json.loads(value) if isinstance(value, str | bytes) else value

    result: dict[str, list] = defaultdict(list)
    for object_type, actions, constraint in rows:
        actions = parse(actions)
        if actions:
            result[object_type].append((frozenset(actions), parse(constraint) or None))
    return {object_type: tuple(entries) for object_type, entries in result.items()}


def _resolve_constraint(constraint, user) -> Q:
    def value(v):
        if v == "$user":
            return user.pk
        if v == "$unit":
            return user.unit_id
        if v == "$place":
            return user.place_id
        return v

    parts = constraint if isinstance(constraint, list) else [constraint]
    q = Q(pk__in=[])
    for part in parts:
        q |= Q(**{k: value(v) for k, v in part.items()})
    return q


def grant_filter(actor, object_type: str, action: str = "view") -> Q | None:
    """The rows of `object_type` the actor's grants allow for `action`: None (none), Q() (all), or a Q."""
    actor = _unwrap(actor)
    a = actor if isinstance(actor, Actor) else None
    if a is not None and not a.is_person:
        return Q() if _machine_allows(a, object_type, action) else None
    user = _user_of(actor)
    if user is None:
        return None
    if user.is_superuser:
        return Q()
    entries = [c for acts, c in user_grants(user).get(object_type, ()) if action in acts]
    if not entries:
        return None
    if any(c is None for c in entries):
        return Q()
    q = Q(pk__in=[])
    for c in entries:
        q |= _resolve_constraint(c, user)
    return q


def _machine_allows(actor: Actor, object_type: str, action: str) -> bool:
    if actor.kind == "system":
        return actor.label == "operator" or (object_type, action) in SYSTEM_GRANTS.get(actor.label, ())
    if actor.kind == "device":
        return (object_type, action) in DEVICE_GRANTS
    if actor.kind == "anonymous":
        return (object_type, action) in ANONYMOUS_GRANTS.get(actor.label, ())
    return False


def has_perm(actor, perm: str, obj=None) -> bool:
    """Whether the actor holds `perm` (on `obj` when given: the grant's constraint must match it).

    Without `obj` the answer is type-level: "holds it on some objects of the type".
    Region is not checked here (see `require`).
    """
    object_type, action = resolve(perm)
    actor = _unwrap(actor)
    if isinstance(actor, Actor) and not actor.is_person:
        return _machine_allows(actor, object_type, action)
    user = _user_of(actor)
    if user is None:
        return False
    if user.is_superuser:
        return True
    if action == "reveal" and object_type == "core.person" and user.can_reveal_pii:
        return True
    q = grant_filter(user, object_type, action)
    if q is None:
        return False
    if obj is None or not q:  # no constraint, or a type-level question
        return True
    return type(obj)._default_manager.filter(q, pk=obj.pk).exists()


def _place_of(target):
    from shuxiang.core.audit import place_of

    return place_of(target)


def require(actor, perm: str, target=None, *, message: str | None = None) -> None:
    """The one gate. Raises Forbidden without the permission, NotFound for an object outside the region.

    `target` is the object acted on (its grant constraint and region are checked) or the Place where
    something is to be created (its region is checked: a refusal names the place field).
    """
    from shuxiang.core.models import Place

    a = as_actor(actor)
    obj = target if target is not None and not isinstance(target, Place) else None
    if not has_perm(a, perm, obj):
        raise Forbidden(message or "您没有执行此操作的权限")
    if not a.is_person or target is None:
        return
    from shuxiang.core.scope import place_in_scope

    place = target if isinstance(target, Place) else _place_of(target)
    if place is None or place_in_scope(a.person, place):
        return
    if isinstance(target, Place):
        raise ServiceError(
            "out_of_scope", "所选区划不在您的管辖范围内", {"place": ["不在管辖范围内"]}, status=403
        )
    raise NotFound()


def in_domain(actor, domain: str) -> bool:
    """Department users act across the district only in their unit's domains (e.g. "water", "cases").

    Other roles are bounded by region, not domain, so this is True for them; machines have their grants.
    """
    actor = _unwrap(actor)
    if isinstance(actor, Actor) and not actor.is_person:
        return True
    user = _user_of(actor)
    if user is None:
        return False
    if user.is_superuser or user.role != Role.DEPARTMENT:
        return True
    return user.unit is not None and domain in (user.unit.domains or [])


def known_object_types() -> dict[str, str]:
    """{label: 中文名} of every type a grant may name (models and pseudo types)."""
    from django.apps import apps

    types = {
        m._meta.label_lower: str(m._meta.verbose_name)
        for m in apps.get_models(include_auto_created=False)
        if m.__module__.startswith("shuxiang.")
    }
    types.update(PSEUDO_TYPES)
    return types


def actions_of(object_type: str) -> list[str]:
    return list(STANDARD_ACTIONS) + sorted(TYPE_ACTIONS.get(object_type, set()) - set(STANDARD_ACTIONS))


def validate_grant(object_type: str, actions, constraint) -> dict[str, list[str]]:
    """Reasons a grant is not acceptable, by field (empty when it is)."""
    errors: dict[str, list[str]] = {}
    types = known_object_types()
    if object_type not in types:
        errors["object_type"] = [f"未知的对象类型：{object_type}"]
        return errors
    if not actions or not isinstance(actions, list | tuple):
        errors["actions"] = ["至少选择一项操作"]
    else:
        allowed = set(actions_of(object_type))
        unknown = [a for a in actions if a not in allowed]
        if unknown:
            errors["actions"] = [
                f"{object_type} 没有操作：{'、'.join(map(str, unknown))}（可选：{'、'.join(sorted(allowed))}）"
            ]
    if constraint not in (None, {}, []):
        parts = constraint if isinstance(constraint, list) else [constraint]
        if not all(isinstance(p, dict) and p and all(isinstance(k, str) for k in p) for p in parts):
            errors["constraint"] = ['限定条件应为 JSON 对象（如 {"operators": "$user"}）或对象数组']
        elif object_type not in PSEUDO_TYPES:
            from django.apps import apps
            from django.core.exceptions import FieldError, ValidationError

            model = apps.get_model(object_type)
            try:
                model._default_manager.filter(_resolve_constraint(constraint, _Probe())).exists()
            except (FieldError, ValidationError, ValueError, TypeError) as exc:
                errors["constraint"] = [f"限定条件无效：{exc}"]
    return errors


class _Probe:
    """Stands in for a user when a constraint is checked for validity."""

    pk = 0
    unit_id = 0
    place_id = 0


# --- builtin grants in the database ---------------------------------------------------------


def wanted_builtin_grants() -> dict[tuple[str, str, str], set[str]]:
    """Code defaults plus the staff rule: staff roles view and export every scoped type in their region."""
    from shuxiang.core import scope

    wanted: dict[tuple[str, str, str], set[str]] = defaultdict(set)
    for key, actions in DEFAULTS.items():
        wanted[key] |= actions
    for model in scope.registry:
        label = model._meta.label_lower
        if label in STAFF_VIEW_EXCLUDED:
            continue
        for role in STAFF_ROLES:
            wanted[(str(role), label, "")] |= {"view", "export"}
    for role in STAFF_ROLES:
        wanted[(str(role), "core.web", "")].add("use")
    # The admin role may view, add and change every object type of every module (still within its region).
    for label in known_object_types():
        if label not in PSEUDO_TYPES and label not in ADMIN_EXCLUDED:
            wanted[(str(Role.ADMIN), label, "")] |= {"view", "add", "change", "export"}
    return wanted


def sync_builtin_grants(**_kwargs) -> int:
    """Make the builtin Grant rows match the code (rows an admin customised are left alone)."""
    from django.db import transaction

    from shuxiang.core.models import Grant

    wanted = wanted_builtin_grants()
    changed = 0
    with transaction.atomic():
        existing = {
            (g.role, g.object_type, _key(g.constraint)): g for g in Grant.objects.filter(builtin=True)
        }
        for key, g in existing.items():
            if g.customised:
                continue
            if key not in wanted:
                g.delete()
                changed += 1
            elif set(g.actions) != wanted[key]:
                g.actions = sorted(wanted[key])
                g.save(update_fields=["actions", "updated_at"])
                changed += 1
        new = [
            Grant(
                role=role,
                object_type=object_type,
                actions=sorted(actions),
                constraint=json.loads(c) if c else None,
                builtin=True,
            )
            for (role, object_type, c), actions in wanted.items()
            if (role, object_type, c) not in existing
        ]
        Grant.objects.bulk_create(new)
        changed += len(new)
    bump_generation()
    return changed


# --- the permissions of the core registry ---------------------------------------------------

define("place.change", "core.place", "change")
define("unit.change", "core.unit", "change")
define("user.change", "core.user", "change")
define("person.change", "core.person", "change")
define("audit.view", "core.auditentry", "view")
define("import.run", "core.import", "run")
define("pii.reveal", "core.person", "reveal")
define("grant.change", "core.grant", "change")
exclude_from_staff_view("core.auditentry", "core.user", "core.grant")

_REGISTRY_ADMIN = (Role.ADMIN, Role.DISTRICT)
default_grant(_REGISTRY_ADMIN, "core.place", ["add", "change"])
default_grant(_REGISTRY_ADMIN, "core.unit", ["add", "change"])
default_grant(_REGISTRY_ADMIN, "core.auditentry", ["view", "export"])
default_grant(_REGISTRY_ADMIN, "core.import", ["run"])
default_grant(Role.ADMIN, "core.user", ["view", "add", "change", "export"])
default_grant(Role.ADMIN, "core.grant", ["view", "add", "change", "delete"])
default_grant(STAFF_ROLES, "core.person", ["add", "change", "delete"])
