"""Every route declares what it needs, and one place enforces it.

A route is one of:
- public (`@public_view`): for people without an account; such pages show only non-sensitive fields;
- signed in (`@signed_in`): any signed-in user who may use the web UI (home, password, notifications);
- a permission (`@requires("cases.case.view")`, a class view's `permission`, a viewset's
  `required_perms`, or derived from the model a generic view or viewset serves).

`AccessMiddleware` enforces declarations for HTML views; `DeclaredPermission` (DRF's default permission
class) for the API. An undeclared route is refused (403) and fails the route × role meta-test
(core/tests/test_access_matrix.py). Object-level checks (grant constraints, region) follow in the view's
scoped lookup and in the services.
"""

from __future__ import annotations

import functools
import logging

from django.contrib.auth.views import redirect_to_login
from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from rest_framework import exceptions, permissions

from shuxiang.core.permissions import has_perm

log = logging.getLogger(__name__)

PUBLIC = "public"
SIGNED_IN = "signed_in"

# How viewset actions map to object actions when a viewset does not say otherwise.
VIEWSET_ACTIONS = {
    "list": "view",
    "retrieve": "view",
    "metadata": "view",
    "create": "add",
    "update": "change",
    "partial_update": "change",
    "destroy": "delete",
}


# --- declaring ------------------------------------------------------------------------------


def _mark(view, access):
    """Attach a declaration. A function is wrapped, so one view routed twice can declare twice."""
    if isinstance(view, type):
        view.access = access
        return view

    @functools.wraps(view)
    def declared(*args, **kwargs):
        return view(*args, **kwargs)

    declared.access = access
    return declared


def public_view(view):
    """A page or endpoint for people without an account (a tracking page, a product lookup, a device).

    It must show only non-sensitive fields; its own tests prove what it hides.
    """
    view = _mark(view, PUBLIC)
    view.scope_public = True
    return view


def signed_in(view):
    """Any signed-in user of the web UI (their own home page, notifications, password)."""
    return _mark(view, SIGNED_IN)


def requires(perm: str, *, post: str | None = None):
    """The permission a function view needs (`post=`: another one for POST)."""

    def wrap(view):
        return _mark(view, {"GET": perm, "POST": post} if post else perm)

    return wrap


def _model_perm(model, action: str) -> str:
    return f"{model._meta.label_lower}.{action}"


def declaration(callback, method: str = "GET", action: str | None = None):
    """What a route needs: PUBLIC, SIGNED_IN, a permission name, or None when undeclared."""
    cls = getattr(callback, "cls", None)
    if cls is not None:  # DRF
        return viewset_declaration(cls, action or _drf_action(callback, method), method)
    for holder in (callback, getattr(callback, "view_class", None)):
        if holder is None:
            continue
        access = getattr(holder, "access", None)
        if access is not None:
            if isinstance(access, dict):
                return access.get(method.upper(), access.get("GET"))
            return access
    view_class = getattr(callback, "view_class", None)
    if view_class is not None:
        if getattr(view_class, "permission", None):
            return view_class.permission
        model = getattr(view_class, "model", None)
        if model is not None:
            return _model_perm(model, "view")
    return None


def _drf_action(callback, method: str):
    actions = getattr(callback, "actions", None) or {}
    return actions.get(method.lower())


def viewset_declaration(cls, action: str | None, method: str = "GET"):
    from rest_framework.routers import APIRootView

    if getattr(cls, "access", None) == PUBLIC:
        return PUBLIC
    if issubclass(cls, APIRootView):
        return SIGNED_IN  # the browsable index of a router: links only
    perms = getattr(cls, "required_perms", {}) or {}
    if action in perms:
        return perms[action]
    if action is None and method.upper() in perms:
        return perms[method.upper()]
    if getattr(cls, "required_perm", None):
        return cls.required_perm
    if "*" in perms:
        return perms["*"]
    access = getattr(cls, "access", None)
    if access is not None:
        return access
    queryset = getattr(cls, "queryset", None)
    verb = VIEWSET_ACTIONS.get(action or "") or (
        "view" if method.upper() in ("GET", "HEAD", "OPTIONS") and action is None else None
    )
    if queryset is not None and verb:
        return _model_perm(queryset.model, verb)
    return None


# --- enforcing ------------------------------------------------------------------------------


def may_use_web(user) -> bool:
    """Client roles (banks, gateways, data feeds) use the API only unless granted the web UI."""
    return has_perm(user, "core.web.use")


def allowed(user, decl) -> bool:
    if decl == PUBLIC:
        return True
    if decl is None or not getattr(user, "is_authenticated", False):
        return False
    if decl == SIGNED_IN:
        return True
    return has_perm(user, decl)


class AccessMiddleware:
    """Enforces HTML routes' declarations before the view runs, and audits refusals (403, 404) after it."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        # 429s are audited by the rate limiter itself, with the object they were about.
        if response.status_code in (403, 404) and getattr(request, "resolver_match", None) is not None:
            record_refusal(request, response.status_code)
        return response

    def process_exception(self, request, exception):
        """A number beyond what the database stores (in a URL or a filter) is the caller's error, not a 500."""
        from django.db import DataError
        from django.http import JsonResponse
        from django.shortcuts import render

        if isinstance(exception, OverflowError | DataError) or (
            isinstance(exception, ValueError) and "too large" in str(exception)
        ):
            message = "数值超出允许范围"
            if request.path.startswith(("/api/", "/open311/")):
                return JsonResponse({"code": "out_of_range", "message": message, "fields": {}}, status=400)
            return render(request, "core/error.html", {"title": "输入有误", "message": message}, status=400)
        return None

    def process_view(self, request, view_func, view_args, view_kwargs):
        if getattr(view_func, "cls", None) is not None:
            return None  # DRF views: DeclaredPermission, after token authentication
        decl = declaration(view_func, request.method)
        if decl is None:
            log.error("route %s declares no permission", request.path)
            raise PermissionDenied
        if decl == PUBLIC:
            return None
        user = request.user
        if not user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if not may_use_web(user) or not allowed(user, decl):
            raise PermissionDenied
        return None


class DeclaredPermission(permissions.BasePermission):
    """DRF's default: the viewset action's declared permission, type-level (objects: scoped lookup)."""

    message = "您没有执行此操作的权限"

    def has_permission(self, request, view):
        if getattr(view, request.method.lower(), None) is None:
            return True  # a method the view does not handle: DRF answers 405, for everyone alike
        action = getattr(view, "action", None)
        decl = viewset_declaration(type(view), action, request.method)
        if decl is None:
            log.error("API route %s (%s) declares no permission", request.path, action)
            return False
        if decl == PUBLIC:
            return True
        if not request.user or not request.user.is_authenticated:
            raise exceptions.NotAuthenticated("需要登录或提供接口令牌（Authorization: Token …）")
        return allowed(request.user, decl)

    def has_object_permission(self, request, view, obj):
        decl = viewset_declaration(type(view), getattr(view, "action", None), request.method)
        if decl in (PUBLIC, SIGNED_IN) or decl is None:
            return decl is not None
        try:
            return has_perm(request.user, decl, obj)
        except Exception:  # noqa: BLE001  (a permission on another type than obj's: type-level already held)
            return True


# --- auditing refusals ----------------------------------------------------------------------

REFUSAL_LIMIT = 20  # entries per caller per window; a scan cannot flood the log
REFUSAL_WINDOW = 600


def record_refusal(request, status: int) -> None:
    """One audit entry per refused request of an identified caller, at most REFUSAL_LIMIT per window.

    Refusals are recorded at the boundary, after the refused service's transaction rolled back, so
    the entry survives. When the limit is reached one more entry says that further ones are omitted.
    """
    from shuxiang.core import audit

    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return
    key = f"shuxiang:refusals:{user.pk}"
    count = cache.get_or_set(key, 0, REFUSAL_WINDOW)
    try:
        count = cache.incr(key)
    except ValueError:
        cache.set(key, 1, REFUSAL_WINDOW)
        count = 1
    if count > REFUSAL_LIMIT + 1:
        return
    label = {403: "无权限", 404: "不存在或不在管辖范围"}.get(status, str(status))
    omitted = count == REFUSAL_LIMIT + 1
    audit.record(
        user,
        "refused",
        object_type="route",
        object_id=request.resolver_match.view_name or "",
        object_repr=(
            f"{request.method} {request.path}"[:150]
            + (f"（{label}）" if not omitted else "（此后拒绝不再逐条记录）")
        ),
        changes={"status": status, "omitted_after": REFUSAL_LIMIT} if omitted else {"status": status},
    )
