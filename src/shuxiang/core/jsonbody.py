"""Reading JSON that strangers send, without letting it exhaust the server.

Python's json parser recurses once per nesting level, so a body of 50,000 `[` ends in RecursionError (a 500)
after using the whole stack. Every JSON body — API requests, telemetry, the anonymous scan beacon — is read
through `loads`, which refuses a body over MAX_BYTES or nested deeper than MAX_DEPTH before parsing it.
"""

import json
import re

from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser, MultiPartParser

from shuxiang.core.errors import ServiceError

MAX_DEPTH = 32
MAX_BYTES = 2 * 1024 * 1024
_STRING = re.compile(rb'"(?:[^"\\]|\\.)*"', re.DOTALL)
_BRACKET = re.compile(rb"[\[\]{}]")


def nesting_depth(data: bytes, limit: int = MAX_DEPTH) -> int:
    """The deepest nesting of arrays/objects in `data` (stops counting once past `limit`)."""
    depth = deepest = 0
    for match in _BRACKET.finditer(_STRING.sub(b'""', data)):
        if match.group() in (b"[", b"{"):
            depth += 1
            if depth > deepest:
                deepest = depth
                if deepest > limit:
                    return deepest
        else:
            depth -= 1
    return deepest


def loads(data, *, max_depth: int = MAX_DEPTH, max_bytes: int = MAX_BYTES):
    """json.loads with bounds; a refusal is a ServiceError (400) with a Chinese message."""
    if isinstance(data, str):
        data = data.encode("utf-8")
    if len(data) > max_bytes:
        raise ServiceError("body_too_large", f"请求体超过 {max_bytes // 1024} KB", status=413)
    if nesting_depth(data, max_depth) > max_depth:
        raise ServiceError("json_too_deep", f"JSON 嵌套超过 {max_depth} 层")
    try:
        return json.loads(data)
    except (ValueError, RecursionError) as exc:
        raise ServiceError("invalid_json", f"请求体不是有效的 JSON：{exc}") from None


class BoundedJSONParser(JSONParser):
    """DRF's JSON parser with the bounds above (the API's default parser)."""

    def parse(self, stream, media_type=None, parser_context=None):
        data = stream.read() if stream is not None else b""
        try:
            return loads(data) if data else {}
        except ServiceError as exc:
            raise ParseError(exc.message) from None


class StrictMultiPartParser(MultiPartParser):
    """DRF's multipart parser, refusing a body that is not multipart at all: Django reads a body that does not
    follow its boundary as an empty form, so garbage sent as multipart was taken for "no fields" and the step
    went ahead (Schemathesis ST201). A well-formed empty form (just the closing boundary) stays an empty form,
    so a required field left out is still named as such."""

    def parse(self, stream, media_type=None, parser_context=None):
        result = super().parse(stream, media_type, parser_context)
        if result.data or result.files:
            return result
        request = (parser_context or {}).get("request")
        length = int((request.META.get("CONTENT_LENGTH") or 0) if request is not None else 0)
        boundary = ""
        for part in (media_type or "").split(";"):
            name, _, value = part.strip().partition("=")
            if name.lower() == "boundary":
                boundary = value.strip('"')
        if length > len(f"--{boundary}--\r\n") + 2:
            raise ParseError("表单无法解析：multipart 请求中没有任何字段")
        return result
