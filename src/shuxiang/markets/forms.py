from django import forms
from django.db.models import Q
from django.utils import timezone

from shuxiang.core import pii
from shuxiang.core.forms import ServiceFormMixin
from shuxiang.core.models import Person, Place, User
from shuxiang.markets.choices import (
    BrandKind,
    ClientKind,
    GrainGrade,
    GrainVariety,
    InsuranceKind,
    InsuredUnit,
    Platform,
    StationKind,
    StationStatus,
)
from shuxiang.markets.models import CollectionPoint, GrainBuyer, Product, Seller
from shuxiang.trace.models import Producer


class PriceForm(ServiceFormMixin, forms.Form):
    """A collector's price on a phone: point, product, day, price; confirm when questioned."""

    point = forms.ModelChoiceField(label="采集点", queryset=CollectionPoint.objects.none())
    product = forms.ModelChoiceField(label="品种", queryset=Product.objects.all())
    observed_on = forms.DateField(
        label="采价日期", widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    price = forms.DecimalField(
        label="价格",
        max_digits=10,
        decimal_places=2,
        widget=forms.NumberInput(attrs={"inputmode": "decimal", "step": "0.01"}),
    )
    confirm = forms.BooleanField(label="价格异常已核实，确认上报", required=False)
    note = forms.CharField(label="备注", max_length=200, required=False)

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        # The points in the collector's region and those it is named a collector of.
        mine = CollectionPoint.objects.filter(collectors=user).values("pk")
        in_region = CollectionPoint.objects.restrict(user).values("pk")
        self.fields["point"].queryset = CollectionPoint.objects.filter(
            Q(pk__in=mine) | Q(pk__in=in_region), is_active=True
        ).order_by("code")
        self.fields["observed_on"].initial = timezone.localdate()


class UploadForm(ServiceFormMixin, forms.Form):
    file = forms.FileField(label="文件（.xlsx 或 .csv）")


class BacktestForm(ServiceFormMixin, forms.Form):
    method = forms.ChoiceField(label="方法")
    product = forms.ModelChoiceField(label="品种", queryset=Product.objects.all(), to_field_name="code")
    township = forms.ModelChoiceField(
        label="乡镇", queryset=Place.objects.none(), to_field_name="code", required=False, empty_label="全区"
    )


class ConsentForm(forms.Form):
    given = forms.ChoiceField(
        label="名录授权", choices=[("true", "同意向金融机构开放"), ("false", "撤回同意")]
    )


class DirectoryClientForm(ServiceFormMixin, forms.Form):
    """A bank's or insurer's API account: which directory fields it reads and how often."""

    user = forms.ModelChoiceField(label="接口账号", queryset=User.objects.none(), empty_label="请选择")
    institution = forms.CharField(label="机构名称", max_length=80)
    kind = forms.ChoiceField(
        label="机构类型",
        choices=ClientKind.choices,
        initial=ClientKind.BANK,
        required=False,
        help_text="保险机构还可通过接口报送本机构承保的保单",
    )
    fields = forms.MultipleChoiceField(label="可读字段", widget=forms.CheckboxSelectMultiple)
    rate = forms.CharField(
        label="频率上限", max_length=12, initial="60/m", help_text="如 60/m（每分钟60次）、1000/h"
    )

    def __init__(self, *args, client=None, **kwargs):
        from shuxiang.core.choices import STAFF_ROLES
        from shuxiang.markets import directory

        super().__init__(*args, **kwargs)
        accounts = User.objects.filter(is_active=True, is_superuser=False).exclude(role__in=STAFF_ROLES)
        self.fields["user"].queryset = accounts.order_by("username")
        self.fields["user"].label_from_instance = lambda u: f"{u.display_name or u.username}（{u.username}）"
        self.fields["fields"].choices = [(f, directory.FIELD_LABELS[f]) for f in directory.ALL_FIELDS]
        if client is not None:  # the account of an existing client is not changed here
            self.fields["user"].queryset = accounts.filter(pk=client.user_id)
            self.fields["user"].disabled = True
            self.initial.update(
                user=client.user_id,
                institution=client.institution,
                kind=client.kind,
                fields=client.fields,
                rate=client.rate,
            )
        else:
            self.initial.setdefault("fields", list(directory.DEFAULT_FIELDS))


class PublicWarningForm(ServiceFormMixin, forms.Form):
    """A current alert/crisis level issued as a public 农产品价格预警 (text pre-filled from the level)."""

    headline = forms.CharField(label="标题", max_length=60, help_text="如“八字哨镇辣椒价格危机”")
    description = forms.CharField(label="广播内容", max_length=1000, widget=forms.Textarea(attrs={"rows": 5}))
    days = forms.IntegerField(label="有效天数", min_value=1, max_value=30, initial=7)


class StationForm(ServiceFormMixin, forms.Form):
    """A node of the three-level network: district centre, township station, village station, pickup."""

    code = forms.SlugField(label="编码", max_length=30, help_text="字母、数字、横线，如 HS-ZD-07")
    name = forms.CharField(label="名称", max_length=80)
    kind = forms.ChoiceField(label="类型", choices=[("", "请选择"), *StationKind.choices])
    place = forms.ModelChoiceField(label="所在区划", queryset=Place.objects.none())
    status = forms.ChoiceField(label="状态", choices=StationStatus.choices, initial=StationStatus.OPEN)
    opened_on = forms.DateField(
        label="开业日期", required=False, widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    operator = forms.CharField(label="运营主体", max_length=80, required=False)
    carriers = forms.CharField(
        label="合作快递", max_length=120, required=False, help_text="如 邮政、中通、极兔"
    )

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["place"].queryset = (
            Place.objects.restrict(user).filter(level__lte=3, valid_to__isnull=True).order_by("code")
        )


class StationStatusForm(ServiceFormMixin, forms.Form):
    status = forms.ChoiceField(label="状态", choices=StationStatus.choices)


class SellerForm(ServiceFormMixin, forms.Form):
    name = forms.CharField(label="名称", max_length=80)
    place = forms.ModelChoiceField(label="所在区划", queryset=Place.objects.none())
    producer = forms.ModelChoiceField(
        label="经营主体（已在追溯系统登记的）", queryset=Producer.objects.none(), required=False
    )
    shop = forms.CharField(label="店铺/账号", max_length=80, required=False)
    main_products = forms.CharField(label="主营产品", max_length=120, required=False)

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["place"].queryset = (
            Place.objects.restrict(user).filter(level__in=(2, 3), valid_to__isnull=True).order_by("code")
        )
        self.fields["producer"].queryset = Producer.objects.restrict(user).order_by("name")


class LiveSessionForm(ServiceFormMixin, forms.Form):
    seller = forms.ModelChoiceField(label="网销主体", queryset=Seller.objects.none())
    host = forms.CharField(label="主播", max_length=40)
    platform = forms.ChoiceField(label="平台", choices=[("", "请选择"), *Platform.choices])
    held_on = forms.DateField(label="日期", widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    viewers = forms.IntegerField(label="观看人次", min_value=0)
    orders = forms.IntegerField(label="订单数", min_value=0)
    amount = forms.DecimalField(
        label="销售额（元）",
        max_digits=14,
        decimal_places=2,
        min_value=0,
        widget=forms.NumberInput(attrs={"inputmode": "decimal", "step": "0.01"}),
    )

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["seller"].queryset = Seller.objects.restrict(user).order_by("name")
        self.fields["held_on"].initial = timezone.localdate()


class PurchaseForm(ServiceFormMixin, forms.Form):
    """A grain purchase: buyer, farmer (a registered person), variety, grade, weight, price, dates."""

    buyer = forms.ModelChoiceField(label="收购主体", queryset=GrainBuyer.objects.none())
    farmer = forms.CharField(
        label="售粮农户身份证号", max_length=18, help_text="农户须已在人员登记中（身份证号加密保存）"
    )
    variety = forms.ChoiceField(label="品种", choices=[("", "请选择"), *GrainVariety.choices])
    grade = forms.TypedChoiceField(label="等级", choices=[("", "请选择"), *GrainGrade.choices], coerce=int)
    weight_kg = forms.DecimalField(
        label="重量（公斤）",
        max_digits=10,
        decimal_places=1,
        widget=forms.NumberInput(attrs={"inputmode": "decimal", "step": "0.1"}),
    )
    price = forms.DecimalField(
        label="收购价（元/公斤）",
        max_digits=6,
        decimal_places=3,
        widget=forms.NumberInput(attrs={"inputmode": "decimal", "step": "0.001"}),
    )
    purchased_on = forms.DateField(
        label="收购日期", widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    due_on = forms.DateField(
        label="应付款日期",
        required=False,
        help_text="不填则按收购后30天",
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    paid_on = forms.DateField(
        label="实际付款日期",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["buyer"].queryset = GrainBuyer.objects.restrict(user).order_by("name")
        self.user = user
        self.fields["purchased_on"].initial = timezone.localdate()

    def clean_farmer(self):
        """The registered person with this ID number in the user's region (by its keyed digest)."""
        try:
            number = pii.normalize_id_number(self.cleaned_data["farmer"])
        except pii.PIIError as exc:
            raise forms.ValidationError(exc.message) from None
        person = Person.objects.restrict(self.user).filter(id_number_digest=pii.digest(number)).first()
        if person is None:
            raise forms.ValidationError("未找到该身份证号的登记人员（或不在您的管辖范围内），请先登记人员")
        return person


class BrandForm(ServiceFormMixin, forms.Form):
    name = forms.CharField(label="品牌名称", max_length=60, help_text="如“八字哨辣椒”")
    kind = forms.ChoiceField(label="类型", choices=BrandKind.choices, initial=BrandKind.TOWNSHIP)
    place = forms.ModelChoiceField(
        label="所属区划", queryset=Place.objects.none(), help_text="一镇一品选乡镇，区域公用品牌选全区"
    )
    products = forms.CharField(label="品牌产品", max_length=200, help_text="如 辣椒、剁辣椒、辣椒酱")
    certification = forms.CharField(label="认证/标志", max_length=120, required=False)
    description = forms.CharField(
        label="品牌介绍", max_length=2000, required=False, widget=forms.Textarea(attrs={"rows": 4})
    )
    is_public = forms.BooleanField(label="在公开页面展示", required=False, initial=True)

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["place"].queryset = (
            Place.objects.restrict(user).filter(level__lte=2, valid_to__isnull=True).order_by("code")
        )


class BrandProducerForm(ServiceFormMixin, forms.Form):
    producer = forms.ModelChoiceField(label="经营主体（追溯系统已登记）", queryset=Producer.objects.none())
    authorised_on = forms.DateField(
        label="授权日期", widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    note = forms.CharField(label="备注", max_length=120, required=False)

    def __init__(self, *args, user=None, brand=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["producer"].queryset = (
            Producer.objects.restrict(user).filter(place__path__startswith=brand.place.path).order_by("name")
        )
        self.fields["authorised_on"].initial = timezone.localdate()


def _money(label, digits=14, required=True, help_text=""):
    return forms.DecimalField(
        label=label,
        max_digits=digits,
        decimal_places=2,
        required=required,
        help_text=help_text,
        widget=forms.NumberInput(attrs={"inputmode": "decimal", "step": "0.01"}),
    )


class InsurancePolicyForm(ServiceFormMixin, forms.Form):
    """A policy on a phone: the entity (of the user's region), insurer, number, kind, what and how much,
    the period and the claims paid so far. Bounds and cross-checks are the service's (insurance._clean)."""

    producer = forms.ModelChoiceField(
        label="经营主体", queryset=Producer.objects.none(), empty_label="请选择"
    )
    insurer = forms.CharField(
        label="承保机构", max_length=80, help_text="如 中国人民财产保险股份有限公司益阳市分公司"
    )
    number = forms.CharField(label="保单号", max_length=40)
    kind = forms.ChoiceField(label="险种", choices=[("", "请选择"), *InsuranceKind.choices])
    subject = forms.CharField(label="保险标的", max_length=60, required=False, help_text="如 早稻、育肥猪")
    quantity = forms.DecimalField(
        label="保险数量",
        max_digits=12,
        decimal_places=2,
        widget=forms.NumberInput(attrs={"inputmode": "decimal", "step": "0.01"}),
    )
    unit = forms.ChoiceField(label="单位", choices=InsuredUnit.choices)
    sum_insured = _money("保险金额（元）")
    premium = _money("保费（元）", 12)
    premium_subsidy = _money("其中财政补贴（元）", 12, required=False, help_text="不填为0")
    starts_on = forms.DateField(
        label="保险起期", widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    ends_on = forms.DateField(
        label="保险止期", widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    claims_paid = _money("已决赔款（元）", required=False, help_text="不填为0")

    def __init__(self, *args, user=None, policy=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["producer"].queryset = Producer.objects.restrict(user).order_by("place__code", "name")
        if policy is not None:  # a correction keeps the entity
            self.fields["producer"].queryset = Producer.objects.filter(pk=policy.producer_id)
            self.fields["producer"].disabled = True
            self.initial.update(
                {name: getattr(policy, name) for name in self.fields if name != "producer"},
                producer=policy.producer_id,
            )
        else:
            self.fields["starts_on"].initial = timezone.localdate()
