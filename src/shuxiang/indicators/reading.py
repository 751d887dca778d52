"""What the API and pages show for "this indicator at this place in this period"."""

from django.utils import timezone

from shuxiang.core.errors import NotFound, ServiceError
from shuxiang.core.models import Place
from shuxiang.core.scope import place_in_scope, user_scope_path
from shuxiang.indicators.periods import parse_period
from shuxiang.indicators.rollup import Row, drill_down


def home_place(user) -> Place:
    """The top of what the user may see: the district for district roles, their township otherwise."""
    path = user_scope_path(user)
    if path is None:
        raise NotFound()
    codes = [c for c in path.split("/") if c]
    if not codes:
        return Place.objects.filter(level=1).order_by("code").first()
    return Place.objects.get(code=codes[-1])


def place_for(user, code) -> Place:
    if not code:
        return home_place(user)
    place = Place.objects.filter(code=str(code).strip()).first()
    if place is None or not place_in_scope(user, place):
        raise NotFound("区划不存在或不在您的管辖范围内")
    return place


def period_or_current(value):
    if not value:
        return parse_period(str(timezone.localdate().year))
    return parse_period(value)


def fmt(number, decimals):
    if number is None:
        return None
    return float(round(number, decimals))


def row_json(row: Row) -> dict:
    ind = row.figure.indicator
    return {
        "place": row.place.code,
        "place_name": row.place.name,
        "level": row.place.level,
        "numerator": fmt(row.figure.numerator, 4),
        "denominator": fmt(row.figure.denominator, 4),
        "value": fmt(row.value, ind.decimals),
        "target": fmt(row.target, 4),
        "progress": fmt(row.progress, 4),
        "light": row.light.value,
    }


def reporter_json(reporter, decimals) -> dict:
    return {
        "unit": reporter.unit_id and reporter.name,
        "name": reporter.name,
        "numerator": fmt(reporter.figure.numerator, 4),
        "denominator": fmt(reporter.figure.denominator, 4),
        "value": fmt(reporter.value, decimals),
        "counted": reporter.counted,
    }


def values_json(indicator, user, *, place=None, period=None) -> dict:
    place = place_for(user, place)
    period = period_or_current(period)
    if place.level == 4:
        children = []
    else:
        children = list(Place.objects.filter(parent=place, valid_to__isnull=True).order_by("code"))
    own, rows = drill_down(indicator, place, period, children=children)
    if any(not place_in_scope(user, r.place) for r in rows):
        raise ServiceError("out_of_scope", "区划不在您的管辖范围内", status=404)
    return {
        "indicator": indicator.code,
        "name": indicator.name,
        "unit": indicator.unit,
        "period": period.code,
        "period_label": period.label,
        "unit_aggregation": indicator.unit_aggregation,
        "unit_rule": indicator.unit_rule_text,
        "place": {
            **row_json(own),
            "reporting_note": own.reporting_note,
            "reporters": [reporter_json(r, indicator.decimals) for r in own.reporters],
        },
        "children": [row_json(r) for r in rows],
    }
