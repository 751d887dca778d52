import django_filters as filters
from django.db.models import Q

from shuxiang.core.filtersets import FilterSet, WithinPlaceFilter
from shuxiang.villager.choices import (
    EmploymentStatus,
    Group,
    HeritageCategory,
    HeritageKind,
    HeritageLevel,
    PosterKind,
    PostingKind,
    PostingStatus,
    Sector,
    SiteKind,
)
from shuxiang.villager.models import (
    EmploymentRecord,
    HeritageItem,
    Posting,
    TouristSite,
    TrainingCourse,
    VisitCount,
)


def keyword(qs, value):
    value = value.strip()[:40]
    return qs.filter(Q(title__contains=value) | Q(body__contains=value)) if value else qs


class PublicPostingFilterSet(FilterSet):
    """The public market's search: township (or village) by division code, kind, keyword."""

    q = filters.CharFilter(method="filter_q", label="关键词")
    place = WithinPlaceFilter(scope_field="place", label="地区（区划代码）")
    kind = filters.ChoiceFilter(choices=PostingKind.choices, label="类别")
    verified = filters.BooleanFilter(method="filter_verified", label="仅看已核实发布人")

    class Meta:
        model = Posting
        fields = ["q", "place", "kind", "verified"]

    def filter_q(self, qs, name, value):
        return keyword(qs, value)

    def filter_verified(self, qs, name, value):
        if value is None:
            return qs
        return (
            qs.exclude(poster_kind=PosterKind.RESIDENT)
            if value
            else qs.filter(poster_kind=PosterKind.RESIDENT)
        )


class PostingFilterSet(PublicPostingFilterSet):
    status = filters.ChoiceFilter(choices=PostingStatus.choices, label="状态")

    class Meta:
        model = Posting
        fields = ["q", "place", "kind", "status", "verified"]


class EmploymentRecordFilterSet(FilterSet):
    q = filters.CharFilter(method="filter_q", label="姓名")
    place = WithinPlaceFilter(scope_field="place")
    group = filters.ChoiceFilter(choices=Group.choices, label="群体")
    status = filters.ChoiceFilter(choices=EmploymentStatus.choices, label="就业状态")
    year = filters.NumberFilter(label="年度")
    quarter = filters.NumberFilter(label="季度")

    class Meta:
        model = EmploymentRecord
        fields = ["q", "place", "group", "status", "year", "quarter"]

    def filter_q(self, qs, name, value):
        return qs.filter(person__name__contains=value.strip()[:20])


class TrainingCourseFilterSet(FilterSet):
    q = filters.CharFilter(field_name="name", lookup_expr="contains", label="课程名称")
    place = WithinPlaceFilter(scope_field="place")
    sector = filters.ChoiceFilter(choices=Sector.choices, label="行业")

    class Meta:
        model = TrainingCourse
        fields = ["q", "place", "sector"]


class HeritageItemFilterSet(FilterSet):
    q = filters.CharFilter(field_name="name", lookup_expr="contains", label="名称")
    place = WithinPlaceFilter(scope_field="place")
    kind = filters.ChoiceFilter(choices=HeritageKind.choices, label="类别")
    category = filters.ChoiceFilter(choices=HeritageCategory.choices, label="门类")
    level = filters.ChoiceFilter(choices=HeritageLevel.choices, label="级别")

    class Meta:
        model = HeritageItem
        fields = ["q", "place", "kind", "category", "level"]


class TouristSiteFilterSet(FilterSet):
    q = filters.CharFilter(field_name="name", lookup_expr="contains", label="名称")
    place = WithinPlaceFilter(scope_field="place")
    kind = filters.ChoiceFilter(choices=SiteKind.choices, label="类型")

    class Meta:
        model = TouristSite
        fields = ["q", "place", "kind"]


class VisitCountFilterSet(FilterSet):
    site = filters.NumberFilter(field_name="site_id", label="旅游点编号")
    since = filters.DateFilter(field_name="day", lookup_expr="gte", label="起始日期")
    until = filters.DateFilter(field_name="day", lookup_expr="lte", label="截止日期")

    class Meta:
        model = VisitCount
        fields = ["site", "since", "until"]
