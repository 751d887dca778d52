import django_filters as filters
from django.db.models import Q

from shuxiang.core.filtersets import FilterSet, WithinPlaceFilter
from shuxiang.plan.choices import EntryStatus, ServicePointKind
from shuxiang.plan.models import LedgerEntry, NetworkCoverage, ServicePoint


class LedgerEntryFilterSet(FilterSet):
    period = filters.CharFilter(field_name="round__period", label="季度（如 2025Q3）")
    status = filters.ChoiceFilter(choices=EntryStatus.choices, label="状态")
    task = filters.NumberFilter(field_name="task__number", label="任务序号")
    place = WithinPlaceFilter(label="区划代码（含下级）")
    unit = filters.CharFilter(method="filter_unit", label="单位")
    waiting = filters.BooleanFilter(method="filter_waiting", label="待我审批")

    class Meta:
        model = LedgerEntry
        fields = ["period", "status", "task", "place", "unit", "waiting"]

    def filter_unit(self, qs, name, value):
        return (
            qs.filter(Q(unit__name__icontains=value) | Q(unit__short_name__icontains=value)) if value else qs
        )

    def filter_waiting(self, qs, name, value):
        """Submitted forms whose next approval is the signed-in user's to give (none for others)."""
        if not value:
            return qs
        from shuxiang.plan.services import approvable

        user = getattr(self.request, "user", None)
        if user is None or not user.is_authenticated:
            return qs.none()
        return approvable(user, qs)


class CoverageFilterSet(FilterSet):
    place = WithinPlaceFilter(label="区划代码（含下级）")
    level = filters.ChoiceFilter(
        field_name="place__level", choices=[(2, "乡镇"), (3, "村"), (4, "村民小组")], label="层级"
    )
    has_fibre = filters.BooleanFilter(label="光纤通达")
    has_4g = filters.BooleanFilter(label="4G覆盖")

    class Meta:
        model = NetworkCoverage
        fields = ["place", "level", "has_fibre", "has_4g"]


class ServicePointFilterSet(FilterSet):
    place = WithinPlaceFilter(label="区划代码（含下级）")
    kind = filters.ChoiceFilter(choices=ServicePointKind.choices, label="类型")
    q = filters.CharFilter(field_name="name", lookup_expr="icontains", label="名称")

    class Meta:
        model = ServicePoint
        fields = ["place", "kind", "q"]
