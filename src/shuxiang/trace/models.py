"""Agricultural product traceability (任务10): who produced a lot, where, with what inputs,
how it was tested, and where it went — one code for the consumer to scan.

Trace events are immutable and chained in the ledger (stream "trace"); a
correction is a new event pointing at the one it corrects.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from shuxiang.core.scope import ScopedQuerySet, scoped
from shuxiang.trace import codes
from shuxiang.trace.choices import (
    ADDING_STEPS,
    BaseKind,
    BizStep,
    Disposition,
    EnvKind,
    InputKind,
    LotStage,
    ProducerKind,
    ProductCategory,
)


@scoped("place")
class Producer(models.Model):
    """A registered business entity (经营主体) that grows, raises or processes farm products:
    a company, cooperative, family farm, individual business or household.

    Registered kinds carry their unified social credit code; individuals are identified by a
    core.Person (ID number and phone stay encrypted there). `operators` are the accounts that
    record for this producer on their phones; they may record only for its lots.
    """

    name = models.CharField("名称", max_length=100)
    kind = models.CharField("主体类型", max_length=24, choices=ProducerKind.choices)
    credit_code = models.CharField("统一社会信用代码", max_length=18, blank=True)
    contact = models.ForeignKey(
        "core.Person",
        verbose_name="负责人/联系人",
        on_delete=models.PROTECT,
        related_name="trace_producers",
        null=True,
        blank=True,
    )
    place = models.ForeignKey(
        "core.Place", verbose_name="所在区划", on_delete=models.PROTECT, related_name="+"
    )
    address = models.CharField("地址", max_length=200, blank=True)
    registered_on = models.DateField("登记日期", null=True, blank=True)
    main_products = models.CharField("主要产品", max_length=200, blank=True)
    operators = models.ManyToManyField(
        settings.AUTH_USER_MODEL, verbose_name="填报账号", blank=True, related_name="trace_producers"
    )
    is_active = models.BooleanField("在营", default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = "经营主体"
        verbose_name_plural = "经营主体"
        ordering = ["place__code", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["credit_code"],
                condition=~Q(credit_code=""),
                name="trace_producer_credit_code_unique",
                violation_error_message="该统一社会信用代码已登记",
            )
        ]

    def __str__(self):
        return self.name


@scoped("place")
class Base(models.Model):
    """A production base (基地): a farm, pig farm or pond area a producer runs, on the place tree."""

    producer = models.ForeignKey(
        Producer, verbose_name="经营主体", on_delete=models.PROTECT, related_name="bases"
    )
    name = models.CharField("基地名称", max_length=100)
    kind = models.CharField("类型", max_length=16, choices=BaseKind.choices)
    place = models.ForeignKey(
        "core.Place", verbose_name="所在区划", on_delete=models.PROTECT, related_name="+"
    )
    area_mu = models.DecimalField("面积(亩)", max_digits=10, decimal_places=2, null=True, blank=True)
    latitude = models.FloatField("纬度", null=True, blank=True)
    longitude = models.FloatField("经度", null=True, blank=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = "生产基地"
        verbose_name_plural = "生产基地"
        ordering = ["producer__name", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["producer", "name"],
                name="trace_base_name_unique",
                violation_error_message="该主体已有同名基地",
            )
        ]

    def __str__(self):
        return self.name


@scoped("place")
class Plot(models.Model):
    """A plot, shed or pond of a base: the origin (产地) a lot is grown or raised on."""

    base = models.ForeignKey(Base, verbose_name="基地", on_delete=models.PROTECT, related_name="plots")
    name = models.CharField("地块名称", max_length=100)
    place = models.ForeignKey(
        "core.Place", verbose_name="所在区划", on_delete=models.PROTECT, related_name="+"
    )
    area_mu = models.DecimalField("面积(亩)", max_digits=10, decimal_places=2, null=True, blank=True)
    latitude = models.FloatField("纬度", null=True, blank=True)
    longitude = models.FloatField("经度", null=True, blank=True)
    device = models.ForeignKey(
        "iot.Device",
        verbose_name="产地监测设备",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="trace_plots",
        help_text="地块上的土壤/水质/气象传感设备，其最新读数显示在一码查页面",
    )

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = "地块"
        verbose_name_plural = "地块"
        ordering = ["base__name", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["base", "name"],
                name="trace_plot_name_unique",
                violation_error_message="该基地已有同名地块",
            )
        ]

    def __str__(self):
        return f"{self.base.name}·{self.name}"

    @property
    def producer(self):
        return self.base.producer


@scoped("plot__place")
class EnvironmentTest(models.Model):
    """A soil or water test of an origin plot (产地环境检测), shown beside every lot grown there."""

    plot = models.ForeignKey(
        Plot, verbose_name="地块", on_delete=models.PROTECT, related_name="environment_tests"
    )
    kind = models.CharField("类型", max_length=8, choices=EnvKind.choices)
    tested_on = models.DateField("检测日期")
    agency = models.CharField("检测机构", max_length=100)
    passed = models.BooleanField("结论合格")
    summary = models.CharField("主要指标", max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = "产地环境检测"
        verbose_name_plural = "产地环境检测"
        ordering = ["-tested_on"]

    def __str__(self):
        return f"{self.get_kind_display()} {self.tested_on}"


@scoped("producer__place")
class Product(models.Model):
    """A product a producer sells (e.g. 赫山大米 5kg), identified by its GTIN-14.

    Products without a GS1 number get an internal code from the restricted-circulation
    range (`gtin_is_internal`), so every lot still has a Digital Link address.
    """

    producer = models.ForeignKey(
        Producer, verbose_name="经营主体", on_delete=models.PROTECT, related_name="products"
    )
    name = models.CharField("产品名称", max_length=100)
    category = models.CharField("品类", max_length=16, choices=ProductCategory.choices)
    gtin = models.CharField("商品条码(GTIN-14)", max_length=14, unique=True)
    gtin_is_internal = models.BooleanField("内部编码", default=False)
    unit = models.CharField("计量单位", max_length=10, default="kg")
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = "产品"
        verbose_name_plural = "产品"
        ordering = ["producer__name", "name"]

    def __str__(self):
        return self.name


@scoped("origin__place")
class Lot(models.Model):
    """A production lot (批次): one planting, one litter, one pond harvest, and its trace code.

    `version` grows with every event and warning so the public page can be cached per version.
    """

    product = models.ForeignKey(Product, verbose_name="产品", on_delete=models.PROTECT, related_name="lots")
    lot_number = models.CharField("批次号", max_length=20)
    origin = models.ForeignKey(Plot, verbose_name="产地地块", on_delete=models.PROTECT, related_name="lots")
    quantity = models.DecimalField("数量", max_digits=12, decimal_places=2)
    short_code = models.CharField("短码", max_length=10, unique=True)
    stage = models.CharField("状态", max_length=12, choices=LotStage.choices, default=LotStage.GROWING)
    version = models.PositiveIntegerField(default=1)
    scan_count = models.PositiveIntegerField("扫码次数", default=0)
    # A public warning: only after an official checked the market and confirmed the clue.
    suspicious = models.BooleanField("疑似假冒", default=False)
    suspicious_reason = models.CharField("预警原因", max_length=200, blank=True)
    # A clue from the scan pattern, for staff to check; never shown to the public.
    clue_reason = models.CharField("仿冒线索", max_length=200, blank=True)
    clue_at = models.DateTimeField("线索时间", null=True, blank=True)
    clue_checked_at = models.DateTimeField("线索核查时间", null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = "批次"
        verbose_name_plural = "批次"
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["product", "lot_number"],
                name="trace_lot_number_unique",
                violation_error_message="该产品已有相同批次号",
            )
        ]

    def __str__(self):
        return f"{self.product.name} {self.lot_number}"

    @property
    def producer(self):
        return self.product.producer

    @property
    def digital_link(self):
        return codes.digital_link(settings.PUBLIC_URL, self.product.gtin, self.lot_number)

    @property
    def public_path(self):
        return f"/01/{self.product.gtin}/10/{self.lot_number}"


@scoped("lot__origin__place")
class TraceEvent(models.Model):
    """Something that happened to a lot, EPCIS-shaped: what (lot, quantity), when (event time),
    where (place), why (business step, disposition). Never edited: `corrects` points a
    correction at the event it replaces."""

    lot = models.ForeignKey(Lot, verbose_name="批次", on_delete=models.PROTECT, related_name="events")
    biz_step = models.CharField("环节", max_length=16, choices=BizStep.choices)
    disposition = models.CharField("状态", max_length=16, choices=Disposition.choices)
    event_time = models.DateTimeField("发生时间")
    place = models.ForeignKey("core.Place", verbose_name="地点", on_delete=models.PROTECT, related_name="+")
    quantity = models.DecimalField("数量", max_digits=12, decimal_places=2, null=True, blank=True)
    note = models.CharField("说明", max_length=300, blank=True)
    # input use (施用投入品)
    input_kind = models.CharField("投入品类别", max_length=12, choices=InputKind.choices, blank=True)
    input_name = models.CharField("投入品名称", max_length=100, blank=True)
    input_dose = models.CharField("用量", max_length=50, blank=True)
    interval_days = models.PositiveSmallIntegerField("安全间隔期/休药期(天)", null=True, blank=True)
    # test (检测)
    test_item = models.CharField("检测项目", max_length=100, blank=True)
    test_agency = models.CharField("检测机构", max_length=100, blank=True)
    test_passed = models.BooleanField("检测合格", null=True, blank=True)
    report = models.ForeignKey(
        "core.Attachment",
        verbose_name="检测报告",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    report_sha256 = models.CharField("检测报告SHA-256", max_length=64, blank=True)
    # shipping / receiving
    counterparty = models.CharField("收/发货方", max_length=100, blank=True)
    corrects = models.ForeignKey(
        "self",
        verbose_name="更正的事件",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="corrections",
    )
    recorded_by = models.CharField("记录人", max_length=100)
    recorded_at = models.DateTimeField("记录时间", default=timezone.now)
    ledger_seq = models.PositiveBigIntegerField("账本序号", null=True, blank=True)
    ledger_hash = models.CharField("账本哈希", max_length=64, blank=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = "追溯事件"
        verbose_name_plural = "追溯事件"
        ordering = ["event_time", "id"]
        indexes = [models.Index(fields=["lot", "event_time"])]
        constraints = [
            models.CheckConstraint(
                condition=~Q(biz_step=BizStep.INPUT_USE) | ~Q(input_name=""),
                name="trace_input_use_names_input",
                violation_error_message="投入品使用须填写投入品名称",
            )
        ]

    def __str__(self):
        return f"{self.lot} {self.get_biz_step_display()}"

    @property
    def action(self):
        return "ADD" if self.biz_step in ADDING_STEPS else "OBSERVE"

    @property
    def ledger_key(self):
        return f"trace.event:{self.pk}"

    def ledger_payload(self) -> dict:
        """The facts the ledger chains; rebuilt from this row when the chain is verified."""
        return {
            "type": "ObjectEvent",
            "action": self.action,
            "epcClass": self.lot.public_path,
            "bizStep": self.biz_step,
            "disposition": self.disposition,
            "eventTime": self.event_time,
            "readPoint": self.place.code,
            "quantity": self.quantity,
            "uom": self.lot.product.unit,
            "note": self.note,
            "input": {
                "kind": self.input_kind,
                "name": self.input_name,
                "dose": self.input_dose,
                "intervalDays": self.interval_days,
            },
            "test": {
                "item": self.test_item,
                "agency": self.test_agency,
                "passed": self.test_passed,
                "reportSha256": self.report_sha256,
            },
            "counterparty": self.counterparty,
            "corrects": self.corrects_id,
            "recordedBy": self.recorded_by,
        }


@scoped("lot__origin__place")
class Certificate(models.Model):
    """A compliance certificate (承诺达标合格证) the producer issues for (part of) a lot:
    product, quantity, origin, producer, contact, date and the lot's QR code."""

    lot = models.ForeignKey(Lot, verbose_name="批次", on_delete=models.PROTECT, related_name="certificates")
    number = models.CharField("编号", max_length=30, unique=True)
    quantity = models.DecimalField("数量", max_digits=12, decimal_places=2)
    issued_at = models.DateTimeField("开具时间", default=timezone.now)
    issued_by = models.CharField("开具人", max_length=100)
    statement = models.CharField("承诺内容", max_length=300)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = "承诺达标合格证"
        verbose_name_plural = "承诺达标合格证"
        ordering = ["-issued_at"]

    def __str__(self):
        return self.number


@scoped("lot__origin__place")
class Scan(models.Model):
    """One scan of a lot's code from a phone: counted per lot to spot copied labels. A client is told
    apart by its /24 network and a hash of its browser's user agent — never the address or the agent."""

    lot = models.ForeignKey(Lot, verbose_name="批次", on_delete=models.CASCADE, related_name="scans")
    at = models.DateTimeField("时间", default=timezone.now)
    network = models.CharField("网络段", max_length=50, blank=True)
    agent = models.CharField(
        "客户端标识", max_length=16, blank=True, help_text="浏览器标识的哈希前缀，不存原文"
    )
    latitude = models.FloatField("纬度", null=True, blank=True)
    longitude = models.FloatField("经度", null=True, blank=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = "扫码记录"
        verbose_name_plural = "扫码记录"
        ordering = ["-at"]
        indexes = [models.Index(fields=["lot", "at"])]

    def __str__(self):
        return f"{self.lot_id}@{self.at:%Y-%m-%d %H:%M}"


@scoped("place")
class DirectoryEntry(Producer):
    """A registered producer as the directory of business entities shows it (新型农业经营主体名录).

    A type of its own, so that a bank's grant to read the directory (`trace.directoryentry.view`) opens
    only the directory's fields — never the producer register, its lots or its people.
    """

    objects = ScopedQuerySet.as_manager()

    class Meta:
        proxy = True
        verbose_name = "经营主体名录"
        verbose_name_plural = "经营主体名录"
        ordering = ["place__code", "name"]
