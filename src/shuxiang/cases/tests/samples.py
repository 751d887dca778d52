"""Sample cases for the platform's scope walk (core/tests/test_scope_walk.py)."""

from shuxiang.cases.models import Case, RoutingRule
from shuxiang.core.actors import OPERATOR
from shuxiang.testing import sample


@sample(Case)
def make_case(place, marker):
    from shuxiang.cases import services

    return services.do_open_case(actor=OPERATOR, title=marker, description=f"{marker}的问题描述", place=place)


@sample(RoutingRule)
def make_routing_rule(place, marker):
    from shuxiang.core.choices import UnitKind
    from shuxiang.core.models import Unit

    unit = Unit.objects.create(name=marker, kind=UnitKind.COMPANY, place=place)
    return RoutingRule.objects.create(place=place, unit=unit, note=marker)
