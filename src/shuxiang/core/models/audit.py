from django.conf import settings
from django.db import models

from shuxiang.core.choices import AuditAction
from shuxiang.core.scope import ScopedQuerySet, scoped


class AuditImmutable(Exception):
    pass


@scoped("place")
class AuditEntry(models.Model):
    """One thing that happened: who, when, from where, what changed. Append-only.

    `place` is the region of the changed object so that auditors below the
    district (if ever granted) see only their region; the log itself is
    admin/district-only in the UI and API.
    """

    at = models.DateTimeField("时间", auto_now_add=True, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="操作人", null=True, blank=True, on_delete=models.SET_NULL
    )
    actor_label = models.CharField("操作人标识", max_length=100, help_text="用户名、设备编码或 system")
    action = models.CharField("动作", max_length=20, choices=AuditAction.choices, db_index=True)
    object_type = models.CharField("对象类型", max_length=60, db_index=True)
    object_id = models.CharField("对象编号", max_length=64, blank=True, db_index=True)
    object_repr = models.CharField("对象", max_length=200, blank=True)
    changes = models.JSONField("变更内容", default=dict, blank=True)
    place = models.ForeignKey(
        "core.Place", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    source = models.CharField(
        "来源", max_length=20, default="system", help_text="web / api / cli / mqtt / task"
    )
    ip = models.GenericIPAddressField("IP地址", null=True, blank=True)
    user_agent = models.CharField(max_length=200, blank=True)
    request_id = models.CharField(max_length=36, blank=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = "审计日志"
        verbose_name_plural = "审计日志"
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["object_type", "object_id", "-at"], name="audit_object_idx")]

    def __str__(self):
        return f"{self.at:%Y-%m-%d %H:%M} {self.actor_label} {self.get_action_display()} {self.object_repr}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise AuditImmutable("审计日志不可修改")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AuditImmutable("审计日志不可删除")
