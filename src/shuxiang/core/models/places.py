from django.db import models
from django.db.models import Q

from shuxiang.core.choices import PlaceKind, PlaceLevel
from shuxiang.core.scope import ScopedQuerySet, scoped


class PlaceQuerySet(ScopedQuerySet):
    def current(self, on=None):
        """Places in use on `on` (default today): no end date, or one not yet passed. A retired place
        keeps its row — old records still point at it — but leaves pick lists, counts and maps."""
        from django.utils import timezone

        on = on or timezone.localdate()
        return self.filter(Q(valid_to__isnull=True) | Q(valid_to__gte=on))

    def township_choices(self) -> list[tuple[str, str]]:
        """(code, name) of the current townships in these rows, by code: a 乡镇 pick list."""
        return list(
            self.current().filter(level=PlaceLevel.TOWNSHIP).order_by("code").values_list("code", "name")
        )


@scoped("")
class Place(models.Model):
    """A node of the county's division tree: district → township → village → hamlet.

    Districts, townships and villages carry their 12-digit statistical division
    code; hamlets (村民小组) the village code plus a 2-digit group number, as the
    land registry writes a contract issuer. `path` is the chain of codes from
    the root: the region scope of the whole platform is `path__startswith`. The
    parent is the administrative relation, which may differ from the code's
    statistical county (谢林港镇 is coded under 430972 but belongs to 赫山区).
    """

    code = models.CharField("区划代码", max_length=14, unique=True)
    name = models.CharField("名称", max_length=100)
    level = models.PositiveSmallIntegerField("层级", choices=PlaceLevel.choices)
    kind = models.CharField("类型", max_length=16, choices=PlaceKind.choices)
    parent = models.ForeignKey(
        "self", verbose_name="上级", null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    path = models.CharField(max_length=200, editable=False, db_index=True)
    valid_from = models.DateField("启用日期", null=True, blank=True)
    valid_to = models.DateField("停用日期", null=True, blank=True)
    geometry = models.JSONField("范围(GeoJSON)", null=True, blank=True)
    latitude = models.FloatField("纬度", null=True, blank=True)
    longitude = models.FloatField("经度", null=True, blank=True)
    synthetic = models.BooleanField("合成数据", default=False, help_text="演示用的虚构村组，非官方名录")

    objects = PlaceQuerySet.as_manager()

    class Meta:
        verbose_name = "区划"
        verbose_name_plural = "区划"
        ordering = ["code"]
        constraints = [
            models.CheckConstraint(
                condition=Q(level=1, parent__isnull=True) | Q(level__gt=1, parent__isnull=False),
                name="place_root_is_district",
                violation_error_message="只有区县没有上级",
            ),
        ]

    def __str__(self):
        return self.name

    @property
    def is_current(self):
        from django.utils import timezone

        today = timezone.localdate()
        return (self.valid_from is None or self.valid_from <= today) and (
            self.valid_to is None or self.valid_to >= today
        )

    def ancestors(self):
        """Ancestors from the root down, from the codes in the path (one query)."""
        codes = [c for c in self.path.split("/") if c][:-1]
        by_code = {p.code: p for p in Place.objects.filter(code__in=codes)}
        return [by_code[c] for c in codes if c in by_code]

    def compute_path(self) -> str:
        prefix = self.parent.path if self.parent_id else "/"
        return f"{prefix}{self.code}/"

    @property
    def township(self):
        """The level-2 ancestor (or self), used for statistics grouped by township."""
        if self.level < PlaceLevel.TOWNSHIP:
            return None
        codes = [c for c in self.path.split("/") if c]
        return Place.objects.filter(code=codes[1]).first()
