"""Who may do what in monitoring.

Roles hold object permissions (granted in apps.py) and every service passes the platform's one
gate, `core.permissions.require`. Monitoring adds one rule of its own: a department user acts here
only when their unit is responsible for monitoring (Unit.domains contains "monitoring"), so the
water bureau never sees a household's health. Health, disability and the words of a declaration
reach a page, an export or an API answer only for holders of `monitoring.household.health`.
"""

from shuxiang.core.actors import Actor, as_actor
from shuxiang.core.errors import Forbidden
from shuxiang.core.models import Place
from shuxiang.core.permissions import has_perm, in_domain, resolve
from shuxiang.core.permissions import require as gate

DOMAIN = "monitoring"

VIEW = "monitoring.household.view"
HEALTH = "monitoring.household.health"
EDIT = "monitoring.household.change"
EXPORT = "monitoring.household.export"
SCREEN = "monitoring.clue.screen"
DECLARE = "monitoring.clue.add"
ALERT = "monitoring.alertbatch.add"
CONFIGURE = "monitoring.rule.change"
RUN_RULES = "monitoring.rule.run"
ASSIST = "monitoring.measure.add"
HOME_VISIT = "monitoring.procedure.home_visit"
VILLAGE_REVIEW = "monitoring.procedure.village_review"
TOWNSHIP_REVIEW = "monitoring.procedure.township_review"
COUNTY_APPROVAL = "monitoring.procedure.county_approval"
PROCEDURE_STEPS = (HOME_VISIT, VILLAGE_REVIEW, TOWNSHIP_REVIEW, COUNTY_APPROVAL)

OUTSIDE_DOMAIN = "您所在单位不负责防返贫监测"


def in_monitoring(actor) -> bool:
    """False only for a department user whose unit is not responsible for monitoring."""
    return in_domain(actor, DOMAIN)


def require(actor, perm: str, target=None, *, message: str | None = None) -> None:
    """The platform's gate plus the department rule.

    `target` is the object acted on or the Place where something is created. When the object is of
    another type than the permission's (screening a household is an action on clues), the actor must
    be able to see the object — so one outside the region is a 404, as everywhere — and holds the
    permission itself at type level.
    """
    if target is not None and not isinstance(target, Place):
        label = target._meta.label_lower
        if label != resolve(perm)[0]:
            gate(actor, f"{label}.view", target)
            target = None
    gate(actor, perm, target, message=message)
    if not in_monitoring(actor):
        raise Forbidden(OUTSIDE_DOMAIN)


def carried(actor) -> Actor:
    """Who monitoring writes as in another app (cases, the person registry) for this actor.

    A person's step is carried on their behalf (checked with their grants and region, audited with
    their name); the platform's own actors stay themselves; an anonymous resident's declaration
    registers the declarant through monitoring's own system actor.
    """
    a = as_actor(actor)
    if a.is_person:
        return Actor.on_behalf(a.person, via="monitoring")
    if a.kind == "anonymous":
        return Actor.system("monitoring")
    return a


# Declarations and department alerts describe illness, disability or medical costs in their own words;
# roles without the health permission see that a clue exists and where, not what it says.
HEALTH_BEARING_CHANNELS = ("self_declaration", "department_alert")
REDACTED = "（内容涉及健康等敏感信息，需有相应权限查看）"


def clue_view(user, clue) -> dict:
    """The summary, risk types and figures of a clue as `user` may see them.

    (Pages and API answers reach only users inside the department rule, so the grant decides here.)
    """
    if has_perm(user, HEALTH):
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
