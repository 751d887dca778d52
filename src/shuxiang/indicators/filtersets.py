import django_filters as filters
from django.db.models import Q

from shuxiang.core.filtersets import FilterSet
from shuxiang.indicators.choices import IndicatorKind, IndicatorSource
from shuxiang.indicators.models import Indicator


class IndicatorFilterSet(FilterSet):
    kind = filters.ChoiceFilter(choices=IndicatorKind.choices, label="类型")
    source = filters.ChoiceFilter(choices=IndicatorSource.choices, label="数据来源")
    q = filters.CharFilter(method="filter_q", label="搜索（名称或代码）")

    class Meta:
        model = Indicator
        fields = ["kind", "source", "q"]

    def filter_q(self, qs, name, value):
        return qs.filter(Q(name__icontains=value) | Q(code__icontains=value)) if value else qs
