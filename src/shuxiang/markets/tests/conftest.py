from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from shuxiang.core.actors import OPERATOR
from shuxiang.markets import services
from shuxiang.markets.models import PriceObservation


@pytest.fixture(autouse=True)
def fresh_cache():
    from django.core.cache import cache

    cache.clear()


@pytest.fixture
def catalogue(db):
    def product(code, name, unit, low, high, category="grain", key=True):
        return services.do_create_product(
            actor=OPERATOR,
            code=code,
            name=name,
            category=category,
            unit=unit,
            min_price=low,
            max_price=high,
            is_key=key,
        )

    return {
        "maize": product("maize", "玉米", "元/公斤", "1.50", "4.00"),
        "hog": product("hog", "生猪", "元/公斤", "8.00", "40.00", "livestock"),
        "chilli": product("chilli", "辣椒", "元/公斤", "2.00", "20.00", "vegetable"),
    }


@pytest.fixture
def points(places, cast):
    a = services.do_create_point(
        actor=OPERATOR,
        code="QJH-01",
        name="泉交河镇农贸市场",
        kind="farmers",
        place=places.township_a,
        collectors=[cast.grid_a],
    )
    b = services.do_create_point(
        actor=OPERATOR, code="LX-01", name="兰溪镇农贸市场", kind="farmers", place=places.township_b
    )
    return {"a": a, "b": b}


def weekly(point, product, prices, *, end=None):
    """One price a week for `prices` (oldest first), the last on `end` (default: last Monday)."""
    end = end or timezone.localdate() - timedelta(days=timezone.localdate().weekday() + 7)
    rows = [
        PriceObservation(
            point=point,
            product=product,
            observed_on=end - timedelta(weeks=len(prices) - 1 - k),
            price=Decimal(f"{p:.2f}"),
            source="import",
        )
        for k, p in enumerate(prices)
    ]
    PriceObservation.objects.bulk_create(rows)
    return rows
