"""One FilterSet per model, shared by the HTML lists, the API and exports."""

import django_filters as filters
from django.db.models import Exists, OuterRef, Q

from shuxiang.core.filtersets import FilterSet, WithinPlaceFilter
from shuxiang.core.models import Place
from shuxiang.warnings.choices import Adapter, Colour, DeliveryStatus, MsgType, WarningStatus
from shuxiang.warnings.models import Delivery, Endpoint, SignalType, Warning, WarningArea


class WarningFilterSet(FilterSet):
    status = filters.ChoiceFilter(choices=WarningStatus.choices, label="状态")
    colour = filters.ChoiceFilter(choices=Colour.choices, label="颜色")
    signal_type = filters.ModelChoiceFilter(
        queryset=SignalType.objects.filter(is_active=True), to_field_name="code", label="信号类型"
    )
    msg_type = filters.ChoiceFilter(choices=MsgType.choices, label="消息类型")
    area = filters.CharFilter(method="filter_area", label="涉及区划代码")
    issued_after = filters.DateFilter(field_name="issued_at", lookup_expr="date__gte", label="发布起（日期）")
    issued_before = filters.DateFilter(
        field_name="issued_at", lookup_expr="date__lte", label="发布止（日期）"
    )
    failed = filters.BooleanFilter(method="filter_failed", label="有送达失败")
    q = filters.CharFilter(method="filter_q", label="搜索")

    class Meta:
        model = Warning
        fields = ["status", "colour", "signal_type", "msg_type", "area", "issued_after", "issued_before", "q"]

    def filter_area(self, qs, name, value):
        place = Place.objects.filter(code=value.strip()).first()
        if place is None:
            return qs.none()
        parts = [p for p in place.path.split("/") if p]
        ancestors = ["/" + "/".join(parts[: i + 1]) + "/" for i in range(len(parts))]
        links = WarningArea.objects.filter(warning=OuterRef("pk")).filter(
            Q(place__path__startswith=place.path) | Q(place__path__in=ancestors)
        )
        return qs.filter(Exists(links))

    def filter_failed(self, qs, name, value):
        failed = Delivery.objects.filter(warning=OuterRef("pk"), status=DeliveryStatus.FAILED)
        return qs.filter(Exists(failed)) if value else qs.exclude(Exists(failed))

    def filter_q(self, qs, name, value):
        return qs.filter(Q(headline__contains=value) | Q(identifier__startswith=value))


class EndpointFilterSet(FilterSet):
    place = WithinPlaceFilter()
    adapter = filters.ChoiceFilter(choices=Adapter.choices, label="接入方式")
    is_active = filters.BooleanFilter(label="启用")
    q = filters.CharFilter(method="filter_q", label="搜索")

    class Meta:
        model = Endpoint
        fields = ["place", "adapter", "is_active", "q"]

    def filter_q(self, qs, name, value):
        return qs.filter(Q(name__contains=value) | Q(url__contains=value) | Q(topic__contains=value))


class DeliveryFilterSet(FilterSet):
    status = filters.ChoiceFilter(choices=DeliveryStatus.choices, label="状态")
    place = WithinPlaceFilter(scope_field="endpoint__place")

    class Meta:
        model = Delivery
        fields = ["status", "place"]
