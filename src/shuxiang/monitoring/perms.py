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


# Declarations and department alerts describe illness, disability or medical costs in their own words;
# roles without monitoring.health see that a clue exists and where, not what it says.
HEALTH_BEARING_CHANNELS = ("self_declaration", "department_alert")
REDACTED = "（内容涉及健康等敏感信息，需有相应权限查看）"


def clue_view(user, clue) -> dict:
    """The summary, risk types and figures of a clue as `user` may see them."""
    if can(user, "monitoring.health"):
        return {"summary": clue.summary, "risk_types": clue.risk_types, "figures": clue.figures}
    if clue.channel in HEALTH_BEARING_CHANNELS:
        return {"summary": REDACTED, "risk_types": [], "figures": {}}
    return {"summary": clue.summary, "risk_types": [], "figures": clue.figures}


def redact_clues(user, clues):
    """Attach `visible` (see clue_view) to each clue for templates."""
    clues = list(clues)
    for clue in clues:
        clue.visible = clue_view(user, clue)
    return clues
