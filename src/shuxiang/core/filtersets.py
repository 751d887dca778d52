"""One FilterSet per model, shared by the HTML lists, the API and exports."""

import django_filters as filters
from django.db.models import Q
from django_filters import fields as filter_fields
from django_filters.conf import settings as filter_settings
from django_filters.widgets import BooleanWidget
from drf_spectacular.utils import extend_schema_field

from shuxiang.core.choices import LEVEL_BY_NAME, AuditAction, PlaceKind, PlaceLevel, Role, UnitKind
from shuxiang.core.models import AuditEntry, Person, Place, Unit, User
from shuxiang.core.pii import PIIError, digest, normalize_id_number, normalize_phone

ALL = "全部"
DASHES = filter_settings.EMPTY_CHOICE_LABEL  # django-filter's "---------"


class YesNoSelect(BooleanWidget):
    """A yes/no filter reads 全部 / 是 / 否 (django-filter's default says 未知 for "no filter")."""

    def __init__(self, attrs=None):
        super().__init__(attrs)
        self.choices = [("", ALL), ("true", "是"), ("false", "否")]


class OrderingFilter(filters.OrderingFilter):
    """Sort options in Chinese: "提交时间（倒序）", not "提交时间 (descending)"."""

    descending_fmt = "%s（倒序）"

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("empty_label", "默认排序")
        super().__init__(*args, **kwargs)


INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1


class FilterSet(filters.FilterSet):
    """The base of every app's FilterSet: the filter form speaks Chinese without per-filter labels.

    A single-choice filter without its own `empty_label` offers 全部 (not "---------"); a yes/no filter
    offers 全部 / 是 / 否 and takes true/false (also 1/0) in the query string, as the API documents.
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        user = getattr(self.request, "user", None)
        for f in self.filters.values():
            if isinstance(f, TownshipFilter) and user is not None and user.is_authenticated:
                f.extra["choices"] = f.choices_for(user)
            if isinstance(f, filters.BooleanFilter) and "widget" not in f.extra:
                f.extra["widget"] = YesNoSelect
            elif (
                isinstance(f, filters.ChoiceFilter)
                and not isinstance(f, filters.MultipleChoiceFilter)
                and f.extra.get("empty_label", DASHES) == DASHES
            ):
                f.extra["empty_label"] = ALL
            elif isinstance(f, filters.NumberFilter):
                # Beyond 64 bits a number is refused here on every database (SQLite raised an overflow,
                # PostgreSQL compared it as numeric and answered an empty list).
                f.extra.setdefault("min_value", INT64_MIN)
                f.extra.setdefault("max_value", INT64_MAX)
            f.__dict__.pop("_field", None)  # a field built before the change would keep the old labels


@extend_schema_field({"type": "string", "description": "乡镇"})  # its place code
class TownshipFilter(filters.ChoiceFilter):
    """乡镇 picked from a list, keeping rows whose place lies in the township's subtree (by path).

    A signed-in reader is offered the townships of their own region only (FilterSet sets the choices per
    request): a database that hosts several counties must not list one county's townships to another's
    staff, and a township outside the region is refused as an invalid choice."""

    def __init__(self, *args, place_field="place", **kwargs):
        self.place_field = place_field
        kwargs.setdefault("label", "乡镇")
        kwargs.setdefault("empty_label", "全部乡镇")
        kwargs.setdefault("choices", Place.objects.township_choices)
        super().__init__(*args, **kwargs)

    @staticmethod
    def choices_for(user):
        return Place.objects.restrict(user).township_choices()

    def filter(self, qs, value):
        if not value:
            return qs
        place = Place.objects.filter(code=value).only("path").first()
        if place is None:
            return qs.none()
        return qs.filter(**{f"{self.place_field}__path__startswith": place.path})


class LevelField(filter_fields.ChoiceField):
    """层级 picked from 区县/乡镇/村/村民小组; the API also takes district/township/village/hamlet."""

    def to_python(self, value):
        value = super().to_python(value)
        return str(LEVEL_BY_NAME.get(value, value)) if value else value


@extend_schema_field(  # what LevelField reads: a level's number or its name
    {"type": "string", "enum": [*(str(v) for v in PlaceLevel.values), *LEVEL_BY_NAME]}
)
class LevelFilter(filters.ChoiceFilter):
    field_class = LevelField

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("choices", [(str(v), label) for v, label in PlaceLevel.choices])
        kwargs.setdefault("label", "层级")
        super().__init__(*args, **kwargs)


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


class PlaceFilterSet(FilterSet):
    level = LevelFilter(method="filter_level")
    parent = filters.CharFilter(field_name="parent__code", label="上级区划代码")
    within = WithinPlaceFilter(scope_field="", label="区划代码（含下级）")
    kind = filters.ChoiceFilter(choices=PlaceKind.choices, label="类型")
    q = filters.CharFilter(method="filter_q", label="搜索（名称或代码）")
    synthetic = filters.BooleanFilter(label="合成数据")

    class Meta:
        model = Place
        fields = ["level", "parent", "kind", "q", "synthetic", "within"]

    def filter_level(self, qs, name, value):
        return qs.filter(level=int(value))

    def filter_q(self, qs, name, value):
        return qs.filter(Q(name__contains=value) | Q(code__startswith=value))


class UnitFilterSet(FilterSet):
    kind = filters.ChoiceFilter(choices=UnitKind.choices, label="类型")
    place = WithinPlaceFilter()
    q = filters.CharFilter(method="filter_q", label="搜索")

    class Meta:
        model = Unit
        fields = ["kind", "place", "q", "is_active"]

    def filter_q(self, qs, name, value):
        return qs.filter(Q(name__contains=value) | Q(short_name__contains=value))


class PersonFilterSet(FilterSet):
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


class UserFilterSet(FilterSet):
    role = filters.ChoiceFilter(choices=Role.choices, label="角色")
    place = WithinPlaceFilter()
    q = filters.CharFilter(method="filter_q", label="搜索")

    class Meta:
        model = User
        fields = ["role", "place", "q", "is_active"]

    def filter_q(self, qs, name, value):
        return qs.filter(Q(username__icontains=value) | Q(display_name__contains=value))


def object_type_choices():
    """The object types the log holds, by their Chinese names."""
    from shuxiang.core.formats import object_type_name

    types = AuditEntry.objects.order_by().values_list("object_type", flat=True).distinct()
    return sorted(((t, object_type_name(t)) for t in types), key=lambda kv: kv[1])


class AuditFilterSet(FilterSet):
    action = filters.ChoiceFilter(choices=AuditAction.choices, label="动作")
    object_type = filters.ChoiceFilter(choices=object_type_choices, label="对象类型")
    object_id = filters.CharFilter(label="对象编号")
    actor = filters.CharFilter(field_name="actor_label", label="操作人")
    since = filters.IsoDateTimeFilter(field_name="at", lookup_expr="gte", label="起始时间")
    until = filters.IsoDateTimeFilter(field_name="at", lookup_expr="lt", label="截止时间")

    class Meta:
        model = AuditEntry
        fields = ["action", "object_type", "object_id", "actor", "since", "until"]
