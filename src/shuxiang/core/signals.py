"""Sign-ins, sign-outs and failed attempts go to the audit log like any change."""

from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver

from shuxiang.core import audit
from shuxiang.core.actors import Actor
from shuxiang.core.context import origin
from shuxiang.core.middleware import client_ip


def _request_origin(request):
    if request is None:
        return origin("system")
    return origin(
        "api" if request.path.startswith("/api/") else "web",
        client_ip(request),
        request.META.get("HTTP_USER_AGENT", ""),
    )


@receiver(user_logged_in)
def _logged_in(sender, request, user, **kwargs):
    with _request_origin(request):
        audit.record(user, "login", user)


@receiver(user_logged_out)
def _logged_out(sender, request, user, **kwargs):
    if user is not None:
        with _request_origin(request):
            audit.record(user, "logout", user)


@receiver(user_login_failed)
def _login_failed(sender, credentials, request=None, **kwargs):
    username = (credentials or {}).get("username", "")
    with _request_origin(request):
        audit.record(
            Actor.anonymous("public"), "login_failed", object_type="core.user", object_repr=username[:150]
        )
