"""`POST /api/v1/iot/telemetry` — the HTTP front end for devices.

Authenticated by the device's own token (`Authorization: Token <device token>`),
which is looked up among device credentials only: a device token is not a user
token and opens no other endpoint, and a user token is not accepted here. The
route is declared public (no user session or user token applies); the device it
authenticates reports as `Actor.device(code)`.
"""

from django.http import JsonResponse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt

from shuxiang.core.access import public_view
from shuxiang.core.actors import Actor
from shuxiang.core.errors import ServiceError
from shuxiang.iot import payloads, services

MAX_BODY = 256 * 1024


def _error(code, message, status, fields=None):
    return JsonResponse({"code": code, "message": message, "fields": fields or {}}, status=status)


@public_view  # no user account: the device's own token, checked below, is its credential
@csrf_exempt
def telemetry(request):
    if request.method != "POST":
        return _error("method_not_allowed", "只接受 POST", 405)
    scheme, _, token = request.META.get("HTTP_AUTHORIZATION", "").partition(" ")
    if scheme.lower() != "token" or not token.strip():
        return _error("not_authenticated", "请在 Authorization 头中提供设备令牌：Token <令牌>", 401)
    device = services.authenticate_device(token.strip())
    if device is None:
        services.count_rejection("", ServiceError("wrong_token", "设备令牌无效"))
        return _error("wrong_token", "设备令牌无效", 401)
    if len(request.body) > MAX_BODY:
        error = ServiceError("bad_payload", "报文过大（上限 256 KB）", {"body": ["报文过大"]})
        services.count_rejection(device.code, error)
        return _error(error.code, error.message, 413, error.fields)
    now = timezone.now()
    try:
        values = payloads.parse_json(request.body, now=now)
    except ServiceError as exc:
        services.count_rejection(device.code, exc, now)
        return _error(exc.code, exc.message, 400, exc.fields)
    try:
        outcome = services.do_ingest_one(device.code, values, actor=Actor.device(device.code), now=now)
    except ServiceError as exc:
        return _error(exc.code, exc.message, 400, exc.fields)
    return JsonResponse({"stored": outcome.stored, "duplicates": outcome.duplicates})
