"""One FilterSet per model, shared by the HTML lists, the API and exports."""

import django_filters as filters
from django.db.models import Q

from shuxiang.core.filtersets import FilterSet, WithinPlaceFilter
from shuxiang.monitoring import choices as c
from shuxiang.monitoring.models import Clue, Household, Procedure, Rule


class HouseholdFilterSet(FilterSet):
    place = WithinPlaceFilter(label="区划代码（含下级）")
    status = filters.ChoiceFilter(choices=c.MonitoringStatus.choices, label="监测状态")
    monitored_type = filters.ChoiceFilter(choices=c.MonitoredType.choices, label="监测类型")
    category = filters.ChoiceFilter(choices=c.Category.choices, label="农户类别")
    q = filters.CharFilter(method="filter_q", label="搜索（户编号或户主姓名）")

    class Meta:
        model = Household
        fields = ["place", "status", "monitored_type", "category", "q"]

    def filter_q(self, qs, name, value):
        return qs.filter(
            Q(number__startswith=value) | Q(members__relation="head", members__person__name__contains=value)
        ).distinct()


class ClueFilterSet(FilterSet):
    place = WithinPlaceFilter(label="区划代码（含下级）")
    status = filters.ChoiceFilter(choices=c.ClueStatus.choices, label="状态")
    channel = filters.ChoiceFilter(choices=c.Channel.choices, label="来源渠道")
    household = filters.CharFilter(field_name="household__number", label="户编号")
    rule = filters.ModelChoiceFilter(
        queryset=Rule.objects.all(), to_field_name="code", field_name="rule", label="规则"
    )

    class Meta:
        model = Clue
        fields = ["place", "status", "channel", "household", "rule"]


class ProcedureFilterSet(FilterSet):
    place = WithinPlaceFilter(scope_field="household__place", label="区划代码（含下级）")
    kind = filters.ChoiceFilter(choices=c.ProcedureKind.choices, label="程序")
    stage = filters.ChoiceFilter(choices=c.Stage.choices, label="当前环节")

    class Meta:
        model = Procedure
        fields = ["place", "kind", "stage"]
