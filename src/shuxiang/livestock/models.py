"""Livestock farms and their pens, fish ponds, cold stores, disease reports.

Every place of production is owned by a producer of traceability's registry (trace.Producer: one
registry of business entities) and sits on the place tree (its village). Sensors, feeders and
thermometers are iot devices: the models hold a link to the device, iot holds the readings and rules.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse

from shuxiang.core.scope import ScopedQuerySet, declare_unscoped, scoped
from shuxiang.livestock.choices import (
    AnimalSpecies,
    ColdClass,
    DiseaseStage,
    EntryKind,
    FarmKind,
    ManureKind,
    ManureType,
    PondRecordKind,
    Species,
    Stage,
)


@scoped("place")
class Farm(models.Model):
    """A farm (养殖场): a pig farm with pens, or a fish farm with ponds.

    `licence_no` is the 动物防疫条件合格证 a pig farm must hold; the manure fields describe its 粪污
    facility (type, storage capacity, how the output is used). `baseline_daily_deaths` is what the
    farm loses on an ordinary day, against which a mortality clue is raised.
    """

    code = models.CharField("养殖场编码", max_length=20, unique=True)
    name = models.CharField("名称", max_length=100)
    kind = models.CharField("类型", max_length=8, choices=FarmKind.choices)
    producer = models.ForeignKey(
        "trace.Producer", verbose_name="经营主体", on_delete=models.PROTECT, related_name="farms"
    )
    place = models.ForeignKey("core.Place", verbose_name="所在村", on_delete=models.PROTECT, related_name="+")
    licence_no = models.CharField("动物防疫条件合格证号", max_length=40, blank=True)
    design_capacity = models.PositiveIntegerField("设计规模（头/尾）", default=0)
    manure_type = models.CharField(
        "粪污处理方式", max_length=10, choices=ManureType.choices, default=ManureType.NONE
    )
    manure_capacity_m3 = models.FloatField("粪污贮存容积（m³）", default=0)
    manure_use = models.CharField("资源化利用", max_length=100, blank=True)
    baseline_daily_deaths = models.FloatField("日常日均死亡（头）", default=0.5)
    lagoon = models.OneToOneField(
        "iot.Device",
        verbose_name="粪污池液位计",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="farm_lagoon",
        help_text="报 LV（液位 %）；清运记录写入 CLEAN，超期未清运由无数据规则告警",
    )
    base = models.OneToOneField(
        "trace.Base",
        verbose_name="追溯基地",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="farm",
        help_text="养殖场在追溯系统中的基地；池塘是它的地块（产地）",
    )
    latitude = models.FloatField("纬度", null=True, blank=True)
    longitude = models.FloatField("经度", null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = "养殖场"
        verbose_name_plural = "养殖场"
        ordering = ["code"]
        constraints = [
            models.CheckConstraint(
                condition=Q(manure_capacity_m3__gte=0) & Q(baseline_daily_deaths__gte=0),
                name="livestock_farm_figures_not_negative",
                violation_error_message="粪污容积和日常死亡数不能为负",
            )
        ]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("livestock:farm_detail", args=[self.pk])

    @property
    def has_manure_facility(self) -> bool:
        return self.manure_type != ManureType.NONE and self.manure_capacity_m3 > 0


@scoped("farm__place")
class Pen(models.Model):
    """A barn or pen (栏舍) of a pig farm, housing one stage. `head_count` is kept by the entries only
    (births, purchases, moves, sales, deaths); its feeder reports feed delivered (key FEED, kg) and its
    environment controller, if any, temperature and gases."""

    farm = models.ForeignKey(Farm, verbose_name="养殖场", on_delete=models.CASCADE, related_name="pens")
    code = models.CharField("栏舍编号", max_length=20)
    stage = models.CharField("阶段", max_length=10, choices=Stage.choices)
    capacity = models.PositiveIntegerField("容量（头）")
    head_count = models.PositiveIntegerField("存栏（头）", default=0)
    feeder = models.OneToOneField(
        "iot.Device",
        verbose_name="饲喂器",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="pen_fed",
    )
    environment = models.OneToOneField(
        "iot.Device",
        verbose_name="环境监测",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="pen_watched",
    )

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = "栏舍"
        verbose_name_plural = "栏舍"
        ordering = ["farm", "code"]
        constraints = [
            models.UniqueConstraint(
                fields=["farm", "code"],
                name="livestock_pen_code_unique",
                violation_error_message="该养殖场已有此栏舍编号",
            ),
            models.CheckConstraint(
                condition=Q(capacity__gt=0),
                name="livestock_pen_capacity_positive",
                violation_error_message="容量应大于0",
            ),
        ]

    def __str__(self):
        return f"{self.farm.name} {self.code}"


@scoped("pen__farm__place")
class HerdEntry(models.Model):
    """One change of a pen's head count, as recorded on a phone or by API. `delta` is signed (a sale is
    negative) so the head count at any past moment is the current one minus later deltas."""

    pen = models.ForeignKey(Pen, verbose_name="栏舍", on_delete=models.CASCADE, related_name="entries")
    kind = models.CharField("类型", max_length=10, choices=EntryKind.choices)
    count = models.PositiveIntegerField("头数")
    delta = models.IntegerField("存栏变化")
    head_count_after = models.PositiveIntegerField("变动后存栏")
    other_pen = models.ForeignKey(
        Pen, verbose_name="对方栏舍", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    weight_kg = models.FloatField("总重（kg）", null=True, blank=True)
    occurred_at = models.DateTimeField("发生时间")
    note = models.CharField("备注", max_length=200, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    submission_key = models.CharField("提交编号", max_length=64, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = "存栏变动"
        verbose_name_plural = "存栏变动"
        ordering = ["-occurred_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(count__gt=0),
                name="livestock_entry_count_positive",
                violation_error_message="头数应大于0",
            ),
        ]
        indexes = [models.Index(fields=["pen", "-occurred_at"], name="livestock_entry_pen_idx")]

    def __str__(self):
        return f"{self.pen} {self.get_kind_display()} {self.count}"


@scoped("farm__place")
class ManureRecord(models.Model):
    """A cleaning of the farm's manure storage or a transport of manure to where it is used (还田、
    有机肥厂). Each record is also a CLEAN reading on the lagoon device, so "no cleaning for N days" is
    an ordinary no-data rule of the iot engine."""

    farm = models.ForeignKey(
        Farm, verbose_name="养殖场", on_delete=models.CASCADE, related_name="manure_records"
    )
    kind = models.CharField("类型", max_length=10, choices=ManureKind.choices)
    volume_m3 = models.FloatField("数量（m³）")
    destination = models.CharField("去向", max_length=100, blank=True)
    occurred_at = models.DateTimeField("时间")
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = "粪污清运记录"
        verbose_name_plural = "粪污清运记录"
        ordering = ["-occurred_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(volume_m3__gt=0),
                name="livestock_manure_volume_positive",
                violation_error_message="数量应大于0",
            )
        ]

    def __str__(self):
        return f"{self.farm} {self.get_kind_display()} {self.volume_m3:g} m³"


@scoped("place")
class Pond(models.Model):
    """A fish pond (池塘) of a fish farm: species, water area, stocking. Its water-quality station
    reports DO (dissolved oxygen, mg/L), WT (water temperature), PH and AER (aerators running); DOF is
    the projected dawn minimum of DO written by the night-oxygen forecast."""

    farm = models.ForeignKey(Farm, verbose_name="养殖场", on_delete=models.CASCADE, related_name="ponds")
    code = models.CharField("池塘编号", max_length=20, unique=True)
    name = models.CharField("名称", max_length=60)
    place = models.ForeignKey("core.Place", verbose_name="所在村", on_delete=models.PROTECT, related_name="+")
    species = models.CharField("主养品种", max_length=16, choices=Species.choices)
    area_mu = models.FloatField("水面（亩）")
    stocked = models.PositiveIntegerField("在塘数量（尾）", default=0)
    plot = models.OneToOneField(
        "trace.Plot",
        verbose_name="追溯产地",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="pond",
        help_text="捕捞批次的产地：其追溯页面显示池塘水质",
    )
    device = models.OneToOneField(
        "iot.Device",
        verbose_name="水质监测站",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="pond",
    )
    latitude = models.FloatField("纬度", null=True, blank=True)
    longitude = models.FloatField("经度", null=True, blank=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = "养殖池塘"
        verbose_name_plural = "养殖池塘"
        ordering = ["code"]
        constraints = [
            models.CheckConstraint(
                condition=Q(area_mu__gt=0),
                name="livestock_pond_area_positive",
                violation_error_message="水面应大于0",
            )
        ]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("fishery:pond_detail", args=[self.pk])


@scoped("pond__place")
class PondRecord(models.Model):
    """Stocking, feeding or harvest of a pond (尾数 for stocking and harvest, kg for feed and catch)."""

    pond = models.ForeignKey(Pond, verbose_name="池塘", on_delete=models.CASCADE, related_name="records")
    kind = models.CharField("类型", max_length=10, choices=PondRecordKind.choices)
    on = models.DateField("日期")
    count = models.PositiveIntegerField("数量（尾）", default=0)
    weight_kg = models.FloatField("重量（kg）", default=0)
    note = models.CharField("备注", max_length=200, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = "池塘生产记录"
        verbose_name_plural = "池塘生产记录"
        ordering = ["-on", "-pk"]

    def __str__(self):
        return f"{self.pond} {self.get_kind_display()} {self.on}"


@scoped("place")
class ColdStore(models.Model):
    """A cold store (冷库) of a producer: capacity, temperature class, what it holds now. Its logger
    reports T (°C); an excursion above the class limit for the class's minutes is an alarm and a
    compliance record (ColdExcursion) for the lots stored in it at the time."""

    code = models.CharField("冷库编码", max_length=20, unique=True)
    name = models.CharField("名称", max_length=100)
    producer = models.ForeignKey(
        "trace.Producer", verbose_name="经营主体", on_delete=models.PROTECT, related_name="cold_stores"
    )
    place = models.ForeignKey("core.Place", verbose_name="所在村", on_delete=models.PROTECT, related_name="+")
    temp_class = models.CharField("温区", max_length=10, choices=ColdClass.choices)
    capacity_t = models.FloatField("库容（吨）")
    occupied_t = models.FloatField("在库（吨）", default=0)
    device = models.OneToOneField(
        "iot.Device",
        verbose_name="温度记录仪",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="cold_store",
    )
    latitude = models.FloatField("纬度", null=True, blank=True)
    longitude = models.FloatField("经度", null=True, blank=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = "冷库"
        verbose_name_plural = "冷库"
        ordering = ["code"]
        constraints = [
            models.CheckConstraint(
                condition=Q(capacity_t__gt=0)
                & Q(occupied_t__gte=0)
                & Q(occupied_t__lte=models.F("capacity_t")),
                name="livestock_coldstore_occupancy_within_capacity",
                violation_error_message="在库量应在0与库容之间",
            )
        ]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("coldchain:store_detail", args=[self.pk])

    @property
    def occupancy_percent(self) -> float:
        return round(self.occupied_t / self.capacity_t * 100, 1) if self.capacity_t else 0.0


@scoped("store__place")
class StoredLot(models.Model):
    """A traceability lot in a cold store, from `stored_at` until `removed_at` (still there if empty)."""

    store = models.ForeignKey(ColdStore, verbose_name="冷库", on_delete=models.CASCADE, related_name="lots")
    lot = models.ForeignKey(
        "trace.Lot", verbose_name="批次", on_delete=models.PROTECT, related_name="cold_stays"
    )
    quantity_t = models.FloatField("数量（吨）")
    stored_at = models.DateTimeField("入库时间")
    removed_at = models.DateTimeField("出库时间", null=True, blank=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = "在库批次"
        verbose_name_plural = "在库批次"
        ordering = ["-stored_at"]

    def __str__(self):
        return f"{self.store} {self.lot}"


@scoped("store__place")
class ColdExcursion(models.Model):
    """A temperature excursion of a cold store (an iot alarm on its logger), and the lots it touched:
    the compliance record traceability shows on those lots' pages."""

    store = models.ForeignKey(
        ColdStore, verbose_name="冷库", on_delete=models.CASCADE, related_name="excursions"
    )
    alarm = models.OneToOneField("iot.Alarm", verbose_name="告警", on_delete=models.PROTECT, related_name="+")
    started_at = models.DateTimeField("开始时间")
    ended_at = models.DateTimeField("结束时间", null=True, blank=True)
    limit = models.FloatField("温度上限（℃）")
    peak = models.FloatField("最高温度（℃）")
    lots = models.ManyToManyField(
        "trace.Lot", verbose_name="涉及批次", blank=True, related_name="cold_excursions"
    )

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = "冷链温度超标记录"
        verbose_name_plural = "冷链温度超标记录"
        ordering = ["-started_at"]

    def __str__(self):
        return f"{self.store} {self.started_at:%Y-%m-%d %H:%M}"


@scoped("place")
class ColdVehicle(models.Model):
    """A refrigerated vehicle (冷藏车) of a producer: its JT/T 808 terminal reports the position and the
    cargo-box temperature (`cargo_temp`, a vendor additional item); an excursion above the class
    limit for the class's minutes is an alarm and a compliance record (VehicleExcursion) for the lots
    on board at the time."""

    plate = models.CharField("车牌号", max_length=16, unique=True)
    name = models.CharField("名称", max_length=100)
    producer = models.ForeignKey(
        "trace.Producer", verbose_name="经营主体", on_delete=models.PROTECT, related_name="cold_vehicles"
    )
    place = models.ForeignKey("core.Place", verbose_name="所属村", on_delete=models.PROTECT, related_name="+")
    temp_class = models.CharField("温区", max_length=10, choices=ColdClass.choices)
    capacity_t = models.FloatField("载重（吨）")
    device = models.OneToOneField(
        "iot.Device",
        verbose_name="车载终端（JT/T 808）",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="cold_vehicle",
    )

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = "冷藏车"
        verbose_name_plural = "冷藏车"
        ordering = ["plate"]
        constraints = [
            models.CheckConstraint(
                condition=Q(capacity_t__gt=0), name="livestock_coldvehicle_capacity_positive"
            )
        ]

    def __str__(self):
        return f"{self.plate} {self.name}"

    def get_absolute_url(self):
        return reverse("coldchain:vehicle_detail", args=[self.pk])


@scoped("vehicle__place")
class VehicleLoad(models.Model):
    """A traceability lot carried by a refrigerated vehicle, from loading until unloading."""

    vehicle = models.ForeignKey(
        ColdVehicle, verbose_name="冷藏车", on_delete=models.CASCADE, related_name="loads"
    )
    lot = models.ForeignKey(
        "trace.Lot", verbose_name="批次", on_delete=models.PROTECT, related_name="cold_trips"
    )
    quantity_t = models.FloatField("数量（吨）")
    destination = models.CharField("目的地", max_length=100, blank=True)
    loaded_at = models.DateTimeField("装车时间")
    unloaded_at = models.DateTimeField("卸车时间", null=True, blank=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = "冷藏车装载批次"
        verbose_name_plural = "冷藏车装载批次"
        ordering = ["-loaded_at"]

    def __str__(self):
        return f"{self.vehicle.plate} {self.lot}"


@scoped("vehicle__place")
class VehicleExcursion(models.Model):
    """A cargo-temperature excursion of a refrigerated vehicle (an iot alarm on its terminal), and the
    lots on board: the compliance record traceability shows on those lots' pages."""

    vehicle = models.ForeignKey(
        ColdVehicle, verbose_name="冷藏车", on_delete=models.CASCADE, related_name="excursions"
    )
    alarm = models.OneToOneField("iot.Alarm", verbose_name="告警", on_delete=models.PROTECT, related_name="+")
    started_at = models.DateTimeField("开始时间")
    ended_at = models.DateTimeField("结束时间", null=True, blank=True)
    limit = models.FloatField("温度上限（℃）")
    peak = models.FloatField("最高温度（℃）")
    latitude = models.FloatField("开始时纬度", null=True, blank=True)
    longitude = models.FloatField("开始时经度", null=True, blank=True)
    lots = models.ManyToManyField(
        "trace.Lot", verbose_name="涉及批次", blank=True, related_name="vehicle_excursions"
    )

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = "冷藏车温度超标记录"
        verbose_name_plural = "冷藏车温度超标记录"
        ordering = ["-started_at"]

    def __str__(self):
        return f"{self.vehicle.plate} {self.started_at:%Y-%m-%d %H:%M}"


class StageStandard(models.Model):
    """The animal-husbandry office's figures for one barn stage, edited in the browser: they replace the
    stage's line of data/standards.yaml (which stays the default). Every change is audited."""

    stage = models.CharField("阶段", max_length=12, choices=Stage.choices, unique=True)
    t_min = models.FloatField("最低温度（℃）")
    t_max = models.FloatField("最高温度（℃）")
    nh3 = models.FloatField("氨气上限（mg/m³）")
    h2s = models.FloatField("硫化氢上限（mg/m³）")
    co2 = models.FloatField("二氧化碳上限（ppm）")
    minutes = models.PositiveIntegerField("持续分钟")
    updated_at = models.DateTimeField("修改时间", auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="修改人",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = "栏舍环境标准"
        verbose_name_plural = "栏舍环境标准"
        ordering = ["stage"]

    def __str__(self):
        return self.get_stage_display()


declare_unscoped(
    StageStandard, "全区统一的栏舍环境标准（参考数据），修改需要 livestock.stagestandard.change 权限"
)


@scoped("place")
class DiseaseReport(models.Model):
    """A suspicion of an animal disease reported by a farmer, vet or grid worker, and the animal-health
    office's steps on it: suspicious → suspected → confirmed (an outbreak, with zones on the map), or
    ruled out; a confirmed outbreak is lifted at the end. `farm` is set when it is a registered farm."""

    place = models.ForeignKey("core.Place", verbose_name="所在村", on_delete=models.PROTECT, related_name="+")
    farm = models.ForeignKey(
        Farm, verbose_name="养殖场", null=True, blank=True, on_delete=models.SET_NULL, related_name="reports"
    )
    species = models.CharField("畜种", max_length=10, choices=AnimalSpecies.choices)
    disease = models.CharField("疑似病种", max_length=40, default="非洲猪瘟")
    symptoms = models.TextField("症状")
    sick = models.PositiveIntegerField("发病数", default=0)
    deaths = models.PositiveIntegerField("死亡数", default=0)
    stage = models.CharField(
        "阶段", max_length=12, choices=DiseaseStage.choices, default=DiseaseStage.SUSPICIOUS
    )
    latitude = models.FloatField("纬度")
    longitude = models.FloatField("经度")
    reported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reported_at = models.DateTimeField("报告时间")
    suspected_at = models.DateTimeField("疑似时间", null=True, blank=True)
    confirmed_at = models.DateTimeField("确诊时间", null=True, blank=True)
    closed_at = models.DateTimeField("结束时间", null=True, blank=True)
    automatic = models.BooleanField("系统线索", default=False, help_text="死亡数超过基线时由系统生成")
    warning_id = models.PositiveIntegerField("预警编号", null=True, blank=True)
    submission_key = models.CharField("提交编号", max_length=64, blank=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = "疫病报告"
        verbose_name_plural = "疫病报告"
        ordering = ["-reported_at"]
        indexes = [models.Index(fields=["stage", "-reported_at"], name="livestock_report_stage_idx")]

    def __str__(self):
        return f"{self.place.name}{self.get_species_display()}{self.disease}（{self.get_stage_display()}）"

    def get_absolute_url(self):
        return reverse("livestock:outbreak_detail", args=[self.pk])

    @property
    def is_outbreak(self) -> bool:
        return self.stage == DiseaseStage.CONFIRMED
