import django_filters as filters
from django.db.models import Q

from shuxiang.core.filtersets import FilterSet, WithinPlaceFilter
from shuxiang.ecology.choices import CLASS_LABELS, PointKind, SampleSource, SourceKind
from shuxiang.ecology.models import (
    BeautyAssessment,
    CollectionPoint,
    CollectionRecord,
    MonitoringPoint,
    PollutionSource,
    Sample,
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


class BeautyFilterSet(FilterSet):
    place = WithinPlaceFilter(scope_field="place")
    period = filters.CharFilter(label="季度（如 2026Q4）")

    class Meta:
        model = BeautyAssessment
        fields = ["place", "period"]
