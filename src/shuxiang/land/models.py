"""Collective land and the collective economy of a village (LADM in county terms).

Spatial units are parcels (地块); parties are contractors (承包方 households), transferees, bidders and
cooperative members; rights are contracts, transfers and shares; sources are contract records, deals,
disclosures and the ledger. Every record hangs on its administrative village, which is its region.
"""

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse

from shuxiang.core.pii import EncryptedTextField, mask_id_number
from shuxiang.core.scope import ScopedQuerySet, scoped
from shuxiang.land.choices import (
    MU_M2,
    AssetKind,
    BidMode,
    ContractMethod,
    ContractStatus,
    DistributionStatus,
    EntryCategory,
    EntryKind,
    LandUse,
    ListingStatus,
    MemberBasis,
    MemberStatus,
    ParcelKind,
    RentKind,
    ShareKind,
    ShareManagement,
    TransfereeKind,
    TransferMode,
    TransferStatus,
)

MONEY = {"max_digits": 14, "decimal_places": 2}
AREA = {"max_digits": 14, "decimal_places": 2}
SHARES = {"max_digits": 14, "decimal_places": 4}


def mu(m2) -> Decimal | None:
    """Square metres as 亩 with two decimals (1 亩 = 10000/15 m²)."""
    if m2 is None:
        return None
    return (Decimal(m2) / MU_M2).quantize(Decimal("0.01"))


@scoped("village")
class Parcel(models.Model):
    """A parcel of collective land (地块) as the contract-rights register holds it.

    `issuer` is its 发包方 (the village, or one of its groups); `code` is the 19-digit 地块编码 whose
    first 14 digits are the issuer's code. `registered_area_m2` is the area written in the register
    (实测/合同面积); `measured_area_m2` is computed from the polygon on the CGCS2000 ellipsoid, and
    `area_flagged` says they differ by more than the tolerance (choices.AREA_TOLERANCE).
    """

    code = models.CharField("地块编码", max_length=19, unique=True)
    name = models.CharField("地块名称", max_length=60, blank=True)
    issuer = models.ForeignKey(
        "core.Place", verbose_name="发包方", on_delete=models.PROTECT, related_name="+"
    )
    village = models.ForeignKey(
        "core.Place", verbose_name="所在村", on_delete=models.PROTECT, related_name="land_parcels"
    )
    kind = models.CharField(
        "地块类别", max_length=2, choices=ParcelKind.choices, default=ParcelKind.CONTRACTED
    )
    land_use = models.CharField("土地利用类型", max_length=4, choices=LandUse.choices, default=LandUse.PADDY)
    basic_farmland = models.BooleanField("基本农田", default=False)
    registered_area_m2 = models.DecimalField("登记面积（m²）", null=True, blank=True, **AREA)
    measured_area_m2 = models.DecimalField("图形面积（m²）", null=True, blank=True, **AREA)
    area_flagged = models.BooleanField("面积差异超限", default=False)
    east = models.CharField("东至", max_length=100, blank=True)
    south = models.CharField("南至", max_length=100, blank=True)
    west = models.CharField("西至", max_length=100, blank=True)
    north = models.CharField("北至", max_length=100, blank=True)
    geometry = models.JSONField("图形（GeoJSON，CGCS2000）", null=True, blank=True)
    longitude = models.FloatField("经度", null=True, blank=True)
    latitude = models.FloatField("纬度", null=True, blank=True)
    minx = models.FloatField(null=True, blank=True, editable=False)
    miny = models.FloatField(null=True, blank=True, editable=False)
    maxx = models.FloatField(null=True, blank=True, editable=False)
    maxy = models.FloatField(null=True, blank=True, editable=False)
    synthetic = models.BooleanField("合成数据", default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = "地块"
        verbose_name_plural = "地块"
        ordering = ["code"]
        indexes = [models.Index(fields=["village", "code"], name="land_parcel_village_code")]
        constraints = [
            models.CheckConstraint(
                condition=Q(registered_area_m2__isnull=True) | Q(registered_area_m2__gt=0),
                name="land_parcel_area_positive",
                violation_error_message="登记面积应大于0",
            )
        ]

    def __str__(self):
        return f"{self.code} {self.name}".strip()

    def get_absolute_url(self):
        return reverse("land:parcel_detail", args=[self.code])

    @property
    def registered_mu(self):
        return mu(self.registered_area_m2)

    @property
    def measured_mu(self):
        return mu(self.measured_area_m2)

    @property
    def area_m2(self):
        """The area that counts: the registered one, else the one measured from the polygon."""
        return self.registered_area_m2 if self.registered_area_m2 is not None else self.measured_area_m2


@scoped("village")
class Contractor(models.Model):
    """A contracting household (承包方) with its 18-digit code; its people are core.Person records."""

    code = models.CharField("承包方编码", max_length=18, unique=True)
    issuer = models.ForeignKey(
        "core.Place", verbose_name="发包方", on_delete=models.PROTECT, related_name="+"
    )
    village = models.ForeignKey(
        "core.Place", verbose_name="所在村", on_delete=models.PROTECT, related_name="+"
    )
    head = models.ForeignKey(
        "core.Person", verbose_name="户主（承包方代表）", on_delete=models.PROTECT, related_name="+"
    )
    members = models.ManyToManyField("core.Person", verbose_name="家庭成员", blank=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = "承包方"
        verbose_name_plural = "承包方"
        ordering = ["code"]

    def __str__(self):
        return f"{self.head.name}户（{self.code}）"

    @property
    def name(self):
        return f"{self.head.name}户"


@scoped("contractor__village")
class Contract(models.Model):
    """A land contract (承包合同): code = 承包方 code + J/Q, its parcels, term and certificate (经营权证)."""

    code = models.CharField("合同编码", max_length=19, unique=True)
    contractor = models.ForeignKey(
        Contractor, verbose_name="承包方", on_delete=models.PROTECT, related_name="contracts"
    )
    method = models.CharField(
        "承包方式", max_length=1, choices=ContractMethod.choices, default=ContractMethod.FAMILY
    )
    parcels = models.ManyToManyField(Parcel, verbose_name="承包地块", related_name="contracts")
    start = models.DateField("承包起始日期")
    end = models.DateField("承包终止日期")
    certificate_no = models.CharField("经营权证编码", max_length=30, blank=True)
    status = models.CharField(
        "状态", max_length=10, choices=ContractStatus.choices, default=ContractStatus.ACTIVE
    )
    ended_on = models.DateField("终止日期（提前终止）", null=True, blank=True)
    end_reason = models.CharField("终止原因", max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = "承包合同"
        verbose_name_plural = "承包合同"
        ordering = ["code"]
        constraints = [
            models.CheckConstraint(
                condition=Q(end__gt=models.F("start")),
                name="land_contract_term",
                violation_error_message="终止日期应晚于起始日期",
            )
        ]

    def __str__(self):
        return self.code

    def get_absolute_url(self):
        return reverse("land:contract_detail", args=[self.code])


@scoped("village")
class Transfer(models.Model):
    """A transfer of management rights (土地经营权流转): who gives which parcels to whom, for how long, for what rent.

    The transferor is a contracting household, or the village itself for its 机动地 let through the exchange
    (contractor empty). Rent is yearly, in cash, or in grain (kg of paddy per 亩) valued at a price.
    """

    code = models.CharField("流转合同编号", max_length=30, unique=True)
    village = models.ForeignKey(
        "core.Place", verbose_name="所在村", on_delete=models.PROTECT, related_name="+"
    )
    contractor = models.ForeignKey(
        Contractor,
        verbose_name="流出方（承包方）",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="transfers",
    )
    parcels = models.ManyToManyField(Parcel, verbose_name="流转地块", related_name="transfers")
    transferee = models.CharField("流入方", max_length=100)
    transferee_kind = models.CharField("流入方类型", max_length=12, choices=TransfereeKind.choices)
    mode = models.CharField(
        "流转方式", max_length=8, choices=TransferMode.choices, default=TransferMode.LEASE
    )
    start = models.DateField("起始日期")
    end = models.DateField("终止日期")
    area_m2 = models.DecimalField("流转面积（m²）", **AREA)
    rent_kind = models.CharField("租金形式", max_length=6, choices=RentKind.choices, default=RentKind.CASH)
    annual_rent = models.DecimalField("年租金（元）", **MONEY)
    grain_kg_per_mu = models.DecimalField(
        "每亩稻谷（kg）", max_digits=8, decimal_places=2, null=True, blank=True
    )
    grain_price = models.DecimalField(
        "稻谷折价（元/kg）", max_digits=8, decimal_places=2, null=True, blank=True
    )
    signed_on = models.DateField("签订日期")
    status = models.CharField(
        "状态", max_length=10, choices=TransferStatus.choices, default=TransferStatus.ACTIVE
    )
    attachment = models.ForeignKey(
        "core.Attachment",
        verbose_name="合同扫描件",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = "土地流转"
        verbose_name_plural = "土地流转"
        ordering = ["-signed_on", "code"]
        constraints = [
            models.CheckConstraint(
                condition=Q(end__gt=models.F("start")),
                name="land_transfer_term",
                violation_error_message="终止日期应晚于起始日期",
            ),
            models.CheckConstraint(
                condition=Q(annual_rent__gte=0) & Q(area_m2__gt=0),
                name="land_transfer_amounts",
                violation_error_message="面积应大于0，租金不能为负",
            ),
        ]

    def __str__(self):
        return f"{self.code} → {self.transferee}"

    def get_absolute_url(self):
        return reverse("land:transfer_detail", args=[self.pk])

    @property
    def area_mu(self):
        return mu(self.area_m2)


@scoped("village")
class Listing(models.Model):
    """A listing (挂牌) on the district's rural property-rights exchange (区农村产权交易中心).

    A village offers a set of parcels or another collective asset for a term at a reserve price (yearly
    rent, yuan). Registered bidders bid while it is published; after the close the highest valid bid is
    the deal, announced for `notice_days` days (公示), then contracted.
    """

    code = models.CharField("挂牌编号", max_length=30, unique=True)
    village = models.ForeignKey(
        "core.Place", verbose_name="出让方（村集体）", on_delete=models.PROTECT, related_name="+"
    )
    title = models.CharField("项目名称", max_length=100)
    asset_kind = models.CharField(
        "标的类型", max_length=10, choices=AssetKind.choices, default=AssetKind.LAND
    )
    parcels = models.ManyToManyField(Parcel, verbose_name="地块", blank=True, related_name="listings")
    description = models.TextField("标的描述", blank=True)
    area_m2 = models.DecimalField("面积（m²）", null=True, blank=True, **AREA)
    reserve_price = models.DecimalField("底价（元/年）", **MONEY)
    min_increment = models.DecimalField("最小加价幅度（元）", default=Decimal("100.00"), **MONEY)
    term_years = models.PositiveSmallIntegerField("流转年限")
    conditions = models.TextField("受让条件", blank=True)
    mode = models.CharField("竞价方式", max_length=8, choices=BidMode.choices, default=BidMode.OPEN)
    publish_from = models.DateTimeField("挂牌开始", null=True, blank=True)
    publish_until = models.DateTimeField("挂牌截止", null=True, blank=True)
    notice_days = models.PositiveSmallIntegerField("成交公示天数", default=5)
    status = models.CharField(
        "状态", max_length=10, choices=ListingStatus.choices, default=ListingStatus.DRAFT
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = "产权交易挂牌"
        verbose_name_plural = "产权交易挂牌"
        ordering = ["-created_at", "code"]
        constraints = [
            models.CheckConstraint(
                condition=Q(reserve_price__gt=0) & Q(term_years__gte=1),
                name="land_listing_terms",
                violation_error_message="底价应大于0，年限至少1年",
            )
        ]

    def __str__(self):
        return f"{self.code} {self.title}"

    def get_absolute_url(self):
        return reverse("land:listing_detail", args=[self.code])

    @property
    def area_mu(self):
        return mu(self.area_m2)


@scoped("place")
class Bidder(models.Model):
    """A bidder registered with the exchange (竞买人): a person, cooperative or company.

    The certificate number (ID or unified social credit code) and phone are ciphertext at rest.
    """

    name = models.CharField("竞买人名称", max_length=100)
    kind = models.CharField("类型", max_length=12, choices=TransfereeKind.choices)
    certificate_no = EncryptedTextField("证件号码", blank=True)
    phone = EncryptedTextField("联系电话", blank=True)
    place = models.ForeignKey("core.Place", verbose_name="登记地", on_delete=models.PROTECT, related_name="+")
    account = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name="竞价账号",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="land_bidder",
    )
    registered_at = models.DateTimeField(auto_now_add=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = "竞买人"
        verbose_name_plural = "竞买人"
        ordering = ["name"]

    def __str__(self):
        return self.name

    @property
    def certificate_masked(self):
        value = self.certificate_no or ""
        if len(value) == 18 and value[:17].isdigit():
            return mask_id_number(value)
        return value[:4] + "*" * max(len(value) - 6, 0) + value[-2:] if value else ""


@scoped("listing__village")
class Bid(models.Model):
    """One bid on a listing (报价): yearly rent offered, when."""

    listing = models.ForeignKey(Listing, verbose_name="挂牌", on_delete=models.PROTECT, related_name="bids")
    bidder = models.ForeignKey(Bidder, verbose_name="竞买人", on_delete=models.PROTECT, related_name="bids")
    amount = models.DecimalField("报价（元/年）", **MONEY)
    placed_at = models.DateTimeField("报价时间")

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = "竞价记录"
        verbose_name_plural = "竞价记录"
        ordering = ["-amount", "placed_at"]

    def __str__(self):
        return f"{self.bidder} {self.amount}"


@scoped("listing__village")
class Deal(models.Model):
    """The deal (成交) of a listing: its one winning bid, the public notice and the contract that follows."""

    listing = models.OneToOneField(
        Listing, verbose_name="挂牌", on_delete=models.PROTECT, related_name="deal"
    )
    bid = models.OneToOneField(Bid, verbose_name="成交报价", on_delete=models.PROTECT, related_name="+")
    amount = models.DecimalField("成交价（元/年）", **MONEY)
    made_at = models.DateTimeField("成交时间")
    notice_until = models.DateField("公示截止")
    transfer = models.OneToOneField(
        Transfer,
        verbose_name="流转合同",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="deal",
    )

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = "成交"
        verbose_name_plural = "成交"

    def __str__(self):
        return f"{self.listing.code} 成交 {self.amount}"


@scoped("deal__listing__village")
class Objection(models.Model):
    """An objection (异议) raised during a deal's public notice; it holds the contract until answered."""

    deal = models.ForeignKey(Deal, verbose_name="成交", on_delete=models.PROTECT, related_name="objections")
    text = models.TextField("异议内容")
    received_at = models.DateTimeField("收到时间")
    answer = models.TextField("答复", blank=True)
    answered_at = models.DateTimeField("答复时间", null=True, blank=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = "成交异议"
        verbose_name_plural = "成交异议"
        ordering = ["received_at"]

    def __str__(self):
        return self.text[:30]


@scoped("village")
class Cooperative(models.Model):
    """A village's shareholding economic cooperative (村股份经济合作社), one per administrative village."""

    village = models.OneToOneField(
        "core.Place", verbose_name="村", on_delete=models.PROTECT, related_name="land_cooperative"
    )
    name = models.CharField("名称", max_length=100)
    credit_code = models.CharField("统一社会信用代码", max_length=18, blank=True)
    management = models.CharField(
        "股权管理方式", max_length=10, choices=ShareManagement.choices, default=ShareManagement.STATIC
    )
    cutoff_date = models.DateField("成员界定基准日")
    reserve_rate = models.DecimalField(
        "公积公益金提取比例", max_digits=5, decimal_places=4, default=Decimal("0.3000")
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = "股份经济合作社"
        verbose_name_plural = "股份经济合作社"
        ordering = ["village__code"]

    def __str__(self):
        return self.name

    @property
    def code(self) -> str:
        """The cooperative is addressed by its village's division code (/land/coop/{village_code}/…)."""
        return self.village.code


@scoped("cooperative__village")
class Member(models.Model):
    """A confirmed (or proposed) member of a cooperative (集体经济组织成员) and shareholder.

    A person is a member of one cooperative at most. `household` is the contracting household shares
    are shared in (户内共享); `basis` is why the person is a member, recorded at identification.
    The bank account for dividends is ciphertext at rest, masked on every page.
    """

    cooperative = models.ForeignKey(
        Cooperative, verbose_name="合作社", on_delete=models.PROTECT, related_name="members"
    )
    code = models.CharField("成员编号", max_length=20, unique=True)
    person = models.OneToOneField(
        "core.Person", verbose_name="人员", on_delete=models.PROTECT, related_name="land_member"
    )
    household = models.ForeignKey(
        Contractor,
        verbose_name="所在农户",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="coop_members",
    )
    basis = models.CharField("成员身份依据", max_length=14, choices=MemberBasis.choices)
    basis_note = models.CharField("依据说明", max_length=200, blank=True)
    status = models.CharField(
        "状态", max_length=10, choices=MemberStatus.choices, default=MemberStatus.PROPOSED
    )
    village_approved_at = models.DateTimeField("村审核时间", null=True, blank=True)
    township_approved_at = models.DateTimeField("乡镇审核时间", null=True, blank=True)
    bank_account = EncryptedTextField("收款账号", blank=True)
    bank_name = models.CharField("开户行", max_length=60, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = "合作社成员"
        verbose_name_plural = "合作社成员"
        ordering = ["code"]

    def __str__(self):
        return f"{self.code} {self.person.name}"

    @property
    def account_masked(self):
        value = self.bank_account or ""
        return (
            f"{value[:4]}{'*' * max(len(value) - 8, 0)}{value[-4:]}" if len(value) > 8 else ("*" * len(value))
        )


@scoped("cooperative__village")
class Holding(models.Model):
    """Shares of one kind held by a member (or the cooperative itself: the 集体股, member empty).

    Shares are exact decimals (four places: a 农龄股 of 0.5 a year, land shares by 亩): they are never floats.
    """

    cooperative = models.ForeignKey(
        Cooperative, verbose_name="合作社", on_delete=models.PROTECT, related_name="holdings"
    )
    member = models.ForeignKey(
        Member, verbose_name="成员", null=True, blank=True, on_delete=models.PROTECT, related_name="holdings"
    )
    kind = models.CharField("股份类型", max_length=12, choices=ShareKind.choices)
    shares = models.DecimalField("股数", **SHARES)
    basis = models.CharField("折股依据", max_length=100, blank=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = "股权"
        verbose_name_plural = "股权"
        ordering = ["member__code", "kind"]
        constraints = [
            models.UniqueConstraint(
                fields=["cooperative", "member", "kind"],
                name="land_holding_one_per_kind",
                violation_error_message="同一成员同一股份类型只能有一条",
            ),
            models.UniqueConstraint(
                fields=["cooperative"],
                condition=Q(member__isnull=True),
                name="land_holding_one_collective",
                violation_error_message="合作社只能有一条集体股",
            ),
            models.CheckConstraint(
                condition=Q(shares__gte=0),
                name="land_holding_nonnegative",
                violation_error_message="股数不能为负",
            ),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} {self.shares}"


@scoped("cooperative__village")
class ShareChange(models.Model):
    """A line of a share register's history: a transfer or inheritance within a household, an adjustment."""

    cooperative = models.ForeignKey(
        Cooperative, verbose_name="合作社", on_delete=models.PROTECT, related_name="+"
    )
    kind = models.CharField("股份类型", max_length=12, choices=ShareKind.choices)
    from_member = models.ForeignKey(
        Member, verbose_name="转出", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    to_member = models.ForeignKey(
        Member, verbose_name="转入", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    shares = models.DecimalField("股数", **SHARES)
    reason = models.CharField("事由", max_length=20)
    at = models.DateTimeField("时间", auto_now_add=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = "股权变动"
        verbose_name_plural = "股权变动"
        ordering = ["-at"]

    def __str__(self):
        return f"{self.reason} {self.shares}"


@scoped("cooperative__village")
class Distribution(models.Model):
    """A dividend run (收益分配) of one period: `amount` goes to the shareholders after reserves.

    Each line is exact to the fen and the lines sum to `amount` (largest remainder). `inputs_digest`
    fingerprints the share register the run was computed on: recomputing with the same register and
    amount gives the same lines. Approved by the village, then the township, announced, then paid.
    """

    cooperative = models.ForeignKey(
        Cooperative, verbose_name="合作社", on_delete=models.PROTECT, related_name="distributions"
    )
    period = models.CharField("分配期间", max_length=20)
    income = models.DecimalField("可分配收益（元）", null=True, blank=True, **MONEY)
    reserves = models.DecimalField("提取公积公益金（元）", default=Decimal("0.00"), **MONEY)
    amount = models.DecimalField("分红总额（元）", **MONEY)
    total_shares = models.DecimalField("总股数", **SHARES)
    per_share = models.CharField("每股分红（精确分数）", max_length=80)
    inputs_digest = models.CharField(max_length=64)
    status = models.CharField(
        "状态", max_length=10, choices=DistributionStatus.choices, default=DistributionStatus.COMPUTED
    )
    computed_at = models.DateTimeField("测算时间")
    village_approved_at = models.DateTimeField("村审批时间", null=True, blank=True)
    township_approved_at = models.DateTimeField("乡镇审批时间", null=True, blank=True)
    notice_until = models.DateField("公示截止", null=True, blank=True)
    paid_at = models.DateTimeField("发放时间", null=True, blank=True)
    ledger_hash = models.CharField("账本哈希", max_length=64, blank=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = "收益分配"
        verbose_name_plural = "收益分配"
        ordering = ["-period"]
        constraints = [
            models.UniqueConstraint(
                fields=["cooperative", "period"],
                name="land_distribution_one_per_period",
                violation_error_message="该期间已有分配方案",
            )
        ]

    def __str__(self):
        return f"{self.cooperative} {self.period} 分红"

    def get_absolute_url(self):
        return reverse("land:distribution_detail", args=[self.pk])


@scoped("distribution__cooperative__village")
class Payout(models.Model):
    """One shareholder's line of a dividend run (member empty: the 集体股 kept by the cooperative)."""

    distribution = models.ForeignKey(
        Distribution, verbose_name="分配", on_delete=models.CASCADE, related_name="payouts"
    )
    member = models.ForeignKey(
        Member, verbose_name="成员", null=True, blank=True, on_delete=models.PROTECT, related_name="payouts"
    )
    shares = models.DecimalField("股数", **SHARES)
    amount = models.DecimalField("分红（元）", **MONEY)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = "分红明细"
        verbose_name_plural = "分红明细"
        ordering = ["distribution", "member__code"]

    def __str__(self):
        return f"{self.member or '集体股'} {self.amount}"


@scoped("member__cooperative__village")
class MemberCode(models.Model):
    """A one-time code a cadre issues (or the platform sends) so a member can see their own shares and
    payouts on a phone; only its digest is stored."""

    member = models.ForeignKey(Member, on_delete=models.CASCADE, related_name="+")
    digest = models.CharField(max_length=64)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = "成员查询码"
        verbose_name_plural = "成员查询码"

    def __str__(self):
        return f"{self.member_id} 查询码"


@scoped("member__cooperative__village")
class TextMessage(models.Model):
    """A text message (短信) the platform sent or queued for a member's registered phone: the outbox.

    With no SMS gateway configured (SHUXIANG_SMS_URL unset) messages stay here with status `outbox` and
    the cadres of the village see them on the cooperative's page, to pass on by phone. The phone number
    is ciphertext at rest; a one-time code in the text is masked once the code is spent or expired."""

    member = models.ForeignKey(Member, verbose_name="成员", on_delete=models.CASCADE, related_name="messages")
    phone = EncryptedTextField("手机号")
    text = models.CharField("内容", max_length=300)
    backend = models.CharField("发送方式", max_length=10)
    status = models.CharField(
        "状态",
        max_length=10,
        choices=[("outbox", "待转告（未配置短信网关）"), ("sent", "已发送"), ("failed", "发送失败")],
    )
    error = models.CharField("失败原因", max_length=200, blank=True)
    created_at = models.DateTimeField("时间", auto_now_add=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = "短信"
        verbose_name_plural = "短信"
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return f"{self.member_id} {self.get_status_display()}"


@scoped("village")
class FinanceEntry(models.Model):
    """A line of the village collective's books (收支明细) with its voucher number, published in 财务公开."""

    village = models.ForeignKey("core.Place", verbose_name="村", on_delete=models.PROTECT, related_name="+")
    kind = models.CharField("收支", max_length=8, choices=EntryKind.choices)
    category = models.CharField("科目", max_length=14, choices=EntryCategory.choices)
    amount = models.DecimalField("金额（元）", **MONEY)
    occurred_on = models.DateField("发生日期")
    voucher_no = models.CharField("凭证号", max_length=30)
    summary = models.CharField("摘要", max_length=200)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = "村集体收支"
        verbose_name_plural = "村集体收支"
        ordering = ["-occurred_on", "voucher_no"]
        constraints = [
            models.CheckConstraint(
                condition=Q(amount__gt=0), name="land_finance_positive", violation_error_message="金额应大于0"
            ),
            models.UniqueConstraint(
                fields=["village", "voucher_no"],
                name="land_finance_voucher",
                violation_error_message="凭证号重复",
            ),
        ]

    def __str__(self):
        return f"{self.voucher_no} {self.summary}"


@scoped("village")
class Disclosure(models.Model):
    """A published disclosure (公开) of a village's finances for a month or quarter, with its due date."""

    village = models.ForeignKey("core.Place", verbose_name="村", on_delete=models.PROTECT, related_name="+")
    period = models.CharField("公开期间", max_length=10, help_text="如 2026-11（月）或 2026-Q3（季度）")
    start = models.DateField("期间开始")
    end = models.DateField("期间结束")
    due_on = models.DateField("应公开日期")
    published_at = models.DateTimeField("公开时间")
    note = models.TextField("说明", blank=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = "财务公开"
        verbose_name_plural = "财务公开"
        ordering = ["-start"]
        constraints = [
            models.UniqueConstraint(
                fields=["village", "period"],
                name="land_disclosure_once",
                violation_error_message="该期间已公开",
            )
        ]

    def __str__(self):
        return f"{self.village} {self.period} 财务公开"

    @property
    def on_time(self) -> bool:
        from django.utils import timezone

        return timezone.localtime(self.published_at).date() <= self.due_on
