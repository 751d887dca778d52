"""One FilterSet per model, shared by the HTML lists and the API."""

import django_filters as filters
from django.db import connections
from django.db.models import Q

from shuxiang.core.filtersets import FilterSet, WithinPlaceFilter
from shuxiang.iot.choices import AlarmStatus, Protocol, RuleKind, Severity
from shuxiang.iot.kinds import kind_choices
from shuxiang.iot.models import Alarm, AlarmRule, Device


def _kinds_in_use():
    """Kinds found on devices, so an undeclared code is still a choice (a few distinct values, indexed).

    `SELECT DISTINCT kind` read every device on every view of the device list (~100 ms at 200,000
    devices); on PostgreSQL the index on kind is walked from one value to the next instead, one probe
    per kind in use (a "loose index scan").
    """
    connection = connections[Device.objects.db]
    if connection.vendor != "postgresql":
        return Device.objects.order_by().values_list("kind", flat=True).distinct()
    table = connection.ops.quote_name(Device._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"WITH RECURSIVE kinds(kind) AS ((SELECT kind FROM {table} ORDER BY kind LIMIT 1) UNION ALL "
            f"SELECT (SELECT d.kind FROM {table} d WHERE d.kind > kinds.kind ORDER BY d.kind LIMIT 1) "
            "FROM kinds WHERE kinds.kind IS NOT NULL) SELECT kind FROM kinds WHERE kind IS NOT NULL"
        )
        return [kind for (kind,) in cursor.fetchall()]


class DeviceFilterSet(FilterSet):
    q = filters.CharFilter(method="filter_q", label="搜索（编码或名称）")
    protocol = filters.ChoiceFilter(choices=Protocol.choices, label="接入方式")
    place = WithinPlaceFilter(scope_field="place")
    kind = filters.ChoiceFilter(label="设备类别", choices=lambda: kind_choices(extra=_kinds_in_use()))

    class Meta:
        model = Device
        fields = ["q", "protocol", "place", "kind"]

    def filter_q(self, qs, name, value):
        return qs.filter(Q(code__startswith=value) | Q(name__contains=value))


class AlarmFilterSet(FilterSet):
    status = filters.ChoiceFilter(choices=AlarmStatus.choices, label="状态")
    acknowledged = filters.BooleanFilter(
        field_name="acknowledged_at", lookup_expr="isnull", exclude=True, label="已确认"
    )
    severity = filters.ChoiceFilter(choices=Severity.choices, label="级别")
    device = filters.CharFilter(field_name="sensor__device__code", label="设备编码")
    place = WithinPlaceFilter(scope_field="sensor__device__place")

    class Meta:
        model = Alarm
        fields = ["status", "acknowledged", "severity", "device", "place"]


class RuleFilterSet(FilterSet):
    q = filters.CharFilter(field_name="name", lookup_expr="contains", label="搜索（名称）")
    kind = filters.ChoiceFilter(choices=RuleKind.choices, label="条件")
    severity = filters.ChoiceFilter(choices=Severity.choices, label="级别")
    key = filters.CharFilter(label="要素")

    class Meta:
        model = AlarmRule
        fields = ["q", "kind", "severity", "key"]
