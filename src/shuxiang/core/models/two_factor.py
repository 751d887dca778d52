from django.conf import settings
from django.db import models

from shuxiang.core import pii
from shuxiang.core.scope import declare_unscoped


class TwoFactorDevice(models.Model):
    """A staff member's authenticator app (TOTP, RFC 6238): the second kind of authentication that
    GB/T 22239 level 3 asks of administrators, on top of the password.

    The shared secret is kept encrypted with the field key (like ID numbers), so a database dump
    alone cannot produce codes. A row without `confirmed_at` is an enrolment the user started but
    has not yet proved with a code from the app; it does not count until then.
    """

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name="用户",
        on_delete=models.CASCADE,
        related_name="two_factor_device",
    )
    secret = pii.EncryptedTextField("密钥")
    confirmed_at = models.DateTimeField("启用时间", null=True, blank=True)
    # The 30-second step of the last accepted code: a code seen once is refused if replayed.
    last_used_step = models.BigIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "两步验证设备"
        verbose_name_plural = "两步验证设备"

    def __str__(self):
        return f"{self.user} 的两步验证"

    @property
    def is_confirmed(self) -> bool:
        return self.confirmed_at is not None


declare_unscoped(TwoFactorDevice, "credential; reached only by its own user and by admins through the user")


class RecoveryCode(models.Model):
    """A one-time code printed at enrolment for the day the phone is lost or broken.

    Only a keyed digest is stored: the codes are random (not chosen by people), so a keyed
    digest is as good as a slow password hash here and lets sign-in look one up directly.
    """

    device = models.ForeignKey(TwoFactorDevice, on_delete=models.CASCADE, related_name="recovery_codes")
    code_digest = models.CharField(max_length=64)
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "恢复码"
        verbose_name_plural = "恢复码"
        constraints = [
            models.UniqueConstraint(
                fields=["device", "code_digest"],
                name="recovery_code_unique_per_device",
                violation_error_message="恢复码重复",
            )
        ]

    def __str__(self):
        return f"{self.device.user} 的恢复码"


declare_unscoped(RecoveryCode, "credential; part of its user's two-factor device, never listed")
