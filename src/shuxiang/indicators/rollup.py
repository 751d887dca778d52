"""Reading indicators: values rolled up the place tree, targets, progress and the traffic light.

Roll-up is one GROUP BY per indicator and period: every stored value under a place is
bucketed by the path prefix of the child it lies under (codes have a fixed length per
level, so the prefix length is known), and numerators and denominators are summed.
"""

import uuid
from dataclasses import dataclass
from decimal import Decimal

from django.core.cache import cache
from django.db.models import Exists, OuterRef, Sum
from django.db.models.functions import Substr

from shuxiang.core.models import Place
from shuxiang.indicators.choices import IndicatorKind, Light, PeriodAggregation
from shuxiang.indicators.models import DataValue, Indicator, Target
from shuxiang.indicators.periods import Period, parse_period

CACHE_SECONDS = 6 * 3600


@dataclass
class Figure:
    indicator: Indicator
    numerator: Decimal | None = None
    denominator: Decimal | None = None

    @property
    def value(self) -> Decimal | None:
        if self.numerator is None:
            return None
        if self.indicator.kind == IndicatorKind.NUMBER:
            return self.numerator
        if not self.denominator:
            return None
        return self.numerator / self.denominator * self.indicator.factor

    def add(self, numerator, denominator):
        self.numerator = (self.numerator or 0) + (numerator or 0)
        if denominator is not None:
            self.denominator = (self.denominator or 0) + denominator


@dataclass
class Row:
    """One place's line in a roll-up: figure, target, progress (1.0 = on target) and light."""

    place: Place
    figure: Figure
    target: Decimal | None
    progress: Decimal | None
    light: Light

    @property
    def value(self):
        return self.figure.value


def progress_of(indicator: Indicator, value, target) -> tuple[Decimal | None, Light]:
    if target is None or value is None:
        return None, Light.NONE
    value, target = Decimal(value), Decimal(target)
    if indicator.higher_is_better:
        progress = value / target if target else Decimal(1)
    else:
        progress = target / value if value else Decimal(1)
    percent = progress * 100
    if percent >= indicator.green_at:
        light = Light.GREEN
    elif percent >= indicator.yellow_at:
        light = Light.YELLOW
    else:
        light = Light.RED
    return progress, light


def _child_prefix_length(parent: Place) -> int:
    # Codes are 12 digits down to villages and 14 for hamlets, each followed by "/".
    return len(parent.path) + (15 if parent.level == 3 else 13)


def _values(indicator: Indicator, period: Period, parent: Place):
    """The stored values that make `period` for every place under `parent`: values are stored by
    quarter; a year is its quarters added up (flows) or each place's latest quarter (stocks)."""
    base = DataValue.objects.filter(indicator=indicator, place__path__startswith=parent.path)
    if not period.is_year:
        return base.filter(period=period.code)
    codes = [q.code for q in period.quarters()]
    if indicator.period_aggregation == PeriodAggregation.SUM:
        return base.filter(period__in=codes)
    # Each place's latest quarter: no later quarter of the year exists for it (an anti-join, which
    # PostgreSQL runs as a hash anti-join; a correlated "ORDER BY period DESC LIMIT 1" was 3× slower).
    later = DataValue.objects.filter(
        indicator=indicator, place=OuterRef("place"), period__in=codes, period__gt=OuterRef("period")
    )
    return base.filter(period__in=codes).filter(~Exists(later))


def data_version(indicator_id) -> str:
    return cache.get(f"indicators:version:{indicator_id}") or "0"


def bump_data_version(indicator_id):
    """Called on commit of every write to an indicator's values: cached roll-ups of it are stale.
    A fresh token (not a counter) so that two processes bumping at once cannot reuse a version."""
    cache.set(f"indicators:version:{indicator_id}", uuid.uuid4().hex, None)


def children_figures(
    indicator: Indicator, parent: Place, period, *, use_cache=True
) -> tuple[Figure, dict[str, Figure]]:
    """(the parent's total, {child path: figure}) in one query, cached until the indicator's data changes."""
    period = parse_period(period) if not isinstance(period, Period) else period
    key = f"indicators:rollup:{indicator.pk}:{data_version(indicator.pk)}:{parent.path}:{period.code}"
    if use_cache:
        cached = cache.get(key)
        if cached is not None:
            total, parts = cached
            return Figure(indicator, *total), {path: Figure(indicator, *nd) for path, nd in parts.items()}
    total, by_child = _children_figures(indicator, parent, period)
    if use_cache:
        parts = {path: (f.numerator, f.denominator) for path, f in by_child.items()}
        cache.set(key, ((total.numerator, total.denominator), parts), CACHE_SECONDS)
    return total, by_child


def _children_figures(
    indicator: Indicator, parent: Place, period: Period
) -> tuple[Figure, dict[str, Figure]]:
    length = _child_prefix_length(parent)
    rows = (
        _values(indicator, period, parent)
        .annotate(bucket=Substr("place__path", 1, length))
        .values("bucket")
        .annotate(num=Sum("numerator"), den=Sum("denominator"))
        .order_by()
    )
    total, by_child = Figure(indicator), {}
    for row in rows:
        total.add(row["num"], row["den"])
        if len(row["bucket"]) == length:
            by_child.setdefault(row["bucket"], Figure(indicator)).add(row["num"], row["den"])
    return total, by_child


def targets_for_many(indicators, places: list[Place], year: int) -> dict[int, dict[int, Decimal]]:
    """{indicator id: {place id: target}} in one query. A ratio target set higher up applies below
    (100 % for the district is 100 % for every township); a number target (6 亿元 of sales) belongs
    to its own place only."""
    if not places or not indicators:
        return {i.pk: {} for i in indicators}
    codes = {c for p in places for c in p.path.split("/") if c}
    found: dict[int, dict[str, Decimal]] = {}
    rows = Target.objects.filter(
        indicator_id__in=[i.pk for i in indicators], year=year, place__code__in=codes
    ).values_list("indicator_id", "place__code", "value")
    for indicator_id, code, value in rows:
        found.setdefault(indicator_id, {})[code] = value
    result = {}
    for indicator in indicators:
        mine, by_place = found.get(indicator.pk, {}), {}
        for place in places:
            if indicator.kind == IndicatorKind.RATIO:
                for code in reversed([c for c in place.path.split("/") if c]):
                    if code in mine:
                        by_place[place.pk] = mine[code]
                        break
            elif place.code in mine:
                by_place[place.pk] = mine[place.code]
        result[indicator.pk] = by_place
    return result


def targets_for(indicator: Indicator, places: list[Place], year: int) -> dict[int, Decimal]:
    return targets_for_many([indicator], places, year)[indicator.pk]


def row_for(indicator, place, figure, targets) -> Row:
    target = targets.get(place.pk)
    progress, light = progress_of(indicator, figure.value, target)
    return Row(place, figure, target, progress, light)


def drill_down(
    indicator: Indicator, parent: Place, period, *, children=None, targets=None, use_cache=True
) -> tuple[Row, list[Row]]:
    """The parent's row and one row per child place (children default to current direct children).
    `targets` ({place id: value}, from `targets_for_many`) saves the query when many indicators are read."""
    period = parse_period(period) if not isinstance(period, Period) else period
    if children is None:
        children = list(Place.objects.filter(parent=parent, valid_to__isnull=True).order_by("code"))
    total, by_child = children_figures(indicator, parent, period, use_cache=use_cache)
    if targets is None:
        targets = targets_for(indicator, [parent, *children], period.year)
    rows = [row_for(indicator, c, by_child.get(c.path, Figure(indicator)), targets) for c in children]
    return row_for(indicator, parent, total, targets), rows


def value_at(indicator: Indicator, place: Place, period) -> Row:
    return drill_down(indicator, place, period, children=[])[0]
