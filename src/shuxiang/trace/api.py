"""API: producers, lots and their events for field apps; the entity directory for banks.
Places are division codes; ID and phone numbers only ever leave masked.

Permissions follow the queryset's model (list/retrieve → view, create → add); the custom actions
declare theirs in `required_perms`. The directory is its own type (`trace.directoryentry`), so a
bank's token opens it and nothing else."""

from django.apps import apps
from django.db.models import Count, OuterRef, Q, Subquery, Sum
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from shuxiang.core.api.base import (
    BoundedDateField,
    BoundedDateTimeField,
    PlaceCodeField,
    ScopedViewSetMixin,
    validated,
)
from shuxiang.core.api.filters import check
from shuxiang.core.errors import ServiceError
from shuxiang.trace import services
from shuxiang.trace.choices import BizStep, InputKind, ProducerKind
from shuxiang.trace.filtersets import EventFilterSet, LotFilterSet, ProducerFilterSet
from shuxiang.trace.models import Base, DirectoryEntry, Lot, Plot, Producer, Product, TraceEvent


class ProducerSerializer(serializers.ModelSerializer):
    place = PlaceCodeField(read_only=True)
    kind_display = serializers.CharField(source="get_kind_display", read_only=True)
    contact_name = serializers.CharField(source="contact.name", default="", read_only=True)
    contact_phone = serializers.CharField(source="contact.phone_masked", default="", read_only=True)

    class Meta:
        model = Producer
        fields = [
            "id",
            "name",
            "kind",
            "kind_display",
            "credit_code",
            "place",
            "address",
            "registered_on",
            "main_products",
            "contact_name",
            "contact_phone",
            "is_active",
        ]


class ProducerWriteSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=100)
    kind = serializers.ChoiceField(choices=ProducerKind.choices)
    credit_code = serializers.CharField(max_length=40, required=False, allow_blank=True)
    place = serializers.CharField(max_length=14)
    address = serializers.CharField(max_length=200, required=False, allow_blank=True)
    registered_on = BoundedDateField(required=False, allow_null=True)
    main_products = serializers.CharField(max_length=200, required=False, allow_blank=True)
    contact_name = serializers.CharField(max_length=50, required=False, allow_blank=True)
    contact_id_number = serializers.CharField(max_length=32, required=False, allow_blank=True)
    contact_phone = serializers.CharField(max_length=20, required=False, allow_blank=True)


class ProducerViewSet(
    ScopedViewSetMixin,
    mixins.CreateModelMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    """经营主体：列表、详情、登记（统一社会信用代码按 GB 32100 校验）。"""

    queryset = Producer.objects.select_related("place", "contact")
    serializer_class = ProducerSerializer
    filterset_class = ProducerFilterSet

    @extend_schema(request=ProducerWriteSerializer, responses={201: ProducerSerializer})
    def create(self, request, *args, **kwargs):
        data = validated(ProducerWriteSerializer, request)
        producer = services.do_create_producer(actor=request.user, **data)
        return Response(ProducerSerializer(producer).data, status=status.HTTP_201_CREATED)


class ProductSerializer(serializers.ModelSerializer):
    category_display = serializers.CharField(source="get_category_display", read_only=True)

    class Meta:
        model = Product
        fields = [
            "id",
            "producer",
            "name",
            "category",
            "category_display",
            "gtin",
            "gtin_is_internal",
            "unit",
        ]


class ProductViewSet(ScopedViewSetMixin, viewsets.ReadOnlyModelViewSet):
    """产品（只读）：建批次时引用其 id。"""

    queryset = Product.objects.all()
    serializer_class = ProductSerializer
    filterset_fields = ["producer", "category"]


class PlotSerializer(serializers.ModelSerializer):
    place = PlaceCodeField(read_only=True)
    base_name = serializers.CharField(source="base.name", read_only=True)
    producer = serializers.IntegerField(source="base.producer_id", read_only=True)

    class Meta:
        model = Plot
        fields = ["id", "name", "base", "base_name", "producer", "place", "area_mu", "latitude", "longitude"]


class PlotViewSet(ScopedViewSetMixin, viewsets.ReadOnlyModelViewSet):
    """产地地块（只读）：建批次时作为产地引用其 id。"""

    queryset = Plot.objects.select_related("base", "place")
    serializer_class = PlotSerializer
    filterset_fields = ["base", "base__producer"]


class LotSerializer(serializers.ModelSerializer):
    product_name = serializers.CharField(source="product.name", read_only=True)
    producer = serializers.IntegerField(source="product.producer_id", read_only=True)
    gtin = serializers.CharField(source="product.gtin", read_only=True)
    origin_place = PlaceCodeField(source="origin.place", read_only=True)
    stage_display = serializers.CharField(source="get_stage_display", read_only=True)
    digital_link = serializers.CharField(read_only=True)

    class Meta:
        model = Lot
        fields = [
            "id",
            "product",
            "product_name",
            "producer",
            "gtin",
            "lot_number",
            "origin",
            "origin_place",
            "quantity",
            "stage",
            "stage_display",
            "short_code",
            "digital_link",
            "scan_count",
            "suspicious",
            "suspicious_reason",
            "created_at",
        ]


class LotWriteSerializer(serializers.Serializer):
    product = serializers.IntegerField()
    origin = serializers.IntegerField(required=False, allow_null=True)
    lot_number = serializers.CharField(max_length=40)
    quantity = serializers.DecimalField(max_digits=12, decimal_places=2)


class EventSerializer(serializers.ModelSerializer):
    place = PlaceCodeField(read_only=True)
    biz_step_display = serializers.CharField(source="get_biz_step_display", read_only=True)
    corrected = serializers.SerializerMethodField()

    class Meta:
        model = TraceEvent
        fields = [
            "id",
            "biz_step",
            "biz_step_display",
            "disposition",
            "event_time",
            "place",
            "quantity",
            "input_kind",
            "input_name",
            "input_dose",
            "interval_days",
            "test_item",
            "test_agency",
            "test_passed",
            "report",
            "report_sha256",
            "counterparty",
            "note",
            "corrects",
            "corrected",
            "recorded_by",
            "recorded_at",
            "ledger_seq",
            "ledger_hash",
        ]

    def get_corrected(self, obj) -> bool:
        return obj.pk in self.context.get("corrected", ())


class EventWriteSerializer(serializers.Serializer):
    biz_step = serializers.ChoiceField(choices=BizStep.choices)
    event_time = BoundedDateTimeField(required=False)
    place = serializers.CharField(max_length=14, required=False, allow_blank=True)
    quantity = serializers.DecimalField(max_digits=12, decimal_places=2, required=False, allow_null=True)
    input_kind = serializers.ChoiceField(choices=InputKind.choices, required=False, allow_blank=True)
    input_name = serializers.CharField(max_length=100, required=False, allow_blank=True)
    input_dose = serializers.CharField(max_length=50, required=False, allow_blank=True)
    interval_days = serializers.IntegerField(min_value=0, max_value=365, required=False, allow_null=True)
    test_item = serializers.CharField(max_length=100, required=False, allow_blank=True)
    test_agency = serializers.CharField(max_length=100, required=False, allow_blank=True)
    test_passed = serializers.BooleanField(required=False, allow_null=True, default=None)
    counterparty = serializers.CharField(max_length=100, required=False, allow_blank=True)
    note = serializers.CharField(max_length=300, required=False, allow_blank=True)
    corrects = serializers.IntegerField(required=False, allow_null=True)
    report = serializers.FileField(required=False, help_text="检测报告（PDF或图片，multipart 上传）")


class LotViewSet(
    ScopedViewSetMixin,
    mixins.CreateModelMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    """批次：列表、详情、新建（必须指定产地地块）；`events/` 列出和追加追溯事件。"""

    queryset = Lot.objects.select_related("product", "origin__place")
    serializer_class = LotSerializer
    filterset_class = LotFilterSet
    required_perms = {"events": "trace.traceevent.view", "record_event": "trace.traceevent.add"}

    @extend_schema(request=LotWriteSerializer, responses={201: LotSerializer})
    def create(self, request, *args, **kwargs):
        values = validated(LotWriteSerializer, request)
        product = (
            Product.objects.restrict(request.user)
            .filter(pk=values["product"])
            .select_related("producer")
            .first()
        )
        if product is None:
            raise ServiceError("invalid", "产品不存在或不在您的管辖范围内", {"product": ["不存在"]})
        origin = None
        if values.get("origin") is not None:
            origin = (
                Plot.objects.restrict(request.user)
                .filter(pk=values["origin"])
                .select_related("base", "place")
                .first()
            )
            if origin is None:
                raise ServiceError("invalid", "产地地块不存在或不在您的管辖范围内", {"origin": ["不存在"]})
        lot = services.do_create_lot(
            product,
            actor=request.user,
            lot_number=values["lot_number"],
            origin=origin,
            quantity=values["quantity"],
        )
        return Response(LotSerializer(lot).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        responses=EventSerializer(many=True),
        parameters=[
            OpenApiParameter("biz_step", str, enum=["", *BizStep.values], description="环节（空为全部）")
        ],
    )
    # The events of one lot, whole (not paged); the lot list's filters do not apply to its lookup.
    @action(detail=True, methods=["get"], url_path="events", pagination_class=None, filter_backends=[])
    def events(self, request, pk=None):
        lot = self.get_object()
        filterset = EventFilterSet(
            request.query_params,
            queryset=TraceEvent.objects.restrict(request.user).filter(lot=lot).select_related("place"),
        )
        events = check(filterset, request.query_params, validate=True).qs  # an unknown step is a 400
        corrected = set(events.exclude(corrects=None).values_list("corrects_id", flat=True))
        return Response(EventSerializer(events, many=True, context={"corrected": corrected}).data)

    @extend_schema(request=EventWriteSerializer, responses={201: EventSerializer})
    @events.mapping.post
    def record_event(self, request, pk=None):
        lot = self.get_object()
        values = validated(EventWriteSerializer, request)
        corrects_id = values.pop("corrects", None)
        corrects = None
        if corrects_id is not None:
            corrects = lot.events.filter(pk=corrects_id).first()
            if corrects is None:
                raise ServiceError("invalid", "要更正的事件不属于该批次", {"corrects": ["不属于该批次"]})
        event = services.do_record_event(lot, actor=request.user, corrects=corrects, **values)
        return Response(EventSerializer(event).data, status=status.HTTP_201_CREATED)


class DirectorySerializer(serializers.ModelSerializer):
    """What a bank may read about a registered entity: identity, place, scale and track record."""

    place = PlaceCodeField(read_only=True)
    place_name = serializers.CharField(source="place.name", read_only=True)
    kind_display = serializers.CharField(source="get_kind_display", read_only=True)
    contact_name = serializers.CharField(source="contact.name", default="", read_only=True)
    contact_phone = serializers.CharField(source="contact.phone_masked", default="", read_only=True)
    bases = serializers.IntegerField(source="n_bases", read_only=True)
    area_mu = serializers.DecimalField(  # null: no plots yet
        source="total_area", max_digits=12, decimal_places=2, read_only=True, allow_null=True
    )
    lots = serializers.IntegerField(source="n_lots", read_only=True)
    failed_tests = serializers.IntegerField(source="n_failed", read_only=True)

    class Meta:
        model = DirectoryEntry
        fields = [
            "id",
            "name",
            "kind",
            "kind_display",
            "credit_code",
            "place",
            "place_name",
            "registered_on",
            "main_products",
            "contact_name",
            "contact_phone",
            "is_active",
            "bases",
            "area_mu",
            "lots",
            "failed_tests",
        ]


class DirectoryViewSet(ScopedViewSetMixin, viewsets.ReadOnlyModelViewSet):
    """新型农业经营主体名录（只读，供银行等以接口令牌查询，需 trace.directoryentry.view 权限）。"""

    queryset = DirectoryEntry.objects.select_related("place", "contact")
    serializer_class = DirectorySerializer
    filterset_class = ProducerFilterSet

    def get_queryset(self):
        qs = super().get_queryset()
        if apps.is_installed("shuxiang.markets"):  # the entity's consent (markets) binds this route too
            from shuxiang.markets import directory

            qs = directory.visible(self.request.user, qs)
        return qs.annotate(
            n_bases=Count("bases", distinct=True),
            total_area=Subquery(
                Base.objects.filter(producer=OuterRef("pk"))
                .values("producer")
                .annotate(s=Sum("area_mu"))
                .values("s")
            ),
            n_lots=Count("products__lots", distinct=True),
            n_failed=Count(
                "products__lots__events",
                filter=Q(
                    products__lots__events__biz_step=BizStep.INSPECTING,
                    products__lots__events__test_passed=False,
                ),
                distinct=True,
            ),
        ).order_by("place__code", "name")
