"""The district overview (驾驶舱): KPI cards against the plan's targets, child ranking by a
chosen indicator, a GeoJSON map of the children coloured by it, drill-down by place."""

from shuxiang.core.models import Place
from shuxiang.indicators.models import Indicator, Target
from shuxiang.indicators.reading import fmt
from shuxiang.indicators.rollup import drill_down, targets_for_many

LIGHT_COLOURS = {"ok": "#067647", "warn": "#b54708", "danger": "#b42318", "none": "#98a2b3"}


def targeted_indicators(year):
    ids = Target.objects.filter(year=year).values_list("indicator_id", flat=True)
    return list(
        Indicator.objects.filter(pk__in=ids, is_active=True)
        .select_related("designated_unit")
        .order_by("order", "code")
    )


def kpi_cards(place: Place, period, indicators) -> list[dict]:
    cards = []
    targets = targets_for_many(indicators, [place], period.year)
    for indicator in indicators:
        own, _ = drill_down(indicator, place, period, children=[], targets=targets[indicator.pk])
        if own.target is None and own.value is None:
            continue
        cards.append(
            {
                "code": indicator.code,
                "name": indicator.name,
                "unit": indicator.unit,
                "value": fmt(own.value, indicator.decimals),
                "target": fmt(own.target, indicator.decimals),
                "progress": fmt(own.progress * 100, 1) if own.progress is not None else None,
                "light": own.light.value,
                "note": own.reporting_note,
            }
        )
    return cards


def feature(place: Place, row: dict) -> dict:
    # The centre only: the map draws the boundaries from core's simplified boundaries endpoint.
    if place.latitude is not None:
        geometry = {"type": "Point", "coordinates": [place.longitude, place.latitude]}
    else:
        geometry = None
    return {
        "type": "Feature",
        "geometry": geometry,
        "properties": {**row, "colour": LIGHT_COLOURS[row["light"]]},
    }


def ranking(indicator: Indicator, place: Place, period) -> tuple[dict, list[dict], dict]:
    """(the place's row, child rows best first, a GeoJSON FeatureCollection of the children)."""
    children = list(Place.objects.filter(parent=place, valid_to__isnull=True).order_by("code"))
    own, rows = drill_down(indicator, place, period, children=children)

    def as_dict(row):
        return {
            "note": row.reporting_note,
            "place": row.place.code,
            "name": row.place.name,
            "level": row.place.level,
            "value": fmt(row.value, indicator.decimals),
            "target": fmt(row.target, indicator.decimals),
            "progress": fmt(row.progress * 100, 1) if row.progress is not None else None,
            "light": row.light.value,
        }

    child_rows = [as_dict(r) for r in rows]
    ordered = sorted(
        child_rows,
        key=lambda r: (
            r["progress"] is None,
            -(r["progress"] or 0) if indicator.higher_is_better else (r["progress"] or 0),
            -(r["value"] or 0),
            r["place"],
        ),
    )
    for position, r in enumerate(ordered, start=1):
        r["rank"] = position
    by_code = {c.code: c for c in children}
    geo = {
        "type": "FeatureCollection",
        "features": [
            feature(by_code[r["place"]], r)
            for r in child_rows
            if by_code[r["place"]].latitude is not None or by_code[r["place"]].geometry
        ],
    }
    return as_dict(own), ordered, geo
