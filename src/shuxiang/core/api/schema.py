"""The OpenAPI schema says what the server does, derived from the code (never patched by hand).

drf-spectacular reads serializers and views; this class adds what it cannot see on its own:
- the refusals every route can give, in the one error shape {"code", "message", "fields"}
  (core.api.errors): 400 for bad input, 401 for a missing or bad token, 403 without the grant,
  404 outside the region or for an unknown id or page, 409 for a conflict, 415 for a body in a
  format the route does not read, 429 where a route is rate-limited;
- `null` in answers wherever the model allows it: a read-only field whose source walks through a
  nullable column or relation answers null (or is left out) for such rows, even when the serializer
  field itself does not say `allow_null` (the input side keeps refusing null);
- `""` in answers for choice fields of model fields that may be blank;
- public routes (core.access.PUBLIC) take a token but do not need one.

The schema is committed as docs/openapi.yaml; core/tests/test_openapi.py regenerates it and fails,
naming the command to regenerate, when it differs from what the code generates.
"""

from django.core.exceptions import FieldDoesNotExist
from drf_spectacular import openapi
from rest_framework import serializers
from rest_framework.fields import empty
from rest_framework.permissions import SAFE_METHODS

from shuxiang.core.access import PUBLIC, viewset_declaration


class ErrorSerializer(serializers.Serializer):
    """Every refusal of the API: a code for machines, a Chinese message for people, reasons per field."""

    code = serializers.CharField(help_text="机器可读的错误代码，如 invalid、not_found、permission_denied")
    message = serializers.CharField(help_text="给人看的中文说明")
    fields = serializers.DictField(
        child=serializers.JSONField(), help_text="按字段的中文原因（字段名 → 原因列表），没有时为空对象"
    )


ERROR_DESCRIPTIONS = {
    "400": "输入有误（格式、取值范围或业务规则不允许）",
    "401": "未登录或接口令牌无效",
    "403": "没有执行此操作的权限",
    "404": "对象不存在或不在管辖范围内",
    "409": "与现有数据冲突（如仍被引用）",
    "415": "不支持的请求体格式",
    "429": "请求过于频繁",
}


def _model_of(serializer):
    meta = getattr(serializer, "Meta", None)
    return getattr(meta, "model", None)


def source_walk(field):
    """(may be null, may be left out) for a field's answer, from the model columns its source walks.

    A nullable column or relation at the end gives null. A nullable relation in the middle gives the
    field's default (null when the default is None or the field allows null), otherwise DRF leaves the
    key out of the answer (a read-only field is not required).
    """
    parent = getattr(field, "parent", None)
    model = _model_of(parent) if parent is not None else None
    attrs = getattr(field, "source_attrs", None)
    if model is None or not attrs or isinstance(field, serializers.ManyRelatedField):
        return False, False
    hops = []
    for attr in attrs:
        if model is None:
            return False, False  # the source continues past the models (a property, a method)
        try:
            model_field = model._meta.get_field(attr)
        except FieldDoesNotExist:
            return False, False
        if model_field.many_to_many or model_field.one_to_many:
            return False, False
        hops.append(model_field)
        model = model_field.related_model if model_field.is_relation else None
    leaf_null = bool(getattr(hops[-1], "null", False)) or (
        hops[-1].one_to_one and not hops[-1].concrete  # a reverse one-to-one that may not exist
    )
    middle_null = any(getattr(h, "null", False) or (h.one_to_one and not h.concrete) for h in hops[:-1])
    if not middle_null:
        return leaf_null, False
    if field.default is not empty:
        return leaf_null or field.default is None, False
    if field.allow_null:
        return True, False
    return leaf_null, not field.required


def _choice_model_field(field):
    parent = getattr(field, "parent", None)
    model = _model_of(parent) if parent is not None else None
    attrs = getattr(field, "source_attrs", None)
    if model is None or not attrs or len(attrs) != 1:
        return None
    try:
        return model._meta.get_field(attrs[0])
    except FieldDoesNotExist:
        return None


class AutoSchema(openapi.AutoSchema):
    """The project's schema class (REST_FRAMEWORK["DEFAULT_SCHEMA_CLASS"])."""

    # --- fields ------------------------------------------------------------------------------

    def _map_serializer_field(self, field, direction, bypass_extensions=False):
        if direction == "response" and isinstance(field, serializers.ChoiceField) and not field.allow_blank:
            model_field = _choice_model_field(field)
            if model_field is not None and getattr(model_field, "blank", False) and model_field.choices:
                # A blank column answers "" (what the input accepts stays as the field declares).
                field.allow_blank = True
                try:
                    return super()._map_serializer_field(field, direction, bypass_extensions)
                finally:
                    field.allow_blank = False
        return super()._map_serializer_field(field, direction, bypass_extensions)

    def _get_serializer_field_meta(self, field, direction):
        meta = super()._get_serializer_field_meta(field, direction)
        if direction == "response" and not meta.get("nullable") and isinstance(field, serializers.Field):
            nullable, _ = source_walk(field)
            if nullable:
                meta["nullable"] = True
        return meta

    def _map_basic_serializer(self, serializer, direction):
        schema = super()._map_basic_serializer(serializer, direction)
        if direction == "response" and schema.get("required"):
            serializer = openapi.force_instance(serializer)
            omitted = {name for name, f in serializer.fields.items() if source_walk(f)[1]}
            schema["required"] = [name for name in schema["required"] if name not in omitted]
            if not schema["required"]:
                del schema["required"]
        return schema

    def _get_filter_parameters(self):
        # django-filter reads an empty value as "no filter" (`?state=` lists everything).
        parameters = super()._get_filter_parameters()
        for parameter in parameters:
            if parameter.get("in") == "query":
                parameter["allowEmptyValue"] = True
        return parameters

    # --- who may call ------------------------------------------------------------------------

    def is_public(self) -> bool:
        action = getattr(self.view, "action", None)
        return viewset_declaration(type(self.view), action, self.method) == PUBLIC

    def get_auth(self):
        auths = super().get_auth()
        if self.is_public() and {} not in auths:
            auths.append({})
        return auths

    # --- refusals ----------------------------------------------------------------------------

    def error_statuses(self, operation) -> list[str]:
        parameters = operation.get("parameters") or []
        has_body = "requestBody" in operation
        statuses = set()
        if parameters or has_body:
            statuses.add("400")
        if self.view.get_authenticators():
            statuses.add("401")  # a bad token is refused before any route runs, public ones included
        if not self.is_public():
            statuses.add("403")
        statuses.add("404")  # an id, a page or a named object that does not exist or is outside the region
        # A read can conflict too (a file that exists only once something was approved): the view names it.
        if self.method not in SAFE_METHODS or getattr(self.view, "action", None) in getattr(
            self.view, "conflicting_reads", ()
        ):
            statuses.add("409")
        if has_body:
            statuses.add("415")
        if self.view.get_throttles() or (self.is_public() and self.method not in SAFE_METHODS):
            statuses.add("429")
        return sorted(statuses)

    def get_operation(self, path, path_regex, path_prefix, method, registry):
        operation = super().get_operation(path, path_regex, path_prefix, method, registry)
        if operation is None:
            return None
        responses = operation["responses"]
        error = self.resolve_serializer(ErrorSerializer, "response").ref
        media_types = self.map_renderers("media_type")
        for status in self.error_statuses(operation):
            if status not in responses:
                responses[status] = {
                    "content": {media_type: {"schema": error} for media_type in media_types},
                    "description": ERROR_DESCRIPTIONS[status],
                }
        operation["responses"] = dict(sorted(responses.items()))
        return operation


GEOJSON = {
    "type": "object",
    "description": "GeoJSON（RFC 7946）：列表为 FeatureCollection，单个对象为 Feature；坐标为 CGCS2000 经纬度。",
    "required": ["type"],
    "properties": {"type": {"type": "string", "enum": ["FeatureCollection", "Feature"]}},
    "additionalProperties": True,
}


def geojson_responses(result, generator, request, public):
    """Postprocessing hook: an operation that takes `?format=geojson` answers GeoJSON then, not its JSON
    shape — say so (anyOf under application/json, GeoJSON under application/geo+json) instead of every app
    declaring it by hand."""
    result.setdefault("components", {}).setdefault("schemas", {})["GeoJSON"] = GEOJSON
    ref = {"$ref": "#/components/schemas/GeoJSON"}
    for operations in result.get("paths", {}).values():
        for method, operation in operations.items():
            if method != "get":
                continue
            formats = [
                p
                for p in operation.get("parameters", [])
                if p.get("in") == "query" and p.get("name") == "format"
            ]
            if not any("geojson" in (p.get("schema", {}).get("enum") or []) for p in formats):
                continue
            content = operation.get("responses", {}).get("200", {}).get("content", {})
            if "application/json" in content:
                schema = content["application/json"]["schema"]
                content["application/json"]["schema"] = {"anyOf": [schema, ref]}
            if "application/geo+json" in content:
                content["application/geo+json"]["schema"] = ref
    return result


class SingleObjectSchema(AutoSchema):
    """For a viewset's `list` that answers one object (a report with its own rows and count), not an array:
    drf-spectacular would otherwise document every `list` as a list."""

    def _is_list_view(self, serializer=None) -> bool:
        return False
