import django_filters as filters
from django.db.models import F, Q

from shuxiang.core.filtersets import FilterSet, WithinPlaceFilter
from shuxiang.water.choices import NEAR_MARGIN_M, DamType, Scale
from shuxiang.water.models import PumpStation, Reservoir

LEVEL_CHOICES = [("over", "超汛限"), ("near", "接近汛限"), ("normal", "正常"), ("unknown", "无数据")]


class ReservoirFilterSet(FilterSet):
    q = filters.CharFilter(method="filter_q", label="搜索（名称或编码）")
    place = WithinPlaceFilter(scope_field="place")
    scale = filters.ChoiceFilter(choices=Scale.choices, label="规模")
    dam_type = filters.ChoiceFilter(choices=DamType.choices, label="坝型")
    status = filters.ChoiceFilter(choices=LEVEL_CHOICES, method="filter_status", label="水情")

    class Meta:
        model = Reservoir
        fields = ["q", "place", "scale", "dam_type", "status"]

    def filter_q(self, qs, name, value):
        return qs.filter(Q(name__contains=value) | Q(code__startswith=value))

    def filter_status(self, qs, name, value):
        # needs services.with_levels(): the `level` annotation
        if value == "over":
            return qs.filter(level__gt=F("flood_limit_level"))
        if value == "near":
            return qs.filter(
                level__lte=F("flood_limit_level"), level__gt=F("flood_limit_level") - NEAR_MARGIN_M
            )
        if value == "normal":
            return qs.filter(level__lte=F("flood_limit_level") - NEAR_MARGIN_M)
        return qs.filter(level__isnull=True)


class PumpStationFilterSet(FilterSet):
    q = filters.CharFilter(method="filter_q", label="搜索（名称或编码）")
    place = WithinPlaceFilter(scope_field="place")

    class Meta:
        model = PumpStation
        fields = ["q", "place"]

    def filter_q(self, qs, name, value):
        return qs.filter(Q(name__contains=value) | Q(code__startswith=value))
