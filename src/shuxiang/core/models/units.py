from django.db import models

from shuxiang.core.choices import UnitKind
from shuxiang.core.scope import ScopedQuerySet, scoped


@scoped("place")
class Unit(models.Model):
    """An organisation that is given work: a bureau, a township government, a village
    committee, or a company (carrier, water utility) that a complaint can be routed to.

    `domains` names the modules a bureau is responsible for across the district
    (e.g. ["cases", "monitoring"]); department users of the unit act there.
    """

    name = models.CharField("名称", max_length=100)
    short_name = models.CharField("简称", max_length=50, blank=True)
    kind = models.CharField("类型", max_length=20, choices=UnitKind.choices)
    place = models.ForeignKey(
        "core.Place", verbose_name="所在区划", on_delete=models.PROTECT, related_name="units"
    )
    code = models.CharField("机构代码", max_length=18, blank=True, help_text="统一社会信用代码（可空）")
    domains = models.JSONField("负责领域", default=list, blank=True)
    phone = models.CharField("办公电话", max_length=20, blank=True)
    is_active = models.BooleanField("启用", default=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = "单位"
        verbose_name_plural = "单位"
        ordering = ["place__code", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["place", "name"],
                name="unit_name_unique_in_place",
                violation_error_message="同一区划下单位名称重复",
            )
        ]

    def __str__(self):
        return self.name
