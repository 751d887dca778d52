import itertools
import os

import pytest

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


@pytest.fixture
def device_factory(places):
    def make(protocol="http", place=None, code=None, **kwargs):
        return services.do_register_device(
            actor=None,
            code=code or unique_code(),
            protocol=protocol,
            place=place or places.hamlet_a,
            **kwargs,
        )

    return make
