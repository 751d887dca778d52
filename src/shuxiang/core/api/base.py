"""Bases every app's API builds on: scoped querysets, place codes, errors through services."""

from datetime import date

from rest_framework import serializers, viewsets
from rest_framework.fields import empty

from shuxiang.core import jsonbody
from shuxiang.core.access import DeclaredPermission
from shuxiang.core.api.pagination import PageNumberPagination
from shuxiang.core.errors import ServiceError
from shuxiang.core.models import Place


class PlaceCodeField(serializers.SlugRelatedField):
    """Places appear as their division code on every API, in and out."""

    default_error_messages = {
        "does_not_exist": "区划代码 {value} 不存在",
        "invalid": "区划代码格式错误",
    }

    def __init__(self, **kwargs):
        kwargs.setdefault("slug_field", "code")
        if not kwargs.get("read_only"):
            kwargs.setdefault("queryset", Place.objects.all())
        super().__init__(**kwargs)


EARLIEST_DATE = date(1900, 1, 1)
LATEST_DATE = date(2100, 12, 31)
DATE_RANGE_MESSAGE = "日期应在 1900 年至 2100 年之间"


class BoundedDateTimeField(serializers.DateTimeField):
    """A date and time sent to the API (an event, a deadline, a warning's expiry): 1900–2100.

    Every year from 1 to 9999 parses, so a typo (year 461) would be stored
    and shown as history; a time outside the range is refused, naming the field."""

    default_error_messages = {"out_of_range": DATE_RANGE_MESSAGE}

    def enforce_timezone(self, value):
        if not EARLIEST_DATE <= value.date() <= LATEST_DATE:
            self.fail("out_of_range")
        return super().enforce_timezone(value)


class BoundedDateField(serializers.DateField):
    """A date sent to the API (a registration, a validity start): 1900–2100, as BoundedDateTimeField."""

    default_error_messages = {"out_of_range": DATE_RANGE_MESSAGE}

    def to_internal_value(self, value):
        value = super().to_internal_value(value)
        if not EARLIEST_DATE <= value <= LATEST_DATE:
            self.fail("out_of_range")
        return value


class BooleanField(serializers.BooleanField):
    """true/false. In a form or multipart body DRF reads a missing field as false (an unticked HTML
    checkbox); an API caller that leaves a required yes/no out gets "required", as in JSON."""

    default_empty_html = empty


class JSONField(serializers.JSONField):
    """Any JSON value. In a form or multipart body the value is JSON text, which DRF parses after its
    null check and without bounds: the text "null" reached NOT NULL columns (a 500) and 50,000 nested
    brackets exhausted the stack (a 500). Here that text is parsed with core.jsonbody's bounds, and
    `null` is refused where the field does not allow it."""

    def to_internal_value(self, data):
        if self.binary or getattr(data, "is_json_string", False):
            try:
                value = jsonbody.loads(data)
            except ServiceError:
                self.fail("invalid")
        else:
            value = super().to_internal_value(data)
        if value is None and not self.allow_null:
            self.fail("null")
        return value


def validated(serializer_class, request, **kwargs):
    """The request's body checked by `serializer_class`, for the app's do_* service to take.

    Every write route reads its body this way: a body that does not pass is a 400 in the one error
    shape, naming each field (core.api.errors), and nothing is written. What passes comes back as a
    plain dict — a list of them with `many=True`."""
    serializer = serializer_class(data=request.data, **kwargs)
    serializer.is_valid(raise_exception=True)
    data = serializer.validated_data
    return [dict(d) for d in data] if isinstance(data, list) else dict(data)


def in_scope(objects, user, field: str, what: str, reason: str = "不存在", **lookup):
    """The one row of `objects` matching `lookup` that the user may see, for a code named in a write body.

    None found is a 400 naming the field — "{what}不存在或不在您的管辖范围内" — whether the row does not
    exist or lies outside the caller's region: the answer tells nobody what another region holds."""
    row = objects.restrict(user).filter(**lookup).first()
    if row is None:
        raise ServiceError("invalid", f"{what}不存在或不在您的管辖范围内", {field: [reason]})
    return row


class ScopedViewSetMixin:
    """Restricts the queryset to the user's region for every action, so details outside it are 404.

    A list's `page` and `page_size` are checked before the action runs, so a list answered in another shape
    (`?format=geojson`, which is not paged) refuses a bad value as the paged one does."""

    def get_queryset(self):
        return super().get_queryset().restrict(self.request.user)

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        paginator = getattr(self, "paginator", None)
        if getattr(self, "action", None) == "list" and isinstance(paginator, PageNumberPagination):
            paginator.get_page_size(request)
            paginator.get_page_number(request, None)


class ScopedReadOnlyViewSet(ScopedViewSetMixin, viewsets.ReadOnlyModelViewSet):
    pass


class HasRolePermission(DeclaredPermission):
    """Kept for viewsets that list it explicitly: the declared permission (see core.access)."""
