"""Farmland layers (耕地, 永久基本农田, 高标准农田), what is planted on them each season, what field
inspectors find, and the rice fields and seedling factory of the district's rice platform."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse

from shuxiang.core.scope import ScopedQuerySet, declare_unscoped, scoped
from shuxiang.farmland.choices import (
    AdvisoryStatus,
    BatchStatus,
    Crop,
    FacilityKind,
    FacilityStatus,
    FindingStatus,
    FindingType,
    Kind,
    LandUse,
    PlantingSource,
    RiceInputKind,
    RiceType,
    RuleCondition,
    Transplant,
    mu,
    season_label,
)


@scoped("place")
class Project(models.Model):
    """A high-standard farmland construction project (高标准农田建设项目): the polygons it built carry it."""

    code = models.CharField("项目编号", max_length=40, unique=True)
    name = models.CharField("项目名称", max_length=100)
    year = models.PositiveSmallIntegerField("建设年度")
    place = models.ForeignKey(
        "core.Place", verbose_name="项目区（乡镇）", on_delete=models.PROTECT, related_name="+"
    )
    investment = models.DecimalField("总投资（万元）", max_digits=10, decimal_places=2)
    planned_area_mu = models.DecimalField("建设面积（亩）", max_digits=10, decimal_places=1)
    facilities = models.TextField("主要建设内容（泵站、渠道、机耕路、监测设施）", blank=True)
    builder = models.CharField("建设单位", max_length=100, blank=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = "高标准农田建设项目"
        verbose_name_plural = "高标准农田建设项目"
        ordering = ["-year", "code"]
        constraints = [
            models.CheckConstraint(
                condition=Q(investment__gte=0) & Q(planned_area_mu__gt=0),
                name="farmland_project_figures_positive",
                violation_error_message="投资不能为负，建设面积应大于0",
            )
        ]

    def __str__(self):
        return self.name


@scoped("place")
class Facility(models.Model):
    """A facility a high-standard farmland project built (泵站、渠道、机耕路、涵闸、监测设施), kept for
    operation and maintenance (建后管护): damage reported on a phone opens a case for the township; a
    field sensor is an iot device whose readings go through the engine's rules."""

    project = models.ForeignKey(
        Project, verbose_name="建设项目", on_delete=models.PROTECT, related_name="facility_set"
    )
    code = models.CharField("设施编号", max_length=40, unique=True)
    kind = models.CharField("设施类型", max_length=10, choices=FacilityKind.choices)
    name = models.CharField("名称", max_length=60)
    place = models.ForeignKey("core.Place", verbose_name="所在村", on_delete=models.PROTECT, related_name="+")
    latitude = models.FloatField("纬度")
    longitude = models.FloatField("经度")
    size = models.CharField("规模（长度、功率等）", max_length=60, blank=True)
    caretaker = models.CharField("管护责任人/单位", max_length=60, blank=True)
    status = models.CharField(
        "状态", max_length=10, choices=FacilityStatus.choices, default=FacilityStatus.NORMAL
    )
    case = models.ForeignKey(
        "cases.Case",
        verbose_name="当前报修工单",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    repairs = models.PositiveIntegerField("累计报修次数", default=0)
    device = models.OneToOneField(
        "iot.Device",
        verbose_name="监测设备",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = "高标准农田设施"
        verbose_name_plural = "高标准农田设施"
        ordering = ["project", "code"]

    def __str__(self):
        return f"{self.name}（{self.code}）"

    def get_absolute_url(self):
        return reverse("farmland:facility_detail", args=[self.pk])


@scoped("place")
class Parcel(models.Model):
    """One polygon of a farmland layer of one village, with its own code and area.

    Its geometry is CGCS2000 longitude/latitude GeoJSON (core.geometry), its area the ellipsoidal
    area computed from that shape. A re-import that changes it keeps the previous state as a
    ParcelVersion; a polygon dropped by `--replace` is retired (kept, with its history), not deleted.
    """

    code = models.CharField("图斑编号", max_length=40)
    kind = models.CharField("图层", max_length=16, choices=Kind.choices)
    place = models.ForeignKey("core.Place", verbose_name="所在村", on_delete=models.PROTECT, related_name="+")
    land_class = models.CharField("地类", max_length=20, blank=True)
    project = models.ForeignKey(
        Project,
        verbose_name="建设项目",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="parcels",
    )
    geometry = models.JSONField("图形（CGCS2000 GeoJSON）")
    area_m2 = models.FloatField("面积（m²）")
    min_lon = models.FloatField()
    min_lat = models.FloatField()
    max_lon = models.FloatField()
    max_lat = models.FloatField()
    properties = models.JSONField("原始属性", default=dict, blank=True)
    version = models.PositiveIntegerField("版本", default=1)
    source = models.CharField("来源文件", max_length=200, blank=True)
    crs = models.CharField("原坐标系", max_length=120, blank=True)
    changed_at = models.DateTimeField("更新时间")
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="更新人",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    changed_by_label = models.CharField("更新人", max_length=100, blank=True)
    retired_at = models.DateTimeField("停用时间", null=True, blank=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = "农田图斑"
        verbose_name_plural = "农田图斑"
        ordering = ["kind", "code"]
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "code"],
                name="farmland_parcel_code_unique",
                violation_error_message="同一图层图斑编号重复",
            ),
            models.CheckConstraint(
                condition=Q(area_m2__gt=0),
                name="farmland_parcel_area_positive",
                violation_error_message="面积应大于0",
            ),
        ]
        indexes = [models.Index(fields=["kind", "place"], name="farmland_parcel_layer")]

    def __str__(self):
        return f"{self.get_kind_display()} {self.code}"

    def get_absolute_url(self):
        return reverse("farmland:parcel_detail", args=[self.pk])

    @property
    def area_mu(self) -> float:
        return mu(self.area_m2)


@scoped("parcel__place")
class ParcelVersion(models.Model):
    """A parcel as it was before a re-import changed or retired it: what changed, when, by whom."""

    parcel = models.ForeignKey(Parcel, on_delete=models.CASCADE, related_name="versions")
    version = models.PositiveIntegerField("版本")
    geometry = models.JSONField("图形")
    area_m2 = models.FloatField("面积（m²）")
    land_class = models.CharField("地类", max_length=20, blank=True)
    properties = models.JSONField("原始属性", default=dict, blank=True)
    source = models.CharField("来源文件", max_length=200, blank=True)
    valid_from = models.DateTimeField("生效时间")
    valid_to = models.DateTimeField("被替换时间")
    replaced_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    replaced_by_label = models.CharField("替换人", max_length=100, blank=True)
    change = models.CharField("变化", max_length=300)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = "图斑历史版本"
        verbose_name_plural = "图斑历史版本"
        ordering = ["parcel", "-version"]
        constraints = [models.UniqueConstraint(fields=["parcel", "version"], name="farmland_version_unique")]

    def __str__(self):
        return f"{self.parcel} 第{self.version}版"

    @property
    def area_mu(self) -> float:
        return mu(self.area_m2)


@scoped("place")
class LayerImport(models.Model):
    """One accepted import of a layer file: how many polygons it added, changed, retired; who ran it."""

    kind = models.CharField("图层", max_length=16, choices=Kind.choices)
    place = models.ForeignKey(
        "core.Place", verbose_name="范围（村，或全区）", on_delete=models.PROTECT, related_name="+"
    )
    file_name = models.CharField("文件", max_length=200)
    crs = models.CharField("原坐标系", max_length=120)
    replace = models.BooleanField("整层替换", default=False)
    added = models.PositiveIntegerField("新增", default=0)
    changed = models.PositiveIntegerField("变更", default=0)
    unchanged = models.PositiveIntegerField("未变", default=0)
    retired = models.PositiveIntegerField("停用", default=0)
    imported_at = models.DateTimeField("导入时间")
    imported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    imported_by_label = models.CharField("导入人", max_length=100)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = "图层导入记录"
        verbose_name_plural = "图层导入记录"
        ordering = ["-imported_at"]

    def __str__(self):
        return f"{self.get_kind_display()} {self.file_name}"


@scoped("parcel__place")
class Planting(models.Model):
    """What was planted on a farmland polygon in a season: crop, variety, area and grower."""

    parcel = models.ForeignKey(
        Parcel, verbose_name="图斑", on_delete=models.PROTECT, related_name="plantings"
    )
    season = models.CharField("季节", max_length=12, db_index=True)
    crop = models.CharField("作物", max_length=16, choices=Crop.choices)
    variety = models.CharField("品种", max_length=60, blank=True)
    area_m2 = models.FloatField("种植面积（m²）")
    grower = models.ForeignKey(
        "core.Person",
        verbose_name="种植户",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    grower_name = models.CharField("种植户/经营主体", max_length=100, blank=True)
    source = models.CharField("来源", max_length=12, choices=PlantingSource.choices)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    submission_key = models.CharField(max_length=64, null=True, blank=True, unique=True)
    created_at = models.DateTimeField("登记时间", auto_now_add=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = "种植记录"
        verbose_name_plural = "种植记录"
        ordering = ["-season", "parcel"]
        constraints = [
            models.CheckConstraint(
                condition=Q(area_m2__gt=0),
                name="farmland_planting_area_positive",
                violation_error_message="面积应大于0",
            )
        ]

    def __str__(self):
        return f"{self.parcel.code} {season_label(self.season)} {self.get_crop_display()}"

    @property
    def area_mu(self) -> float:
        return mu(self.area_m2)

    @property
    def season_display(self) -> str:
        return season_label(self.season)


@scoped("parcel__place")
class PatrolReport(models.Model):
    """A field inspector's report from a polygon: where (inside it), what was found, a photo."""

    parcel = models.ForeignKey(Parcel, verbose_name="图斑", on_delete=models.PROTECT, related_name="patrols")
    season = models.CharField("季节", max_length=12)
    observed_use = models.CharField("现状", max_length=12, choices=LandUse.choices)
    latitude = models.FloatField("纬度")
    longitude = models.FloatField("经度")
    note = models.CharField("情况说明", max_length=500, blank=True)
    photo = models.ForeignKey(
        "core.Attachment",
        verbose_name="现场照片",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    reported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="巡查人",
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    submission_key = models.CharField(max_length=64, null=True, blank=True, unique=True)
    created_at = models.DateTimeField("巡查时间", auto_now_add=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = "耕地巡查记录"
        verbose_name_plural = "耕地巡查记录"
        ordering = ["-created_at"]

    def __str__(self):
        return f"{self.parcel.code} {self.get_observed_use_display()}"

    @property
    def season_display(self) -> str:
        return season_label(self.season)


class FindingRule(models.Model):
    """A monitoring rule kept as data: which layers, which crops or land uses, which seasons, how long
    the township has to rectify. The county's bureau changes the data, not the program."""

    code = models.CharField("规则编号", max_length=40, unique=True)
    name = models.CharField("名称", max_length=100)
    finding_type = models.CharField("类型", max_length=12, choices=FindingType.choices)
    condition = models.CharField("判定方式", max_length=20, choices=RuleCondition.choices)
    kinds = models.JSONField("适用图层", default=list)
    categories = models.JSONField("作物类别", default=list, blank=True)
    uses = models.JSONField("现状用途", default=list, blank=True)
    season_parts = models.JSONField("适用季节", default=list, blank=True)
    deadline_days = models.PositiveSmallIntegerField("整改期限（天）", default=30)
    is_active = models.BooleanField("启用", default=True)

    class Meta:
        verbose_name = "监测规则"
        verbose_name_plural = "监测规则"
        ordering = ["code"]

    def __str__(self):
        return self.name


declare_unscoped(FindingRule, "district-wide reference data shown on the findings page; no route of its own")


@scoped("parcel__place")
class Finding(models.Model):
    """A 非农化/非粮化 finding on one polygon in one season; the case it opened carries the handling."""

    parcel = models.ForeignKey(Parcel, verbose_name="图斑", on_delete=models.PROTECT, related_name="findings")
    rule = models.ForeignKey(FindingRule, verbose_name="规则", on_delete=models.PROTECT, related_name="+")
    season = models.CharField("季节", max_length=12)
    finding_type = models.CharField("类型", max_length=12, choices=FindingType.choices)
    planting = models.ForeignKey(Planting, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    patrol = models.ForeignKey(
        PatrolReport, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    description = models.CharField("问题描述", max_length=500)
    status = models.CharField(
        "状态", max_length=12, choices=FindingStatus.choices, default=FindingStatus.OPEN
    )
    deadline = models.DateField("整改期限")
    case = models.ForeignKey(
        "cases.Case",
        verbose_name="处置事件",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    rectified_at = models.DateTimeField("整改完成时间", null=True, blank=True)
    rectification = models.CharField("整改情况", max_length=500, blank=True)
    created_at = models.DateTimeField("发现时间", auto_now_add=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = "耕地保护问题"
        verbose_name_plural = "耕地保护问题"
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["parcel", "rule", "season"],
                name="farmland_finding_once",
                violation_error_message="同一图斑同一季节同一规则只记一个问题",
            )
        ]
        indexes = [models.Index(fields=["status", "deadline"], name="farmland_finding_queue")]

    def __str__(self):
        return f"{self.parcel.code} {self.get_finding_type_display()}"

    def get_absolute_url(self):
        return reverse("farmland:finding_detail", args=[self.pk])

    @property
    def on_time(self) -> bool | None:
        if self.rectified_at is None:
            return None
        from django.utils import timezone

        return timezone.localtime(self.rectified_at).date() <= self.deadline

    @property
    def season_display(self) -> str:
        return season_label(self.season)


class RiceVariety(models.Model):
    """A rice variety and its agronomic calendar: stages and tasks by days after sowing."""

    name = models.CharField("品种", max_length=40, unique=True)
    rice_type = models.CharField("类型", max_length=8, choices=RiceType.choices)
    growth_days = models.PositiveSmallIntegerField("全生育期（天）")
    stages = models.JSONField(
        "生育期（播后天数）", default=list
    )  # [["分蘖期", 35], …] start day of each stage
    tasks = models.JSONField("农事提醒（播后天数）", default=list)  # [[day, "施分蘖肥…"], …]
    # Degree-day calendar: rice develops with accumulated warmth above its base temperature, so a cool
    # season stretches the day calendar. Empty stages_gdd: the variety's stages follow the day count.
    base_temperature = models.FloatField("生物学下限温度（℃）", default=10.0)
    stages_gdd = models.JSONField(
        "生育期（播后有效积温 ℃·日）", default=list, blank=True
    )  # [["分蘖期", 420], …] effective degree-days from sowing at which each stage starts
    maturity_gdd = models.FloatField("成熟所需有效积温（℃·日）", null=True, blank=True)

    class Meta:
        verbose_name = "水稻品种"
        verbose_name_plural = "水稻品种"
        ordering = ["rice_type", "name"]

    def __str__(self):
        return self.name


declare_unscoped(RiceVariety, "district-wide reference data: varieties and their calendars")


@scoped("parcel__place")
class RiceSeason(models.Model):
    """A rice field in one season: variety, sowing and transplanting, the stage it is in, its yield."""

    parcel = models.ForeignKey(
        Parcel, verbose_name="田块", on_delete=models.PROTECT, related_name="rice_seasons"
    )
    season = models.CharField("季节", max_length=12, db_index=True)
    variety = models.ForeignKey(RiceVariety, verbose_name="品种", on_delete=models.PROTECT, related_name="+")
    area_m2 = models.FloatField("面积（m²）")
    grower_name = models.CharField("种植户/经营主体", max_length=100, blank=True)
    sowing_date = models.DateField("播种日期")
    transplant_date = models.DateField("移栽日期", null=True, blank=True)
    transplant = models.CharField("栽插方式", max_length=10, choices=Transplant.choices)
    stage_override = models.CharField("生育期（人工修正）", max_length=20, blank=True)
    yield_kg_per_mu = models.FloatField("亩产（kg）", null=True, blank=True)
    producer = models.ForeignKey(
        "trace.Producer",
        verbose_name="经营主体（已在追溯平台登记）",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="登记后，本田投入品记录取自追溯平台的投入品使用记录，不重复录入",
    )

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = "水稻田季记录"
        verbose_name_plural = "水稻田季记录"
        ordering = ["-season", "parcel"]
        constraints = [
            models.UniqueConstraint(fields=["parcel", "season"], name="farmland_rice_season_once"),
            models.CheckConstraint(
                condition=Q(transplant_date__isnull=True) | Q(transplant_date__gte=models.F("sowing_date")),
                name="farmland_rice_transplant_after_sowing",
                violation_error_message="移栽日期不能早于播种日期",
            ),
        ]

    def __str__(self):
        return f"{self.parcel.code} {season_label(self.season)} {self.variety.name}"

    def get_absolute_url(self):
        return reverse("farmland:rice_field", args=[self.pk])

    @property
    def area_mu(self) -> float:
        return mu(self.area_m2)

    @property
    def season_display(self) -> str:
        return season_label(self.season)


class DailyAirTemperature(models.Model):
    """The daily mean air temperature of a township — or of the whole county (the district's place) — from
    the weather stations' readings in iot (SL 651 element AI, 瞬时气温), one row per place and Beijing day.
    Rice stages accumulate degree-days from these rows; written by a daily task, idempotently."""

    place = models.ForeignKey(
        "core.Place", verbose_name="乡镇（或全区）", on_delete=models.CASCADE, related_name="+"
    )
    day = models.DateField("日期")
    mean = models.FloatField("日平均气温（℃）")
    stations = models.PositiveSmallIntegerField("站点数")
    station_names = models.CharField("站点", max_length=200)
    readings = models.PositiveIntegerField("读数条数")

    class Meta:
        verbose_name = "日平均气温"
        verbose_name_plural = "日平均气温"
        ordering = ["place", "day"]
        constraints = [models.UniqueConstraint(fields=["place", "day"], name="farmland_air_temperature_once")]

    def __str__(self):
        return f"{self.place_id} {self.day} {self.mean:.1f}℃"


declare_unscoped(
    DailyAirTemperature, "county weather derived from station readings; not sensitive, shown per field"
)


@scoped("place")
class RiceAdvisory(models.Model):
    """A stage weather advisory drafted automatically when the meteorological bureau's warning reaches the
    warnings engine: the rice hazard it means, its window, the villages whose rice is exposed then. The
    agriculture bureau issues it (through the warnings engine) or sets it aside."""

    source = models.OneToOneField(
        "warnings.Warning", verbose_name="气象预警", on_delete=models.PROTECT, related_name="+"
    )
    place = models.ForeignKey(
        "core.Place", verbose_name="覆盖范围", on_delete=models.PROTECT, related_name="+"
    )
    hazard = models.CharField("灾害", max_length=30)
    start = models.DateField("开始日期")
    days = models.PositiveSmallIntegerField("影响天数")
    colour = models.CharField("颜色", max_length=8)
    forecast = models.CharField("气象预警内容", max_length=500)
    villages = models.JSONField("受影响的村", default=list)  # [{"code", "name", "township", "area_mu"}, …]
    area_mu = models.FloatField("受影响面积（亩）")
    status = models.CharField(
        "状态", max_length=10, choices=AdvisoryStatus.choices, default=AdvisoryStatus.DRAFT
    )
    warning = models.ForeignKey(
        "warnings.Warning",
        verbose_name="已发布的提示",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    note = models.CharField("说明", max_length=200, blank=True)
    decided_by = models.CharField("处理人", max_length=100, blank=True)
    decided_at = models.DateTimeField("处理时间", null=True, blank=True)
    created_at = models.DateTimeField("起草时间", auto_now_add=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = "生育期气象提示草稿"
        verbose_name_plural = "生育期气象提示草稿"
        ordering = ["-created_at", "-pk"]

    def __str__(self):
        return f"{self.hazard_name} {self.start:%m-%d}起{self.days}天"

    @property
    def hazard_name(self) -> str:
        from shuxiang.farmland.rice_weather import HAZARDS

        found = HAZARDS.get(self.hazard)
        return found.name if found else self.hazard


@scoped("rice_season__parcel__place")
class RiceInput(models.Model):
    """Fertiliser or pesticide applied on a rice field, for growers not registered in traceability
    (a registered producer's inputs are its trace input-use events, shown on the same page)."""

    rice_season = models.ForeignKey(
        RiceSeason, verbose_name="水稻田季", on_delete=models.CASCADE, related_name="inputs"
    )
    kind = models.CharField("类别", max_length=12, choices=RiceInputKind.choices)
    name = models.CharField("投入品名称", max_length=100)
    dose = models.CharField("用量", max_length=50)
    applied_on = models.DateField("施用日期")
    interval_days = models.PositiveSmallIntegerField("安全间隔期（天）", null=True, blank=True)
    recorded_by = models.CharField("记录人", max_length=100)
    recorded_at = models.DateTimeField("记录时间", auto_now_add=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = "水稻投入品记录"
        verbose_name_plural = "水稻投入品记录"
        ordering = ["applied_on", "pk"]

    def __str__(self):
        return f"{self.applied_on} {self.name}"


class RiceReminder(models.Model):
    """A calendar reminder already sent for a rice season (so the daily run never sends it twice)."""

    rice_season = models.ForeignKey(RiceSeason, on_delete=models.CASCADE, related_name="reminders")
    day = models.PositiveSmallIntegerField()
    sent_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["rice_season", "day"], name="farmland_reminder_once")]

    def __str__(self):
        return f"{self.rice_season_id}:{self.day}"


declare_unscoped(RiceReminder, "bookkeeping of sent reminders, never listed")


@scoped("place")
class SeedlingFactory(models.Model):
    """An industrial rice-seedling factory (智能化育秧工厂) and its greenhouse sensor device in iot."""

    code = models.CharField("编号", max_length=20, unique=True)
    name = models.CharField("名称", max_length=60)
    place = models.ForeignKey("core.Place", verbose_name="所在村", on_delete=models.PROTECT, related_name="+")
    capacity_trays = models.PositiveIntegerField("每季育秧能力（盘）")
    device = models.OneToOneField(
        "iot.Device",
        verbose_name="大棚环境监测",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = "育秧工厂"
        verbose_name_plural = "育秧工厂"
        ordering = ["code"]

    def __str__(self):
        return self.name


@scoped("factory__place")
class SeedlingBatch(models.Model):
    """A batch of seedling trays: variety, sowing, target transplant date, quality, delivery to fields."""

    code = models.CharField("批次号", max_length=30, unique=True)
    factory = models.ForeignKey(
        SeedlingFactory, verbose_name="育秧工厂", on_delete=models.PROTECT, related_name="batches"
    )
    variety = models.ForeignKey(RiceVariety, verbose_name="品种", on_delete=models.PROTECT, related_name="+")
    trays = models.PositiveIntegerField("秧盘数")
    sowing_date = models.DateField("播种日期")
    target_transplant_date = models.DateField("计划移栽日期")
    status = models.CharField("状态", max_length=10, choices=BatchStatus.choices, default=BatchStatus.SOWN)
    germination_rate = models.FloatField("成秧率（%）", null=True, blank=True)
    quality_note = models.CharField("质检说明", max_length=200, blank=True)
    delivered_trays = models.PositiveIntegerField("已交付（盘）", default=0)
    delivered_on = models.DateField("交付日期", null=True, blank=True)
    customer = models.CharField("订购方", max_length=100, blank=True)
    customer_parcels = models.ManyToManyField(Parcel, verbose_name="供秧田块", blank=True, related_name="+")

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = "育秧批次"
        verbose_name_plural = "育秧批次"
        ordering = ["-sowing_date", "code"]
        constraints = [
            models.CheckConstraint(
                condition=Q(trays__gt=0) & Q(delivered_trays__lte=models.F("trays")),
                name="farmland_batch_trays",
                violation_error_message="秧盘数应大于0，交付数不能超过秧盘数",
            ),
            models.CheckConstraint(
                condition=Q(target_transplant_date__gt=models.F("sowing_date")),
                name="farmland_batch_dates",
                violation_error_message="计划移栽日期应晚于播种日期",
            ),
        ]

    def __str__(self):
        return self.code
