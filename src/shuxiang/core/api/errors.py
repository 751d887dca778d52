"""One error shape for the whole API: {"code", "message" (Chinese), "fields"} with a 4xx status."""

from django.core.exceptions import PermissionDenied
from django.db import DataError
from django.http import Http404
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from shuxiang.core.errors import ServiceError

MESSAGES = {
    "not_authenticated": "请先登录或提供接口令牌",
    "authentication_failed": "认证失败",
    "permission_denied": "您没有执行此操作的权限",
    "not_found": "对象不存在或不在您的管辖范围内",
    "method_not_allowed": "不支持该请求方法",
    "unsupported_media_type": "不支持的内容类型",
    "parse_error": "请求体格式错误，无法解析",
    "throttled": "请求过于频繁，请稍后再试",
    "not_acceptable": "无法提供所请求的格式",
}


def _flatten(detail):
    if isinstance(detail, dict):
        return {k: _flatten(v) for k, v in detail.items()}
    if isinstance(detail, list):
        return [str(d) if not isinstance(d, dict | list) else _flatten(d) for d in detail]
    return [str(detail)]


def exception_handler(exc, context):
    if isinstance(exc, ServiceError):
        return Response(exc.as_dict(), status=exc.status)
    if isinstance(exc, OverflowError | DataError) or (
        isinstance(exc, ValueError) and "too large" in str(exc)
    ):
        # A number beyond what the database stores (a 64-bit integer) in a filter, a URL or a body.
        return Response({"code": "out_of_range", "message": "数值超出允许范围", "fields": {}}, status=400)
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ValidationError):
        fields = (
            _flatten(exc.detail)
            if isinstance(exc.detail, dict)
            else {"non_field_errors": _flatten(exc.detail)}
        )
        first = next(iter(fields.values()), [""])
        summary = first[0] if isinstance(first, list) and first else "输入有误"
        response.data = {"code": "invalid", "message": f"输入有误：{summary}", "fields": fields}
        response.status_code = status.HTTP_400_BAD_REQUEST
        return response
    code = getattr(exc, "default_code", "error")
    if isinstance(exc.detail, dict):
        code = "error"
    message = MESSAGES.get(code) or str(exc.detail)
    if code == "parse_error" and str(exc.detail) != str(exceptions.ParseError.default_detail):
        message = f"{message}：{exc.detail}"
    if code == "throttled" and getattr(exc, "wait", None):
        message = f"请求过于频繁，请在{int(exc.wait) + 1}秒后再试"
    if code == "authentication_failed":
        message = str(exc.detail)
    response.data = {"code": code, "message": message, "fields": {}}
    return response
