"""Writing the audit log. Services call `record` inside their transaction, so an
entry exists exactly when the change does."""

from datetime import date, datetime
from decimal import Decimal

from django.db import models

from shuxiang.core.actors import as_actor
from shuxiang.core.context import current_origin
from shuxiang.core.models import AuditEntry, Place

# Fields whose values never enter the log in clear; the masker shows what changed without the value.
SENSITIVE_FIELDS = {"id_number", "phone", "password", "key", "bank_account"}


def object_type_of(obj) -> str:
    return obj._meta.label_lower


def _plain(value):
    if isinstance(value, models.Model):
        return str(value.pk)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def snapshot(obj, fields=None) -> dict:
    """The loggable state of a model instance: concrete fields, FKs as ids, secrets marked."""
    state = {}
    for field in obj._meta.concrete_fields:
        name = field.name
        if fields is not None and name not in fields:
            continue
        if name.endswith("_digest") or name in ("path", "password"):
            continue
        value = getattr(obj, field.attname)
        if name in SENSITIVE_FIELDS:
            from shuxiang.core.pii import digest

            value = f"<已加密:{digest(value)[:8]}>" if value else ""
        state[name] = _plain(value)
    return state


def diff(before: dict, after: dict) -> dict:
    keys = set(before) | set(after)
    return {k: [before.get(k), after.get(k)] for k in sorted(keys) if before.get(k) != after.get(k)}


def place_of(obj):
    """The place an object belongs to, by its scope path (None when it has none)."""
    if obj is None:
        return None
    if isinstance(obj, Place):
        return obj
    from shuxiang.core.scope import registry

    field = registry.get(type(obj))
    if not field:
        return None
    target = obj
    for part in field.split("__"):
        target = getattr(target, part, None)
        if target is None:
            return None
    return target


def actor_label(actor) -> str:
    return as_actor(actor).audit_label


def record(
    actor, action, obj=None, *, changes=None, object_type=None, object_id=None, object_repr=None, place=None
):
    """Append one entry. `actor` is a core.actors.Actor (or a User); the human behind it is recorded."""
    origin = current_origin()
    typed = as_actor(actor)
    return AuditEntry.objects.create(
        actor=typed.human,
        actor_label=typed.audit_label[:100],
        action=action,
        object_type=object_type or (object_type_of(obj) if obj is not None else ""),
        object_id=str(object_id if object_id is not None else (obj.pk if obj is not None else "")),
        object_repr=(object_repr if object_repr is not None else str(obj) if obj is not None else "")[:200],
        changes=changes or {},
        place=place if place is not None else place_of(obj),
        source=origin.source,
        ip=origin.ip,
        user_agent=origin.user_agent,
        request_id=origin.request_id,
    )


def record_create(actor, obj):
    return record(actor, "create", obj, changes={k: [None, v] for k, v in snapshot(obj).items()})


def record_update(actor, obj, before: dict):
    changes = diff(before, snapshot(obj))
    if changes:
        return record(actor, "update", obj, changes=changes)
    return None


def record_delete(actor, obj):
    return record(actor, "delete", obj, changes={k: [v, None] for k, v in snapshot(obj).items()})
