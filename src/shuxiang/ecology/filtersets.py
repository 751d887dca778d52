import django_filters as filters
from django.db.models import Q

from shuxiang.core.filtersets import FilterSet, TownshipFilter, WithinPlaceFilter
from shuxiang.ecology.choices import (
    CLASS_LABELS,
    ForestCategory,
    ForestOrigin,
    ForestType,
    PointKind,
    SampleSource,
    SourceKind,
)
from shuxiang.ecology.models import (
    BeautyAssessment,
    CollectionPoint,
    CollectionRecord,
    ForestStand,
    MonitoringPoint,
    PollutionSource,
    Sample,
    Truck,
)

MEETS = [("true", "达标"), ("false", "超标")]


def _bool(value):
    return value in (True, "true", "True", "1")


class MonitoringPointFilterSet(FilterSet):
    q = filters.CharFilter(method="filter_q", label="搜索（名称或编码）")
    place = WithinPlaceFilter(scope_field="place")
    kind = filters.ChoiceFilter(choices=PointKind.choices, label="类型")
    latest_class = filters.ChoiceFilter(choices=list(CLASS_LABELS.items()), label="最新水质类别")
    meets = filters.ChoiceFilter(choices=MEETS, method="filter_meets", label="最新样品")

    class Meta:
        model = MonitoringPoint
        fields = ["q", "place", "kind", "latest_class", "meets"]

    def filter_q(self, qs, name, value):
        return qs.filter(Q(name__contains=value) | Q(code__startswith=value))

    def filter_meets(self, qs, name, value):
        return qs.filter(latest_meets=_bool(value))


class SampleFilterSet(FilterSet):
    place = WithinPlaceFilter(scope_field="point__place")
    point = filters.CharFilter(field_name="point__code", label="点位编码")
    kind = filters.ChoiceFilter(field_name="point__kind", choices=PointKind.choices, label="点位类型")
    source = filters.ChoiceFilter(choices=SampleSource.choices, label="来源")
    meets = filters.ChoiceFilter(choices=MEETS, method="filter_meets", label="结论")
    water_class = filters.ChoiceFilter(choices=list(CLASS_LABELS.items()), label="水质类别")

    class Meta:
        model = Sample
        fields = ["place", "point", "kind", "source", "meets", "water_class"]

    def filter_meets(self, qs, name, value):
        return qs.filter(meets=_bool(value))


class PollutionSourceFilterSet(FilterSet):
    q = filters.CharFilter(method="filter_q", label="搜索（名称或编号）")
    place = WithinPlaceFilter(scope_field="place")
    kind = filters.ChoiceFilter(choices=SourceKind.choices, label="类型")

    class Meta:
        model = PollutionSource
        fields = ["q", "place", "kind"]

    def filter_q(self, qs, name, value):
        return qs.filter(Q(name__contains=value) | Q(code__startswith=value))


class CollectionPointFilterSet(FilterSet):
    q = filters.CharFilter(method="filter_q", label="搜索（名称或编号）")
    place = WithinPlaceFilter(scope_field="place")

    class Meta:
        model = CollectionPoint
        fields = ["q", "place"]

    def filter_q(self, qs, name, value):
        return qs.filter(Q(name__contains=value) | Q(code__startswith=value))


class CollectionRecordFilterSet(FilterSet):
    place = WithinPlaceFilter(scope_field="point__place")
    point = filters.CharFilter(field_name="point__code", label="收集点编号")
    since = filters.IsoDateTimeFilter(field_name="collected_at", lookup_expr="gte", label="清运时间起")

    class Meta:
        model = CollectionRecord
        fields = ["place", "point", "since"]


class TruckFilterSet(FilterSet):
    q = filters.CharFilter(field_name="plate", lookup_expr="contains", label="车牌号")
    place = WithinPlaceFilter(scope_field="place")
    is_active = filters.BooleanFilter(label="在用")

    class Meta:
        model = Truck
        fields = ["q", "place", "is_active"]


class BeautyFilterSet(FilterSet):
    place = WithinPlaceFilter(scope_field="place")
    period = filters.CharFilter(label="季度（如 2026Q4）")

    class Meta:
        model = BeautyAssessment
        fields = ["place", "period"]


def _bbox(value) -> tuple[float, ...]:
    """(west, south, east, north) from "112.2,28.2,112.6,28.5"; a form error otherwise."""
    import math

    from django.core.exceptions import ValidationError

    try:
        box = tuple(float(v) for v in str(value).split(","))
    except ValueError:
        box = ()
    if len(box) != 4 or not all(math.isfinite(v) for v in box) or box[0] > box[2] or box[1] > box[3]:
        raise ValidationError("范围写作 西,南,东,北（经纬度，如 112.2,28.2,112.6,28.5）")
    return box


class ForestStandFilterSet(FilterSet):
    """The forest layer's stands: by township (a pick list) or any place code, type, category, origin;
    `bbox` (the API and the map) keeps those whose bounding box meets a longitude/latitude box."""

    q = filters.CharFilter(method="filter_q", label="搜索（小班编号或树种）")
    township = TownshipFilter()
    place = WithinPlaceFilter(scope_field="place", label="村或乡镇（区划代码）")
    forest_type = filters.ChoiceFilter(choices=ForestType.choices, label="林地类型")
    category = filters.ChoiceFilter(choices=ForestCategory.choices, label="森林类别")
    origin = filters.ChoiceFilter(choices=ForestOrigin.choices, label="起源")
    bbox = filters.CharFilter(method="filter_bbox", label="范围（西,南,东,北 经纬度）", validators=[_bbox])

    class Meta:
        model = ForestStand
        fields = ["q", "township", "place", "forest_type", "category", "origin", "bbox"]

    def filter_q(self, qs, name, value):
        return qs.filter(Q(code__startswith=value.strip()) | Q(species__contains=value.strip()))

    def filter_bbox(self, qs, name, value):
        west, south, east, north = _bbox(value)
        return qs.filter(min_lon__lte=east, max_lon__gte=west, min_lat__lte=north, max_lat__gte=south)
