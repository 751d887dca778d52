"""Who may do what in plan supervision. Region is separate: every action also needs the object in scope.

plan.manage     load the plan, open a quarter's round, reopen a locked form, assess, assign (交办)
ledger.fill     fill and submit a ledger form — only its reporter's: the grant's constraint names them
                (a unit's forms for the unit's staff; a township's or village's own forms for its officers)
ledger.approve  approve, return and unapprove forms, bottom-up (the level comes from the role, see services)

The published plan (plan, tasks) is read by every staff role; client roles get nothing here. Quarterly
rounds and their bulletins (a district-wide ranking) are for the district. The registries (coverage,
service points) are kept by the roles that report them.
"""

from shuxiang.core.actors import Actor, as_actor
from shuxiang.core.choices import STAFF_ROLES, Role
from shuxiang.core.permissions import default_grant, define, grant, system_grant

MANAGE = "plan.manage"
FILL = "ledger.fill"
APPROVE = "ledger.approve"

# A form with a unit is that unit's; one without is its place's own (township or village officers).
UNIT_FORMS = {"unit__isnull": False, "unit": "$unit"}
PLACE_FORMS = {"unit__isnull": True, "place": "$place"}

REGISTRIES = ("plan.networkcoverage", "plan.servicepoint")


def declare():
    define(MANAGE, "plan.plan", "change")
    define(FILL, "plan.ledgerentry", "change")
    define(APPROVE, "plan.ledgerentry", "approve")

    default_grant(STAFF_ROLES, "plan.plan", ["view"])
    default_grant(STAFF_ROLES, "plan.task", ["view"])
    for role in (Role.ADMIN, Role.DISTRICT):
        grant(role, MANAGE, APPROVE)
        default_grant(role, "plan.ledgerround", ["view"])
    grant(Role.TOWNSHIP, APPROVE)
    default_grant((Role.ADMIN, Role.DISTRICT, Role.DEPARTMENT), "plan.ledgerentry", ["change"], UNIT_FORMS)
    default_grant((Role.TOWNSHIP, Role.VILLAGE), "plan.ledgerentry", ["change"], PLACE_FORMS)
    for model in REGISTRIES:
        default_grant(
            (Role.ADMIN, Role.DISTRICT, Role.DEPARTMENT, Role.TOWNSHIP, Role.VILLAGE),
            model,
            ["add", "change"],
        )
    # The morning reminder reads the open forms of every township and unit.
    system_grant("tasks", "plan.ledgerentry.view")


def carried(actor) -> Actor:
    """The actor for a write plan makes in another app (indicators, cases, the unit registry):
    a person stays checked with their own grants and region, and the audit names them as acting
    through plan; the platform's own actors (operator, tasks) pass as they are."""
    typed = as_actor(actor)
    return Actor.on_behalf(typed.person, via="plan") if typed.is_person else typed
