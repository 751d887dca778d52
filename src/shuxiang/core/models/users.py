from django.contrib.auth.models import AbstractUser, UserManager
from django.db import models

from shuxiang.core.choices import Role
from shuxiang.core.scope import ScopedQuerySet, scoped


class ScopedUserManager(UserManager.from_queryset(ScopedQuerySet)):
    pass


@scoped("place")
class User(AbstractUser):
    """A person or machine that signs in. What they see is their role over the subtree of their place."""

    role = models.CharField("角色", max_length=16, choices=Role.choices)
    place = models.ForeignKey(
        "core.Place",
        verbose_name="所属区划",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="users",
    )
    unit = models.ForeignKey(
        "core.Unit",
        verbose_name="所属单位",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="users",
    )
    display_name = models.CharField("姓名", max_length=50, blank=True)
    can_reveal_pii = models.BooleanField(
        "可查看完整敏感信息", default=False, help_text="查看完整身份证号、电话等，每次查看都记入审计日志"
    )

    objects = ScopedUserManager()

    class Meta:
        verbose_name = "用户"
        verbose_name_plural = "用户"
        ordering = ["username"]

    def __str__(self):
        return self.display_name or self.username

    @property
    def is_admin(self):
        return self.is_superuser or self.role == Role.ADMIN

    @property
    def is_district_level(self):
        return self.is_admin or self.role in (Role.DISTRICT, Role.DEPARTMENT)
