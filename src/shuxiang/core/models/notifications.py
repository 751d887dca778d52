from django.conf import settings
from django.db import models

from shuxiang.core.scope import declare_unscoped


class Notification(models.Model):
    """An in-app message to one user (a case dispatched to them, an alarm, a warning)."""

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    title = models.CharField("标题", max_length=200)
    body = models.TextField("内容", blank=True)
    url = models.CharField("链接", max_length=300, blank=True)
    kind = models.CharField("类别", max_length=40, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "通知"
        verbose_name_plural = "通知"
        ordering = ["-created_at"]
        indexes = [
            models.Index(
                fields=["recipient", "-created_at"],
                condition=models.Q(read_at__isnull=True),
                name="notif_unread_idx",
            )
        ]

    def __str__(self):
        return self.title


declare_unscoped(Notification, "always filtered to recipient=request.user, never by region")
