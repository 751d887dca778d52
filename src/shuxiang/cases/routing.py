"""Who handles a case: the routing table (category + place → unit) and the place's grid worker.

The deepest matching place wins, then a rule for the category over a rule
for "any category". With no rule at all the case goes to the government of
its township (属地管理), which dispatches it by hand.
"""

from dataclasses import dataclass

from django.db.models import Q

from shuxiang.cases.models import RoutingRule
from shuxiang.core.choices import PlaceLevel, Role, UnitKind
from shuxiang.core.models import Place, Unit, User


@dataclass
class Route:
    unit: Unit | None
    grid_worker: User | None
    rule: RoutingRule | None


def _ancestor_codes(place: Place) -> list[str]:
    return [c for c in place.path.split("/") if c]


def matching_rule(category, place: Place) -> RoutingRule | None:
    codes = _ancestor_codes(place)
    which = (
        Q(category__isnull=True) | Q(category=category) if category is not None else Q(category__isnull=True)
    )
    rules = list(
        RoutingRule.objects.filter(which, place__code__in=codes, unit__is_active=True).select_related(
            "unit", "place"
        )
    )
    if not rules:
        return None
    depth = {code: i for i, code in enumerate(codes)}
    rules.sort(key=lambda r: (depth[r.place.code], r.category_id is not None), reverse=True)
    return rules[0]


def village_of(place: Place) -> Place | None:
    if place.level < PlaceLevel.VILLAGE:
        return None
    if place.level == PlaceLevel.VILLAGE:
        return place
    return place.parent if place.parent and place.parent.level == PlaceLevel.VILLAGE else None


def township_of(place: Place) -> Place | None:
    codes = _ancestor_codes(place)
    if len(codes) < 2:
        return None
    return Place.objects.filter(code=codes[1]).first()


def grid_worker_for(place: Place) -> User | None:
    """The grid worker attached to the case's village (the first by account age when there are several)."""
    village = village_of(place)
    if village is None:
        return None
    return User.objects.filter(place=village, role=Role.GRID, is_active=True).order_by("id").first()


def route(category, place: Place) -> Route:
    rule = matching_rule(category, place)
    if rule is not None:
        unit = rule.unit
    else:
        township = township_of(place)
        unit = (
            Unit.objects.filter(place=township, kind=UnitKind.TOWNSHIP_GOV, is_active=True)
            .order_by("id")
            .first()
            if township
            else None
        )
    grid = grid_worker_for(place) if rule is None or rule.notify_grid else None
    return Route(unit=unit, grid_worker=grid, rule=rule)
