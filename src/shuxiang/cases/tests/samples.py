"""Sample cases for the platform's scope walk (core/tests/test_scope_walk.py)."""

from shuxiang.cases.models import Case
from shuxiang.testing import sample


@sample(Case)
def make_case(place, marker):
    from shuxiang.cases import services

    return services.do_open_case(actor="test", title=marker, description=f"{marker}的问题描述", place=place)
