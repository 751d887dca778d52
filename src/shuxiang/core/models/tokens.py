import secrets

from django.conf import settings
from django.db import models

from shuxiang.core import pii
from shuxiang.core.scope import declare_unscoped


class ApiToken(models.Model):
    """A machine credential for the API (`Authorization: Token <key>`).

    The key is kept encrypted (so `shuxiang token` can print it again) and
    looked up by keyed digest, never by plaintext.
    """

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_token")
    key = pii.EncryptedTextField()
    key_digest = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "接口令牌"
        verbose_name_plural = "接口令牌"

    def __str__(self):
        return f"{self.user} 的接口令牌"

    @staticmethod
    def new_key() -> str:
        return secrets.token_hex(20)


declare_unscoped(ApiToken, "credential; reached only through its user and the token command")


class IdempotencyRecord(models.Model):
    """The first answer to a POST that carried an Idempotency-Key, replayed for repeats."""

    scope = models.CharField(max_length=80)
    key = models.CharField(max_length=200)
    fingerprint = models.CharField(max_length=64)
    status_code = models.PositiveSmallIntegerField()
    content_type = models.CharField(max_length=100)
    body = models.BinaryField()
    # An answer marked Cache-Control: no-store (credentials shown once) is kept encrypted.
    sealed = models.BooleanField(default=False)
    headers = models.JSONField(default=dict)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["scope", "key"], name="idempotency_scope_key")]

    def __str__(self):
        return self.key


declare_unscoped(IdempotencyRecord, "replay cache keyed by caller; never listed")
