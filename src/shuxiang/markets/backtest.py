"""Back-test: run a method over a product's whole history, period by period with only the data
known then, and list when it would have fired (alert or above)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np

from shuxiang.core.models import Place
from shuxiang.markets import early_warning as ew
from shuxiang.markets import monitor
from shuxiang.markets.choices import LEVEL_RANK, MethodKind
from shuxiang.markets.models import Method, Product


@dataclass
class Row:
    period: date
    price: float
    value: float
    level: str


def run(method: Method, product: Product, place: Place | None = None) -> list[Row]:
    place = place or Place.objects.filter(level=1).order_by("pk").first()
    observations = monitor.load_observations(
        products=[product] if method.kind != MethodKind.HOG_GRAIN else None
    )
    series = monitor.build_series(
        observations, method.frequency, district_id=place.pk if place.level == 1 else None
    )
    if method.kind == MethodKind.ALPS:
        row = series.row(product.pk, place.pk)
        if row is None:
            return []
        params = method.params or {}
        values = ew.alps_realtime(
            row,
            series.calendar_months(),
            min_months=int(params.get("min_months", 36)),
            min_coverage=float(params.get("min_coverage", 0.7)),
        )
        keys, matrix = [(product.pk, place.pk)], values[None, :]
    else:
        products = {p.code: p for p in Product.objects.all()}
        keys, matrix = monitor.method_values(method, series, products)
    if (product.pk, place.pk) not in keys:
        return []
    values = matrix[keys.index((product.pk, place.pk))]
    prices = series.row(product.pk, place.pk)
    codes = ew.level_codes(values, method.bands)
    return [
        Row(series.period(k), round(float(prices[k]), 2), round(float(values[k]), 3), ew.LEVELS[codes[k]])
        for k in range(len(values))
        if codes[k] >= 0 and not np.isnan(prices[k])
    ]


def fired(rows: list[Row]) -> list[Row]:
    """The periods where the level rose to alert or above (the first of each run)."""
    out, before = [], 0
    for r in rows:
        rank = LEVEL_RANK[r.level]
        if rank >= 2 and rank > before:
            out.append(r)
        before = rank
    return out
