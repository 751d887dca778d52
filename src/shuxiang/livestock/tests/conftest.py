import itertools
import os

import pytest

from shuxiang.core.actors import OPERATOR
from shuxiang.iot import services as iot

_seq = itertools.count(1)


def code(prefix):
    """A device or farm code unique across parallel runs."""
    return f"{prefix}{os.getpid() % 100000:05d}{next(_seq):04d}"


@pytest.fixture(autouse=True)
def fresh_caches():
    iot.caches.clear()
    yield
    iot.caches.clear()


@pytest.fixture
def producer(places):
    from shuxiang.trace.models import Producer

    return Producer.objects.create(
        name="赫山区清水生猪养殖专业合作社", kind="cooperative", place=places.village_a
    )


@pytest.fixture
def farm(places, producer):
    from shuxiang.livestock import services

    return services.do_create_farm(
        actor=OPERATOR,
        code=code("ZC"),
        name="清水生猪养殖场",
        kind="pig",
        producer=producer,
        place=places.village_a,
        licence_no="(湘)动防合字第430903001号",
        design_capacity=3000,
        manure_type="biogas",
        manure_capacity_m3=1200,
        baseline_daily_deaths=0.5,
    )


@pytest.fixture
def pens(farm):
    """A finishing pen with a feeder and an environment controller, and a nursery pen with a feeder."""
    from shuxiang.livestock import services

    finishing = services.do_create_pen(
        farm,
        actor=OPERATOR,
        code="F01",
        stage="finishing",
        capacity=500,
        feeder_code=code("FD"),
        environment_code=code("EN"),
    )
    nursery = services.do_create_pen(
        farm, actor=OPERATOR, code="N01", stage="nursery", capacity=400, feeder_code=code("FD")
    )
    return finishing, nursery


@pytest.fixture
def fish_farm(places, producer):
    from shuxiang.livestock import services

    return services.do_create_farm(
        actor=OPERATOR,
        code=code("YC"),
        name="兰溪黄颡鱼养殖场",
        kind="fish",
        producer=producer,
        place=places.village_a,
    )


@pytest.fixture
def pond(fish_farm):
    from shuxiang.livestock import ponds

    return ponds.do_create_pond(
        fish_farm,
        actor=OPERATOR,
        code=code("CT"),
        name="1号塘",
        species="yellow_catfish",
        area_mu=12,
        stocked=20000,
        device_code=code("DO"),
    )


@pytest.fixture
def store(places, producer):
    from shuxiang.livestock import coldchain

    return coldchain.do_create_cold_store(
        actor=OPERATOR,
        code=code("LK"),
        name="泉交河冷链仓储中心1号库",
        producer=producer,
        place=places.village_a,
        temp_class="frozen",
        capacity_t=500,
        occupied_t=0,
        device_code=code("TL"),
    )
