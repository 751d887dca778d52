"""Computed indicators: apps register the function that counts their registry.

The engine never imports an app. An app (plan's coverage registries, say) calls
`register_source("coverage.fibre", fn)` in its AppConfig.ready(); `fn(period)` returns
rows `(place_id, numerator, denominator)` for the places at which the indicator is
counted (denominator None for a number). `services.do_refresh_computed` stores them.
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from decimal import Decimal


@dataclass
class ComputedSource:
    key: str
    label: str
    compute: Callable[[object], Iterable[tuple[int, Decimal, Decimal | None]]]


sources: dict[str, ComputedSource] = {}


def register_source(key: str, label: str, compute) -> ComputedSource:
    source = ComputedSource(key, label, compute)
    sources[key] = source
    return source
