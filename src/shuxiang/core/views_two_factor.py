"""Sign-in with a second factor, the user's own two-factor page, and the administrator's reset.

Thin: the rules are in core.two_factor; these views parse, call a service and render.
"""

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.views import LoginView
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from shuxiang.core import two_factor
from shuxiang.core.access import public_view, requires, signed_in
from shuxiang.core.errors import Forbidden, ServiceError
from shuxiang.core.forms import LoginForm
from shuxiang.core.generic import object_or_404, object_view
from shuxiang.core.models import User


class CodeForm(forms.Form):
    code = forms.CharField(label="动态验证码", max_length=20)


class SignInView(LoginView):
    """The password step. With an authenticator, the password only opens the second step."""

    template_name = "core/login.html"
    authentication_form = LoginForm

    def form_valid(self, form):
        user = form.get_user()
        if two_factor.is_enrolled(user):
            two_factor.begin_pending(self.request, user, next_url=self.get_success_url())
            return redirect("two_factor_verify")
        response = super().form_valid(form)
        if two_factor.is_required(user):
            return redirect(_with_next(reverse("two_factor"), self.get_success_url()))
        return response


def _with_next(url: str, next_url: str) -> str:
    from urllib.parse import urlencode

    return f"{url}?{urlencode({'next': next_url})}" if next_url else url


def _safe_next(request, candidate: str | None) -> str:
    if candidate and url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return reverse(settings.LOGIN_REDIRECT_URL)


def _locked(request):
    return render(
        request,
        settings.AXES_LOCKOUT_TEMPLATE,
        {"failure_limit": settings.AXES_FAILURE_LIMIT},
        status=429,
    )


@public_view
@never_cache
def two_factor_verify(request):
    """The second step of a sign-in: a code from the app, or a recovery code."""
    user, pending = two_factor.pending_sign_in(request)
    if user is None:
        messages.info(request, "请先输入用户名和密码")
        return redirect("login")
    recovery = request.GET.get("method") == "recovery" or request.POST.get("method") == "recovery"
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            how = two_factor.do_verify_second_factor(
                user, form.cleaned_data["code"], actor=user, request=request
            )
        except ServiceError as exc:
            if exc.code == "locked":
                two_factor.clear_pending(request)
                return _locked(request)
            if exc.code == "not_enrolled":  # reset by an admin meanwhile: the password step decides anew
                two_factor.clear_pending(request)
                messages.info(request, "两步验证已被重置，请重新登录")
                return redirect("login")
            form.add_error("code", exc.message)
        else:
            two_factor.complete_sign_in(request, user, backend=pending["backend"], how=how)
            if how == "recovery":
                left = two_factor.remaining_recovery_codes(user)
                messages.warning(
                    request,
                    f"您用了一个恢复码登录，还剩 {left} 个。手机找回或更换后，请在“两步验证”页面重新生成恢复码。",
                )
            return redirect(_safe_next(request, pending.get("next")))
    return render(
        request, "core/two_factor_verify.html", {"form": form, "pending_user": user, "recovery": recovery}
    )


@signed_in
@never_cache
def two_factor_page(request):
    """Status, enrolment, new recovery codes and (where allowed) switching it off."""
    user = request.user
    next_url = _safe_next(request, request.POST.get("next") or request.GET.get("next"))
    form = CodeForm(request.POST or None)
    action = request.POST.get("action", "")
    if request.method == "POST" and action == "start":
        try:
            two_factor.do_start_totp_enrolment(user, actor=user)
        except ServiceError as exc:
            messages.error(request, exc.message)
        return redirect(_with_next(reverse("two_factor"), next_url))
    if request.method == "POST" and form.is_valid():
        code = form.cleaned_data["code"]
        try:
            if action == "confirm":
                codes = two_factor.do_enrol_totp(user, code, actor=user)
                two_factor.mark_session(request.session, "enrolled")
                return _show_codes(request, codes, next_url, first=True)
            if action == "regenerate":
                codes = two_factor.do_regenerate_recovery_codes(user, code, actor=user, request=request)
                return _show_codes(request, codes, next_url, first=False)
            if action == "disable":
                two_factor.do_disable_two_factor(user, code, actor=user, request=request)
                messages.success(request, "两步验证已停用")
                return redirect("two_factor")
        except ServiceError as exc:
            if exc.code == "locked":
                return _locked(request)
            form.add_error("code" if exc.code == "wrong_code" else None, exc.message)
    device = two_factor.device_of(user)
    context = {
        "form": form,
        "action": action,
        "device": device,
        "enrolled": device is not None and device.is_confirmed,
        "required": two_factor.is_required(user),
        "next": next_url,
        "remaining": two_factor.remaining_recovery_codes(user),
        "total": two_factor.RECOVERY_CODE_COUNT,
    }
    if device is not None and not device.is_confirmed:
        context.update(qr=two_factor.qr_svg(device), secret=two_factor.grouped_secret(device))
    return render(request, "core/two_factor.html", context)


def _show_codes(request, codes, next_url, *, first):
    """Recovery codes exist in clear only in this one answer (never_cache on the view: no-store)."""
    return render(request, "core/two_factor_codes.html", {"codes": codes, "next": next_url, "first": first})


@requires("core.user.change")
@require_POST
@object_view(User)
def user_two_factor_reset(request, pk):
    """Another administrator's answer to a lost phone: the user enrols again at the next sign-in."""
    target = object_or_404(User, request.user, pk=pk)
    try:
        two_factor.do_reset_two_factor(target, actor=request.user)
    except Forbidden as exc:
        raise PermissionDenied(exc.message) from None
    except ServiceError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"已重置 {target.get_username()} 的两步验证，该用户下次登录时需重新设置")
    return redirect("user_edit", pk=target.pk)
