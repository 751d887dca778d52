"""Keeps signed-in sessions honest about the second factor (see core.two_factor).

A signed-in session has either passed the second factor (the session says how) or belongs to a user
who needs none. Two cases are left, and this middleware handles both before any view runs:

- the user has an authenticator but this session never passed it (it began before enrolment, or by a
  path other than the sign-in form): the session is ended and the user signs in again with both steps;
- the user's role requires a second factor and they have not enrolled: every page except the
  enrolment page, sign-out and static files leads to the enrolment page.

Requests with an API token carry no session, so the API is not affected.
"""

from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth import logout
from django.http import HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.urls import reverse

from shuxiang.core import two_factor

# Reachable while enrolment is outstanding.
OPEN_PREFIXES = ("/static/", "/logout/", "/login/", "/account/two-factor/", "/healthz", "/favicon.ico")


class SecondFactorMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response
        two_factor.required_roles()  # a misspelt role in the setting stops the server at start-up

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated or two_factor.session_satisfied(request.session):
            return self.get_response(request)
        if request.path.startswith(("/static/", "/logout/")):
            return self.get_response(request)
        if two_factor.is_enrolled(user):
            return self._sign_in_again(request)
        if two_factor.is_required(user) and not request.path.startswith(OPEN_PREFIXES):
            return self._to_enrolment(request)
        return self.get_response(request)

    def _sign_in_again(self, request):
        logout(request)
        if request.path.startswith("/login/"):
            return self.get_response(request)
        messages.info(request, "请重新登录并输入动态验证码")
        url = f"{reverse('login')}?{urlencode({'next': request.get_full_path()})}"
        return self._go(request, url)

    def _to_enrolment(self, request):
        url = f"{reverse('two_factor')}?{urlencode({'next': request.get_full_path()})}"
        return self._go(request, url)

    @staticmethod
    def _go(request, url):
        if request.path.startswith("/api/"):
            return JsonResponse(
                {"code": "second_factor_required", "message": "请先在网页上完成两步验证", "fields": {}},
                status=403,
            )
        if request.headers.get("HX-Request"):
            response = HttpResponse(status=204)
            response["HX-Redirect"] = url
            return response
        return redirect(url)
