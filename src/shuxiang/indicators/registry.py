"""What apps plug into the engine: computed sources and locks on reported values.

The engine never imports an app. An app (plan's coverage registries, say) calls
`register_source("coverage.fibre", fn)` in its AppConfig.ready(); `fn(period)` returns
rows `(place_id, numerator, denominator)` for the places at which the indicator is
counted (denominator None for a number). `services.do_refresh_computed` stores them.

An app that approves reported figures (plan's ledger approval) registers a lock:
`register_lock(fn)`, `fn(indicator, place, period_code, unit)` returns a Chinese reason when the
value of that reporter is approved and must not change, else None. `services.do_record_value`
asks every lock before it writes — DHIS2 locks approved data the same way.
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
locks: list[Callable] = []


def register_source(key: str, label: str, compute) -> ComputedSource:
    source = ComputedSource(key, label, compute)
    sources[key] = source
    return source


def register_lock(check) -> None:
    if check not in locks:
        locks.append(check)


def lock_reason(indicator, place, period_code: str, unit) -> str | None:
    for check in locks:
        reason = check(indicator, place, period_code, unit)
        if reason:
            return reason
    return None
