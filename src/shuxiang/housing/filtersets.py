import django_filters as filters
from django.db.models import Q

from shuxiang.core.filtersets import FilterSet, WithinPlaceFilter
from shuxiang.housing import choices as c
from shuxiang.housing.models import BusinessInspection, House, Renovation

GRADE_CHOICES = [*c.Grade.choices, ("none", "未鉴定"), ("dangerous", "C/D级危房")]


class HouseFilterSet(FilterSet):
    q = filters.CharFilter(method="filter_q", label="搜索（编码、地址或经营名称）")
    place = WithinPlaceFilter(scope_field="place")
    grade = filters.ChoiceFilter(choices=GRADE_CHOICES, method="filter_grade", label="安全等级")
    structure = filters.ChoiceFilter(choices=c.Structure.choices, label="结构类型")
    use = filters.ChoiceFilter(choices=c.Use.choices, label="用途")
    key_group = filters.ChoiceFilter(choices=c.KeyGroup.choices, label="重点对象类别")
    key = filters.BooleanFilter(method="filter_key", label="重点对象")
    business = filters.BooleanFilter(method="filter_business", label="经营性自建房")

    class Meta:
        model = House
        fields = ["q", "place", "grade", "structure", "use", "key_group", "key", "business"]

    def filter_q(self, qs, name, value):
        return qs.filter(
            Q(code__startswith=value) | Q(address__contains=value) | Q(business_name__contains=value)
        )

    def filter_grade(self, qs, name, value):
        if value == "none":
            return qs.filter(grade="")
        if value == "dangerous":
            return qs.filter(grade__in=c.DANGEROUS)
        return qs.filter(grade=value)

    def filter_key(self, qs, name, value):
        return qs.exclude(key_group="") if value else qs.filter(key_group="")

    def filter_business(self, qs, name, value):
        return qs.exclude(use=c.Use.LIVING) if value else qs.filter(use=c.Use.LIVING)


class AppraisalFilterSet(FilterSet):
    place = WithinPlaceFilter(scope_field="house__place")
    house = filters.CharFilter(field_name="house__code", label="房屋编码")
    grade = filters.ChoiceFilter(choices=c.Grade.choices, label="鉴定等级")
    kind = filters.ChoiceFilter(choices=c.AppraisalKind.choices, label="类型")
    since = filters.DateFilter(field_name="appraised_on", lookup_expr="gte", label="鉴定日期起")

    class Meta:
        from shuxiang.housing.models import Appraisal

        model = Appraisal
        fields = ["place", "house", "grade", "kind", "since"]


class RenovationFilterSet(FilterSet):
    place = WithinPlaceFilter(scope_field="house__place")
    status = filters.ChoiceFilter(choices=c.RenovationStatus.choices, label="状态")
    kind = filters.ChoiceFilter(choices=c.RenovationKind.choices, label="改造方式")
    open = filters.BooleanFilter(method="filter_open", label="未验收")

    class Meta:
        model = Renovation
        fields = ["place", "status", "kind", "open"]

    def filter_open(self, qs, name, value):
        return (
            qs.exclude(status=c.RenovationStatus.ACCEPTED)
            if value
            else qs.filter(status=c.RenovationStatus.ACCEPTED)
        )


class InspectionFilterSet(FilterSet):
    place = WithinPlaceFilter(scope_field="house__place")
    result = filters.ChoiceFilter(choices=c.InspectionResult.choices, label="结论")
    hazard = filters.ChoiceFilter(choices=c.Hazard.choices, method="filter_hazard", label="隐患类型")

    class Meta:
        model = BusinessInspection
        fields = ["place", "result", "hazard"]

    def filter_hazard(self, qs, name, value):
        # the JSON text holds each code in quotes; hazard codes are not prefixes of one another
        return qs.filter(hazards__icontains=f'"{value}"')
