import django_filters as filters
from django.db.models import Q

from shuxiang.core.filtersets import FilterSet, WithinPlaceFilter
from shuxiang.land.choices import (
    DistributionStatus,
    LandUse,
    ListingStatus,
    MemberStatus,
    ParcelKind,
    TransferStatus,
)
from shuxiang.land.models import (
    Contract,
    Cooperative,
    Distribution,
    FinanceEntry,
    Listing,
    Member,
    Parcel,
    Transfer,
)


class ParcelFilterSet(FilterSet):
    q = filters.CharFilter(method="filter_q", label="搜索（地块编码、名称或承包户）")
    village = WithinPlaceFilter(scope_field="village", label="区划代码（含下级）")
    kind = filters.ChoiceFilter(choices=ParcelKind.choices, label="地块类别")
    land_use = filters.ChoiceFilter(choices=LandUse.choices, label="土地利用类型")
    area_flagged = filters.BooleanFilter(label="面积差异超限")

    class Meta:
        model = Parcel
        fields = ["q", "village", "kind", "land_use", "area_flagged"]

    def filter_q(self, qs, name, value):
        value = value.strip()
        if value.isdigit():
            return qs.filter(code__startswith=value)
        return qs.filter(
            Q(name__contains=value)
            | Q(contracts__contractor__head__name=value)
            | Q(village__name__contains=value)
        ).distinct()


class ContractFilterSet(FilterSet):
    q = filters.CharFilter(method="filter_q", label="搜索（合同编码或户主）")
    village = WithinPlaceFilter(scope_field="contractor__village", label="区划代码（含下级）")

    class Meta:
        model = Contract
        fields = ["q", "village", "status"]

    def filter_q(self, qs, name, value):
        return qs.filter(Q(code__startswith=value.strip()) | Q(contractor__head__name=value.strip()))


class TransferFilterSet(FilterSet):
    q = filters.CharFilter(method="filter_q", label="搜索（合同编号或流入方）")
    village = WithinPlaceFilter(scope_field="village", label="区划代码（含下级）")
    status = filters.ChoiceFilter(choices=TransferStatus.choices, label="状态")
    expiring = filters.BooleanFilter(method="filter_expiring", label="90天内到期")

    class Meta:
        model = Transfer
        fields = ["q", "village", "status", "expiring"]

    def filter_q(self, qs, name, value):
        return qs.filter(Q(code__startswith=value.strip()) | Q(transferee__contains=value.strip()))

    def filter_expiring(self, qs, name, value):
        from shuxiang.land.services import expiring

        return expiring(qs) if value else qs


class ListingFilterSet(FilterSet):
    village = WithinPlaceFilter(scope_field="village", label="区划代码（含下级）")
    status = filters.ChoiceFilter(choices=ListingStatus.choices, label="状态")

    class Meta:
        model = Listing
        fields = ["village", "status"]


class MemberFilterSet(FilterSet):
    q = filters.CharFilter(method="filter_q", label="搜索（成员编号或姓名）")
    village = WithinPlaceFilter(scope_field="cooperative__village", label="区划代码（含下级）")
    status = filters.ChoiceFilter(choices=MemberStatus.choices, label="状态")

    class Meta:
        model = Member
        fields = ["q", "village", "status"]

    def filter_q(self, qs, name, value):
        return qs.filter(Q(code__startswith=value.strip()) | Q(person__name__contains=value.strip()))


class DistributionFilterSet(FilterSet):
    village = WithinPlaceFilter(scope_field="cooperative__village", label="区划代码（含下级）")
    status = filters.ChoiceFilter(choices=DistributionStatus.choices, label="状态")

    class Meta:
        model = Distribution
        fields = ["village", "status", "period"]


class FinanceEntryFilterSet(FilterSet):
    village = WithinPlaceFilter(scope_field="village", label="区划代码（含下级）")

    class Meta:
        model = FinanceEntry
        fields = ["village", "kind", "category"]


class CooperativeFilterSet(FilterSet):
    village = WithinPlaceFilter(scope_field="village", label="区划代码（含下级）")

    class Meta:
        model = Cooperative
        fields = ["village"]
