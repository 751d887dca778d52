"""Giving the indicator values stored before values had a reporting unit to the form that wrote them.

Until values carried a unit, every unit's ledger form for the district wrote one shared value
(indicator × place × quarter): the last save won, even over an approved form. Migration
plan 0002 calls `attribute_values` once, with the historical models:

1. A value whose `source_ref` is `ledger:<id>` belongs to that form's reporter: the form's unit
   (a bureau's form) or the place itself (a township's or village's form, no unit).
2. A figure another form overwrote is recovered from the audit log of the value: whenever its
   `source_ref` changed from `ledger:A` to something else, the state just before was form A's
   last figure; it is stored again under A's reporter (the latest such figure per reporter),
   unless that reporter still holds the current value.
3. A value no form wrote (`demo`, an import, a direct entry, or a form since deleted) keeps no
   unit: it stays the place's own figure. A value a blank save deleted is not brought back.

Each change is written to the audit log as the operator's. Running it again changes nothing.
Models are passed in (the migration's historical ones; tests pass the live ones), so this module
imports no model.
"""

from dataclasses import dataclass
from decimal import Decimal

LABEL = "system:operator"


@dataclass
class Figure:
    indicator_id: int
    place_id: int
    period: str
    numerator: str
    denominator: str | None
    source_ref: str
    updated_by_id: int | None
    at: object


def _entry_id(source_ref) -> int | None:
    prefix, _, number = str(source_ref or "").partition(":")
    return int(number) if prefix == "ledger" and number.isdigit() else None


def _superseded(AuditEntry) -> list[Figure]:
    """From the values' audit history: every figure a form held just before another writer replaced it."""
    found, states = [], {}
    history = (
        AuditEntry.objects.filter(
            object_type="indicators.datavalue", action__in=["create", "update", "delete"]
        )
        .order_by("at", "id")
        .values_list("object_id", "action", "changes", "at")
    )
    for object_id, action, changes, at in history:
        state = states.get(object_id)
        if action == "delete":
            states.pop(object_id, None)
            continue
        new = {} if action == "create" or state is None else dict(state["fields"])
        for name, pair in (changes or {}).items():
            if isinstance(pair, list | tuple) and len(pair) == 2:
                new[name] = pair[1]
        if state and state["fields"].get("source_ref") != new.get("source_ref"):
            old = state["fields"]
            if all(old.get(k) is not None for k in ("indicator", "place", "period", "numerator")):
                found.append(
                    Figure(
                        int(old["indicator"]),
                        int(old["place"]),
                        old["period"],
                        old["numerator"],
                        old.get("denominator"),
                        old.get("source_ref") or "",
                        old.get("updated_by"),
                        state["at"],
                    )
                )
        states[object_id] = {"fields": new, "at": at}
    return found


def attribute_values(DataValue, LedgerEntry, AuditEntry) -> dict:
    """Attribute every unit-less value to its form's reporter and recover overwritten figures.
    Returns counts: {"attributed", "restored", "kept"}."""
    forms = {
        pk: (unit_id, place_id, period)
        for pk, unit_id, place_id, period in LedgerEntry.objects.values_list(
            "pk", "unit_id", "place_id", "round__period"
        )
    }

    def reporter(source_ref, place_id, period):
        """(True, unit id or None) when a form of this place and quarter wrote it, else (False, None)."""
        form = forms.get(_entry_id(source_ref))
        if form is None or form[1] != place_id or form[2] != period:
            return False, None
        return True, form[0]

    counts = {"attributed": 0, "restored": 0, "kept": 0}
    taken = set(
        DataValue.objects.filter(unit__isnull=False).values_list(
            "indicator_id", "place_id", "period", "unit_id"
        )
    )
    for value in DataValue.objects.filter(unit__isnull=True).order_by("pk"):
        found, unit_id = reporter(value.source_ref, value.place_id, value.period)
        slot = (value.indicator_id, value.place_id, value.period, unit_id)
        if not found or unit_id is None or slot in taken:
            counts["kept"] += 1
            taken.add((value.indicator_id, value.place_id, value.period, None))
            continue
        value.unit_id = unit_id
        value.save(update_fields=["unit"])
        taken.add(slot)
        counts["attributed"] += 1
        _audit(AuditEntry, value, {"unit": [None, str(unit_id)]}, "update", "迁移：数据归属填报单位")

    latest: dict[tuple, Figure] = {}
    for figure in _superseded(AuditEntry):
        found, unit_id = reporter(figure.source_ref, figure.place_id, figure.period)
        if found:
            latest[(figure.indicator_id, figure.place_id, figure.period, unit_id)] = figure
    for slot, figure in latest.items():
        if slot in taken:
            continue
        value = DataValue.objects.create(
            indicator_id=figure.indicator_id,
            place_id=figure.place_id,
            period=figure.period,
            unit_id=slot[3],
            numerator=Decimal(figure.numerator),
            denominator=None if figure.denominator is None else Decimal(figure.denominator),
            source_ref=figure.source_ref,
            updated_by_id=figure.updated_by_id,
        )
        DataValue.objects.filter(pk=value.pk).update(updated_at=figure.at)
        taken.add(slot)
        counts["restored"] += 1
        changes = {
            "numerator": [None, figure.numerator],
            "unit": [None, None if slot[3] is None else str(slot[3])],
        }
        _audit(AuditEntry, value, changes, "create", "迁移：恢复被其他单位覆盖的填报数")
    return counts


def _audit(AuditEntry, value, changes, action, what):
    AuditEntry.objects.create(
        actor_label=LABEL,
        action=action,
        object_type="indicators.datavalue",
        object_id=str(value.pk),
        object_repr=f"{what}（{value.period}）"[:200],
        changes=changes,
        place_id=value.place_id,
        source="system",
    )


def collapse_values(DataValue) -> None:
    """The way back (migrating plan below 0002): one value per indicator, place and quarter again —
    the latest saved — so the engine's old unique constraint holds."""
    seen, kept = set(), []
    for value in DataValue.objects.order_by("-updated_at", "-pk"):
        key = (value.indicator_id, value.place_id, value.period)
        if key in seen:
            value.delete()
        else:
            seen.add(key)
            kept.append(value.pk)
    DataValue.objects.filter(pk__in=kept).update(unit=None)
