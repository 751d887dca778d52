import itertools
import os

import pytest

from shuxiang.core.actors import OPERATOR
from shuxiang.iot import services as iot

_seq = itertools.count(1)


def rtu_code():
    """A 10-digit SL 651 address unique across parallel runs."""
    return f"9{os.getpid() % 100000:05d}{next(_seq):04d}"


@pytest.fixture(autouse=True)
def fresh_caches():
    iot.caches.clear()
    yield
    iot.caches.clear()


@pytest.fixture
def reservoir(places, cast):
    from shuxiang.water import services

    return services.do_create_reservoir(
        actor=OPERATOR,
        code="HS-SK-T01",
        place=places.village_a,
        rtu_code=rtu_code(),
        name="清水冲水库",
        scale="small2",
        dam_type="earth",
        capacity=52.0,
        normal_level=85.0,
        flood_limit_level=84.5,
        crest_elevation=87.0,
        owner_unit=cast.department.unit,
        downstream=[places.village_a],
    )
