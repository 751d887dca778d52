"""Markets and the rural digital economy (任务1、4、11、13、25): farm-product prices and their
early warning, grain purchase and stocks, the e-commerce network and its online sales, and the
consent and lookups of the business-entity directory banks read.

The business entities themselves are trace's producers (one register): this app only records an
entity's consent to the directory and who looked it up.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from shuxiang.core.scope import ScopedQuerySet, declare_unscoped, scoped
from shuxiang.markets.choices import (
    BrandKind,
    BuyerKind,
    ClientKind,
    Consent,
    GrainGrade,
    GrainVariety,
    InsuranceKind,
    InsuredUnit,
    Level,
    LookupOutcome,
    MethodKind,
    Platform,
    PointKind,
    ProductCategory,
    Source,
    StationKind,
    StationStatus,
)

# --- price monitoring ---------------------------------------------------------------------------


class Method(models.Model):
    """An early-warning method and its bands, kept as data (editable, with the edition it follows).

    `bands` is an ordered list of {"from": x, "to": y, "level": L, "weeks": n}: the first band whose
    half-open range [from, to) holds the value gives the level; `weeks` asks the value to have stayed
    in the band that many consecutive periods. `params` holds the method's own constants (ALPS's
    minimum history, IFPA's weights, the 猪粮比's two products).
    """

    code = models.SlugField("代码", max_length=20, unique=True)
    kind = models.CharField("方法", max_length=12, choices=MethodKind.choices)
    name = models.CharField("名称", max_length=60)
    frequency = models.CharField("序列", max_length=8, choices=[("week", "周"), ("month", "月")])
    explanation = models.TextField("说明")
    edition = models.CharField("依据", max_length=200, blank=True)
    params = models.JSONField("参数", default=dict, blank=True)
    bands = models.JSONField("分级")
    is_active = models.BooleanField("启用", default=True)
    order = models.PositiveSmallIntegerField("排序", default=0)

    class Meta:
        verbose_name = "预警方法"
        verbose_name_plural = "预警方法"
        ordering = ["order", "code"]

    def __str__(self):
        return self.name


declare_unscoped(Method, "全区统一的预警方法与分级（参考数据）")


class Product(models.Model):
    """A product in the price-monitoring catalogue: what is priced, in which unit and grade."""

    code = models.SlugField("代码", max_length=30, unique=True)
    name = models.CharField("品名", max_length=40)
    category = models.CharField("类别", max_length=12, choices=ProductCategory.choices)
    unit = models.CharField("计价单位", max_length=12, help_text="如 元/公斤、元/吨、元/500克")
    grade = models.CharField("规格等级", max_length=40, blank=True)
    min_price = models.DecimalField("合理价格下限", max_digits=10, decimal_places=2)
    max_price = models.DecimalField("合理价格上限", max_digits=10, decimal_places=2)
    is_key = models.BooleanField("重点品种", default=False)

    class Meta:
        verbose_name = "监测品种"
        verbose_name_plural = "监测品种"
        ordering = ["category", "code"]
        constraints = [
            models.CheckConstraint(
                condition=Q(min_price__gt=0) & Q(max_price__gt=models.F("min_price")),
                name="markets_product_price_range",
                violation_error_message="合理价格区间应满足 0 < 下限 < 上限",
            )
        ]

    def __str__(self):
        return f"{self.name}（{self.unit}）"


declare_unscoped(Product, "全区统一的监测品种目录（参考数据）")


@scoped("place")
class CollectionPoint(models.Model):
    """A price collection point (价格采集点): a farmers' market, wholesale market, supermarket or a
    farm gate, in a township or village. `township` is kept for the series by township."""

    code = models.SlugField("编码", max_length=30, unique=True)
    name = models.CharField("名称", max_length=60)
    kind = models.CharField("类型", max_length=12, choices=PointKind.choices)
    place = models.ForeignKey(
        "core.Place", verbose_name="所在区划", on_delete=models.PROTECT, related_name="+"
    )
    township = models.ForeignKey(
        "core.Place", verbose_name="所属乡镇", on_delete=models.PROTECT, related_name="+"
    )
    collectors = models.ManyToManyField(
        settings.AUTH_USER_MODEL, verbose_name="采价员", blank=True, related_name="price_points"
    )
    is_active = models.BooleanField("在用", default=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = "价格采集点"
        verbose_name_plural = "价格采集点"
        ordering = ["township__code", "code"]

    def __str__(self):
        return self.name


@scoped("point__place")
class PriceObservation(models.Model):
    """One price of one product at one point on one day. A price far from the point's last one is
    stored only when the collector confirmed it (`questioned`)."""

    point = models.ForeignKey(
        CollectionPoint, verbose_name="采集点", on_delete=models.PROTECT, related_name="prices"
    )
    product = models.ForeignKey(Product, verbose_name="品种", on_delete=models.PROTECT, related_name="prices")
    observed_on = models.DateField("采价日期")
    price = models.DecimalField("价格", max_digits=10, decimal_places=2)
    source = models.CharField("来源", max_length=8, choices=Source.choices)
    questioned = models.BooleanField("异常待核", default=False)
    note = models.CharField("备注", max_length=200, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="填报人",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    recorded_at = models.DateTimeField("填报时间", default=timezone.now)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = "价格记录"
        verbose_name_plural = "价格记录"
        ordering = ["-observed_on", "point__code", "product__code"]
        constraints = [
            models.UniqueConstraint(
                fields=["point", "product", "observed_on"],
                name="markets_price_once_a_day",
                violation_error_message="该采集点当天已报过此品种价格",
            ),
            models.CheckConstraint(
                condition=Q(price__gt=0), name="markets_price_positive", violation_error_message="价格应大于0"
            ),
        ]
        indexes = [models.Index(fields=["product", "observed_on"])]

    def __str__(self):
        return f"{self.product.name} {self.observed_on} {self.price}"


@scoped("place")
class WarningLevel(models.Model):
    """The level a method gave a product's series in a township (or the district) for one week or
    month: the history of levels; the newest period per method is the current level."""

    product = models.ForeignKey(Product, verbose_name="品种", on_delete=models.CASCADE, related_name="levels")
    place = models.ForeignKey("core.Place", verbose_name="区域", on_delete=models.PROTECT, related_name="+")
    method = models.ForeignKey(Method, verbose_name="方法", on_delete=models.CASCADE, related_name="levels")
    period_start = models.DateField("期间起")
    value = models.FloatField("指标值")
    level = models.CharField("预警级别", max_length=8, choices=Level.choices)
    is_current = models.BooleanField("当前级别", default=False)
    computed_at = models.DateTimeField("计算时间", default=timezone.now)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = "价格预警级别"
        verbose_name_plural = "价格预警级别"
        ordering = ["-period_start", "product__code"]
        constraints = [
            models.UniqueConstraint(
                fields=["product", "place", "method", "period_start"], name="markets_level_once"
            )
        ]
        indexes = [models.Index(fields=["is_current", "level"])]

    def __str__(self):
        return f"{self.product.name} {self.place.name} {self.get_level_display()}"


@scoped("place")
class PublicPriceWarning(models.Model):
    """A price level issued to the public as a 农产品价格预警 through the warnings engine: which
    product, place, method and period, at which level, and the engine's warning (CAP message)."""

    product = models.ForeignKey(Product, verbose_name="品种", on_delete=models.PROTECT, related_name="+")
    place = models.ForeignKey("core.Place", verbose_name="区域", on_delete=models.PROTECT, related_name="+")
    method = models.ForeignKey(Method, verbose_name="方法", on_delete=models.PROTECT, related_name="+")
    period_start = models.DateField("期间起")
    level = models.CharField("预警级别", max_length=8, choices=Level.choices)
    value = models.FloatField("指标值")
    warning = models.ForeignKey(
        "warnings.Warning", verbose_name="公众预警", on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField("发布时间", default=timezone.now)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = "公众价格预警"
        verbose_name_plural = "公众价格预警"
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["product", "place", "period_start"],
                name="markets_public_price_warning_once",
                violation_error_message="本期价格预警已发布",
            )
        ]

    def __str__(self):
        return f"{self.place.name}{self.product.name}价格预警 {self.period_start}"


# --- e-commerce and logistics --------------------------------------------------------------------


@scoped("place")
class CommerceStation(models.Model):
    """A node of the three-level e-commerce and logistics network: the district centre, a township
    station, a village station or an express pickup point."""

    code = models.SlugField("编码", max_length=30, unique=True)
    name = models.CharField("名称", max_length=80)
    kind = models.CharField("类型", max_length=10, choices=StationKind.choices)
    place = models.ForeignKey(
        "core.Place", verbose_name="所在区划", on_delete=models.PROTECT, related_name="+"
    )
    status = models.CharField(
        "状态", max_length=10, choices=StationStatus.choices, default=StationStatus.OPEN
    )
    opened_on = models.DateField("开业日期", null=True, blank=True)
    operator = models.CharField("运营主体", max_length=80, blank=True)
    carriers = models.CharField("合作快递", max_length=120, blank=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = "电商服务站点"
        verbose_name_plural = "电商服务站点"
        ordering = ["place__code", "kind", "code"]

    def __str__(self):
        return self.name


@scoped("place")
class Seller(models.Model):
    """A registered online seller of farm products; when it is a registered business entity it
    links trace's producer (one register, not a second)."""

    name = models.CharField("名称", max_length=80)
    place = models.ForeignKey(
        "core.Place", verbose_name="所在区划", on_delete=models.PROTECT, related_name="+"
    )
    producer = models.ForeignKey(
        "trace.Producer",
        verbose_name="经营主体",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    shop = models.CharField("店铺/账号", max_length=80, blank=True)
    main_products = models.CharField("主营产品", max_length=120, blank=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = "网销主体"
        verbose_name_plural = "网销主体"
        ordering = ["place__code", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["place", "name"],
                name="markets_seller_unique",
                violation_error_message="该区划已登记同名网销主体",
            )
        ]

    def __str__(self):
        return self.name


@scoped("place")
class SalesReport(models.Model):
    """One month's online sales of farm products by a station or a seller on one platform.
    The plan's online sales figure is the sum of these (commerce.online_sales)."""

    month = models.DateField("月份", help_text="当月1日")
    station = models.ForeignKey(
        CommerceStation,
        verbose_name="服务站点",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="sales",
    )
    seller = models.ForeignKey(
        Seller, verbose_name="网销主体", null=True, blank=True, on_delete=models.PROTECT, related_name="sales"
    )
    place = models.ForeignKey(
        "core.Place", verbose_name="所在区划", on_delete=models.PROTECT, related_name="+"
    )
    platform = models.CharField("平台", max_length=10, choices=Platform.choices)
    product = models.CharField("产品", max_length=60)
    amount = models.DecimalField("销售额（元）", max_digits=14, decimal_places=2)
    orders = models.PositiveIntegerField("订单数")
    source = models.CharField("来源", max_length=8, choices=Source.choices)
    recorded_at = models.DateTimeField("填报时间", default=timezone.now)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = "网络销售月报"
        verbose_name_plural = "网络销售月报"
        ordering = ["-month", "place__code"]
        constraints = [
            models.CheckConstraint(
                condition=Q(station__isnull=False) ^ Q(seller__isnull=False),
                name="markets_sales_one_reporter",
                violation_error_message="月报应由一个站点或一个网销主体填报",
            ),
            models.UniqueConstraint(
                fields=["month", "station", "platform", "product"],
                condition=Q(station__isnull=False),
                name="markets_station_sales_once",
                violation_error_message="该月此平台此产品已报",
            ),
            models.UniqueConstraint(
                fields=["month", "seller", "platform", "product"],
                condition=Q(seller__isnull=False),
                name="markets_seller_sales_once",
                violation_error_message="该月此平台此产品已报",
            ),
            models.CheckConstraint(condition=Q(amount__gte=0), name="markets_sales_amount_nonneg"),
        ]
        indexes = [models.Index(fields=["month", "place"])]

    def __str__(self):
        return f"{self.month:%Y-%m} {self.product} {self.amount}"


@scoped("seller__place")
class LiveSession(models.Model):
    """A live-streaming sales session (直播带货): who, on which platform, what it sold."""

    seller = models.ForeignKey(
        Seller, verbose_name="主播/网销主体", on_delete=models.PROTECT, related_name="sessions"
    )
    host = models.CharField("主播", max_length=40)
    platform = models.CharField("平台", max_length=10, choices=Platform.choices)
    held_on = models.DateField("日期")
    viewers = models.PositiveIntegerField("观看人次")
    orders = models.PositiveIntegerField("订单数")
    amount = models.DecimalField("销售额（元）", max_digits=14, decimal_places=2)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = "直播带货场次"
        verbose_name_plural = "直播带货场次"
        ordering = ["-held_on"]

    def __str__(self):
        return f"{self.host} {self.held_on}"


# --- brands (一镇一品) ------------------------------------------------------------------------------


@scoped("place")
class Brand(models.Model):
    """A township's specialty brand (一镇一品) or a regional public brand (区域公用品牌): its products,
    and the registered business entities (trace's producers) authorised to use it."""

    name = models.CharField("品牌名称", max_length=60, unique=True)
    kind = models.CharField("类型", max_length=10, choices=BrandKind.choices)
    place = models.ForeignKey(
        "core.Place", verbose_name="所属区划", on_delete=models.PROTECT, related_name="+"
    )
    products = models.CharField("品牌产品", max_length=200, help_text="如 辣椒、剁辣椒、辣椒酱")
    description = models.TextField("品牌介绍", blank=True)
    certification = models.CharField(
        "认证/标志", max_length=120, blank=True, help_text="如 农产品地理标志、绿色食品"
    )
    is_public = models.BooleanField("公开展示", default=True)
    created_at = models.DateTimeField("登记时间", default=timezone.now)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = "品牌"
        verbose_name_plural = "品牌（一镇一品）"
        ordering = ["place__code", "name"]

    def __str__(self):
        return self.name


@scoped("brand__place")
class BrandProducer(models.Model):
    """A business entity authorised to use a brand (授权使用主体), from traceability's register."""

    brand = models.ForeignKey(Brand, verbose_name="品牌", on_delete=models.CASCADE, related_name="members")
    producer = models.ForeignKey(
        "trace.Producer", verbose_name="经营主体", on_delete=models.PROTECT, related_name="+"
    )
    authorised_on = models.DateField("授权日期")
    note = models.CharField("备注", max_length=120, blank=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = "品牌授权主体"
        verbose_name_plural = "品牌授权主体"
        ordering = ["brand", "authorised_on"]
        constraints = [
            models.UniqueConstraint(
                fields=["brand", "producer"],
                name="markets_brand_producer_once",
                violation_error_message="该主体已获本品牌授权",
            )
        ]

    def __str__(self):
        return f"{self.brand.name} · {self.producer_id}"


# --- grain purchase and stocks -------------------------------------------------------------------


class MinimumPrice(models.Model):
    """The state minimum purchase price (最低收购价) of a variety in a year, for grade 3 (中等);
    other grades differ by `grade_step` per grade. Data, as published each year."""

    variety = models.CharField("品种", max_length=12, choices=GrainVariety.choices)
    year = models.PositiveSmallIntegerField("年度")
    price = models.DecimalField("三等最低收购价（元/公斤）", max_digits=6, decimal_places=3)
    grade_step = models.DecimalField("等级差价（元/公斤）", max_digits=6, decimal_places=3, default="0.040")
    notice = models.CharField("文件", max_length=120, blank=True)

    class Meta:
        verbose_name = "最低收购价"
        verbose_name_plural = "最低收购价"
        ordering = ["-year", "variety"]
        constraints = [models.UniqueConstraint(fields=["variety", "year"], name="markets_minprice_once")]

    def __str__(self):
        return f"{self.year} {self.get_variety_display()} {self.price}"

    def for_grade(self, grade: int):
        return self.price - (grade - 3) * self.grade_step


declare_unscoped(MinimumPrice, "国家公布的最低收购价（参考数据）")


@scoped("place")
class GrainBuyer(models.Model):
    """A registered grain buyer or depot (粮食收购主体/粮库)."""

    name = models.CharField("名称", max_length=80, unique=True)
    kind = models.CharField("类型", max_length=12, choices=BuyerKind.choices)
    place = models.ForeignKey(
        "core.Place", verbose_name="所在区划", on_delete=models.PROTECT, related_name="+"
    )
    credit_code = models.CharField("统一社会信用代码", max_length=18, blank=True)
    licence = models.CharField("收购备案号", max_length=40, blank=True)
    capacity_t = models.DecimalField("仓容（吨）", max_digits=10, decimal_places=1, null=True, blank=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = "粮食收购主体"
        verbose_name_plural = "粮食收购主体"
        ordering = ["place__code", "name"]

    def __str__(self):
        return self.name


@scoped("buyer__place")
class GrainPurchase(models.Model):
    """One purchase from a farmer: variety, grade, weight, price; paid on time or not. The farmer
    is a core.Person (ID number and phone stay encrypted there)."""

    buyer = models.ForeignKey(
        GrainBuyer, verbose_name="收购主体", on_delete=models.PROTECT, related_name="purchases"
    )
    farmer = models.ForeignKey(
        "core.Person", verbose_name="售粮农户", on_delete=models.PROTECT, related_name="+"
    )
    variety = models.CharField("品种", max_length=12, choices=GrainVariety.choices)
    grade = models.PositiveSmallIntegerField("等级", choices=GrainGrade.choices)
    weight_kg = models.DecimalField("重量（公斤）", max_digits=10, decimal_places=1)
    price = models.DecimalField("收购价（元/公斤）", max_digits=6, decimal_places=3)
    purchased_on = models.DateField("收购日期")
    due_on = models.DateField("应付款日期")
    paid_on = models.DateField("实际付款日期", null=True, blank=True)
    below_minimum = models.BooleanField("低于最低收购价", default=False)
    case = models.ForeignKey(
        "cases.Case",
        verbose_name="核查工单",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = "粮食收购记录"
        verbose_name_plural = "粮食收购记录"
        ordering = ["-purchased_on"]
        constraints = [
            models.CheckConstraint(
                condition=Q(weight_kg__gt=0) & Q(price__gt=0), name="markets_purchase_positive"
            ),
        ]

    def __str__(self):
        return f"{self.buyer.name} {self.purchased_on} {self.get_variety_display()}"

    @property
    def amount(self):
        return (self.weight_kg * self.price).quantize(1)

    @property
    def paid_on_time(self) -> bool | None:
        if self.paid_on is None:
            return False if timezone.localdate() > self.due_on else None
        return self.paid_on <= self.due_on


@scoped("depot__place")
class GrainStock(models.Model):
    """A depot's monthly stock report (tonnes): opening + purchased − sold − loss must equal closing,
    and `purchased` must match the purchase records of that month."""

    depot = models.ForeignKey(
        GrainBuyer, verbose_name="粮库", on_delete=models.PROTECT, related_name="stocks"
    )
    month = models.DateField("月份", help_text="当月1日")
    variety = models.CharField("品种", max_length=12, choices=GrainVariety.choices)
    opening_t = models.DecimalField("期初库存（吨）", max_digits=12, decimal_places=3)
    purchased_t = models.DecimalField("本月收购（吨）", max_digits=12, decimal_places=3)
    sold_t = models.DecimalField("本月销售/出库（吨）", max_digits=12, decimal_places=3)
    loss_t = models.DecimalField("损耗（吨）", max_digits=12, decimal_places=3, default=0)
    closing_t = models.DecimalField("期末库存（吨）", max_digits=12, decimal_places=3)
    anomaly = models.CharField("异常", max_length=200, blank=True)
    case = models.ForeignKey(
        "cases.Case",
        verbose_name="核查工单",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = "粮食库存月报"
        verbose_name_plural = "粮食库存月报"
        ordering = ["-month", "depot__name"]
        constraints = [
            models.UniqueConstraint(
                fields=["depot", "month", "variety"],
                name="markets_stock_once",
                violation_error_message="该粮库本月此品种已报",
            )
        ]

    def __str__(self):
        return f"{self.depot.name} {self.month:%Y-%m}"


# --- the directory for banks ---------------------------------------------------------------------


@scoped("producer__place")
class DirectoryConsent(models.Model):
    """An entity's consent to being shown to banks and insurers in the directory (revocable). Without
    a given consent, no client reads the entity on either directory route."""

    producer = models.OneToOneField(
        "trace.Producer", verbose_name="经营主体", on_delete=models.CASCADE, related_name="directory_consent"
    )
    status = models.CharField("状态", max_length=8, choices=Consent.choices)
    given_at = models.DateTimeField("同意时间")
    revoked_at = models.DateTimeField("撤回时间", null=True, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="登记人",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = "名录授权"
        verbose_name_plural = "名录授权"

    def __str__(self):
        return f"{self.producer.name} {self.get_status_display()}"


class DirectoryClient(models.Model):
    """What one bank or insurer account may read in the directory: its field set and its rate."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name="接口账号",
        on_delete=models.CASCADE,
        related_name="directory_client",
    )
    institution = models.CharField("机构", max_length=80)
    kind = models.CharField("机构类型", max_length=8, choices=ClientKind.choices, default=ClientKind.BANK)
    fields = models.JSONField("可读字段")
    rate = models.CharField("频率上限", max_length=12, default="60/m", help_text="如 60/m、1000/h")

    class Meta:
        verbose_name = "名录查询机构"
        verbose_name_plural = "名录查询机构"

    def __str__(self):
        return self.institution


declare_unscoped(DirectoryClient, "金融机构接口配置，只有管理员维护")


# The directory's API routes by the names a county user reads (the path stays in the record and the API).
ROUTE_NAMES = {
    "/api/v1/directory/entities/": "经营主体名录接口",
    "/api/v1/directory/insurance/": "农业保险保单接口",
}


@scoped("producer__place")
class DirectoryLookup(models.Model):
    """One client's look at one entity (or a refused one): the entity sees who looked."""

    client = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="查询账号", on_delete=models.PROTECT, related_name="+"
    )
    institution = models.CharField("机构", max_length=80)
    producer = models.ForeignKey(
        "trace.Producer", verbose_name="经营主体", on_delete=models.CASCADE, related_name="directory_lookups"
    )
    at = models.DateTimeField("时间", default=timezone.now)
    route = models.CharField("接口", max_length=80)
    outcome = models.CharField("结果", max_length=12, choices=LookupOutcome.choices)
    fields = models.JSONField("返回字段", default=list)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = "名录查询记录"
        verbose_name_plural = "名录查询记录"
        ordering = ["-at"]
        indexes = [models.Index(fields=["producer", "at"])]

    def __str__(self):
        return f"{self.institution} {self.at:%Y-%m-%d %H:%M}"

    def get_route_display(self):
        return ROUTE_NAMES.get(self.route, self.route)


# Bounds of a policy's figures: one entity's agricultural policy above these is a typing error (an extra
# digit), not a policy — the largest county-level policies (a big grower's 10,000 亩 of rice at 1,200 元/亩)
# stay far below.
MAX_SUM_INSURED = 500_000_000  # 元
MAX_QUANTITY = 1_000_000


@scoped("producer__place")
class InsurancePolicy(models.Model):
    """A policy-based agricultural insurance policy (政策性农业保险保单) of a directory entity: who insures
    what, for how much, from when to when, and what it has paid out. The directory's `insurance` field
    is computed from the policies in force.

    `insurer_account` is the insurer's directory-client account when the insurer has one: its grant
    reads and writes only the rows that carry it (an insurer sees its own policies, never another's).
    """

    producer = models.ForeignKey(
        "trace.Producer",
        verbose_name="经营主体",
        on_delete=models.PROTECT,
        related_name="insurance_policies",
    )
    insurer = models.CharField("承保机构", max_length=80)
    insurer_account = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="承保机构接口账号",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    number = models.CharField("保单号", max_length=40)
    kind = models.CharField("险种", max_length=12, choices=InsuranceKind.choices)
    subject = models.CharField("保险标的", max_length=60, blank=True, help_text="如 早稻、育肥猪、收割机")
    quantity = models.DecimalField("保险数量", max_digits=12, decimal_places=2)
    unit = models.CharField("单位", max_length=8, choices=InsuredUnit.choices)
    sum_insured = models.DecimalField("保险金额（元）", max_digits=14, decimal_places=2)
    premium = models.DecimalField("保费（元）", max_digits=12, decimal_places=2)
    premium_subsidy = models.DecimalField(
        "财政补贴保费（元）",
        max_digits=12,
        decimal_places=2,
        default=0,
        help_text="中央、省、市、区各级补贴之和",
    )
    starts_on = models.DateField("保险起期")
    ends_on = models.DateField("保险止期")
    claims_paid = models.DecimalField("已决赔款（元）", max_digits=14, decimal_places=2, default=0)
    source = models.CharField("来源", max_length=8, choices=Source.choices)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="登记人",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField("登记时间", auto_now_add=True)
    updated_at = models.DateTimeField("更新时间", auto_now=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = "农业保险保单"
        verbose_name_plural = "农业保险保单"
        ordering = ["-starts_on", "insurer", "number"]
        constraints = [
            models.UniqueConstraint(
                fields=["insurer", "number"],
                name="markets_policy_number_once",
                violation_error_message="该承保机构已登记此保单号",
            ),
            models.CheckConstraint(
                condition=Q(ends_on__gt=models.F("starts_on")),
                name="markets_policy_period",
                violation_error_message="保险止期应晚于起期",
            ),
            models.CheckConstraint(
                condition=Q(quantity__gt=0)
                & Q(sum_insured__gte=0)
                & Q(premium__gte=0)
                & Q(premium_subsidy__gte=0)
                & Q(premium_subsidy__lte=models.F("premium"))
                & Q(claims_paid__gte=0),
                name="markets_policy_amounts",
                violation_error_message="数量应大于0，金额不能为负，补贴不能超过保费",
            ),
        ]
        indexes = [models.Index(fields=["producer", "ends_on"])]

    def __str__(self):
        return f"{self.insurer} {self.number}"

    def in_force(self, on=None) -> bool:
        on = on or timezone.localdate()
        return self.starts_on <= on <= self.ends_on
