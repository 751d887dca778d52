import django_filters as filters
from django.core.validators import RegexValidator
from django.db.models import Q

from shuxiang.core.filtersets import FilterSet, WithinPlaceFilter
from shuxiang.farmland.choices import (
    AdvisoryStatus,
    BatchStatus,
    Crop,
    FacilityKind,
    FacilityStatus,
    FindingStatus,
    FindingType,
    Kind,
    Transplant,
)
from shuxiang.farmland.models import (
    Facility,
    Finding,
    Parcel,
    PatrolReport,
    Planting,
    RiceAdvisory,
    RiceSeason,
    SeedlingBatch,
)

SEASON_FORMAT = RegexValidator(
    r"^\d{4}-(early|late|winter)$", "季节格式应为 2026-early、2026-late 或 2026-winter"
)


class SeasonFilter(filters.CharFilter):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("validators", [SEASON_FORMAT])
        kwargs.setdefault("label", "季节")
        kwargs.setdefault("field_name", "season")
        super().__init__(*args, **kwargs)


class ParcelFilterSet(FilterSet):
    kind = filters.ChoiceFilter(choices=Kind.choices, label="图层")
    village = WithinPlaceFilter(scope_field="place", label="区划代码（村、乡镇，含下级）")
    q = filters.CharFilter(method="filter_q", label="搜索（图斑编号）")
    land_class = filters.CharFilter(label="地类")
    project = filters.CharFilter(field_name="project__code", label="建设项目编号")

    class Meta:
        model = Parcel
        fields = ["kind", "village", "q", "land_class", "project"]

    def filter_q(self, qs, name, value):
        return qs.filter(code__startswith=value.strip())


class PlantingFilterSet(FilterSet):
    season = SeasonFilter()
    village = WithinPlaceFilter(scope_field="parcel__place", label="区划代码（含下级）")
    crop = filters.ChoiceFilter(choices=Crop.choices, label="作物")
    kind = filters.ChoiceFilter(field_name="parcel__kind", choices=Kind.choices, label="图层")
    parcel = filters.CharFilter(field_name="parcel__code", label="图斑编号")

    class Meta:
        model = Planting
        fields = ["season", "village", "crop", "kind", "parcel"]


class FindingFilterSet(FilterSet):
    status = filters.ChoiceFilter(choices=FindingStatus.choices, label="状态")
    finding_type = filters.ChoiceFilter(choices=FindingType.choices, label="类型")
    season = SeasonFilter()
    village = WithinPlaceFilter(scope_field="parcel__place", label="区划代码（含下级）")
    overdue = filters.BooleanFilter(method="filter_overdue", label="已超期")

    class Meta:
        model = Finding
        fields = ["status", "finding_type", "season", "village", "overdue"]

    def filter_overdue(self, qs, name, value):
        from django.utils import timezone

        late = Q(status="open", deadline__lt=timezone.localdate())
        return qs.filter(late) if value else qs.exclude(late)


class PatrolFilterSet(FilterSet):
    season = SeasonFilter()
    village = WithinPlaceFilter(scope_field="parcel__place", label="区划代码（含下级）")

    class Meta:
        model = PatrolReport
        fields = ["season", "village"]


class RiceSeasonFilterSet(FilterSet):
    season = SeasonFilter()
    village = WithinPlaceFilter(scope_field="parcel__place", label="区划代码（含下级）")
    variety = filters.CharFilter(field_name="variety__name", label="品种")
    transplant = filters.ChoiceFilter(choices=Transplant.choices, label="栽插方式")

    class Meta:
        model = RiceSeason
        fields = ["season", "village", "variety", "transplant"]


class SeedlingBatchFilterSet(FilterSet):
    status = filters.ChoiceFilter(choices=BatchStatus.choices, label="状态")
    factory = filters.CharFilter(field_name="factory__code", label="育秧工厂编号")
    place = WithinPlaceFilter(scope_field="factory__place")

    class Meta:
        model = SeedlingBatch
        fields = ["status", "factory", "place"]


class FacilityFilterSet(FilterSet):
    kind = filters.ChoiceFilter(choices=FacilityKind.choices, label="设施类型")
    status = filters.ChoiceFilter(choices=FacilityStatus.choices, label="状态")
    village = WithinPlaceFilter(scope_field="place", label="区划代码（村、乡镇，含下级）")
    project = filters.CharFilter(field_name="project__code", label="建设项目编号")

    class Meta:
        model = Facility
        fields = ["kind", "status", "village", "project"]


class RiceAdvisoryFilterSet(FilterSet):
    status = filters.ChoiceFilter(choices=AdvisoryStatus.choices, label="状态")

    class Meta:
        model = RiceAdvisory
        fields = ["status"]
