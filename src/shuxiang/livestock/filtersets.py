import django_filters as filters
from django.db.models import Q

from shuxiang.core.filtersets import FilterSet, WithinPlaceFilter
from shuxiang.livestock.choices import AnimalSpecies, ColdClass, DiseaseStage, FarmKind, Species
from shuxiang.livestock.models import ColdStore, ColdVehicle, DiseaseReport, Farm, Pond


class FarmFilterSet(FilterSet):
    q = filters.CharFilter(method="filter_q", label="搜索（名称或编码）")
    place = WithinPlaceFilter(scope_field="place")
    kind = filters.ChoiceFilter(choices=FarmKind.choices, label="类型")

    class Meta:
        model = Farm
        fields = ["q", "place", "kind"]

    def filter_q(self, qs, name, value):
        return qs.filter(Q(name__contains=value) | Q(code__startswith=value))


class PondFilterSet(FilterSet):
    q = filters.CharFilter(method="filter_q", label="搜索（名称或编号）")
    place = WithinPlaceFilter(scope_field="place")
    species = filters.ChoiceFilter(choices=Species.choices, label="主养品种")

    class Meta:
        model = Pond
        fields = ["q", "place", "species"]

    def filter_q(self, qs, name, value):
        return qs.filter(Q(name__contains=value) | Q(code__startswith=value))


class ColdStoreFilterSet(FilterSet):
    q = filters.CharFilter(method="filter_q", label="搜索（名称或编码）")
    place = WithinPlaceFilter(scope_field="place")
    temp_class = filters.ChoiceFilter(choices=ColdClass.choices, label="温区")

    class Meta:
        model = ColdStore
        fields = ["q", "place", "temp_class"]

    def filter_q(self, qs, name, value):
        return qs.filter(Q(name__contains=value) | Q(code__startswith=value))


class ColdVehicleFilterSet(FilterSet):
    q = filters.CharFilter(method="filter_q", label="搜索（车牌或名称）")
    place = WithinPlaceFilter(scope_field="place")
    temp_class = filters.ChoiceFilter(choices=ColdClass.choices, label="温区")

    class Meta:
        model = ColdVehicle
        fields = ["q", "place", "temp_class"]

    def filter_q(self, qs, name, value):
        return qs.filter(Q(name__contains=value) | Q(plate__contains=value.upper()))


class DiseaseReportFilterSet(FilterSet):
    place = WithinPlaceFilter(scope_field="place")
    stage = filters.ChoiceFilter(choices=DiseaseStage.choices, label="阶段")
    species = filters.ChoiceFilter(choices=AnimalSpecies.choices, label="畜种")

    class Meta:
        model = DiseaseReport
        fields = ["place", "stage", "species"]
