"""The API's filter backend: django-filter, strict about what the schema promises.

django-filter quietly ignores a yes/no filter it cannot read (`?open=maybe` lists everything), takes
the last of repeated values (`?state=a&state=b`) and reads `?year=0.5` on a whole-number column as a
number that matches nothing. The schema says a boolean, an integer and one value, so the API refuses
anything else with a 400 naming the field, instead of answering a list the caller did not ask for.
An empty value still means "no filter" (the schema says so with allowEmptyValue).
"""

import re

import django_filters
from django.db import models
from django_filters.rest_framework import DjangoFilterBackend
from django_filters.utils import get_model_field
from rest_framework.exceptions import ValidationError

BOOLEAN_VALUES = {"", "true", "false", "1", "0"}
INTEGER = re.compile(r"-?[0-9]+")


def _integer_column(filterset, f) -> bool:
    """Whether a number filter compares with a whole-number column (the schema then says integer)."""
    model = filterset._meta.model
    field = get_model_field(model, f.field_name) if model is not None else None
    if field is not None and field.is_relation:
        field = field.target_field
    return isinstance(field, models.IntegerField)


def check(filterset, params, *, validate=False):
    """Refuse (400) repeated single-value filters and unreadable yes/no values; with `validate`, also what
    the filter form refuses (DjangoFilterBackend does that itself; a view filtering by hand does not)."""
    errors = {}
    for name, f in filterset.filters.items():
        values = params.getlist(name)
        if len(values) > 1 and not isinstance(f, django_filters.MultipleChoiceFilter):
            errors[name] = ["只能指定一个值"]
        elif (
            isinstance(f, django_filters.BooleanFilter) and values and values[0].lower() not in BOOLEAN_VALUES
        ):
            errors[name] = ["请填写 true 或 false"]
        elif (
            isinstance(f, django_filters.NumberFilter)
            and not isinstance(f, django_filters.filters.BaseCSVFilter)
            and values
            and values[0] != ""
            and not INTEGER.fullmatch(values[0])
            and _integer_column(filterset, f)
        ):
            errors[name] = ["请填写整数"]
    if not errors and validate and not filterset.is_valid():
        errors = {name: [str(e) for e in messages] for name, messages in filterset.errors.items()}
    if errors:
        raise ValidationError(errors)
    return filterset


class StrictFilterBackend(DjangoFilterBackend):
    def get_filterset(self, request, queryset, view):
        filterset = super().get_filterset(request, queryset, view)
        return None if filterset is None else check(filterset, request.query_params)
