"""Who may be given a case: the dispatch rule, in one place for every caller.

A dispatcher (the web page, the API, another app carrying a person's step) gives a case only to

- units responsible for its place — any unit of the case's township, or a district-level unit whose
  domains name "cases" or the case type's domain, or that the routing table sends the category to;
- people who can handle cases (`case.handle`), have the case's place in their region and, for
  department users, belong to a bureau of the right domain.

`cases.services` applies it on dispatch and when a person opens a case with a unit or assignee; the
platform's own callers (other apps' services) choose handlers for the case types they own.
"""

from django.db.models import Q

from shuxiang.cases import routing
from shuxiang.cases.models import RoutingRule
from shuxiang.cases.registry import get_type
from shuxiang.core.choices import PlaceLevel, Role
from shuxiang.core.errors import ServiceError
from shuxiang.core.models import Place, Unit, User
from shuxiang.core.permissions import has_perm, in_domain
from shuxiang.core.scope import place_in_scope


def _domains(case_type) -> set[str]:
    return {"cases", case_type.domain}


def dispatch_units(place: Place, *, category=None, case_type=None, current=None):
    """Units a case at `place` may be given to (属地管理 plus the district bureaus responsible for it).

    - any unit placed in the case's township (the township government, its village committees…);
    - a district-level unit that is responsible for the case: its Unit.domains name "cases" or the
      case type's domain (a water alarm → the water bureau), or the routing table sends the case's
      category (or every category) there for this place (the water company for sewage);
    - the unit that has the case now (a re-dispatch may keep it).
    Another township's units are not among them, whoever dispatches.
    """
    case_type = case_type or get_type("complaint")
    township = routing.township_of(place) or place
    codes = [c for c in place.path.split("/") if c]
    which = Q(category__isnull=True) | (Q(category=category) if category is not None else Q(pk__in=[]))
    routed = RoutingRule.objects.filter(which, place__code__in=codes).values("unit_id")
    wanted = _domains(case_type)
    county = f"/{codes[0]}/"  # bureaus of the case's own county only (a platform may host several)
    responsible = [
        u.pk
        for u in Unit.objects.filter(
            is_active=True, place__level=PlaceLevel.DISTRICT, place__path__startswith=county
        ).only("pk", "domains")
        if wanted & set(u.domains or [])
    ]
    allowed = (
        Q(place__path__startswith=township.path)
        | Q(place__level=PlaceLevel.DISTRICT, pk__in=routed)
        | Q(pk__in=responsible)
    )
    if current is not None:
        allowed |= Q(pk=getattr(current, "pk", current))
    return Unit.objects.filter(allowed, is_active=True)


def _may_handle(user, place: Place, case_type) -> bool:
    return (
        user is not None
        and user.is_active
        and has_perm(user, "case.handle")
        and place_in_scope(user, place)
        and (user.role != Role.DEPARTMENT or any(in_domain(user, d) for d in _domains(case_type)))
    )


def dispatch_people(place: Place, *, case_type=None) -> list:
    """The people a case at `place` may be given to (check_assignee's rule), for the dispatcher to pick
    from: those placed at the case's place or above it, nearest first."""
    case_type = case_type or get_type("complaint")
    codes = [c for c in place.path.split("/") if c]
    candidates = (
        User.objects.filter(is_active=True, place__code__in=codes)
        .select_related("unit", "place")
        .order_by("-place__level", "display_name", "username")
    )
    return [u for u in candidates if _may_handle(u, place, case_type)]


def check_assignee(user, place: Place, *, case_type=None) -> None:
    """A person may be given a case only if they can handle cases and its place is in their region.

    Department users must also belong to a bureau responsible for the case's domain. One message for
    every refusal, so the answer does not tell whether a username exists elsewhere in the county.
    """
    case_type = case_type or get_type("complaint")
    if not _may_handle(user, place, case_type):
        raise ServiceError(
            "assignee_out_of_scope",
            f"承办人不存在，或不负责{place.name}的事件",
            {"assignee": ["只能派给负责该区域、可办理事件的人员"]},
            status=403,
        )


def user_named(value):
    if value in (None, ""):
        return None
    if isinstance(value, User):
        return value
    lookup = {"pk": value} if isinstance(value, int) else {"username": str(value).strip()}
    return User.objects.filter(**lookup).select_related("unit", "place").first()


def handlers_for(actor, *, place, category, case_type, unit, assignee, current=None):
    """The (unit, assignee) a case goes to, checked against the dispatch rule when a person chooses.

    The platform's own callers (other apps' services) choose for the case types they own.
    """
    if unit not in (None, "") and not isinstance(unit, Unit):
        unit = Unit.objects.filter(pk=unit).first() if str(unit).isdigit() else None
        if unit is None:
            raise ServiceError("unknown_unit", "承办单位不存在", {"unit": ["单位不存在"]})
    unit = unit or None
    person = user_named(assignee)
    if assignee not in (None, "") and person is None and not actor.is_person:
        raise ServiceError("unknown_user", "承办人不存在或已停用", {"assignee": ["承办人无效"]})
    if unit is not None and not unit.is_active:
        raise ServiceError("inactive_unit", f"{unit.name}已停用", {"unit": ["单位已停用"]})
    if not actor.is_person:
        if person is not None and not person.is_active:
            raise ServiceError("unknown_user", "承办人不存在或已停用", {"assignee": ["承办人无效"]})
        return unit or (person.unit if person else None), person
    allowed = dispatch_units(place, category=category, case_type=case_type, current=current)
    if unit is not None and not allowed.filter(pk=unit.pk).exists():
        raise ServiceError(
            "unit_out_of_scope",
            f"{unit.name}不负责{place.name}的事件：只能派给本乡镇的单位或负责该类事件的区直部门",
            {"unit": ["不在该事件的管辖范围内"]},
            status=403,
        )
    if assignee not in (None, ""):
        check_assignee(person, place, case_type=case_type)
        if unit is None and person.unit_id and allowed.filter(pk=person.unit_id).exists():
            unit = person.unit
    return unit, person
