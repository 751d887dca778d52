"""Who may do what in monitoring. Roles grant the permissions (see apps.py);
a department user acts only when their unit is responsible for monitoring
(Unit.domains contains "monitoring"), so the water bureau never sees a
household's health."""

from shuxiang.core.errors import Forbidden
from shuxiang.core.permissions import has_perm, in_domain

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
    return has_perm(user, perm) and in_domain(user, DOMAIN)


def require(actor, perm: str, message: str | None = None) -> None:
    if not can(actor, perm):
        raise Forbidden(message or "您没有执行此操作的权限")
