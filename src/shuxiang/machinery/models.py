"""Farm machines, the fields they work, the operations read from their tracks, and service requests.

A machine's terminal is an iot device (JT/T 808); its track is that device's `lat`/`lon` readings.
"""

import secrets

from django.conf import settings
from django.db import models
from django.db.models import Q

from shuxiang.core.scope import ScopedQuerySet, scoped
from shuxiang.machinery.choices import (
    Direction,
    MachineKind,
    OperationKind,
    OwnerKind,
    RequestStatus,
    RoadCondition,
    RoadGrade,
    SubsidyStatus,
)


def _share_token():
    return secrets.token_urlsafe(16)


@scoped("place")
class Machine(models.Model):
    """A farm machine with its 牌证 (plate), owner, implement width and, when fitted, its terminal."""

    code = models.CharField("农机编号", max_length=30, unique=True)
    name = models.CharField("名称", max_length=60)
    kind = models.CharField("机具类型", max_length=16, choices=MachineKind.choices)
    make = models.CharField("生产厂家", max_length=60, blank=True)
    model = models.CharField("型号", max_length=60, blank=True)
    plate = models.CharField("牌证号", max_length=20, blank=True)
    serial_number = models.CharField("出厂编号", max_length=40, blank=True)
    owner_kind = models.CharField("所有者类型", max_length=12, choices=OwnerKind.choices)
    owner_name = models.CharField("所有者", max_length=60)
    place = models.ForeignKey(
        "core.Place", verbose_name="所在村/乡镇", on_delete=models.PROTECT, related_name="+"
    )
    implement_width_m = models.FloatField("作业幅宽（m）")
    operator = models.ForeignKey(
        "core.Person", verbose_name="机手", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    licence_expires_on = models.DateField("驾驶证有效期至", null=True, blank=True)
    inspection_due_on = models.DateField("下次年检", null=True, blank=True)
    device = models.OneToOneField(
        "iot.Device",
        verbose_name="北斗终端",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="machine",
    )
    terminal_plate = models.CharField("终端上报车牌", max_length=20, blank=True, editable=False)
    terminal_maker = models.CharField("终端制造商", max_length=40, blank=True, editable=False)
    price_per_mu = models.DecimalField("作业单价（元/亩）", max_digits=8, decimal_places=2, default=0)
    synthetic = models.BooleanField("合成数据", default=False)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = "农机"
        verbose_name_plural = "农机"
        ordering = ["code"]
        constraints = [
            models.CheckConstraint(
                condition=Q(implement_width_m__gt=0) & Q(implement_width_m__lte=30),
                name="machinery_machine_width_range",
                violation_error_message="作业幅宽应在 0–30 m 之间",
            ),
        ]

    def __str__(self):
        return f"{self.name}（{self.code}）"


@scoped("place")
class Field(models.Model):
    """A field (作业地块) with its boundary: what operations are attributed to, what its farmer sees."""

    name = models.CharField("地块名称", max_length=60)
    place = models.ForeignKey("core.Place", verbose_name="所在村", on_delete=models.PROTECT, related_name="+")
    farmer = models.ForeignKey(
        "core.Person",
        verbose_name="承包农户",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    crop = models.CharField("作物", max_length=20, blank=True, default="水稻")
    boundary = models.JSONField("边界（GeoJSON）")
    area_m2 = models.FloatField("面积（m²）")
    share_token = models.CharField(max_length=32, unique=True, default=_share_token, editable=False)
    synthetic = models.BooleanField("合成数据", default=False)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = "作业地块"
        verbose_name_plural = "作业地块"
        ordering = ["place__code", "name"]

    def __str__(self):
        return self.name

    @property
    def area_mu(self):
        return self.area_m2 * 15 / 10000


@scoped("place")
class Operation(models.Model):
    """One job of one machine (耕、种、插秧、植保、收获、深松、烘干) measured from its track."""

    machine = models.ForeignKey(
        Machine, verbose_name="农机", on_delete=models.PROTECT, related_name="operations"
    )
    kind = models.CharField("作业类型", max_length=12, choices=OperationKind.choices)
    place = models.ForeignKey(
        "core.Place", verbose_name="作业地点", on_delete=models.PROTECT, related_name="+"
    )
    season = models.CharField("农季", max_length=12, db_index=True)
    started_at = models.DateTimeField("开始")
    ended_at = models.DateTimeField("结束")
    width_m = models.FloatField("作业幅宽（m）")
    length_m = models.FloatField("作业里程（m）", default=0)
    gross_m2 = models.FloatField("作业面积（毛，m²）", default=0)
    net_m2 = models.FloatField("作业面积（净，m²）", default=0)
    overlap_pct = models.FloatField("重叠率（%）", default=0)
    qualified_depth_pct = models.FloatField("耕深合格率（%）", null=True, blank=True)
    flags = models.JSONField("异常标记", default=list, blank=True)
    area = models.JSONField("作业范围（GeoJSON）", null=True, blank=True)
    points = models.PositiveIntegerField("轨迹点数", default=0)
    fields = models.ManyToManyField(Field, through="OperationField", related_name="operations", blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = "作业记录"
        verbose_name_plural = "作业记录"
        ordering = ["-started_at"]
        indexes = [models.Index(fields=["season", "kind"])]

    def __str__(self):
        return f"{self.machine.name} {self.get_kind_display()} {self.started_at:%Y-%m-%d}"

    @property
    def net_mu(self):
        return self.net_m2 * 15 / 10000


@scoped("operation__place")
class OperationField(models.Model):
    operation = models.ForeignKey(Operation, on_delete=models.CASCADE, related_name="shares")
    field = models.ForeignKey(Field, on_delete=models.CASCADE, related_name="shares")
    area_m2 = models.FloatField("在本地块作业面积（m²）")

    objects = ScopedQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["operation", "field"], name="machinery_opfield_unique")
        ]

    def __str__(self):
        return f"{self.operation_id}→{self.field_id}"

    @property
    def area_mu(self):
        return self.area_m2 * 15 / 10000


@scoped("place")
class ServiceRequest(models.Model):
    """A farmer's or village's request for a machine service (调度): open → assigned → started → done."""

    place = models.ForeignKey("core.Place", verbose_name="所在村", on_delete=models.PROTECT, related_name="+")
    field = models.ForeignKey(
        Field, verbose_name="地块", null=True, blank=True, on_delete=models.SET_NULL, related_name="requests"
    )
    kind = models.CharField("作业类型", max_length=12, choices=OperationKind.choices)
    requester_name = models.CharField("申请人", max_length=60)
    area_mu = models.FloatField("预计面积（亩）")
    window_start = models.DateField("期望开始")
    window_end = models.DateField("期望完成")
    note = models.CharField("说明", max_length=200, blank=True)
    status = models.CharField(
        "状态", max_length=10, choices=RequestStatus.choices, default=RequestStatus.OPEN, db_index=True
    )
    machine = models.ForeignKey(
        Machine,
        verbose_name="派单农机",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="requests",
    )
    price_per_mu = models.DecimalField("单价（元/亩）", max_digits=8, decimal_places=2, null=True, blank=True)
    started_at = models.DateTimeField("开始作业", null=True, blank=True)
    finished_at = models.DateTimeField("完成作业", null=True, blank=True)
    operation = models.OneToOneField(
        Operation,
        verbose_name="作业记录",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="request",
    )
    amount = models.DecimalField("结算金额（元）", max_digits=10, decimal_places=2, null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = "农机作业需求"
        verbose_name_plural = "农机作业需求"
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(window_end__gte=models.F("window_start")),
                name="machinery_request_window_ordered",
                violation_error_message="期望完成日期不能早于开始日期",
            ),
        ]

    def __str__(self):
        return f"{self.requester_name} {self.get_kind_display()} {self.area_mu:g} 亩"


@scoped("place")
class SubsidyApplication(models.Model):
    """A 农机购置补贴 claim: filed for a farmer (a core.Person: ID encrypted, never in clear), checked by
    the township, approved or returned by the district, paid; the machine is then registered. One claim
    per machine serial (a returned claim frees it)."""

    number = models.CharField("申请编号", max_length=20, unique=True)
    applicant = models.ForeignKey(
        "core.Person", verbose_name="申请人", on_delete=models.PROTECT, related_name="+"
    )
    place = models.ForeignKey("core.Place", verbose_name="所在村", on_delete=models.PROTECT, related_name="+")
    kind = models.CharField("机具类型", max_length=16, choices=MachineKind.choices)
    make = models.CharField("生产厂家", max_length=60)
    model = models.CharField("型号", max_length=60)
    serial_number = models.CharField("出厂编号", max_length=40)
    implement_width_m = models.FloatField("作业幅宽（m）")
    price = models.DecimalField("购机价格（元）", max_digits=10, decimal_places=2)
    subsidy = models.DecimalField("申请补贴额（元）", max_digits=10, decimal_places=2)
    status = models.CharField(
        "状态", max_length=10, choices=SubsidyStatus.choices, default=SubsidyStatus.SUBMITTED, db_index=True
    )
    reason = models.CharField("退回原因", max_length=200, blank=True)
    paid_amount = models.DecimalField(
        "兑付金额（元）", max_digits=10, decimal_places=2, null=True, blank=True
    )
    paid_on = models.DateField("兑付日期", null=True, blank=True)
    machine = models.OneToOneField(
        Machine,
        verbose_name="登记农机",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="subsidy",
    )
    status_token = models.CharField(max_length=32, unique=True, default=_share_token, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = "农机购置补贴申请"
        verbose_name_plural = "农机购置补贴申请"
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["serial_number"],
                condition=~Q(status="returned"),
                name="machinery_subsidy_one_claim_per_serial",
                violation_error_message="该出厂编号的机具已有补贴申请",
            ),
            models.CheckConstraint(
                condition=Q(subsidy__lte=models.F("price")) & Q(subsidy__gte=0),
                name="machinery_subsidy_within_price",
                violation_error_message="补贴额不能超过购机价格",
            ),
        ]

    def __str__(self):
        return f"{self.number} {self.get_kind_display()} {self.serial_number}"


@scoped("place")
class Road(models.Model):
    """A rural road (农村公路) of the register: grade, length, surface and its last assessed condition."""

    code = models.CharField("路线编码", max_length=20, unique=True)
    name = models.CharField("路线名称", max_length=60)
    grade = models.CharField("行政等级", max_length=10, choices=RoadGrade.choices)
    place = models.ForeignKey(
        "core.Place", verbose_name="所在乡镇/村", on_delete=models.PROTECT, related_name="+"
    )
    length_km = models.FloatField("里程（km）")
    surface = models.CharField("路面类型", max_length=20, blank=True, default="水泥混凝土")
    condition = models.CharField(
        "技术状况", max_length=10, choices=RoadCondition.choices, default=RoadCondition.GOOD
    )
    geometry = models.JSONField("走向（GeoJSON）", null=True, blank=True)
    synthetic = models.BooleanField("合成数据", default=False)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = "农村公路"
        verbose_name_plural = "农村公路"
        ordering = ["code"]
        constraints = [
            models.CheckConstraint(
                condition=Q(length_km__gt=0) & Q(length_km__lte=500),
                name="machinery_road_length_range",
                violation_error_message="里程应在 0–500 km 之间",
            )
        ]

    def __str__(self):
        return f"{self.name}（{self.code}）"


@scoped("road__place")
class RoadInspection(models.Model):
    """A patrol of a road (巡查): the condition seen, and damage — which opens a case (道路破损)."""

    road = models.ForeignKey(Road, verbose_name="路线", on_delete=models.CASCADE, related_name="inspections")
    inspected_on = models.DateField("巡查日期")
    condition = models.CharField("技术状况", max_length=10, choices=RoadCondition.choices)
    damaged = models.BooleanField("发现破损", default=False)
    note = models.CharField("情况说明", max_length=300, blank=True)
    latitude = models.FloatField("纬度", null=True, blank=True)
    longitude = models.FloatField("经度", null=True, blank=True)
    case_id = models.BigIntegerField("处置事件", null=True, blank=True, editable=False)
    inspector = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = "道路巡查"
        verbose_name_plural = "道路巡查"
        ordering = ["-inspected_on", "-pk"]

    def __str__(self):
        return f"{self.road.name} {self.inspected_on}"


@scoped("place")
class BusRoute(models.Model):
    """A rural bus route (城乡客运) with its stops; its buses are JT/T 808 terminals (iot devices)."""

    code = models.CharField("线路编号", max_length=20, unique=True)
    name = models.CharField("线路名称", max_length=60)
    place = models.ForeignKey(
        "core.Place", verbose_name="所在乡镇", on_delete=models.PROTECT, related_name="+"
    )
    operator_name = models.CharField("运营单位", max_length=60, blank=True)
    devices = models.ManyToManyField(
        "iot.Device", verbose_name="车辆终端", blank=True, related_name="bus_routes"
    )
    synthetic = models.BooleanField("合成数据", default=False)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = "客运线路"
        verbose_name_plural = "客运线路"
        ordering = ["code"]

    def __str__(self):
        return f"{self.name}（{self.code}）"


@scoped("route__place")
class BusStop(models.Model):
    route = models.ForeignKey(BusRoute, verbose_name="线路", on_delete=models.CASCADE, related_name="stops")
    sequence = models.PositiveSmallIntegerField("站序")
    name = models.CharField("站名", max_length=40)
    place = models.ForeignKey("core.Place", verbose_name="所在村", on_delete=models.PROTECT, related_name="+")
    latitude = models.FloatField("纬度")
    longitude = models.FloatField("经度")
    offset_min = models.PositiveSmallIntegerField(
        "自始发站运行时分", null=True, blank=True, help_text="去程从第一站发车到本站的分钟数（时刻表）"
    )

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = "客运站点"
        verbose_name_plural = "客运站点"
        ordering = ["route", "sequence"]
        constraints = [
            models.UniqueConstraint(fields=["route", "sequence"], name="machinery_busstop_sequence_unique")
        ]

    def __str__(self):
        return self.name


@scoped("route__place")
class BusDeparture(models.Model):
    """A timetabled departure (班次) of a route: from the first stop (去程) or the last (返程), daily; the
    times at the other stops follow from the stops' running minutes (BusStop.offset_min)."""

    route = models.ForeignKey(
        BusRoute, verbose_name="线路", on_delete=models.CASCADE, related_name="departures"
    )
    direction = models.CharField("方向", max_length=4, choices=Direction.choices)
    departs_at = models.TimeField("发车时刻")

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = "班次"
        verbose_name_plural = "班次"
        ordering = ["route", "departs_at", "direction"]
        constraints = [
            models.UniqueConstraint(
                fields=["route", "direction", "departs_at"], name="machinery_busdeparture_unique"
            )
        ]

    def __str__(self):
        return f"{self.route.code} {self.get_direction_display()} {self.departs_at:%H:%M}"
