import django_filters as filters
from django.db.models import Q

from shuxiang.core.filtersets import FilterSet, WithinPlaceFilter
from shuxiang.machinery.choices import (
    MachineKind,
    OperationKind,
    OwnerKind,
    RequestStatus,
    RoadCondition,
    RoadGrade,
    SubsidyStatus,
)
from shuxiang.machinery.models import Field, Machine, Operation, Road, ServiceRequest, SubsidyApplication


class MachineFilterSet(FilterSet):
    q = filters.CharFilter(method="filter_q", label="搜索（名称、编号、牌证号、所有者）")
    place = WithinPlaceFilter()
    kind = filters.ChoiceFilter(choices=MachineKind.choices, label="机具类型")
    owner_kind = filters.ChoiceFilter(choices=OwnerKind.choices, label="所有者类型")
    has_terminal = filters.BooleanFilter(
        field_name="device", lookup_expr="isnull", exclude=True, label="装有终端"
    )

    class Meta:
        model = Machine
        fields = ["q", "place", "kind", "owner_kind", "has_terminal"]

    def filter_q(self, qs, name, value):
        return qs.filter(
            Q(name__contains=value)
            | Q(code__startswith=value)
            | Q(plate__contains=value)
            | Q(owner_name__contains=value)
        )


class OperationFilterSet(FilterSet):
    season = filters.CharFilter(label="农季（如 2026早稻）")
    township = WithinPlaceFilter(scope_field="place", label="乡镇（区划代码，含下级）")
    kind = filters.ChoiceFilter(choices=OperationKind.choices, label="作业类型")
    machine = filters.CharFilter(field_name="machine__code", label="农机编号")
    field = filters.NumberFilter(field_name="fields", label="地块")
    flagged = filters.BooleanFilter(method="filter_flagged", label="有异常标记")

    class Meta:
        model = Operation
        fields = ["season", "township", "kind", "machine", "field", "flagged"]

    def filter_flagged(self, qs, name, value):
        return qs.exclude(flags=[]) if value else qs.filter(flags=[])


class RequestFilterSet(FilterSet):
    place = WithinPlaceFilter()
    status = filters.ChoiceFilter(choices=RequestStatus.choices, label="状态")
    kind = filters.ChoiceFilter(choices=OperationKind.choices, label="作业类型")

    class Meta:
        model = ServiceRequest
        fields = ["place", "status", "kind"]


class FieldFilterSet(FilterSet):
    place = WithinPlaceFilter()
    q = filters.CharFilter(field_name="name", lookup_expr="contains", label="地块名称")

    class Meta:
        model = Field
        fields = ["place", "q"]


class SubsidyFilterSet(FilterSet):
    place = WithinPlaceFilter()
    status = filters.ChoiceFilter(choices=SubsidyStatus.choices, label="状态")
    kind = filters.ChoiceFilter(choices=MachineKind.choices, label="机具类型")
    serial_number = filters.CharFilter(label="出厂编号")

    class Meta:
        model = SubsidyApplication
        fields = ["place", "status", "kind", "serial_number"]


class RoadFilterSet(FilterSet):
    place = WithinPlaceFilter()
    grade = filters.ChoiceFilter(choices=RoadGrade.choices, label="行政等级")
    condition = filters.ChoiceFilter(choices=RoadCondition.choices, label="技术状况")
    q = filters.CharFilter(method="filter_q", label="搜索（名称或编码）")

    class Meta:
        model = Road
        fields = ["place", "grade", "condition", "q"]

    def filter_q(self, qs, name, value):
        return qs.filter(Q(name__contains=value) | Q(code__startswith=value))
