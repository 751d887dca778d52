"""Who may do what in monitoring. Roles grant the permissions (see apps.py);
a department user acts only when their unit is responsible for monitoring
(Unit.domains contains "monitoring"), so the water bureau never sees a
household's health."""

from shuxiang.core.choices import Role
from shuxiang.core.errors import Forbidden
from shuxiang.core.permissions import has_perm

DOMAIN = "monitoring"
ALL = (
    "monitoring.view",
    "monitoring.health",
    "monitoring.edit",
    "monitoring.screen",
    "monitoring.alert",
    "monitoring.configure",
    "monitoring.home_visit",
    "monitoring.village_review",
    "monitoring.township_review",
    "monitoring.county_approval",
    "monitoring.assist",
)


def is_system(actor) -> bool:
    return actor is None or isinstance(actor, str)


def can(user, perm: str) -> bool:
    if is_system(user):
        return True
    if not has_perm(user, perm):
        return False
    if user.role == Role.DEPARTMENT and not user.is_superuser:
        return bool(user.unit_id) and DOMAIN in (user.unit.domains or [])
    return True


def require(actor, perm: str, message: str | None = None) -> None:
    if not can(actor, perm):
        raise Forbidden(message or "您没有执行此操作的权限")
