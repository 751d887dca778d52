"""One FilterSet per model, shared by the HTML lists, the API and exports."""

import django_filters as filters
from django.db.models import Q

from shuxiang.core.choices import LEVEL_BY_NAME, AuditAction, PlaceKind, Role, UnitKind
from shuxiang.core.models import AuditEntry, Person, Place, Unit, User
from shuxiang.core.pii import PIIError, digest, normalize_id_number, normalize_phone


class WithinPlaceFilter(filters.CharFilter):
    """`?place=CODE` keeps rows in that place's subtree (by path, so it composes with scope)."""

    def __init__(self, *args, scope_field="place", **kwargs):
        self.scope_field = scope_field
        kwargs.setdefault("label", "区划代码（含下级）")
        super().__init__(*args, **kwargs)

    def filter(self, qs, value):
        if not value:
            return qs
        place = Place.objects.filter(code=value.strip()).only("path").first()
        if place is None:
            return qs.none()
        if not self.scope_field:
            return qs.filter(path__startswith=place.path)
        subtree = Place.objects.filter(path__startswith=place.path).values("pk")
        return qs.filter(**{f"{self.scope_field}__in": subtree})


class PlaceFilterSet(filters.FilterSet):
    level = filters.CharFilter(method="filter_level", label="层级（district/township/village/hamlet 或 1–4）")
    parent = filters.CharFilter(field_name="parent__code", label="上级区划代码")
    within = WithinPlaceFilter(scope_field="", label="区划代码（含下级）")
    kind = filters.ChoiceFilter(choices=PlaceKind.choices, label="类型")
    q = filters.CharFilter(method="filter_q", label="搜索（名称或代码）")
    synthetic = filters.BooleanFilter(label="合成数据")

    class Meta:
        model = Place
        fields = ["level", "parent", "kind", "q", "synthetic", "within"]

    def filter_level(self, qs, name, value):
        level = LEVEL_BY_NAME.get(value) or (int(value) if value.isdigit() else None)
        return qs.filter(level=level) if level else qs.none()

    def filter_q(self, qs, name, value):
        return qs.filter(Q(name__contains=value) | Q(code__startswith=value))


class UnitFilterSet(filters.FilterSet):
    kind = filters.ChoiceFilter(choices=UnitKind.choices, label="类型")
    place = WithinPlaceFilter()
    q = filters.CharFilter(method="filter_q", label="搜索")

    class Meta:
        model = Unit
        fields = ["kind", "place", "q", "is_active"]

    def filter_q(self, qs, name, value):
        return qs.filter(Q(name__contains=value) | Q(short_name__contains=value))


class PersonFilterSet(filters.FilterSet):
    place = WithinPlaceFilter()
    q = filters.CharFilter(method="filter_q", label="搜索（姓名，或完整身份证号/手机号精确查找）")

    class Meta:
        model = Person
        fields = ["place", "q", "gender"]

    def filter_q(self, qs, name, value):
        value = value.strip()
        # A full ID or phone number is matched by its keyed digest, never by scanning plaintext.
        for normalize, field in (
            (normalize_id_number, "id_number_digest"),
            (normalize_phone, "phone_digest"),
        ):
            try:
                return qs.filter(**{field: digest(normalize(value))})
            except PIIError:
                continue
        return qs.filter(name__contains=value)


class UserFilterSet(filters.FilterSet):
    role = filters.ChoiceFilter(choices=Role.choices, label="角色")
    place = WithinPlaceFilter()
    q = filters.CharFilter(method="filter_q", label="搜索")

    class Meta:
        model = User
        fields = ["role", "place", "q", "is_active"]

    def filter_q(self, qs, name, value):
        return qs.filter(Q(username__icontains=value) | Q(display_name__contains=value))


class AuditFilterSet(filters.FilterSet):
    action = filters.ChoiceFilter(choices=AuditAction.choices, label="动作")
    object_type = filters.CharFilter(label="对象类型")
    object_id = filters.CharFilter(label="对象编号")
    actor = filters.CharFilter(field_name="actor_label", label="操作人")
    since = filters.IsoDateTimeFilter(field_name="at", lookup_expr="gte", label="起始时间")
    until = filters.IsoDateTimeFilter(field_name="at", lookup_expr="lt", label="截止时间")

    class Meta:
        model = AuditEntry
        fields = ["action", "object_type", "object_id", "actor", "since", "until"]
