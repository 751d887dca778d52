"""Price series and warning levels: observations → weekly and monthly means per product × township
(and for the whole district) → each active method's values and levels, stored as history.

The series are built with numpy in one pass (np.bincount over product × place × period), so a
recomputation of every product and township costs one read of the price table.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from shuxiang.core import audit
from shuxiang.core.models import Place
from shuxiang.core.permissions import require
from shuxiang.markets import early_warning as ew
from shuxiang.markets.choices import LEVEL_RANK, MethodKind
from shuxiang.markets.models import Method, PriceObservation, Product, WarningLevel

EPOCH = date(2000, 1, 3)  # a Monday: week numbers count from it
# How many of the newest periods of each series are stored as the history of levels.
HISTORY = {"week": 26, "month": 24}


def week_start(day: date) -> date:
    return day - timedelta(days=day.weekday())


def week_index(day: date) -> int:
    return (day - EPOCH).days // 7


def week_of(index: int) -> date:
    return EPOCH + timedelta(weeks=int(index))


def month_index(day: date) -> int:
    return day.year * 12 + day.month - 1


def month_of(index: int) -> date:
    return date(int(index) // 12, int(index) % 12 + 1, 1)


@dataclass
class Series:
    """Mean prices, one row per (product, place), one column per period from `first` on."""

    keys: list[tuple[int, int]]  # (product id, place id)
    first: int  # the first period's index (week_index or month_index)
    values: np.ndarray  # shape (len(keys), periods); NaN where nothing was reported
    frequency: str

    def period(self, column: int) -> date:
        index = self.first + column
        return week_of(index) if self.frequency == "week" else month_of(index)

    def calendar_months(self) -> np.ndarray:
        return (np.arange(self.values.shape[1]) + self.first) % 12 + 1

    def row(self, product_id: int, place_id: int) -> np.ndarray | None:
        if not hasattr(self, "_index"):
            self._index = {key: k for k, key in enumerate(self.keys)}
        k = self._index.get((product_id, place_id))
        return None if k is None else self.values[k]


def load_observations(products=None, points=None, before: date | None = None):
    """(product ids, township ids, day ordinals, prices) of every stored price (before a day), as
    numpy arrays."""
    qs = PriceObservation.objects.all()
    if before is not None:
        qs = qs.filter(observed_on__lt=before)
    if products is not None:
        qs = qs.filter(product__in=products)
    if points is not None:
        qs = qs.filter(point__in=points)
    rows = list(qs.values_list("product_id", "point__township_id", "observed_on", "price").order_by())
    if not rows:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty, empty, np.zeros(0)
    product, township, day, price = zip(*rows, strict=True)
    return (
        np.fromiter(product, np.int64),
        np.fromiter(township, np.int64),
        np.fromiter((d.toordinal() for d in day), np.int64),
        np.fromiter((float(p) for p in price), float),
    )


def _dense(ids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(distinct ids in order, each id's position among them), by a lookup array — no sort of the rows."""
    low = int(ids.min())
    present = np.bincount(ids - low) > 0
    distinct = np.flatnonzero(present) + low
    position = np.cumsum(present) - 1
    return distinct, position[ids - low]


def _periods(ordinal: np.ndarray, frequency: str) -> np.ndarray:
    if frequency == "week":
        return (ordinal - EPOCH.toordinal()) // 7
    low = int(ordinal.min())
    days = np.arange(low, int(ordinal.max()) + 1)
    months = np.fromiter((month_index(date.fromordinal(int(o))) for o in days), np.int64, len(days))
    return months[ordinal - low]


def build_series(observations, frequency: str, *, district_id: int | None) -> Series:
    """Means per product × township and, when `district_id` is given, per product for the district
    (the district's sums are the townships' sums added up, so each price is read once)."""
    product, township, ordinal, price = observations
    if len(price) == 0:
        return Series([], 0, np.zeros((0, 0)), frequency)
    period = _periods(ordinal, frequency)
    first = int(period.min())
    periods = int(period.max()) - first + 1
    products, p_index = _dense(product)
    places, t_index = _dense(township)
    shape = (len(products), len(places), periods)
    flat = (p_index * len(places) + t_index) * periods + (period - first)
    size = shape[0] * shape[1] * periods
    sums = np.bincount(flat, weights=price, minlength=size).reshape(shape)
    counts = np.bincount(flat, minlength=size).reshape(shape)
    seen = counts.any(axis=2)  # the (product, township) pairs with any price
    keys = [(int(products[i]), int(places[j])) for i, j in zip(*np.nonzero(seen), strict=True)]
    sums_rows, counts_rows = sums[seen], counts[seen]
    if district_id is not None:
        keys += [(int(p), district_id) for p in products]
        sums_rows = np.concatenate([sums_rows, sums.sum(axis=1)])
        counts_rows = np.concatenate([counts_rows, counts.sum(axis=1)])
    with np.errstate(invalid="ignore", divide="ignore"):
        means = sums_rows / counts_rows
    return Series(keys, first, means, frequency)


def method_values(
    method: Method, series: Series, products_by_code: dict
) -> tuple[list[tuple[int, int]], np.ndarray]:
    """(keys, values matrix) of one method over the series of its frequency."""
    params = method.params or {}
    if method.kind == MethodKind.WOW:
        return series.keys, ew.change_pct(series.values.T, int(params.get("lag", 1))).T
    if method.kind == MethodKind.YOY:
        return series.keys, ew.change_pct(series.values.T, int(params.get("lag", 52))).T
    if method.kind == MethodKind.ALPS:
        months = series.calendar_months()
        return series.keys, ew.alps_matrix(
            series.values,
            months,
            min_months=int(params.get("min_months", 36)),
            min_coverage=float(params.get("min_coverage", 0.7)),
        )
    if method.kind == MethodKind.IFPA:
        months = series.calendar_months()
        gamma, min_years = float(params.get("gamma", 0.4)), int(params.get("min_years", 2))
        return series.keys, ew.ifpa(series.values, months, gamma=gamma, min_years=min_years)
    if method.kind == MethodKind.HOG_GRAIN:
        hog, maize = (
            products_by_code.get(params.get("numerator")),
            products_by_code.get(params.get("denominator")),
        )
        if hog is None or maize is None:
            return [], np.zeros((0, series.values.shape[1]))
        keys, rows = [], []
        for product_id, place_id in series.keys:
            if product_id != hog.pk:
                continue
            below = series.row(maize.pk, place_id)
            if below is None:
                continue
            keys.append((product_id, place_id))
            rows.append(ew.ratio(series.row(product_id, place_id), below))
        return keys, np.array(rows).reshape(len(rows), series.values.shape[1])
    raise ValueError(f"unknown method kind {method.kind!r}")


@dataclass
class Recomputed:
    levels: int
    raised: list[WarningLevel]


def compute_levels(*, products=None, now=None) -> tuple[list[WarningLevel], dict]:
    """Every active method's levels over the newest HISTORY periods (unsaved), and the series."""
    now = now or timezone.now()
    district = Place.objects.filter(level=1).order_by("pk").first()
    # Only whole periods: this week's and this month's prices are still coming in.
    today = timezone.localdate(now)
    ends = {"week": week_start(today), "month": today.replace(day=1)}
    series = {
        f: build_series(
            load_observations(products, before=ends[f]), f, district_id=district.pk if district else None
        )
        for f in ("week", "month")
    }
    products_by_code = {p.code: p for p in Product.objects.all()}
    rows = []
    for method in Method.objects.filter(is_active=True):
        s = series[method.frequency]
        keys, values = method_values(method, s, products_by_code)
        if not keys:
            continue
        codes = ew.level_codes(values, method.bands)
        start = max(0, values.shape[1] - HISTORY[method.frequency])
        for k, (product_id, place_id) in enumerate(keys):
            newest = None
            for column in range(start, values.shape[1]):
                if codes[k, column] < 0:
                    continue
                newest = WarningLevel(
                    product_id=product_id,
                    place_id=place_id,
                    method=method,
                    period_start=s.period(column),
                    value=round(float(values[k, column]), 4),
                    level=ew.LEVELS[codes[k, column]],
                    computed_at=now,
                )
                rows.append(newest)
            if newest is not None:
                newest.is_current = True
    return rows, series


@transaction.atomic
def do_recompute_warnings(*, actor, products=None, notify=True) -> Recomputed:
    """Replace the stored levels (of `products`, or all) with freshly computed ones; products whose
    current level rose to alert or crisis in a place are told to the bureaus (after commit)."""
    require(actor, "markets.warninglevel.add")
    scope = Q() if products is None else Q(product__in=products)
    before = {
        (w.product_id, w.place_id, w.method_id): w.level
        for w in WarningLevel.objects.filter(scope, is_current=True).only(
            "product_id", "place_id", "method_id", "level"
        )
    }
    rows, _series = compute_levels(products=products)
    WarningLevel.objects.filter(scope).delete()
    WarningLevel.objects.bulk_create(rows, batch_size=5000)
    raised = [
        w
        for w in rows
        if w.is_current
        and LEVEL_RANK[w.level] >= LEVEL_RANK["alert"]
        and LEVEL_RANK[w.level] > LEVEL_RANK[before.get((w.product_id, w.place_id, w.method_id), "normal")]
    ]
    audit.record(
        actor,
        "recompute",
        object_type="markets.warninglevel",
        object_repr=f"重算价格预警 {len(rows)} 条",
        changes={"levels": len(rows), "raised": len(raised)},
    )
    if notify and raised:
        transaction.on_commit(lambda: tell_bureaus(raised))
    return Recomputed(len(rows), raised)


def tell_bureaus(raised: list[WarningLevel]) -> None:
    """District staff and the bureaus holding the markets duty hear of levels that rose to alert/crisis."""
    from shuxiang.core.choices import Role
    from shuxiang.core.models import User
    from shuxiang.core.services import notify

    people = [
        u
        for u in User.objects.filter(
            is_active=True, role__in=[Role.DISTRICT, Role.DEPARTMENT]
        ).select_related("unit")
        if u.role == Role.DISTRICT or (u.unit is not None and "markets" in (u.unit.domains or []))
    ]
    ids = {w.pk for w in raised if w.pk}
    shown = WarningLevel.objects.filter(pk__in=ids).select_related("product", "place", "method")[:20]
    lines = [
        f"{w.place.name}·{w.product.name}：{w.method.name} {w.get_level_display()}（{w.value:g}）"
        for w in shown
    ]
    notify(
        people,
        title=f"农产品价格预警升级：{len(raised)} 项达到警戒或危机",
        body="\n".join(lines),
        url="/markets/warnings/",
        kind="markets",
    )


@dataclass
class PricePoint:
    period: date
    price: float
    reports: int
    wow: float | None = None
    yoy: float | None = None


def series_for(
    user, product: Product, place: Place, frequency: str = "week", since: date | None = None
) -> list[PricePoint]:
    """Mean price of `product` per week (or month) over the points under `place` the user may see,
    with week-on-week (month-on-month) and year-on-year change in percent (from `since`, when given)."""
    qs = PriceObservation.objects.restrict(user).filter(
        product=product, point__place__path__startswith=place.path
    )
    if since is not None:
        qs = qs.filter(observed_on__gte=since)
    rows = qs.values_list("observed_on", "price").order_by()
    buckets: dict[int, list[float]] = {}
    for day, price in rows:
        index = week_index(day) if frequency == "week" else month_index(day)
        buckets.setdefault(index, []).append(float(price))
    if not buckets:
        return []
    first, last = min(buckets), max(buckets)
    values = np.array([np.mean(buckets[i]) if i in buckets else np.nan for i in range(first, last + 1)])
    wow = ew.change_pct(values, 1)
    yoy = ew.change_pct(values, 52 if frequency == "week" else 12)
    out = []
    for k, value in enumerate(values):
        if np.isnan(value):
            continue
        index = first + k
        out.append(
            PricePoint(
                period=week_of(index) if frequency == "week" else month_of(index),
                price=round(float(value), 2),
                reports=len(buckets[index]),
                wow=None if np.isnan(wow[k]) else round(float(wow[k]), 1),
                yoy=None if np.isnan(yoy[k]) else round(float(yoy[k]), 1),
            )
        )
    return out
