from decimal import Decimal

import pytest

from shuxiang.core import services as core_services
from shuxiang.core.actors import OPERATOR
from shuxiang.land import parcels as parcel_services
from shuxiang.land.tests.helpers import codes_for, grid_parcels, write_parcels


@pytest.fixture
def village_parcels(places, tmp_path):
    """Twelve surveyed parcels of 清水村 (发包方 43090310320100), imported from a GK shapefile."""
    shapes = grid_parcels()
    path = write_parcels(tmp_path / "qs.shp", shapes, codes_for("43090310320100", len(shapes)))
    parcel_services.do_import_parcels(path, actor=OPERATOR)
    from shuxiang.land.models import Parcel

    return list(Parcel.objects.filter(village=places.village_a).order_by("code"))


@pytest.fixture
def person_factory(places):
    counter = {"n": 0}

    def make(name=None, place=None, id_number=""):
        counter["n"] += 1
        return core_services.do_create_person(
            actor=OPERATOR,
            name=name or f"成员{counter['n']}",
            place=place or places.hamlet_a,
            id_number=id_number,
        )

    return make


@pytest.fixture
def coop(places):
    from datetime import date

    from shuxiang.land import coop as coop_services

    return coop_services.do_create_cooperative(
        actor=OPERATOR,
        village=places.village_a,
        name="清水村股份经济合作社",
        cutoff_date=date(2020, 12, 31),
        management="periodic",
    )


def confirmed_member(coop, person, *, household=None, shares=None, account="6217001234567890123"):
    from shuxiang.land import coop as coop_services

    m = coop_services.do_propose_member(
        coop,
        actor=OPERATOR,
        person=person,
        basis="hukou",
        household=household,
        bank_account=account,
        bank_name="益阳农商行",
    )
    coop_services.do_approve_member(m, actor=OPERATOR)
    coop_services.do_approve_member(m, actor=OPERATOR)
    for kind, value in (shares or {"population": Decimal("1")}).items():
        coop_services.do_set_holding(m, actor=OPERATOR, kind=kind, shares=Decimal(value))
    m.refresh_from_db()
    return m
