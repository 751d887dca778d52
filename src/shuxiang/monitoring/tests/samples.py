"""Sample objects of monitoring's URL-reachable models, for the platform's scope walk."""

from django.utils import timezone

from shuxiang.core.actors import OPERATOR
from shuxiang.monitoring import procedures, services
from shuxiang.monitoring.models import Clue, Household, Member, Procedure
from shuxiang.monitoring.tests.helpers import member
from shuxiang.testing import sample


@sample(Household)
def make_household(place, marker):
    return services.do_create_household(
        actor=OPERATOR, place=place, category="ordinary", number=marker, members=[member("样本户主")]
    )


@sample(Member)
def make_member(place, marker):
    return make_household(place, marker).members.get()


@sample(Clue)
def make_clue(place, marker):
    return Clue.objects.create(
        place=place,
        channel="cadre_screening",
        summary=marker,
        created_at=timezone.now(),
        risk_types=["illness"],
    )


@sample(Procedure)
def make_procedure(place, marker):
    return procedures.do_start_identification(make_household(place, marker), actor=OPERATOR)
