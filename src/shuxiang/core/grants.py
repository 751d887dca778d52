"""Every change to grants (who may do what), and the list of grants in effect for a user.

Grants are the platform's access configuration: each change is checked (`core.grant.change`),
validated (known object type, declared actions, a constraint the database can apply) and audited,
and takes effect at once for every user it concerns.
"""

from django.db import transaction

from shuxiang.core import audit
from shuxiang.core.errors import ServiceError
from shuxiang.core.models import Grant, User
from shuxiang.core.permissions import (
    ACTION_LABELS,
    bump_generation,
    known_object_types,
    require,
    validate_grant,
)


def _parse_actions(actions) -> list[str]:
    if isinstance(actions, str):
        actions = [a for a in (p.strip() for p in actions.replace("，", ",").split(",")) if a]
    return sorted(dict.fromkeys(actions or []))


def _check(object_type, actions, constraint):
    errors = validate_grant(object_type, actions, constraint)
    if errors:
        first = next(iter(errors.values()))[0]
        raise ServiceError("invalid_grant", first, errors)


def _snapshot(g: Grant) -> dict:
    return {
        "role": g.role,
        "user": g.user.username if g.user_id else "",
        "object_type": g.object_type,
        "actions": list(g.actions),
        "constraint": g.constraint,
        "note": g.note,
    }


@transaction.atomic
def do_create_grant(*, actor, object_type, actions, role="", user=None, constraint=None, note="") -> Grant:
    require(actor, "core.grant.add")
    actions = _parse_actions(actions)
    if bool(role) == bool(user):
        raise ServiceError("invalid_grant", "授权须指定角色或用户之一", {"role": ["角色与用户二选一"]})
    constraint = constraint or None
    _check(object_type, actions, constraint)
    grant = Grant.objects.create(
        role=role or "", user=user, object_type=object_type, actions=actions, constraint=constraint, note=note
    )
    audit.record(actor, "grant", grant, changes={k: [None, v] for k, v in _snapshot(grant).items()})
    bump_generation()
    return grant


@transaction.atomic
def do_update_grant(grant: Grant, *, actor, actions=None, constraint=..., note=None) -> Grant:
    require(actor, "core.grant.change")
    grant = Grant.objects.select_for_update().get(pk=grant.pk)
    before = _snapshot(grant)
    if actions is not None:
        grant.actions = _parse_actions(actions)
    if constraint is not ...:
        grant.constraint = constraint or None
    if note is not None:
        grant.note = note
    _check(grant.object_type, grant.actions, grant.constraint)
    grant.customised = grant.builtin or grant.customised
    grant.save()
    after = _snapshot(grant)
    audit.record(actor, "grant", grant, changes=audit.diff(before, after))
    bump_generation()
    return grant


@transaction.atomic
def do_delete_grant(grant: Grant, *, actor) -> None:
    """Personal and added grants are removed; a builtin grant is emptied and kept, so a migrate does not
    bring it back (the admin's decision stands)."""
    require(actor, "core.grant.delete")
    before = _snapshot(grant)
    pk = grant.pk
    if grant.builtin:
        grant.actions = []
        grant.customised = True
        grant.save(update_fields=["actions", "customised", "updated_at"])
    else:
        grant.delete()
    audit.record(
        actor,
        "grant",
        object_type="core.grant",
        object_id=pk,
        object_repr=f"撤销授权：{before['role'] or before['user']} {before['object_type']}",
        changes={k: [v, None] for k, v in before.items()},
    )
    bump_generation()


def grants_in_effect(user: User) -> list[dict]:
    """Every grant that applies to the user, from the role and personal, for people and the CLI."""
    types = known_object_types()
    rows = []
    qs = Grant.objects.filter(role=user.role) | Grant.objects.filter(user=user)
    for g in qs.order_by("object_type", "user_id", "pk"):
        if not g.actions:
            continue
        rows.append(
            {
                "grant": g,
                "source": "个人" if g.user_id else f"角色：{user.get_role_display()}",
                "object_type": g.object_type,
                "type_label": types.get(g.object_type, g.object_type),
                "actions": list(g.actions),
                "action_labels": [ACTION_LABELS.get(a, a) for a in g.actions],
                "constraint": g.constraint,
            }
        )
    if user.can_reveal_pii:
        rows.append(
            {
                "grant": None,
                "source": "个人（可查看完整敏感信息）",
                "object_type": "core.person",
                "type_label": types.get("core.person", "core.person"),
                "actions": ["reveal"],
                "action_labels": [ACTION_LABELS["reveal"]],
                "constraint": None,
            }
        )
    return rows
