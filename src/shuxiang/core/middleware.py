import functools
import hashlib
import ipaddress
import logging
import time
import uuid
from datetime import timedelta

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.signals import user_logged_in
from django.contrib.sessions.exceptions import SessionInterrupted
from django.contrib.sessions.middleware import SessionMiddleware as DjangoSessionMiddleware
from django.db import IntegrityError, transaction
from django.dispatch import receiver
from django.http import HttpResponse, JsonResponse
from django.utils import timezone
from django.utils.cache import add_never_cache_headers

from shuxiang.conf import parse_networks
from shuxiang.core import metrics, pii
from shuxiang.core.context import origin
from shuxiang.core.models import IdempotencyRecord

log = logging.getLogger(__name__)
request_log = logging.getLogger("shuxiang.request")

# Nothing is loaded from outside: scripts, styles, images and connections stay on our origin — except a
# base map's tile images, from exactly the host a county configures (content_security_policy below).
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


def content_security_policy() -> str:
    """The policy above, allowing images from exactly the configured base map's tile hosts (docs/maps.md)."""
    from shuxiang.conf import configured_base_layer

    layer, _ = configured_base_layer()
    if layer is None or not layer.hosts:
        return CONTENT_SECURITY_POLICY
    return CONTENT_SECURITY_POLICY.replace(
        "img-src 'self' data: blob:", "img-src 'self' data: blob: " + " ".join(layer.hosts)
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
            response.headers.setdefault("Content-Security-Policy", content_security_policy())
        response.headers.setdefault("Permissions-Policy", "camera=(self), geolocation=(self), microphone=()")
        response.headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
        return response


# --- where a request really came from --------------------------------------------------------


@functools.cache
def _networks(spec: tuple[str, ...]) -> tuple:
    return tuple(parse_networks(spec)[0])


def trusted_proxies() -> tuple:
    """The networks of SHUXIANG_TRUSTED_PROXIES (entries that do not parse are left out: shuxiang.E006)."""
    return _networks(tuple(settings.TRUSTED_PROXIES))


def _address(text: str | None):
    """An IP address from a socket or a forwarding header ("1.2.3.4", "1.2.3.4:5678", "[::1]:443"), or None."""
    text = (text or "").strip()
    if text.startswith("[") and "]" in text:
        text = text[1 : text.index("]")]
    elif text.count(":") == 1:
        text = text.split(":", 1)[0]
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return None
    if address.version == 6 and address.ipv4_mapped:
        return address.ipv4_mapped  # "::ffff:10.0.0.5" is the IPv4 proxy listed as 10.0.0.5
    return address


def is_trusted_proxy(address) -> bool:
    networks = trusted_proxies()
    if not networks:
        return False
    if not isinstance(address, ipaddress.IPv4Address | ipaddress.IPv6Address):
        address = _address(address)
    return address is not None and any(address in network for network in networks)


def client_ip(request) -> str | None:
    """The address of the person or machine on the other end, for the audit log and login lockouts.

    It is the socket's address unless that is one of our own proxies (SHUXIANG_TRUSTED_PROXIES);
    then X-Forwarded-For is read from the right, skipping our proxies, and the first address that is
    not ours is the client. Anything left of it was written by the client and is not believed, so a
    forged header cannot put another address into the log. django-axes uses this function too
    (AXES_CLIENT_IP_CALLABLE), so lockouts and the audit see the same address.
    """
    remote = request.META.get("REMOTE_ADDR")
    if not is_trusted_proxy(remote):
        return remote
    client = _address(remote)
    for hop in reversed(request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")):
        address = _address(hop)
        if address is None:
            break  # a malformed entry: nothing left of it can be attributed
        client = address
        if not is_trusted_proxy(address):
            break
    return str(client)


class TransportSecurityMiddleware:
    """HTTPS as our own proxies report it, and cookies that follow HTTPS.

    Django believes X-Forwarded-Proto from anyone once SECURE_PROXY_SSL_HEADER is set; here the
    header is dropped unless the socket peer is one of SHUXIANG_TRUSTED_PROXIES, so a client that
    reaches the server directly cannot claim HTTPS. Session and CSRF cookies get the Secure flag
    whenever the request came over HTTPS (directly or through a trusted proxy), while plain HTTP
    on loopback (`make run`, health checks) keeps working without it. First in MIDDLEWARE, so it
    runs before SecurityMiddleware (HSTS) and sees the cookies every inner middleware set.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if "HTTP_X_FORWARDED_PROTO" in request.META and not is_trusted_proxy(request.META.get("REMOTE_ADDR")):
            del request.META["HTTP_X_FORWARDED_PROTO"]
        response = self.get_response(request)
        if request.is_secure():
            for cookie in response.cookies.values():
                cookie["secure"] = True
        return response


class NoStoreMiddleware:
    """`Cache-Control: no-store` on everything a signed-in user or an API client is answered.

    Those answers carry personal data (names, masked and revealed identifiers, case notes); a
    shared township computer's browser cache or a proxy must not keep them. Static files are
    answered by WhiteNoise before this runs. Listed after IdempotencyMiddleware, so a replayable
    answer is stored sealed (it sees the header).
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        user = getattr(request, "user", None)
        signed_in = user is not None and user.is_authenticated
        if (signed_in or "HTTP_AUTHORIZATION" in request.META) and not request.path.startswith(
            settings.STATIC_URL
        ):
            add_never_cache_headers(response)
        return response


# --- absolute session lifetime ------------------------------------------------------------------

SESSION_LOGIN_AT = "shuxiang_login_at"
SESSION_RENEWED_AT = "shuxiang_renewed_at"  # when the session was last saved for its idle timeout


@receiver(user_logged_in, dispatch_uid="shuxiang_session_login_at")
def _stamp_login_time(sender, request, user, **kwargs):
    if request is not None and hasattr(request, "session"):
        request.session[SESSION_LOGIN_AT] = int(time.time())


class SessionLifetimeMiddleware:
    """Ends a session SHUXIANG_SESSION_MAX_HOURS after sign-in, however active it has been.

    The idle timeout (SESSION_COOKIE_AGE, renewed on every request) never ends a session that is
    used all day, so a stolen session cookie would live for ever; this bounds it. The sign-in time
    is stamped by the user_logged_in signal; a session without a stamp (signed in before this
    existed) is stamped at its next request.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        session = getattr(request, "session", None)
        if session is not None and user is not None and user.is_authenticated:
            started = session.get(SESSION_LOGIN_AT)
            now = time.time()
            if not isinstance(started, int | float):
                session[SESSION_LOGIN_AT] = int(now)
            elif now - started > settings.SESSION_MAX_HOURS * 3600:
                logout(request)
                messages.warning(
                    request,
                    f"登录已超过{settings.SESSION_MAX_HOURS}小时，为安全起见请重新登录",
                    fail_silently=True,
                )
        return self.get_response(request)


class RequestContextMiddleware:
    """Records where the request came from for the audit log (see core.context)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.id = str(uuid.uuid4())
        source = "api" if request.path.startswith(("/api/", "/open311/")) else "web"
        started = time.monotonic()
        with origin(source, client_ip(request), request.META.get("HTTP_USER_AGENT", ""), request.id):
            response = self.get_response(request)
            # The id of this request in every answer, so an error a user reports is found in the logs.
            response["X-Request-Id"] = request.id
            self._account(request, response, time.monotonic() - started)
        return response

    @staticmethod
    def _account(request, response, seconds):
        """Latency by route for /metrics, and one log line per request in the JSON log format."""
        match = getattr(request, "resolver_match", None)
        route = ("/" + match.route) if match is not None and match.route else "(unmatched)"
        try:
            metrics.observe_request(request.method, route, response.status_code, seconds)
        except Exception:  # metrics are never a reason to fail a request
            log.exception("metrics")
        if settings.LOG_FORMAT == "json":
            user = getattr(request, "user", None)
            request_log.info(
                "%s %s %s",
                request.method,
                request.path,
                response.status_code,
                extra={
                    "method": request.method,
                    "path": request.path[:300],
                    "route": route,
                    "status": response.status_code,
                    "duration_ms": round(seconds * 1000, 1),
                    "user": user.username if user is not None and user.is_authenticated else "",
                },
            )


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


class SessionMiddleware(DjangoSessionMiddleware):
    """Django's session middleware, except that a read (GET/HEAD) whose session was replaced by a concurrent
    request of the same browser (a page's POST and its images load together) still answers: Django answers
    such a read 400 ("the request's session was deleted before the request completed"), and a resident's
    tracking page lost a photo that way. A write still fails as Django makes it fail.

    The idle timeout (SESSION_COOKIE_AGE) counts from the last request to within SESSION_RENEW_SECONDS: a
    session in use is saved again (expiry and cookie renewed) when its last save is that old, not on every
    request as SESSION_SAVE_EVERY_REQUEST would — that was a database write on every page view, and on
    SQLite every writer waits for the one before it.
    """

    @staticmethod
    def _renew(request):
        session = getattr(request, "session", None)
        if session is None or not session.accessed or session.is_empty():
            return
        now = int(time.time())
        renewed = session.get(SESSION_RENEWED_AT)
        stale = not isinstance(renewed, int) or now - renewed >= settings.SESSION_RENEW_SECONDS
        if session.modified or stale:  # saved either way: note when, so the next minute writes nothing
            session[SESSION_RENEWED_AT] = now

    def process_response(self, request, response):
        self._renew(request)
        try:
            return super().process_response(request, response)
        except SessionInterrupted:
            if request.method in ("GET", "HEAD"):
                return response
            raise
