import hashlib
import time
import uuid
from datetime import timedelta

from django.db import IntegrityError, transaction
from django.http import HttpResponse, JsonResponse
from django.utils import timezone

from shuxiang.core import pii
from shuxiang.core.context import origin
from shuxiang.core.models import IdempotencyRecord

# Nothing is ever loaded from outside: scripts, styles, images and connections stay on our origin.
CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self' 'unsafe-inline'",  # Leaflet and ECharts position elements with inline styles
        "img-src 'self' data: blob:",
        "connect-src 'self'",
        "font-src 'self' data:",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)


class SecurityHeadersMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if request.path.startswith("/api/docs/"):
            # Swagger UI (served from our static files) needs an inline bootstrap script.
            response.headers.setdefault(
                "Content-Security-Policy",
                CONTENT_SECURITY_POLICY.replace("script-src 'self'", "script-src 'self' 'unsafe-inline'"),
            )
        else:
            response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        response.headers.setdefault("Permissions-Policy", "camera=(self), geolocation=(self), microphone=()")
        response.headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
        return response


def client_ip(request) -> str | None:
    return request.META.get("REMOTE_ADDR")


class RequestContextMiddleware:
    """Records where the request came from for the audit log (see core.context)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.id = str(uuid.uuid4())
        source = "api" if request.path.startswith(("/api/", "/open311/")) else "web"
        with origin(source, client_ip(request), request.META.get("HTTP_USER_AGENT", ""), request.id):
            return self.get_response(request)


class IdempotencyMiddleware:
    """Replays the first answer to a POST that repeats an Idempotency-Key.

    Devices and field apps on weak mobile networks resend when an answer is
    lost; the key makes the resend harmless. Keys are per caller (token,
    session user or anonymous IP), and reusing a key for a different body is
    refused rather than silently answered with the old result.
    """

    HEADER = "HTTP_IDEMPOTENCY_KEY"
    PENDING = 0  # status_code of a key whose first request is still running
    WAIT_SECONDS = 10
    ABANDONED_SECONDS = 120
    KEEP = timedelta(hours=24)  # a resend comes within minutes; after a day the key is free again

    def __init__(self, get_response):
        self.get_response = get_response

    def _caller(self, request) -> str:
        auth = request.META.get("HTTP_AUTHORIZATION", "")
        if auth:
            return "auth:" + hashlib.sha256(auth.encode()).hexdigest()[:40]
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            return f"user:{user.pk}"
        api_key = request.GET.get("api_key") or request.POST.get("api_key")
        if api_key:
            return "key:" + hashlib.sha256(api_key.encode()).hexdigest()[:40]
        return f"anon:{client_ip(request)}"

    def __call__(self, request):
        key = request.META.get(self.HEADER, "").strip()
        if request.method != "POST" or not key:
            return self.get_response(request)
        if len(key) > 200:
            return JsonResponse(
                {
                    "code": "idempotency_key_too_long",
                    "message": "Idempotency-Key 不能超过200个字符",
                    "fields": {},
                },
                status=400,
            )
        body = request.body
        fingerprint = hashlib.sha256(request.path.encode() + b"\0" + body).hexdigest()
        scope = self._caller(request)
        record = self._claim(scope, key, fingerprint)
        if not isinstance(record, IdempotencyRecord):
            return record  # an answer for a repeat: the replay, a conflict, or "still in progress"
        try:
            response = self.get_response(request)
        except BaseException:
            record.delete()
            raise
        if 200 <= response.status_code < 300 and not getattr(response, "streaming", False):
            record.status_code = response.status_code
            record.content_type = response.get("Content-Type", "")
            record.sealed = "no-store" in response.get("Cache-Control", "")
            record.body = pii.seal(bytes(response.content)) if record.sealed else bytes(response.content)
            record.headers = {h: response[h] for h in ("Location", "Cache-Control") if response.has_header(h)}
            record.save(update_fields=["status_code", "content_type", "sealed", "body", "headers"])
        else:
            record.delete()  # a refused request may be corrected and sent again under the same key
        return response

    def _claim(self, scope, key, fingerprint):
        """Reserve the key before the view runs, so a resend that arrives while the first request is
        still being handled (the usual case on a slow mobile link) waits for it instead of running twice.
        """
        deadline = time.monotonic() + self.WAIT_SECONDS
        while True:
            try:
                with transaction.atomic():
                    return IdempotencyRecord.objects.create(
                        scope=scope,
                        key=key,
                        fingerprint=fingerprint,
                        status_code=self.PENDING,
                        content_type="",
                        body=b"",
                        headers={},
                    )
            except IntegrityError:
                previous = IdempotencyRecord.objects.filter(scope=scope, key=key).first()
            if previous is None:
                continue  # the first request failed and released the key: take it
            if timezone.now() - previous.created_at > self.KEEP:
                previous.delete()  # expired: the key starts afresh
                continue
            if previous.fingerprint != fingerprint or previous.status_code != self.PENDING:
                return self._replay(previous, fingerprint)
            if timezone.now() - previous.created_at > timedelta(seconds=self.ABANDONED_SECONDS):
                previous.delete()  # its process died mid-request
                continue
            if time.monotonic() > deadline:
                return JsonResponse(
                    {
                        "code": "idempotency_in_progress",
                        "message": "相同的请求正在处理中，请稍后再查询结果",
                        "fields": {},
                    },
                    status=409,
                )
            time.sleep(0.1)

    def _replay(self, record, fingerprint):
        if record.fingerprint != fingerprint:
            return JsonResponse(
                {
                    "code": "idempotency_key_reused",
                    "message": "该 Idempotency-Key 已用于另一个不同的请求",
                    "fields": {},
                },
                status=422,
            )
        body = pii.unseal(bytes(record.body)) if record.sealed else bytes(record.body)
        response = HttpResponse(body, status=record.status_code, content_type=record.content_type)
        for name, value in record.headers.items():
            response[name] = value
        response["Idempotent-Replayed"] = "true"
        return response
