"""API: price series and observations, warning levels, grain purchases, online sales, and the
entity directory for banks (token; fields by client)."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from shuxiang.core.api.base import BoundedDateField, PlaceCodeField, ScopedViewSetMixin, in_scope, validated
from shuxiang.core.errors import ServiceError
from shuxiang.core.models import Person, Place
from shuxiang.markets import commerce, directory, grain, insurance, monitor, services
from shuxiang.markets.choices import GrainGrade, GrainVariety, InsuranceKind, InsuredUnit, Platform, Source
from shuxiang.markets.filtersets import (
    InsurancePolicyFilterSet,
    LiveSessionFilterSet,
    PurchaseFilterSet,
    SalesFilterSet,
    WarningFilterSet,
)
from shuxiang.markets.models import (
    GrainBuyer,
    GrainPurchase,
    InsurancePolicy,
    LiveSession,
    PriceObservation,
    Product,
    SalesReport,
    Seller,
    WarningLevel,
)
from shuxiang.trace.models import DirectoryEntry

# --- prices -------------------------------------------------------------------------------------


class PriceObservationWriteSerializer(serializers.Serializer):
    point = serializers.CharField(max_length=30, help_text="采集点编码")
    product = serializers.CharField(max_length=30, help_text="品种代码")
    observed_on = BoundedDateField(help_text="采价日期")
    price = serializers.DecimalField(max_digits=10, decimal_places=2, help_text="价格（按品种的计价单位）")
    unit = serializers.CharField(
        max_length=12, required=False, allow_blank=True, help_text="计价单位，须与品种一致"
    )
    confirm = serializers.BooleanField(
        required=False, default=False, help_text="与上次价格相差3倍以上时，核实后确认"
    )
    note = serializers.CharField(max_length=200, required=False, allow_blank=True)


class PriceObservationSerializer(serializers.ModelSerializer):
    point = serializers.CharField(source="point.code", read_only=True)
    product = serializers.CharField(source="product.code", read_only=True)
    unit = serializers.CharField(source="product.unit", read_only=True)
    source = serializers.CharField(read_only=True, help_text="phone 手机填报、api 接口推送、import 表格导入")

    class Meta:
        model = PriceObservation
        fields = [
            "id",
            "point",
            "product",
            "observed_on",
            "price",
            "unit",
            "source",
            "questioned",
            "recorded_at",
        ]


class SeriesPointSerializer(serializers.Serializer):
    period = serializers.DateField()
    price = serializers.FloatField()
    reports = serializers.IntegerField()
    wow = serializers.FloatField(allow_null=True, help_text="环比（%）")
    yoy = serializers.FloatField(allow_null=True, help_text="同比（%）")


def _series_params(request):
    errors = {}
    code = request.query_params.get("product", "").strip()
    product = Product.objects.filter(code=code).first() if code else None
    if product is None:
        errors["product"] = ["请指定监测目录中的品种代码" if not code else f"品种 {code} 不在监测目录中"]
    place_code = request.query_params.get("township", "").strip()
    place = (
        Place.objects.filter(code=place_code).first() if place_code else Place.objects.filter(level=1).first()
    )
    if place is None:
        errors["township"] = [f"区划代码 {place_code} 不存在"]
    frequency = request.query_params.get("frequency", "week")
    if frequency not in ("week", "month"):
        errors["frequency"] = ["应为 week 或 month"]
    if errors:
        raise ServiceError("invalid", "查询参数有误", errors)
    return product, place, frequency


class PriceViewSet(mixins.ListModelMixin, mixins.CreateModelMixin, viewsets.GenericViewSet):
    """价格：GET 某品种（某乡镇或全区）的周/月均价序列及环比、同比；POST 上报一条或一批价格（全部成功或全部不写）。"""

    queryset = PriceObservation.objects.all()
    serializer_class = PriceObservationSerializer
    filterset_class = None
    pagination_class = None

    @extend_schema(
        parameters=[
            OpenApiParameter("product", str, required=True, description="品种代码"),
            OpenApiParameter("township", str, description="乡镇区划代码（缺省为全区）"),
            OpenApiParameter("frequency", str, enum=["week", "month"], description="周或月"),
        ],
        responses=inline_serializer(
            "PriceSeries",
            {
                "count": serializers.IntegerField(),
                "product": serializers.CharField(),
                "unit": serializers.CharField(),
                "place": serializers.CharField(),
                "results": SeriesPointSerializer(many=True),
            },
        ),
    )
    def list(self, request, *args, **kwargs):
        product, place, frequency = _series_params(request)
        if (
            place.level > 1
            and not Place.objects.filter(pk=place.pk).filter(path__startswith=_scope(request.user)).exists()
        ):
            raise ServiceError("not_found", "区划不存在或不在您的管辖范围内", status=404)
        points = monitor.series_for(request.user, product, place, frequency)
        return Response(
            {
                "count": len(points),
                "product": product.code,
                "unit": product.unit,
                "place": place.code,
                "results": SeriesPointSerializer(points, many=True).data,
            }
        )

    @extend_schema(
        request=PriceObservationWriteSerializer(many=True),
        responses={201: PriceObservationSerializer(many=True)},
    )
    def create(self, request, *args, **kwargs):
        many = isinstance(request.data, list)
        data = validated(PriceObservationWriteSerializer, request, many=many)
        values = data if many else [data]
        items = [services.PriceInput(**v) for v in values]
        if many:
            services.do_import_prices(
                actor=request.user, items=list(enumerate(items, start=1)), source=Source.API
            )
            created = PriceObservation.objects.filter(
                point__code__in={i.point for i in items}, observed_on__in={i.observed_on for i in items}
            ).select_related("point", "product")
            created = [
                o
                for o in created
                if (o.point.code, o.product.code, o.observed_on)
                in {(i.point, i.product, i.observed_on) for i in items}
            ]
            return Response(
                PriceObservationSerializer(created, many=True).data, status=status.HTTP_201_CREATED
            )
        obs = services.do_record_price(actor=request.user, item=items[0], source=Source.API)
        return Response(PriceObservationSerializer(obs).data, status=status.HTTP_201_CREATED)


def _scope(user) -> str:
    from shuxiang.core.scope import user_scope_path

    return user_scope_path(user) or "/nowhere/"


class PriceWarningSerializer(serializers.ModelSerializer):
    product = serializers.CharField(source="product.code", read_only=True)
    product_name = serializers.CharField(source="product.name", read_only=True)
    place = PlaceCodeField(read_only=True)
    place_name = serializers.CharField(source="place.name", read_only=True)
    method = serializers.CharField(source="method.code", read_only=True)
    level_display = serializers.CharField(source="get_level_display", read_only=True)

    class Meta:
        model = WarningLevel
        fields = [
            "id",
            "product",
            "product_name",
            "place",
            "place_name",
            "method",
            "period_start",
            "value",
            "level",
            "level_display",
            "is_current",
        ]


class PriceWarningViewSet(ScopedViewSetMixin, viewsets.ReadOnlyModelViewSet):
    """价格预警级别：缺省为各品种×乡镇（及全区）各方法的当前级别；`history=true` 给出历史。"""

    queryset = WarningLevel.objects.select_related("product", "place", "method")
    serializer_class = PriceWarningSerializer
    filterset_class = WarningFilterSet

    @extend_schema(parameters=[OpenApiParameter("history", OpenApiTypes.BOOL, description="含历史级别")])
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    def get_queryset(self):
        qs = super().get_queryset()
        history = self.request.query_params.get("history", "false").lower()
        if self.action == "list" and history not in ("true", "1", "false", "0"):
            raise ValidationError({"history": ["应为 true 或 false"]})
        if self.action == "list" and history not in ("true", "1"):
            qs = qs.filter(is_current=True)
        return qs.order_by("product__code", "place__code", "method__order", "-period_start")


# --- grain --------------------------------------------------------------------------------------


class GrainPurchaseSerializer(serializers.ModelSerializer):
    buyer = serializers.CharField(source="buyer.name", read_only=True)
    place = PlaceCodeField(source="buyer.place", read_only=True)
    farmer = serializers.CharField(source="farmer.name", read_only=True)
    amount = serializers.DecimalField(max_digits=14, decimal_places=0, read_only=True)
    paid_on_time = serializers.BooleanField(read_only=True, allow_null=True)

    class Meta:
        model = GrainPurchase
        fields = [
            "id",
            "buyer",
            "place",
            "farmer",
            "variety",
            "grade",
            "weight_kg",
            "price",
            "amount",
            "purchased_on",
            "due_on",
            "paid_on",
            "paid_on_time",
            "below_minimum",
        ]


class GrainPurchaseWriteSerializer(serializers.Serializer):
    buyer = serializers.CharField(max_length=80, help_text="收购主体名称")
    farmer = serializers.IntegerField(help_text="售粮农户（人员登记的 id）")
    variety = serializers.ChoiceField(choices=GrainVariety.choices)
    grade = serializers.ChoiceField(choices=GrainGrade.choices)
    weight_kg = serializers.DecimalField(max_digits=10, decimal_places=1)
    price = serializers.DecimalField(max_digits=6, decimal_places=3)
    purchased_on = BoundedDateField()
    due_on = BoundedDateField(required=False)
    paid_on = BoundedDateField(required=False)


class PurchaseViewSet(
    ScopedViewSetMixin,
    mixins.CreateModelMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    """粮食收购记录：列表、详情、登记（低于最低收购价的自动生成核查工单）。"""

    queryset = GrainPurchase.objects.select_related("buyer__place", "farmer")
    serializer_class = GrainPurchaseSerializer
    filterset_class = PurchaseFilterSet

    @extend_schema(request=GrainPurchaseWriteSerializer, responses={201: GrainPurchaseSerializer})
    def create(self, request, *args, **kwargs):
        v = validated(GrainPurchaseWriteSerializer, request)
        buyer = in_scope(GrainBuyer.objects, request.user, "buyer", "收购主体", name=v.pop("buyer"))
        farmer = in_scope(Person.objects, request.user, "farmer", "售粮农户", pk=v.pop("farmer"))
        purchase = grain.do_record_purchase(actor=request.user, buyer=buyer, farmer=farmer, **v)
        return Response(GrainPurchaseSerializer(purchase).data, status=status.HTTP_201_CREATED)


# --- online sales -------------------------------------------------------------------------------


class SalesReportSerializer(serializers.ModelSerializer):
    station = serializers.CharField(source="station.code", read_only=True, default=None)
    seller = serializers.CharField(source="seller.name", read_only=True, default=None)
    place = PlaceCodeField(read_only=True)
    source = serializers.CharField(read_only=True, help_text="phone 手机填报、api 接口推送、import 表格导入")

    class Meta:
        model = SalesReport
        fields = [
            "id",
            "month",
            "station",
            "seller",
            "place",
            "platform",
            "product",
            "amount",
            "orders",
            "source",
        ]


class SalesReportWriteSerializer(serializers.Serializer):
    month = serializers.RegexField(r"^\d{4}-\d{2}$", help_text="月份 YYYY-MM")
    station = serializers.CharField(max_length=30, required=False, allow_blank=True, help_text="站点编码")
    seller = serializers.CharField(max_length=80, required=False, allow_blank=True, help_text="网销主体名称")
    platform = serializers.ChoiceField(choices=Platform.choices)
    product = serializers.CharField(max_length=60)
    amount = serializers.DecimalField(max_digits=14, decimal_places=2, help_text="销售额（元）")
    orders = serializers.IntegerField(min_value=0)


class SalesViewSet(
    ScopedViewSetMixin, mixins.CreateModelMixin, mixins.ListModelMixin, viewsets.GenericViewSet
):
    """网络销售月报：列表；POST 一条或一批（全部成功或全部不写；未知站点、未来月份、重复均拒绝）。"""

    queryset = SalesReport.objects.select_related("station", "seller", "place")
    serializer_class = SalesReportSerializer
    filterset_class = SalesFilterSet

    @extend_schema(
        request=SalesReportWriteSerializer(many=True), responses={201: SalesReportSerializer(many=True)}
    )
    def create(self, request, *args, **kwargs):
        many = isinstance(request.data, list)
        data = validated(SalesReportWriteSerializer, request, many=many)
        rows = [dict(v) for v in (data if many else [data])]
        reports = commerce.do_report_sales(actor=request.user, rows=rows, source=Source.API)
        return Response(SalesReportSerializer(reports, many=True).data, status=status.HTTP_201_CREATED)


class LiveSessionSerializer(serializers.ModelSerializer):
    seller = serializers.CharField(source="seller.name", read_only=True)
    place = PlaceCodeField(source="seller.place", read_only=True)

    class Meta:
        model = LiveSession
        fields = ["id", "seller", "place", "host", "platform", "held_on", "viewers", "orders", "amount"]


class LiveSessionWriteSerializer(serializers.Serializer):
    seller = serializers.CharField(max_length=80, help_text="网销主体名称（须在您的管辖范围内）")
    host = serializers.CharField(max_length=40, help_text="主播")
    platform = serializers.ChoiceField(choices=Platform.choices)
    held_on = BoundedDateField(help_text="日期，不能晚于今天")
    viewers = serializers.IntegerField(min_value=0)
    orders = serializers.IntegerField(min_value=0)
    amount = serializers.DecimalField(max_digits=14, decimal_places=2, min_value=0, help_text="销售额（元）")


class LiveSessionViewSet(
    ScopedViewSetMixin, mixins.CreateModelMixin, mixins.ListModelMixin, viewsets.GenericViewSet
):
    """直播带货场次：列表；POST 登记一场（网销主体按名称，须在管辖范围内；日期不能晚于今天）。"""

    queryset = LiveSession.objects.select_related("seller__place")
    serializer_class = LiveSessionSerializer
    filterset_class = LiveSessionFilterSet

    @extend_schema(request=LiveSessionWriteSerializer, responses={201: LiveSessionSerializer})
    def create(self, request, *args, **kwargs):
        v = validated(LiveSessionWriteSerializer, request)
        seller = in_scope(Seller.objects, request.user, "seller", "网销主体", name=v.pop("seller"))
        session = commerce.do_record_live_session(actor=request.user, seller=seller, **v)
        return Response(LiveSessionSerializer(session).data, status=status.HTTP_201_CREATED)


# --- the directory ------------------------------------------------------------------------------


# Unbound fields that format the directory's decimals and times (DRF's serializer class would take
# them as declared fields if they were class attributes).
_AREA = serializers.DecimalField(max_digits=12, decimal_places=2)
_SALES = serializers.DecimalField(max_digits=14, decimal_places=2)
_AT = serializers.DateTimeField()
_MONEY = serializers.DecimalField(max_digits=16, decimal_places=2)


class InsuranceFiguresSerializer(serializers.Serializer):
    """An entity's agricultural insurance in force today (the directory field `insurance`)."""

    policies = serializers.IntegerField(help_text="在保保单数（今天在保险起止期内）")
    kinds = serializers.ListField(
        child=serializers.ChoiceField(choices=InsuranceKind.choices), help_text="在保险种代码（按代码排序）"
    )
    sum_insured = serializers.DecimalField(
        max_digits=16, decimal_places=2, help_text="在保保单保险金额合计（元）"
    )
    claims_paid = serializers.DecimalField(
        max_digits=16, decimal_places=2, help_text="在保保单已决赔款合计（元）"
    )


def _insurance(figures):
    return {
        "policies": figures["policies"],
        "kinds": list(figures["kinds"]),
        "sum_insured": _MONEY.to_representation(figures["sum_insured"]),
        "claims_paid": _MONEY.to_representation(figures["claims_paid"]),
    }


class DirectoryEntitySerializer(serializers.ModelSerializer):
    """Every field the directory can give; `to_representation` keeps the client's field set."""

    place = PlaceCodeField(read_only=True)
    place_name = serializers.CharField(source="place.name", read_only=True)
    kind_display = serializers.CharField(source="get_kind_display", read_only=True)
    contact_name = serializers.CharField(source="contact.name", default="", read_only=True)
    contact_phone = serializers.CharField(source="contact.phone_masked", default="", read_only=True)
    bases = serializers.IntegerField(source="n_bases", read_only=True)
    area_mu = serializers.DecimalField(
        source="total_area", max_digits=12, decimal_places=2, read_only=True, allow_null=True
    )
    land_in_mu = serializers.DecimalField(
        max_digits=12,
        decimal_places=2,
        read_only=True,
        allow_null=True,
        help_text="流转流入面积（亩）：土地模块中以本主体为流入方、正在履行的流转合同",
    )
    insurance = InsuranceFiguresSerializer(
        read_only=True, help_text="农业保险：今天在保的政策性农业保险保单数、险种、保险金额与已决赔款合计"
    )
    lots = serializers.IntegerField(source="n_lots", read_only=True)
    certificates = serializers.IntegerField(source="n_certificates", read_only=True)
    failed_tests = serializers.IntegerField(source="n_failed", read_only=True)
    online_sales_12m = serializers.DecimalField(
        source="sales_12m",
        max_digits=14,
        decimal_places=2,
        read_only=True,
        allow_null=True,
        help_text="近12个月网络销售额（元）",
    )
    consent_given_at = serializers.DateTimeField(source="consent_at", read_only=True, allow_null=True)

    class Meta:
        model = DirectoryEntry
        fields = ["id", *directory.ALL_FIELDS]

    # How each field is read, by hand: a bank's page of 25 entities went through DRF's generic field
    # machinery 475 times (~0.4 ms an entity), and building the serializer's field objects cost ~2 ms an
    # answer; only the client's fields are read (the contact's phone is
    # decrypted only for a client that may see it). Same output as the declared fields above, which the
    # schema documents; test_directory compares the two.
    READERS = {
        "name": lambda e: e.name,
        "kind": lambda e: e.kind,
        "kind_display": lambda e: e.get_kind_display(),
        "credit_code": lambda e: e.credit_code,
        "place": lambda e: e.place.code,
        "place_name": lambda e: e.place.name,
        "registered_on": lambda e: e.registered_on.isoformat() if e.registered_on else None,
        "main_products": lambda e: e.main_products,
        "is_active": lambda e: e.is_active,
        "contact_name": lambda e: e.contact.name if e.contact_id else "",
        "contact_phone": lambda e: e.contact.phone_masked if e.contact_id else "",
        "bases": lambda e: e.n_bases,
        "area_mu": lambda e: None if e.total_area is None else _AREA.to_representation(e.total_area),
        "land_in_mu": lambda e: None if e.land_in_mu is None else _AREA.to_representation(e.land_in_mu),
        "insurance": lambda e: _insurance(e.insurance),
        "lots": lambda e: e.n_lots,
        "certificates": lambda e: e.n_certificates,
        "failed_tests": lambda e: e.n_failed,
        "online_sales_12m": lambda e: None if e.sales_12m is None else _SALES.to_representation(e.sales_12m),
        "consent_given_at": lambda e: None if e.consent_at is None else _AT.to_representation(e.consent_at),
    }

    def to_representation(self, instance):
        allowed = set(self.context.get("fields") or directory.ALL_FIELDS)
        data = {"id": instance.pk}
        for name in directory.ALL_FIELDS:
            if name in allowed:
                data[name] = self.READERS[name](instance)
        return data


ROUTE = "/api/v1/directory/entities/"


class EntityViewSet(ScopedViewSetMixin, viewsets.ReadOnlyModelViewSet):
    """新型农业经营主体名录（银行、保险机构以接口令牌查询）：只含已同意开放的主体；字段按机构配置；限频；每次查询留痕，主体可见谁查询过。"""

    queryset = DirectoryEntry.objects.select_related("place", "contact", "directory_consent")
    serializer_class = DirectoryEntitySerializer
    filterset_class = None

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        request.user.__dict__.pop("_directory_client", None)  # the client's settings as of this request
        directory.check_rate(request.user, ROUTE)

    def get_serializer_context(self):
        return {**super().get_serializer_context(), "fields": directory.fields_for(self.request.user)}

    def get_queryset(self):
        qs = super().get_queryset()
        if self.action == "list":
            qs = directory.visible(self.request.user, qs)
        return qs.order_by("place__code", "name")

    def list(self, request, *args, **kwargs):
        response = super().list(request, *args, **kwargs)
        page = getattr(self, "_served", [])
        directory.record_served(request.user, page, ROUTE, directory.fields_for(request.user))
        return response

    def paginate_queryset(self, queryset):
        page = super().paginate_queryset(queryset)
        self._served = page or []
        directory.attach_figures(self._served)
        return page

    def retrieve(self, request, *args, **kwargs):
        entity = self.get_object()
        directory.attach_figures([entity])
        if directory.is_client(request.user) and not entity.consenting:
            directory.refuse_without_consent(request.user, entity, ROUTE)
        fields = directory.fields_for(request.user)
        directory.record_served(request.user, [entity], ROUTE, fields)
        return Response(self.get_serializer(entity).data)


# --- insurance policies -------------------------------------------------------------------------


class InsurancePolicySerializer(serializers.ModelSerializer):
    entity = serializers.IntegerField(source="producer_id", read_only=True, help_text="经营主体（名录 id）")
    entity_name = serializers.CharField(source="producer.name", read_only=True)
    credit_code = serializers.CharField(source="producer.credit_code", read_only=True)
    kind_display = serializers.CharField(source="get_kind_display", read_only=True)
    unit_display = serializers.CharField(source="get_unit_display", read_only=True)
    in_force = serializers.SerializerMethodField(help_text="今天是否在保险起止期内")
    source = serializers.CharField(read_only=True, help_text="phone 手机填报、api 接口推送、import 表格导入")

    class Meta:
        model = InsurancePolicy
        fields = [
            "id",
            "entity",
            "entity_name",
            "credit_code",
            "insurer",
            "number",
            "kind",
            "kind_display",
            "subject",
            "quantity",
            "unit",
            "unit_display",
            "sum_insured",
            "premium",
            "premium_subsidy",
            "starts_on",
            "ends_on",
            "in_force",
            "claims_paid",
            "source",
            "created_at",
            "updated_at",
        ]

    def get_in_force(self, policy) -> bool:
        return policy.in_force()


class InsurancePolicyWriteSerializer(serializers.Serializer):
    """A policy as an insurer or the county sends it. The entity by its directory id or credit code."""

    entity = serializers.IntegerField(required=False, help_text="经营主体（名录 id）；与 credit_code 二选一")
    credit_code = serializers.CharField(
        max_length=18, required=False, allow_blank=True, help_text="经营主体的统一社会信用代码"
    )
    insurer = serializers.CharField(
        max_length=80, required=False, allow_blank=True, help_text="承保机构；保险机构账号可省略（即本机构）"
    )
    number = serializers.CharField(max_length=40, help_text="保单号（同一承保机构内唯一）")
    kind = serializers.ChoiceField(choices=InsuranceKind.choices, help_text="险种")
    subject = serializers.CharField(max_length=60, required=False, allow_blank=True, help_text="保险标的")
    quantity = serializers.DecimalField(max_digits=12, decimal_places=2, help_text="保险数量（>0）")
    unit = serializers.ChoiceField(choices=InsuredUnit.choices, help_text="数量单位")
    sum_insured = serializers.DecimalField(max_digits=14, decimal_places=2, help_text="保险金额（元）")
    premium = serializers.DecimalField(max_digits=12, decimal_places=2, help_text="保费（元）")
    premium_subsidy = serializers.DecimalField(
        max_digits=12, decimal_places=2, required=False, help_text="财政补贴保费（元），缺省0"
    )
    starts_on = BoundedDateField(help_text="保险起期")
    ends_on = BoundedDateField(help_text="保险止期（晚于起期）")
    claims_paid = serializers.DecimalField(
        max_digits=14, decimal_places=2, required=False, help_text="已决赔款（元），缺省0"
    )


class InsurancePolicyUpdateSerializer(InsurancePolicyWriteSerializer):
    """A correction: any field but the entity, each optional (claims paid brought up to date, mostly)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in ("entity", "credit_code"):
            self.fields.pop(name)
        for field in self.fields.values():
            field.required = False


def _entity_of(request, data):
    """The producer a policy is for: staff find it in their region; an insurer client county-wide (its
    region is the district; the service checks the place)."""
    from shuxiang.trace.models import Producer

    entity, code = data.pop("entity", None), (data.pop("credit_code", "") or "").strip()
    if (entity is None) == (not code):
        raise ServiceError(
            "invalid", "请给出经营主体的名录 id 或统一社会信用代码（二选一）", {"entity": ["必填其一"]}
        )
    producers = (
        Producer.objects.all()
        if directory.is_client(request.user)
        else Producer.objects.restrict(request.user)
    )
    producer = (
        producers.filter(pk=entity).first()
        if entity is not None
        else producers.filter(credit_code=code).first()
    )
    if producer is None:
        raise ServiceError(
            "unknown_producer",
            "经营主体不存在或不在您的管辖范围内",
            {"entity" if entity is not None else "credit_code": ["未登记的经营主体"]},
        )
    return producer


INSURANCE_ROUTE = "/api/v1/directory/insurance/"


class InsurancePolicyViewSet(
    ScopedViewSetMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    """政策性农业保险保单：工作人员（乡镇及以上）查看、登记、更正本辖区经营主体的保单（区级可删除误录保单）；保险机构以接口令牌报送、查看、更正本机构承保的保单（承保机构即本机构，限频同名录）。"""

    queryset = InsurancePolicy.objects.select_related("producer")
    serializer_class = InsurancePolicySerializer
    filterset_class = InsurancePolicyFilterSet
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        request.user.__dict__.pop("_directory_client", None)
        directory.check_rate(request.user, INSURANCE_ROUTE)

    def get_queryset(self):
        return super().get_queryset().order_by("-starts_on", "insurer", "number")

    @extend_schema(request=InsurancePolicyWriteSerializer, responses={201: InsurancePolicySerializer})
    def create(self, request, *args, **kwargs):
        values = validated(InsurancePolicyWriteSerializer, request)
        producer = _entity_of(request, values)
        policy = insurance.do_record_policy(
            actor=request.user, producer=producer, source=Source.API, **values
        )
        return Response(InsurancePolicySerializer(policy).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=InsurancePolicyUpdateSerializer, responses={200: InsurancePolicySerializer})
    def partial_update(self, request, *args, **kwargs):
        policy = self.get_object()
        data = validated(InsurancePolicyUpdateSerializer, request)
        policy = insurance.do_update_policy(policy, actor=request.user, **data)
        return Response(InsurancePolicySerializer(policy).data)

    @extend_schema(exclude=True)
    def update(self, request, *args, **kwargs):  # PUT is not offered (http_method_names); PATCH corrects
        return self.partial_update(request, *args, **kwargs)

    def perform_destroy(self, instance):
        insurance.do_delete_policy(instance, actor=self.request.user)
