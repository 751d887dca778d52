from django.conf import settings
from django.db import models

from shuxiang.core.choices import Role
from shuxiang.core.scope import declare_unscoped


class Grant(models.Model):
    """Permission to perform `actions` on one object type, given to a role or to one user.

    NetBox's ObjectPermission, reduced to what a county needs: object type ×
    actions × an optional constraint (queryset lookups, `$user` / `$unit` /
    `$place` stand for the acting user's own ones). Region scope is applied on
    top by core.scope, so a grant never widens a user's region. Grants that
    apps declare in code are `builtin` rows kept in step with the code unless
    an admin has `customised` them; everything not granted is denied.
    """

    role = models.CharField("角色", max_length=16, choices=Role.choices, blank=True, db_index=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="用户",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="grants",
    )
    object_type = models.CharField("对象类型", max_length=64)
    actions = models.JSONField("操作", default=list)
    constraint = models.JSONField("限定条件", null=True, blank=True)
    note = models.CharField("说明", max_length=200, blank=True)
    builtin = models.BooleanField("内置", default=False)
    customised = models.BooleanField("已由管理员修改", default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "授权"
        verbose_name_plural = "授权"
        ordering = ["role", "user_id", "object_type"]
        constraints = [
            models.CheckConstraint(
                condition=(models.Q(role="") & models.Q(user__isnull=False))
                | (~models.Q(role="") & models.Q(user__isnull=True)),
                name="grant_role_xor_user",
                violation_error_message="授权须指定角色或用户之一",
            ),
        ]

    def __str__(self):
        who = self.get_role_display() if self.role else f"用户 {self.user}"
        return f"{who}：{self.object_type} {'/'.join(self.actions)}"


declare_unscoped(Grant, "access configuration, edited by admins only (grant.change)")
