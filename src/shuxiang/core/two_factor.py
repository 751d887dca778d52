"""Two-factor sign-in: an authenticator app (TOTP, RFC 6238: 30 s, 6 digits, SHA-1) plus ten one-time
recovery codes, required for the roles in SHUXIANG_2FA_REQUIRED_ROLES (admin and district by default)
and open to everyone else.

How a sign-in goes (core.views_two_factor):
- the password form checks the password; a user with an authenticator is NOT signed in yet: the
  session only remembers "this user passed the password, waiting for the code" (`begin_pending`),
  and `login()` runs after the code (`complete_sign_in`). Until then the user is anonymous to every
  other page, API call and middleware, so no page can leak by forgetting a check;
- a user of a required role without an authenticator is signed in and kept on the enrolment page
  by core.two_factor_middleware until enrolled (trust on first use: the password was all they had);
- a session records how its second factor was satisfied (`SESSION_KEY`); a session without it whose
  user has an authenticator (started before enrolment, or by a path other than the sign-in form) is
  ended by the middleware.

Failed codes count toward the same django-axes lockout as failed passwords (per username), and every
enrolment, second-factor success, failed code, recovery-code use, regeneration, disabling and reset is
audited. API tokens are untouched: they remain the machine credential.
"""

import hmac
import secrets
import time

import pyotp
import segno
from django.conf import settings
from django.contrib.auth import login, logout
from django.core.exceptions import ImproperlyConfigured
from django.db import transaction
from django.utils import timezone
from django.utils.safestring import mark_safe

from shuxiang.core import audit, pii
from shuxiang.core.actors import as_actor
from shuxiang.core.choices import Role
from shuxiang.core.errors import Forbidden, ServiceError
from shuxiang.core.models import RecoveryCode, TwoFactorDevice, User
from shuxiang.core.permissions import require

ISSUER = "数乡"
RECOVERY_CODE_COUNT = 10
# Letters and digits that cannot be mistaken for one another when copied from paper.
RECOVERY_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
RECOVERY_CODE_LENGTH = 10
# Codes of the step before and after the current one are accepted (phone clocks drift).
VALID_WINDOW = 1

# Session keys: how this session's second factor was satisfied, and a sign-in waiting for its code.
SESSION_KEY = "shuxiang_second_factor"
PENDING_KEY = "shuxiang_second_factor_pending"
SATISFIED = frozenset({"totp", "recovery", "enrolled"})
PENDING_SECONDS = 5 * 60


# --- who needs it -----------------------------------------------------------------------------


def required_roles() -> frozenset[str]:
    """The roles that must use a second factor (SHUXIANG_2FA_REQUIRED_ROLES); an unknown name is refused."""
    roles = frozenset(settings.TWO_FACTOR_REQUIRED_ROLES)
    unknown = sorted(roles - set(Role.values))
    if unknown:
        raise ImproperlyConfigured(
            f"SHUXIANG_2FA_REQUIRED_ROLES names unknown roles {unknown}; known: {', '.join(Role.values)}"
        )
    return roles


def is_required(user) -> bool:
    """Whether the user's role must use a second factor (a superuser counts as an admin)."""
    roles = required_roles()
    return user.role in roles or (user.is_superuser and Role.ADMIN in roles)


def device_of(user) -> TwoFactorDevice | None:
    """The user's device, confirmed or still being enrolled."""
    return TwoFactorDevice.objects.filter(user=user).first()


def is_enrolled(user) -> bool:
    return TwoFactorDevice.objects.filter(user=user, confirmed_at__isnull=False).exists()


def remaining_recovery_codes(user) -> int:
    return RecoveryCode.objects.filter(
        device__user=user, device__confirmed_at__isnull=False, used_at__isnull=True
    ).count()


# --- what the enrolment page shows ------------------------------------------------------------


def provisioning_uri(device: TwoFactorDevice) -> str:
    return pyotp.TOTP(device.secret).provisioning_uri(name=device.user.get_username(), issuer_name=ISSUER)


def qr_svg(device: TwoFactorDevice) -> str:
    """The otpauth:// QR code as inline SVG, drawn here: the secret never leaves our server."""
    svg = segno.make(provisioning_uri(device), error="m").svg_inline(scale=5, border=2)
    return mark_safe(svg)  # noqa: S308 (segno output, no user input in markup)


def grouped_secret(device: TwoFactorDevice) -> str:
    """The key in groups of four, for typing into an app by hand."""
    return " ".join(device.secret[i : i + 4] for i in range(0, len(device.secret), 4))


# --- lockout (shared with passwords, through django-axes) ------------------------------------


def _credentials(user) -> dict:
    return {settings.AXES_USERNAME_FORM_FIELD: user.get_username()}


def _is_locked(user, request) -> bool:
    if request is None:
        return False
    from axes.handlers.proxy import AxesProxyHandler

    return AxesProxyHandler.is_locked(request, _credentials(user))


def _count_failure(user, request) -> None:
    """A wrong code is a failed sign-in for django-axes: the same counter and limit as passwords.

    The axes handler is called directly rather than through the user_login_failed signal, so the
    audit gets one "two_factor_failed" entry instead of a second, misleading "login_failed".
    """
    if request is None:
        return
    from axes.handlers.proxy import AxesProxyHandler

    AxesProxyHandler.user_login_failed(
        sender=TwoFactorDevice, credentials=_credentials(user), request=request
    )


# --- checking a code --------------------------------------------------------------------------


def _normalise(code: str) -> str:
    return "".join((code or "").split()).replace("-", "").upper()


def _matching_step(secret: str, code: str) -> int | None:
    """The time step whose code equals `code` within the allowed window, or None."""
    totp = pyotp.TOTP(secret)
    now = int(time.time())
    current = totp.timecode(now)
    for offset in sorted(range(-VALID_WINDOW, VALID_WINDOW + 1), key=abs):
        if hmac.compare_digest(totp.at(now, counter_offset=offset), code):
            return current + offset
    return None


def _use_totp(device: TwoFactorDevice, code: str) -> bool:
    """Accept a code once: a step at or before the last one used is a replay."""
    step = _matching_step(device.secret, code)
    if step is None:
        return False
    from django.db.models import Q

    return bool(
        TwoFactorDevice.objects.filter(pk=device.pk)
        .filter(Q(last_used_step__isnull=True) | Q(last_used_step__lt=step))
        .update(last_used_step=step)
    )


def _recovery_digest(code: str) -> str:
    return pii.digest(f"recovery-code:{code}")


def _use_recovery_code(device: TwoFactorDevice, code: str) -> bool:
    return bool(
        RecoveryCode.objects.filter(
            device=device, code_digest=_recovery_digest(code), used_at__isnull=True
        ).update(used_at=timezone.now())
    )


def _check_code(user, code, *, actor, request, purpose: str, allow_recovery: bool) -> str:
    """ "totp" or "recovery" for a good code; otherwise audit, count toward the lockout and refuse.

    Not one transaction on purpose: the failure's audit entry and lockout count must survive the
    refusal that follows them.
    """
    if _is_locked(user, request):
        raise ServiceError("locked", "连续验证失败次数过多，账号已临时锁定，请稍后再试或联系管理员解锁")
    device = TwoFactorDevice.objects.filter(user=user, confirmed_at__isnull=False).first()
    if device is None:
        raise ServiceError("not_enrolled", "该账号尚未启用两步验证")
    value = _normalise(code)
    how = None
    if value.isdigit() and len(value) == 6:
        how = "totp" if _use_totp(device, value) else None
    elif allow_recovery and len(value) == RECOVERY_CODE_LENGTH:
        how = "recovery" if _use_recovery_code(device, value) else None
    if how is None:
        audit.record(actor, "two_factor_failed", user, changes={"purpose": purpose})
        _count_failure(user, request)
        if _is_locked(user, request):
            raise ServiceError("locked", "连续验证失败次数过多，账号已临时锁定，请稍后再试或联系管理员解锁")
        message = "验证码或恢复码不正确" if allow_recovery else "验证码不正确"
        raise ServiceError("wrong_code", message, {"code": [message + "，请重新输入"]})
    return how


def _require_self(actor, user):
    """Only the person themselves manages their own authenticator (admins can only reset it)."""
    if as_actor(actor).human != user:
        raise Forbidden("只能为自己的账号设置两步验证")


def _new_recovery_codes(device: TwoFactorDevice) -> list[str]:
    device.recovery_codes.all().delete()
    codes = [
        "".join(secrets.choice(RECOVERY_ALPHABET) for _ in range(RECOVERY_CODE_LENGTH))
        for _ in range(RECOVERY_CODE_COUNT)
    ]
    RecoveryCode.objects.bulk_create(
        [RecoveryCode(device=device, code_digest=_recovery_digest(c)) for c in codes]
    )
    half = RECOVERY_CODE_LENGTH // 2
    return [f"{c[:half]}-{c[half:]}" for c in codes]


# --- services ---------------------------------------------------------------------------------


@transaction.atomic
def do_start_totp_enrolment(user: User, *, actor) -> TwoFactorDevice:
    """A fresh secret for the enrolment page. Nothing counts until a code confirms it."""
    _require_self(actor, user)
    device = device_of(user)
    if device is not None and device.is_confirmed:
        raise ServiceError("already_enrolled", "两步验证已启用")
    if device is None:
        return TwoFactorDevice.objects.create(user=user, secret=pyotp.random_base32())
    device.secret = pyotp.random_base32()
    device.last_used_step = None
    device.save(update_fields=["secret", "last_used_step"])
    return device


def do_enrol_totp(user: User, code: str, *, actor) -> list[str]:
    """Confirm the enrolment with a code from the app; returns the ten recovery codes (shown once).

    A wrong code here is audited but does not count toward the lockout: the secret was shown to this
    same signed-in session a moment ago, so a mistyped code is not a guess at someone's account.
    """
    _require_self(actor, user)
    device = device_of(user)
    if device is None or device.is_confirmed:
        raise ServiceError("no_enrolment", "请先开始设置两步验证")
    value = _normalise(code)
    if not (value.isdigit() and len(value) == 6 and _use_totp(device, value)):
        audit.record(actor, "two_factor_failed", user, changes={"purpose": "enrol"})
        raise ServiceError(
            "wrong_code",
            "验证码不正确",
            {"code": ["验证码不正确：请核对手机时间并输入应用中当前显示的6位数字"]},
        )
    with transaction.atomic():
        device.confirmed_at = timezone.now()
        device.save(update_fields=["confirmed_at"])
        codes = _new_recovery_codes(device)
        audit.record(actor, "two_factor_enrol", user, changes={"method": "totp"})
    return codes


def do_verify_second_factor(user: User, code: str, *, actor, request=None) -> str:
    """The sign-in's second step: a current code from the app or an unused recovery code.

    Returns "totp" or "recovery". `request` carries the django-axes lockout bookkeeping (axes keys its
    records on it); the audit does not need it.
    """
    how = _check_code(user, code, actor=actor, request=request, purpose="sign_in", allow_recovery=True)
    if how == "recovery":
        audit.record(actor, "recovery_code_used", user, changes={"remaining": remaining_recovery_codes(user)})
    audit.record(actor, "two_factor_ok", user, changes={"method": how})
    return how


def do_regenerate_recovery_codes(user: User, code: str, *, actor, request=None) -> list[str]:
    """New recovery codes (the old ones stop working), proved with a current code from the app."""
    _require_self(actor, user)
    _check_code(user, code, actor=actor, request=request, purpose="regenerate", allow_recovery=False)
    with transaction.atomic():
        device = TwoFactorDevice.objects.select_for_update().get(user=user)
        codes = _new_recovery_codes(device)
        audit.record(actor, "recovery_regenerated", user, changes={"count": len(codes)})
    return codes


def do_disable_two_factor(user: User, code: str, *, actor, request=None) -> None:
    """Turn it off, for roles that do not require it, proved with a current code from the app."""
    _require_self(actor, user)
    if is_required(user):
        raise ServiceError("two_factor_required", f"{user.get_role_display()}必须使用两步验证，不能停用")
    _check_code(user, code, actor=actor, request=request, purpose="disable", allow_recovery=False)
    with transaction.atomic():
        TwoFactorDevice.objects.filter(user=user).delete()
        audit.record(actor, "two_factor_disabled", user)


@transaction.atomic
def do_reset_two_factor(user: User, *, actor) -> None:
    """The lost-phone path: another administrator removes the authenticator and recovery codes.

    The user enrols again at the next sign-in (required roles) or may do so (others). Resetting one's
    own is refused: that would let a stolen session drop the second factor; use the two-factor page.
    """
    require(actor, "core.user.change", user)
    if as_actor(actor).human == user:
        raise ServiceError("own_account", "不能重置自己的两步验证，请由另一位管理员操作")
    deleted, _ = TwoFactorDevice.objects.filter(user=user).delete()
    if not deleted:
        raise ServiceError("not_enrolled", f"用户 {user.get_username()} 未设置两步验证")
    audit.record(actor, "two_factor_reset", user)


# --- the session ------------------------------------------------------------------------------


def begin_pending(request, user, *, next_url: str) -> None:
    """Remember that `user` passed the password and now owes a code. Not a sign-in.

    Whoever was signed in on this browser is signed out first: typing another account's password
    must not leave the previous account's session running beside the pending one.
    """
    if request.user.is_authenticated:
        logout(request)
    request.session.cycle_key()  # a session id planted before the password is not carried forward
    request.session[PENDING_KEY] = {
        "user": user.pk,
        "backend": getattr(user, "backend", settings.AUTHENTICATION_BACKENDS[-1]),
        "since": time.time(),
        "next": next_url,
    }


def pending_sign_in(request) -> tuple[User | None, dict]:
    """The user waiting for the second step in this session, if still fresh and still allowed in."""
    pending = request.session.get(PENDING_KEY)
    if not pending:
        return None, {}
    if time.time() - pending.get("since", 0) > PENDING_SECONDS:
        clear_pending(request)
        return None, {}
    user = User.objects.filter(pk=pending.get("user"), is_active=True).first()
    if user is None:
        clear_pending(request)
        return None, {}
    return user, pending


def clear_pending(request) -> None:
    request.session.pop(PENDING_KEY, None)


def complete_sign_in(request, user, *, backend: str, how: str) -> None:
    """The second factor is done: now the session is signed in."""
    clear_pending(request)
    login(request, user, backend=backend)
    mark_session(request.session, how)


def mark_session(session, how: str) -> None:
    """Record how this session satisfied the second factor ("totp", "recovery", "enrolled")."""
    if how not in SATISFIED:
        raise ValueError(f"not a second factor: {how!r}")
    session[SESSION_KEY] = how


def session_satisfied(session) -> bool:
    return session.get(SESSION_KEY) in SATISFIED
