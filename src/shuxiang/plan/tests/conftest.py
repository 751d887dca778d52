from datetime import timedelta

import pytest
from django.utils import timezone

from shuxiang.core.actors import OPERATOR
from shuxiang.plan import services
from shuxiang.plan.loader import load_file


@pytest.fixture
def plan(places, cast):
    return load_file(actor=OPERATOR).plan


@pytest.fixture
def round_(plan, cast):
    """2025 Q3 opened with the deadline a week ahead."""
    return services.do_open_round(
        plan, year=2025, quarter=3, deadline=timezone.now() + timedelta(days=7), actor=cast.district
    )


@pytest.fixture(autouse=True)
def fresh_rollup_cache():
    """Roll-ups are cached by data version; each test starts from an empty cache."""
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()
