"""One FilterSet for cases, shared by the staff lists, the queue, the API and exports."""

import django_filters as filters
from django.db.models import Q

from shuxiang.cases.choices import OPEN_STATES, CaseState, Channel, Priority
from shuxiang.cases.models import Case, CaseCategory
from shuxiang.cases.registry import all_types
from shuxiang.core.filtersets import FilterSet, OrderingFilter, WithinPlaceFilter
from shuxiang.core.models import Place, Unit


def case_type_choices():
    """Every registered case type by its Chinese label (the registry fills in as apps load)."""
    return [(t.code, t.label) for t in all_types()]


class CaseFilterSet(FilterSet):
    q = filters.CharFilter(method="filter_q", label="搜索（编号或标题）")
    state = filters.MultipleChoiceFilter(choices=CaseState.choices, label="状态")
    open = filters.BooleanFilter(method="filter_open", label="未办结")
    category = filters.ModelChoiceFilter(
        queryset=CaseCategory.objects.only("id", "code", "name"),  # a <select> of every category each view
        to_field_name="code",
        label="类别",
        field_name="category",
        empty_label="全部类别",
    )
    case_type = filters.ChoiceFilter(choices=case_type_choices, label="事件类型")
    place = WithinPlaceFilter(label="区划代码（含下级）")
    unit = filters.ModelChoiceFilter(
        # only the units of the user's own county and region (a platform may host several counties)
        queryset=lambda request: (
            Unit.objects.restrict(getattr(request, "user", None))
            .filter(is_active=True)
            .order_by("kind", "name")
            .only("id", "name")
        ),
        field_name="unit",
        label="责任单位",
    )
    overdue = filters.BooleanFilter(field_name="is_overdue", label="超期")
    escalated = filters.BooleanFilter(method="filter_escalated", label="已升级督办")
    priority = filters.ChoiceFilter(choices=Priority.choices, label="紧急程度")
    channel = filters.ChoiceFilter(choices=Channel.choices, label="来源渠道")
    since = filters.DateTimeFilter(field_name="created_at", lookup_expr="gte", label="提交时间起")
    until = filters.DateTimeFilter(field_name="created_at", lookup_expr="lt", label="提交时间止")
    source_ref = filters.CharFilter(label="来源对象")
    ordering = OrderingFilter(
        fields=(("deadline", "deadline"), ("created_at", "created_at"), ("updated_at", "updated_at")),
        field_labels={"deadline": "办理时限", "created_at": "提交时间", "updated_at": "更新时间"},
        label="排序",
    )

    class Meta:
        model = Case
        fields = ["q", "state", "category", "case_type", "place", "unit", "overdue", "priority", "channel"]

    def filter_q(self, qs, name, value):
        value = value.strip()
        if value.isdigit():
            return qs.filter(tracking_number__startswith=value)
        return qs.filter(Q(title__contains=value) | Q(address__contains=value))

    def filter_open(self, qs, name, value):
        if value is None:
            return qs
        return qs.filter(state__in=OPEN_STATES) if value else qs.exclude(state__in=OPEN_STATES)

    def filter_escalated(self, qs, name, value):
        if value is None:
            return qs
        return qs.filter(escalation_level__gt=0) if value else qs.filter(escalation_level=0)


class PublicCaseFilterSet(FilterSet):
    """The public list and map: category, state and township only."""

    category = filters.ModelChoiceFilter(
        queryset=CaseCategory.objects.filter(is_sensitive=False),
        to_field_name="code",
        label="类别",
        field_name="category",
        empty_label="全部类别",
    )
    state = filters.ChoiceFilter(
        choices=[("open", "办理中"), ("resolved", "已办结")],
        method="filter_state",
        label="状态",
        empty_label="全部状态",
    )
    township = filters.ChoiceFilter(
        label="乡镇", choices=Place.objects.township_choices, method="filter_township", empty_label="全部乡镇"
    )

    class Meta:
        model = Case
        fields = ["category", "state", "township"]

    def filter_township(self, qs, name, value):
        place = Place.objects.filter(code=value).only("path").first()
        return qs.filter(place__path__startswith=place.path) if place else qs.none()

    def filter_state(self, qs, name, value):
        if value == "open":
            return qs.filter(state__in=OPEN_STATES)
        if value == "resolved":
            return qs.exclude(state__in=OPEN_STATES)
        return qs
