import itertools
import os

import pytest

from shuxiang.core.actors import OPERATOR
from shuxiang.iot import services

_seq = itertools.count(1)


def unique_code(prefix="T"):
    """Device codes unique across parallel runs on the shared broker."""
    return f"{prefix}{os.getpid()}x{next(_seq)}"


@pytest.fixture(autouse=True)
def fresh_caches():
    services.caches.clear()
    yield
    services.caches.clear()


# What most tests' devices report: a device reports only registered sensors (and its protocol's own keys).
TEST_SENSORS = ({"key": "Z"}, {"key": "VT"}, {"key": "PJ"})


@pytest.fixture
def device_factory(places):
    def make(protocol="http", place=None, code=None, sensors=TEST_SENSORS, **kwargs):
        return services.do_register_device(
            actor=OPERATOR,
            code=code or unique_code(),
            protocol=protocol,
            place=place or places.hamlet_a,
            sensors=[dict(s) for s in sensors],
            **kwargs,
        )

    return make
