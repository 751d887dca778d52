import itertools
import os
from datetime import UTC, datetime, timedelta

import pytest

from shuxiang.core.actors import OPERATOR, Actor
from shuxiang.iot import services as iot
from shuxiang.machinery import services
from shuxiang.machinery.tests import samples

_seq = itertools.count(1)


def phone():
    """A 12-digit JT/T 808 terminal phone unique across parallel runs."""
    return f"01{os.getpid() % 100000:05d}{next(_seq):05d}"


@pytest.fixture(autouse=True)
def fresh_caches():
    iot.caches.clear()
    yield
    iot.caches.clear()


@pytest.fixture
def machine(places):
    device, _ = iot.do_register_device(actor=OPERATOR, code=phone(), protocol="jt808", place=places.village_a)
    return services.do_register_machine(
        actor=OPERATOR,
        place=places.village_a,
        device_code=device.code,
        code="HS-NJ-0001",
        name="东方红耕整机1号",
        kind="tractor",
        make="第一拖拉机",
        model="LX904",
        plate="湘J·12345",
        owner_kind="cooperative",
        owner_name="清水农机专业合作社",
        implement_width_m=2.5,
        price_per_mu=80,
    )


def store_track(machine, points):
    """The points as the JT/T 808 front end stores them (through do_ingest)."""
    messages = [iot.Message(machine.device.code, samples.values(p)) for p in points]
    outcomes = iot.do_ingest(messages, actor=Actor.system("listener"))
    assert all(o.ok for o in outcomes), [o.error for o in outcomes if o.error][:3]


@pytest.fixture
def worked(machine):
    """Ten 200 m passes at the implement width, an hour ago: 5,000 m² = 7.5 亩."""
    start = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=2)
    points = samples.boustrophedon(start, passes=10, length=200, spacing=2.5)
    store_track(machine, points)
    return start, points[-1].ts + timedelta(seconds=1)
