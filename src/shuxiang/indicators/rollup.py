"""Reading indicators: values rolled up the place tree, targets, progress and the traffic light.

Roll-up is one GROUP BY per indicator and period: every stored value under a place is
bucketed by the path prefix of the child it lies under (codes have a fixed length per
level, so the prefix length is known), and numerators and denominators are summed.

A place's own figure comes first from its reporters (the units that filled a form for it, or
the place itself): their sum, the designated unit's, or the largest, as the indicator declares
(`unit_aggregation`). For the sum that is the same single GROUP BY; the other two rules group by
place and reporter too and combine each place's reporters before adding places up.
"""

import uuid
from dataclasses import dataclass, field
from decimal import Decimal

from django.core.cache import cache
from django.db.models import Exists, OuterRef, Q, Sum
from django.db.models.functions import Substr

from shuxiang.core.models import Place
from shuxiang.indicators.choices import (
    IndicatorKind,
    IndicatorSource,
    Light,
    PeriodAggregation,
    UnitAggregation,
)
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
class Reporter:
    """One reporter's figure at a place: a unit (`unit_id`, `name`), or the place itself (`unit_id`
    None), and whether the indicator's rule counts it in the place's figure."""

    unit_id: int | None
    name: str
    figure: Figure
    counted: bool = True

    @property
    def value(self):
        return self.figure.value


@dataclass
class Row:
    """One place's line in a roll-up: figure, target, progress (1.0 = on target) and light.
    `reporters` (filled for the place a page is about) says who reported at the place itself."""

    place: Place
    figure: Figure
    target: Decimal | None
    progress: Decimal | None
    light: Light
    reporters: list[Reporter] = field(default_factory=list)

    @property
    def unit_reporters(self) -> list[Reporter]:
        return [r for r in self.reporters if r.unit_id is not None]

    @property
    def reporting_note(self) -> str:
        """ "由3个单位填报，按合计" when units reported the place's figure, else ""."""
        units = self.unit_reporters
        if not units:
            return ""
        return f"由{len(self.reporters)}个单位填报，{self.figure.indicator.unit_rule_text}"

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
    quarter; a year is its quarters added up (flows) or each reporter's latest quarter (stocks)."""
    base = DataValue.objects.filter(indicator=indicator, place__path__startswith=parent.path)
    if not period.is_year:
        return base.filter(period=period.code)
    codes = [q.code for q in period.quarters()]
    if indicator.period_aggregation == PeriodAggregation.SUM:
        return base.filter(period__in=codes)
    # Each reporter's latest quarter at each place: no later quarter of the year exists for the
    # same place and reporter (an anti-join, which PostgreSQL runs as a hash anti-join; a correlated
    # "ORDER BY period DESC LIMIT 1" was 3× slower). The place's own values (no unit) and each
    # unit's are matched separately, as NULL never equals NULL in SQL.
    later = DataValue.objects.filter(
        indicator=indicator, place=OuterRef("place"), period__in=codes, period__gt=OuterRef("period")
    )
    latest = Q(~Exists(later.filter(unit__isnull=True)), unit__isnull=True) | Q(
        ~Exists(later.filter(unit=OuterRef("unit"))), unit__isnull=False
    )
    return base.filter(period__in=codes).filter(latest)


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
    values = _values(indicator, period, parent).annotate(bucket=Substr("place__path", 1, length))
    if indicator.unit_aggregation == UnitAggregation.SUM:
        rows = values.values("bucket").annotate(num=Sum("numerator"), den=Sum("denominator")).order_by()
    else:
        rows = _combined_per_place(
            indicator,
            values.values("bucket", "place_id", "unit_id")
            .annotate(num=Sum("numerator"), den=Sum("denominator"))
            .order_by(),
        )
    total, by_child = Figure(indicator), {}
    for row in rows:
        total.add(row["num"], row["den"])
        if len(row["bucket"]) == length:
            by_child.setdefault(row["bucket"], Figure(indicator)).add(row["num"], row["den"])
    return total, by_child


def combine(indicator: Indicator, reporters: list[Reporter]) -> Figure:
    """A place's figure from its reporters by the indicator's rule; marks which ones count.

    Sum: all of them. Max: the largest value (a ratio by its value, not its numerator). Designated:
    the designated unit's figure; where it has not reported, the place's own (no unit) — the other
    units' figures are kept and shown but not counted."""
    rule = indicator.unit_aggregation
    if rule == UnitAggregation.SUM or not reporters:
        chosen = reporters
    elif rule == UnitAggregation.MAX:
        valued = [r for r in reporters if r.value is not None]
        chosen = [max(valued, key=lambda r: r.value)] if valued else []
    else:
        chosen = [r for r in reporters if r.unit_id == indicator.designated_unit_id] or [
            r for r in reporters if r.unit_id is None
        ]
    figure = Figure(indicator)
    for reporter in reporters:
        reporter.counted = any(reporter is c for c in chosen)
        if reporter.counted:
            figure.add(reporter.figure.numerator, reporter.figure.denominator)
    return figure


def _combined_per_place(indicator, rows):
    """Rows per (bucket, place, reporter) → one row per (bucket, place) combined by the rule."""
    places: dict[tuple[str, int], list[Reporter]] = {}
    for row in rows:
        figure = Figure(indicator, row["num"], row["den"])
        places.setdefault((row["bucket"], row["place_id"]), []).append(Reporter(row["unit_id"], "", figure))
    for (bucket, _), reporters in places.items():
        figure = combine(indicator, reporters)
        if figure.numerator is not None:
            yield {"bucket": bucket, "num": figure.numerator, "den": figure.denominator}


def reporters_at(indicator: Indicator, place: Place, period, *, use_cache=True) -> list[Reporter]:
    """Who reported the indicator at `place` itself for `period` (a year: each reporter's quarters
    by the period rule), each with its figure and whether the indicator's rule counts it.
    The place itself (no unit) first, then units by name; cached like the roll-up."""
    period = parse_period(period) if not isinstance(period, Period) else period
    key = f"indicators:reporters:{indicator.pk}:{data_version(indicator.pk)}:{place.pk}:{period.code}"
    rows = cache.get(key) if use_cache else None
    if rows is None:
        rows = [
            (r["unit_id"], r["unit__short_name"] or r["unit__name"] or "", r["num"], r["den"])
            for r in _values(indicator, period, place)
            .filter(place=place)
            .values("unit_id", "unit__name", "unit__short_name")
            .annotate(num=Sum("numerator"), den=Sum("denominator"))
            .order_by()
        ]
        if use_cache:
            cache.set(key, rows, CACHE_SECONDS)
    reporters = [
        Reporter(unit_id, name or f"{place.name}（本级）", Figure(indicator, num, den))
        for unit_id, name, num, den in sorted(rows, key=lambda r: (r[0] is not None, r[1]))
    ]
    combine(indicator, reporters)
    return reporters


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
    """The parent's row (with who reported at the parent itself) and one row per child place
    (children default to current direct children). `targets` ({place id: value}, from
    `targets_for_many`) saves the query when many indicators are read."""
    period = parse_period(period) if not isinstance(period, Period) else period
    if children is None:
        children = list(Place.objects.filter(parent=parent, valid_to__isnull=True).order_by("code"))
    total, by_child = children_figures(indicator, parent, period, use_cache=use_cache)
    if targets is None:
        targets = targets_for(indicator, [parent, *children], period.year)
    rows = [row_for(indicator, c, by_child.get(c.path, Figure(indicator)), targets) for c in children]
    own = row_for(indicator, parent, total, targets)
    if indicator.source == IndicatorSource.REPORTED:  # a computed count has no reporters to name
        own.reporters = reporters_at(indicator, parent, period, use_cache=use_cache)
    return own, rows


def value_at(indicator: Indicator, place: Place, period) -> Row:
    return drill_down(indicator, place, period, children=[])[0]
