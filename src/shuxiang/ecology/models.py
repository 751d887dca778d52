"""Ecology and the living environment: water-quality standards as data, monitoring points judged by
them, samples and their exceedances, agricultural pollution sources, and rural garbage collection.

A point's online station is an iot device (HJ 212, its MN); its readings stay in iot. Manual and lab
samples live here, each factor judged against the point's standard at the point's grade (GB 3838
target class, GB 5084 crop group); an exceedance opens a case for the responsible unit and is closed
by a later sample at the point that meets the standard.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q

from shuxiang.core.scope import ScopedQuerySet, declare_unscoped, scoped
from shuxiang.ecology.choices import (
    CommandStatus,
    ExceedanceStatus,
    ForestCategory,
    ForestOrigin,
    ForestType,
    PointKind,
    SampleSource,
    SourceKind,
    StandardKind,
    grade_label,
    mu,
)


class Factor(models.Model):
    """A monitored factor under its HJ 212-2017 code (w01018 COD…), with the unit values are given in."""

    code = models.CharField("因子编码", max_length=16, unique=True, help_text="HJ 212-2017 编码，如 w01018")
    name = models.CharField("名称", max_length=40)
    unit = models.CharField("单位", max_length=16, blank=True)
    higher_is_better = models.BooleanField("越高越好", default=False, help_text="如溶解氧：限值为下限")
    order = models.PositiveSmallIntegerField("排序", default=0)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = "监测因子"
        verbose_name_plural = "监测因子"
        ordering = ["order", "code"]

    def __str__(self):
        return f"{self.name}（{self.code}）"


declare_unscoped(Factor, "全区统一的参考数据（HJ 212 因子编码表），所有登录用户可读，仅管理员维护")


class Standard(models.Model):
    """A standard with its edition (GB 3838-2002, GB 5084-2021, GB 5749-2022) or a discharge permit's
    limits. `grades` lists the grades its limits are given for, best first (GB 3838: I…V; GB 5084:
    paddy, dryland, vegetable; one unnamed grade "" for the others)."""

    code = models.CharField("标准号", max_length=30, help_text="如 GB 3838")
    edition = models.CharField("版本（年份）", max_length=10)
    name = models.CharField("名称", max_length=100)
    kind = models.CharField("类别", max_length=12, choices=StandardKind.choices)
    grades = models.JSONField("等级", default=list, blank=True)
    note = models.CharField("说明", max_length=300, blank=True)
    is_active = models.BooleanField("现行", default=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = "水质标准"
        verbose_name_plural = "水质标准"
        ordering = ["code", "-edition"]
        constraints = [models.UniqueConstraint(fields=["code", "edition"], name="ecology_standard_edition")]

    def __str__(self):
        return f"{self.code}-{self.edition} {self.name}"

    @property
    def classifies(self) -> bool:
        return self.kind == StandardKind.SURFACE


declare_unscoped(Standard, "全区统一的参考数据（国家标准及其版本），所有登录用户可读，由生态环境部门维护")


class Limit(models.Model):
    """One factor's limit in a standard at one grade: a lower bound, an upper bound, or both (pH).
    `lake`: the limit for lakes and reservoirs, replacing the general one there (GB 3838 TP, TN)."""

    standard = models.ForeignKey(
        Standard, on_delete=models.CASCADE, related_name="limits", verbose_name="标准"
    )
    factor = models.ForeignKey(Factor, on_delete=models.PROTECT, related_name="+", verbose_name="因子")
    grade = models.CharField("等级", max_length=12, blank=True)
    lake = models.BooleanField("湖库限值", default=False)
    min_value = models.FloatField("下限", null=True, blank=True)
    max_value = models.FloatField("上限", null=True, blank=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = "标准限值"
        verbose_name_plural = "标准限值"
        ordering = ["standard", "factor__order", "grade"]
        constraints = [
            models.UniqueConstraint(
                fields=["standard", "factor", "grade", "lake"], name="ecology_limit_once"
            ),
            models.CheckConstraint(
                condition=Q(min_value__isnull=False) | Q(max_value__isnull=False),
                name="ecology_limit_has_a_bound",
                violation_error_message="限值至少要有上限或下限",
            ),
        ]

    def __str__(self):
        return f"{self.factor.name} {grade_label(self.grade)} {self.text}"

    @property
    def grade_label(self) -> str:
        return grade_label(self.grade)

    @property
    def text(self) -> str:
        unit = f" {self.factor.unit}" if self.factor.unit else ""
        if self.min_value is not None and self.max_value is not None:
            return f"{self.min_value:g}–{self.max_value:g}{unit}"
        if self.min_value is not None:
            return f"≥ {self.min_value:g}{unit}"
        return f"≤ {self.max_value:g}{unit}"

    def admits(self, value: float) -> bool:
        return (self.min_value is None or value >= self.min_value) and (
            self.max_value is None or value <= self.max_value
        )


declare_unscoped(Limit, "标准的限值，随标准全区统一")


@scoped("place")
class MonitoringPoint(models.Model):
    """A place whose water is judged: a drinking-water source (with its protection zones), an irrigation
    intake, a sewage-plant or livestock-farm outlet, a surface-water section."""

    code = models.CharField("点位编码", max_length=30, unique=True)
    name = models.CharField("名称", max_length=100)
    kind = models.CharField("类型", max_length=20, choices=PointKind.choices)
    place = models.ForeignKey(
        "core.Place", verbose_name="所在区划", on_delete=models.PROTECT, related_name="+"
    )
    standard = models.ForeignKey(
        Standard, verbose_name="执行标准", on_delete=models.PROTECT, related_name="points"
    )
    grade = models.CharField(
        "目标等级", max_length=12, blank=True, help_text="GB 3838 目标水质类别（I–V）；GB 5084 作物类别"
    )
    lake = models.BooleanField("湖泊水库", default=False, help_text="湖库点位按湖库限值评价总磷、总氮")
    river = models.CharField("所在水体", max_length=60, blank=True)
    river_km = models.FloatField(
        "河道里程",
        null=True,
        blank=True,
        help_text="自河源起沿河道的公里数（桩号）；与水系表一起判断污染源在上游还是下游",
    )
    responsible_unit = models.ForeignKey(
        "core.Unit",
        verbose_name="责任单位",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="超标时承办处置事件：水源地为供水单位，排污口为主管部门",
    )
    owner = models.ForeignKey(
        "core.Person",
        verbose_name="排污单位负责人",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="养殖场排污口为场主",
    )
    device = models.OneToOneField(
        "iot.Device",
        verbose_name="在线监测站",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="ecology_point",
    )
    latitude = models.FloatField("纬度", null=True, blank=True)
    longitude = models.FloatField("经度", null=True, blank=True)
    protection_zones = models.JSONField(
        "水源保护区",
        null=True,
        blank=True,
        help_text="GeoJSON FeatureCollection（WGS84），每个要素 properties.zone 为一级/二级/准保护区",
    )
    is_active = models.BooleanField("在用", default=True)
    latest_class = models.CharField("最新水质类别", max_length=4, blank=True)
    latest_meets = models.BooleanField("最新样品达标", null=True, blank=True)
    latest_sampled_at = models.DateTimeField("最新采样时间", null=True, blank=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = "监测点位"
        verbose_name_plural = "监测点位"
        ordering = ["code"]

    def __str__(self):
        return self.name

    @property
    def grade_label(self) -> str:
        return grade_label(self.grade)


@scoped("point__place")
class Sample(models.Model):
    """A manual or lab sample at a point, judged against the point's standard when it is recorded."""

    point = models.ForeignKey(
        MonitoringPoint, verbose_name="点位", on_delete=models.PROTECT, related_name="samples"
    )
    taken_at = models.DateTimeField("采样时间")
    sampler = models.CharField("采样人", max_length=50)
    lab = models.CharField("检测机构", max_length=100, blank=True)
    report_number = models.CharField("报告编号", max_length=50, blank=True)
    report = models.ForeignKey(
        "core.Attachment",
        verbose_name="检测报告（PDF）",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    source = models.CharField("来源", max_length=8, choices=SampleSource.choices, default=SampleSource.MANUAL)
    standard = models.ForeignKey(
        Standard, verbose_name="评价标准", on_delete=models.PROTECT, related_name="+"
    )
    grade = models.CharField("评价等级", max_length=12, blank=True)
    water_class = models.CharField("水质类别", max_length=4, blank=True)
    wqi = models.FloatField("水质指数", null=True, blank=True)
    meets = models.BooleanField("达标")
    exceeded = models.CharField("超标因子", max_length=300, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = "水质样品"
        verbose_name_plural = "水质样品"
        ordering = ["-taken_at", "-pk"]
        indexes = [models.Index(fields=["point", "-taken_at"], name="ecology_sample_point_time")]

    def __str__(self):
        return f"{self.point.name} {self.taken_at:%Y-%m-%d %H:%M}"

    @property
    def class_label(self) -> str:
        return grade_label(self.water_class) if self.water_class else ""


@scoped("sample__point__place")
class SampleValue(models.Model):
    sample = models.ForeignKey(Sample, on_delete=models.CASCADE, related_name="values")
    factor = models.ForeignKey(Factor, on_delete=models.PROTECT, related_name="+", verbose_name="因子")
    value = models.FloatField("测定值")
    water_class = models.CharField("单因子类别", max_length=4, blank=True)
    meets = models.BooleanField("达标")
    limit = models.CharField("限值", max_length=60, blank=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = "样品测定值"
        verbose_name_plural = "样品测定值"
        ordering = ["sample", "factor__order"]
        constraints = [models.UniqueConstraint(fields=["sample", "factor"], name="ecology_value_once")]

    def __str__(self):
        return f"{self.factor.code}={self.value:g}"


@scoped("point__place")
class Exceedance(models.Model):
    """A point out of its standard (超标告警): opened by a sample that exceeds, with one case for the
    responsible unit; closed by a later sample at the point that meets the standard (复测达标)."""

    point = models.ForeignKey(
        MonitoringPoint, verbose_name="点位", on_delete=models.PROTECT, related_name="exceedances"
    )
    sample = models.ForeignKey(Sample, verbose_name="超标样品", on_delete=models.PROTECT, related_name="+")
    summary = models.CharField("超标情况", max_length=300)
    status = models.CharField(
        "状态", max_length=8, choices=ExceedanceStatus.choices, default=ExceedanceStatus.OPEN
    )
    opened_at = models.DateTimeField("发现时间")
    repeat_count = models.PositiveIntegerField("超标样品数", default=1)
    closed_at = models.DateTimeField("消除时间", null=True, blank=True)
    closing_sample = models.ForeignKey(
        Sample, verbose_name="复测样品", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    case = models.ForeignKey(
        "cases.Case",
        verbose_name="处置事件",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = "超标告警"
        verbose_name_plural = "超标告警"
        ordering = ["-opened_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["point"],
                condition=Q(status="open"),
                name="ecology_one_open_exceedance_per_point",
                violation_error_message="同一点位只能有一条未消除的超标告警",
            )
        ]

    def __str__(self):
        return f"{self.point.name}：{self.summary}"


@scoped("place")
class PollutionSource(models.Model):
    """An agricultural or rural pollution source from the pollution survey (污染调查)."""

    code = models.CharField("编号", max_length=30, unique=True)
    name = models.CharField("名称", max_length=100)
    kind = models.CharField("类型", max_length=20, choices=SourceKind.choices)
    place = models.ForeignKey(
        "core.Place", verbose_name="所在区划", on_delete=models.PROTECT, related_name="+"
    )
    latitude = models.FloatField("纬度")
    longitude = models.FloatField("经度")
    scale = models.CharField(
        "规模", max_length=60, blank=True, help_text="如 生猪存栏 3000 头、处理能力 50 t/d"
    )
    load_index = models.FloatField(
        "排放负荷指数", default=1.0, help_text="溯源排序用的相对负荷（调查估算，1 为一般）"
    )
    owner = models.ForeignKey(
        "core.Person",
        verbose_name="负责人",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    outfall = models.ForeignKey(
        MonitoringPoint,
        verbose_name="排污口监测点",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="sources",
    )
    survey_year = models.PositiveSmallIntegerField("调查年度", null=True, blank=True)
    note = models.CharField("说明", max_length=300, blank=True)
    river = models.CharField("受纳水体", max_length=60, blank=True, help_text="排入的河流（水系表中的名称）")
    river_km = models.FloatField("入河处里程", null=True, blank=True, help_text="排入处自河源起的公里数")

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = "污染源"
        verbose_name_plural = "污染源"
        ordering = ["code"]

    def __str__(self):
        return self.name


@scoped("place")
class CollectionPoint(models.Model):
    """A village garbage collection point (垃圾收集点) and how often it must be emptied."""

    code = models.CharField("编号", max_length=30, unique=True)
    name = models.CharField("名称", max_length=100)
    place = models.ForeignKey("core.Place", verbose_name="所在村", on_delete=models.PROTECT, related_name="+")
    bins = models.PositiveSmallIntegerField("垃圾桶（箱）数", default=1)
    interval_days = models.PositiveSmallIntegerField("清运周期（天）", default=2)
    latitude = models.FloatField("纬度", null=True, blank=True)
    longitude = models.FloatField("经度", null=True, blank=True)
    is_active = models.BooleanField("在用", default=True)
    last_collected_at = models.DateTimeField("最近清运", null=True, blank=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = "垃圾收集点"
        verbose_name_plural = "垃圾收集点"
        ordering = ["code"]

    def __str__(self):
        return self.name


@scoped("place")
class Truck(models.Model):
    """A garbage truck (垃圾清运车) of a township or of the district's sanitation company.

    Its JT/T 808 terminal is an iot device (protocol jt808) like a farm machine's or a bus's; the truck's
    track is that device's location readings, read through machinery when that app is installed, so the
    collection points it stopped at are measured, not typed. A truck without a terminal still has its
    manual records (the plate on each record)."""

    plate = models.CharField("车牌号", max_length=20, unique=True, help_text="如 湘H·D1234")
    unit = models.CharField("运营单位", max_length=60, help_text="乡镇环卫站或保洁公司")
    place = models.ForeignKey(
        "core.Place", verbose_name="所属乡镇/区", on_delete=models.PROTECT, related_name="+"
    )
    capacity_t = models.FloatField("载重（吨）", null=True, blank=True)
    terminal = models.ForeignKey(
        "iot.Device",
        verbose_name="北斗终端",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="garbage_trucks",
        limit_choices_to={"protocol": "jt808"},
    )
    is_active = models.BooleanField("在用", default=True)
    synthetic = models.BooleanField("合成数据", default=False)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = "垃圾清运车"
        verbose_name_plural = "垃圾清运车"
        ordering = ["plate"]
        constraints = [
            models.CheckConstraint(
                condition=Q(capacity_t__isnull=True) | (Q(capacity_t__gt=0) & Q(capacity_t__lte=100)),
                name="ecology_truck_capacity_range",
                violation_error_message="载重应在 0–100 吨之间",
            )
        ]

    def __str__(self):
        return self.plate


@scoped("point__place")
class CollectionRecord(models.Model):
    """One emptying of a collection point: when, how much, by which truck, to which transfer station."""

    point = models.ForeignKey(
        CollectionPoint, verbose_name="收集点", on_delete=models.PROTECT, related_name="records"
    )
    collected_at = models.DateTimeField("清运时间")
    weight_kg = models.FloatField("重量（kg）")
    truck = models.CharField("车辆", max_length=20, blank=True, help_text="车牌号")
    # the registered truck of that plate, when there is one: its track can check the record (轨迹核验)
    registered_truck = models.ForeignKey(
        Truck,
        verbose_name="登记车辆",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="records",
    )
    transfer_station = models.CharField("转运站", max_length=60)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = "清运记录"
        verbose_name_plural = "清运记录"
        ordering = ["-collected_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(weight_kg__gte=0) & Q(weight_kg__lte=50000),
                name="ecology_collection_weight_range",
                violation_error_message="重量应在 0–50000 kg 之间",
            )
        ]

    def __str__(self):
        return f"{self.point.name} {self.collected_at:%Y-%m-%d %H:%M}"


class BeautyItem(models.Model):
    """One item of the 美丽屋场 "六个一" checklist, with the score it is worth (data, editable)."""

    code = models.CharField("编号", max_length=20, unique=True)
    name = models.CharField("内容", max_length=100)
    max_score = models.PositiveSmallIntegerField("分值")
    order = models.PositiveSmallIntegerField("排序", default=0)
    is_active = models.BooleanField("在用", default=True)
    placeholder = models.BooleanField(
        "占位示例",
        default=False,
        help_text="平台自带的示例细则（[U] 未取得本区正式细则），导入本区细则后停用",
    )
    source = models.CharField("来源", max_length=120, blank=True, help_text="导入的文件名，或“平台占位示例”")

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = "美丽屋场评分项"
        verbose_name_plural = "美丽屋场评分项"
        ordering = ["order", "code"]

    def __str__(self):
        return self.name


class River(models.Model):
    """One river of the county's network (水系): where it flows into another, and at which kilometre of
    that river. With the kilometre of a point and of a source on their rivers, this is what tells
    upstream from downstream in tracing (溯源). Loaded from the county's file (`shuxiang rivers FILE`)."""

    name = models.CharField("河流", max_length=60, unique=True)
    flows_into = models.ForeignKey(
        "self",
        verbose_name="汇入",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="tributaries",
    )
    joins_at_km = models.FloatField(
        "汇入处里程", null=True, blank=True, help_text="汇入处在干流上自河源起的公里数"
    )
    length_km = models.FloatField("河长（公里）", null=True, blank=True)
    source = models.CharField("来源", max_length=120, blank=True, help_text="导入的文件名")

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = "河流"
        verbose_name_plural = "河流"
        ordering = ["name"]

    def __str__(self):
        return self.name


declare_unscoped(River, "全区统一的水系表（河流及汇入关系），所有登录用户可读，由区里导入维护")


declare_unscoped(BeautyItem, "全区统一的评分细则，所有登录用户可读，由管理员维护")


@scoped("place")
class BeautyAssessment(models.Model):
    """A village's 美丽屋场 assessment for one quarter: a score per checklist item, the total, photos."""

    place = models.ForeignKey("core.Place", verbose_name="村", on_delete=models.PROTECT, related_name="+")
    period = models.CharField("季度", max_length=6, help_text="如 2026Q4")
    scores = models.JSONField("各项得分", default=dict)
    total = models.FloatField("总分")
    max_total = models.FloatField("满分")
    note = models.CharField("说明", max_length=300, blank=True)
    photo = models.ForeignKey(
        "core.Attachment",
        verbose_name="现场照片",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    assessed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = "美丽屋场评分"
        verbose_name_plural = "美丽屋场评分"
        ordering = ["-period", "-total"]
        constraints = [
            models.UniqueConstraint(fields=["place", "period"], name="ecology_beauty_once_a_quarter")
        ]

    def __str__(self):
        return f"{self.place.name} {self.period}"


@scoped("device__place")
class StationCommand(models.Model):
    """A command the platform sends to an HJ 212 station (set its clock, ask for real-time data, set its
    password…), over the link the station keeps open to `shuxiang hj212 serve`.

    Requested by a person (point page, API); the running server claims the pending commands of the
    stations connected to it, sends each with a new QN and matches the station's 9011 (QnRtn), its data
    packet (1011 SystemTime, 1061 RtdInterval), 9012 (ExeRtn) and 9013 by that QN. Not sent within its
    lifetime, or left without its final answer a minute after sending: expired."""

    device = models.ForeignKey(
        "iot.Device", verbose_name="监测站", on_delete=models.CASCADE, related_name="hj212_commands"
    )
    cn = models.CharField("命令编码", max_length=4)
    params = models.JSONField("参数", default=dict, blank=True)
    status = models.CharField(
        "状态", max_length=10, choices=CommandStatus.choices, default=CommandStatus.PENDING
    )
    qn = models.CharField("请求编码 QN", max_length=20, blank=True, db_index=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    requested_label = models.CharField("发起人", max_length=100)
    created_at = models.DateTimeField("发起时间")
    expires_at = models.DateTimeField("有效期至")
    sent_at = models.DateTimeField("发送时间", null=True, blank=True)
    answered_at = models.DateTimeField("应答时间", null=True, blank=True)
    qn_rtn = models.PositiveSmallIntegerField("请求应答 QnRtn", null=True, blank=True)
    exe_rtn = models.PositiveSmallIntegerField("执行结果 ExeRtn", null=True, blank=True)
    result = models.JSONField("返回数据", default=dict, blank=True)
    detail = models.CharField("说明", max_length=300, blank=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = "HJ 212 反控命令"
        verbose_name_plural = "HJ 212 反控命令"
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(
                fields=["status"],
                condition=Q(status__in=["pending", "sent", "accepted"]),
                name="ecology_command_open",
            ),
        ]

    def __str__(self):
        return f"{self.device_id} CN={self.cn} {self.get_status_display()}"

    @property
    def label(self) -> str:
        from shuxiang.ecology.hj212_commands import COMMANDS

        spec = COMMANDS.get(self.cn)
        return f"{self.cn} {spec.name}" if spec else self.cn

    @property
    def params_text(self) -> str:
        """The parameters as shown to people: a new password is never shown."""
        return "，".join(f"{k}={'******' if k == 'NewPW' else v}" for k, v in self.params.items())


@scoped("place")
class ForestImport(models.Model):
    """One accepted import of the forest layer file — the layer's version number, what it added, changed
    and retired, from which file and coordinate system, who ran it. The stands carry the version they
    were last written by."""

    version = models.PositiveIntegerField("图层版本", unique=True)
    place = models.ForeignKey(
        "core.Place", verbose_name="范围（乡镇，或全区）", on_delete=models.PROTECT, related_name="+"
    )
    file_name = models.CharField("文件", max_length=200)
    crs = models.CharField("原坐标系", max_length=120)
    area_unit = models.CharField("申报面积单位", max_length=40, blank=True)
    townships = models.JSONField("覆盖乡镇", default=list, blank=True)
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
        verbose_name = "林地图层导入记录"
        verbose_name_plural = "林地图层导入记录"
        ordering = ["-version"]

    def __str__(self):
        return f"第{self.version}版 {self.file_name}"


@scoped("place")
class ForestStand(models.Model):
    """One stand (小班) of the county's forest-resource database (林业资源数据库): a polygon of forest
    land with its code, the village (or township) it lies in, its land class (三调 林地 class), 公益林
    or 商品林, origin and dominant species.

    The geometry is CGCS2000 longitude/latitude GeoJSON with its bounding box, as every polygon layer
    of the platform (core.geometry); `area_m2` is measured from it, `declared_area_mu` is what the
    file said. A re-import updates a stand by its code; a stand of a covered township that the new
    file no longer holds is retired (kept), not deleted."""

    code = models.CharField("小班编号", max_length=40, unique=True)
    place = models.ForeignKey(
        "core.Place", verbose_name="所在村（乡镇）", on_delete=models.PROTECT, related_name="+"
    )
    forest_type = models.CharField("林地类型", max_length=10, choices=ForestType.choices)
    category = models.CharField("森林类别", max_length=16, choices=ForestCategory.choices, blank=True)
    origin = models.CharField("起源", max_length=10, choices=ForestOrigin.choices, blank=True)
    species = models.CharField("优势树种", max_length=30, blank=True)
    geometry = models.JSONField("图形（CGCS2000 GeoJSON）")
    area_m2 = models.FloatField("面积（m²）")
    declared_area_mu = models.FloatField("申报面积（亩）", null=True, blank=True)
    min_lon = models.FloatField()
    min_lat = models.FloatField()
    max_lon = models.FloatField()
    max_lat = models.FloatField()
    properties = models.JSONField("原始属性", default=dict, blank=True)
    version = models.PositiveIntegerField("图层版本", help_text="最后一次写入本小班的导入版本")
    source = models.CharField("来源文件", max_length=200, blank=True)
    changed_at = models.DateTimeField("更新时间")
    retired_at = models.DateTimeField("停用时间", null=True, blank=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = "林地小班"
        verbose_name_plural = "林地小班"
        ordering = ["code"]
        constraints = [
            models.CheckConstraint(
                condition=Q(area_m2__gt=0),
                name="ecology_forest_area_positive",
                violation_error_message="面积应大于0",
            ),
        ]
        indexes = [
            models.Index(fields=["place", "forest_type"], name="ecology_forest_place_type"),
            models.Index(fields=["min_lon", "max_lon"], name="ecology_forest_bbox"),
        ]

    def __str__(self):
        return f"{self.code} {self.get_forest_type_display()}"

    def get_absolute_url(self):
        from django.urls import reverse

        return reverse("ecology:forest_detail", args=[self.pk])

    @property
    def area_mu(self) -> float:
        return mu(self.area_m2)

    @property
    def area_difference(self) -> float | None:
        """The declared area's departure from the measured one, as a share of the measured one."""
        if self.declared_area_mu is None or not self.area_m2:
            return None
        return round((self.declared_area_mu - self.area_mu) / self.area_mu, 4)
