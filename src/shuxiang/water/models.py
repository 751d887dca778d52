"""Small reservoirs and irrigation pump stations. Their telemetry lives in iot (one device each)."""

from datetime import date, timedelta

from django.db import models
from django.db.models import Q
from django.utils import timezone

from shuxiang.core.scope import ScopedQuerySet, scoped
from shuxiang.water.choices import NEAR_MARGIN_M, DamType, LevelStatus, Scale


@scoped("place")
class Reservoir(models.Model):
    """A small reservoir (小型水库) the district must watch through the flood season.

    The three levels that matter are elevations in metres: the flood-limit level
    (汛限水位) it must be drawn down to in the flood season, the normal level
    (正常蓄水位) and the dam crest (坝顶高程). Its RTU reports the water level Z.
    `downstream` are the villages to warn when it is in danger.
    """

    code = models.CharField("水库编码", max_length=20, unique=True)
    name = models.CharField("名称", max_length=60)
    place = models.ForeignKey("core.Place", verbose_name="所在村", on_delete=models.PROTECT, related_name="+")
    scale = models.CharField("规模", max_length=8, choices=Scale.choices)
    dam_type = models.CharField("坝型", max_length=10, choices=DamType.choices)
    capacity = models.FloatField("总库容（万m³）")
    normal_level = models.FloatField("正常蓄水位（m）")
    flood_limit_level = models.FloatField("汛限水位（m）")
    crest_elevation = models.FloatField("坝顶高程（m）")
    responsible = models.ForeignKey(
        "core.Person",
        verbose_name="安全责任人",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    owner_unit = models.ForeignKey(
        "core.Unit",
        verbose_name="主管单位",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    device = models.OneToOneField(
        "iot.Device",
        verbose_name="遥测站",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="reservoir",
    )
    downstream = models.ManyToManyField("core.Place", verbose_name="下游村组", blank=True, related_name="+")
    latitude = models.FloatField("纬度", null=True, blank=True)
    longitude = models.FloatField("经度", null=True, blank=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = "小型水库"
        verbose_name_plural = "小型水库"
        ordering = ["code"]
        constraints = [
            models.CheckConstraint(
                condition=Q(flood_limit_level__lte=models.F("normal_level"))
                & Q(normal_level__lt=models.F("crest_elevation")),
                name="water_reservoir_levels_ordered",
                violation_error_message="应满足：汛限水位 ≤ 正常蓄水位 < 坝顶高程",
            ),
            models.CheckConstraint(
                condition=Q(capacity__gt=0),
                name="water_reservoir_capacity_positive",
                violation_error_message="库容应大于0",
            ),
        ]

    def __str__(self):
        return self.name

    def level_status(self, level) -> str:
        if level is None:
            return LevelStatus.UNKNOWN
        if level >= self.crest_elevation - NEAR_MARGIN_M:
            return LevelStatus.DANGER
        if level > self.flood_limit_level:
            return LevelStatus.OVER
        if level > self.flood_limit_level - NEAR_MARGIN_M:
            return LevelStatus.NEAR
        return LevelStatus.NORMAL


@scoped("place")
class PumpStation(models.Model):
    """An irrigation/drainage pump station (排灌泵站) and what its maintenance plan says.

    Telemetry keys of its device: I (total current, A), VIB (vibration, mm/s),
    RH (cumulative running hours), RUN (pumps running). The health score and
    maintenance due date are derived from them (see `health`).
    """

    code = models.CharField("泵站编码", max_length=20, unique=True)
    name = models.CharField("名称", max_length=60)
    place = models.ForeignKey("core.Place", verbose_name="所在村", on_delete=models.PROTECT, related_name="+")
    pump_count = models.PositiveSmallIntegerField("机组台数")
    rated_power_kw = models.FloatField("总装机功率（kW）")
    rated_current_a = models.FloatField("额定总电流（A）")
    installed_year = models.PositiveSmallIntegerField("建成年份")
    owner_unit = models.ForeignKey(
        "core.Unit",
        verbose_name="管理单位",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    device = models.OneToOneField(
        "iot.Device",
        verbose_name="监测终端",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="pump_station",
    )
    last_maintenance_on = models.DateField("上次维护日期")
    hours_at_maintenance = models.FloatField("维护时累计运行小时", default=0)
    maintenance_interval_days = models.PositiveIntegerField("维护周期（天）", default=180)
    maintenance_interval_hours = models.PositiveIntegerField("维护周期（运行小时）", default=1500)
    latitude = models.FloatField("纬度", null=True, blank=True)
    longitude = models.FloatField("经度", null=True, blank=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = "泵站"
        verbose_name_plural = "泵站"
        ordering = ["code"]
        constraints = [
            models.CheckConstraint(
                condition=Q(pump_count__gte=1) & Q(rated_power_kw__gt=0) & Q(rated_current_a__gt=0),
                name="water_pump_ratings_positive",
                violation_error_message="机组台数、功率和电流应大于0",
            )
        ]

    def __str__(self):
        return self.name

    @property
    def maintenance_due_on(self) -> date:
        return self.last_maintenance_on + timedelta(days=self.maintenance_interval_days)

    def is_maintenance_due(self, running_hours=None, today=None) -> bool:
        today = today or timezone.localdate()
        if today >= self.maintenance_due_on:
            return True
        return running_hours is not None and (
            running_hours - self.hours_at_maintenance >= self.maintenance_interval_hours
        )
