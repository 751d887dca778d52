"""API: farms, a pen's inventory (read and record), disease reports (report, advance), ponds, cold stores,
refrigerated vehicles (read, load and unload lots), the barn environment standards by stage (read, edit).

Lists are paged `{count, results}`; farms, ponds and cold stores also answer `?format=geojson` (a
FeatureCollection of points, at most GEOJSON_LIMIT). Places are division codes. Writes go through the
same services as the pages; refusals are the one error shape.
"""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response

from shuxiang.core.api.base import (
    BoundedDateTimeField,
    PlaceCodeField,
    ScopedViewSetMixin,
    in_scope,
    validated,
)
from shuxiang.core.api.renderers import GeoJSONRenderer
from shuxiang.core.api.schema import SingleObjectSchema
from shuxiang.core.errors import ServiceError
from shuxiang.livestock import coldchain, disease, services, telemetry
from shuxiang.livestock.choices import AnimalSpecies, DiseaseStage, EntryKind, Stage
from shuxiang.livestock.filtersets import (
    ColdStoreFilterSet,
    ColdVehicleFilterSet,
    DiseaseReportFilterSet,
    FarmFilterSet,
    PondFilterSet,
)
from shuxiang.livestock.models import (
    ColdStore,
    ColdVehicle,
    DiseaseReport,
    Farm,
    HerdEntry,
    Pen,
    Pond,
    VehicleLoad,
)

GEOJSON_LIMIT = 5000


class GeoJSONListMixin:
    """`?format=geojson` on the list: the filtered rows as point features with their serialized fields."""

    renderer_classes = [JSONRenderer, GeoJSONRenderer]

    def list(self, request, *args, **kwargs):
        if getattr(request.accepted_renderer, "format", "") != "geojson":
            return super().list(request, *args, **kwargs)
        qs = self.filter_queryset(self.get_queryset())[:GEOJSON_LIMIT]
        features = []
        for obj, props in zip(qs, self.get_serializer(qs, many=True).data, strict=True):
            if obj.latitude is None or obj.longitude is None:
                continue
            features.append(
                {
                    "type": "Feature",
                    "geometry": {"type": "Point", "coordinates": [obj.longitude, obj.latitude]},
                    "properties": props,
                }
            )
        return Response({"type": "FeatureCollection", "features": features})


class PenSerializer(serializers.ModelSerializer):
    feeder = serializers.CharField(source="feeder.code", read_only=True, default=None)
    environment = serializers.CharField(source="environment.code", read_only=True, default=None)

    class Meta:
        model = Pen
        fields = ["id", "code", "stage", "capacity", "head_count", "feeder", "environment"]


class FarmSerializer(serializers.ModelSerializer):
    place = PlaceCodeField(read_only=True)
    producer = serializers.CharField(source="producer.name", read_only=True)
    producer_id = serializers.IntegerField(read_only=True)
    pens = PenSerializer(many=True, read_only=True)
    head_count = serializers.SerializerMethodField()

    class Meta:
        model = Farm
        fields = [
            "id",
            "code",
            "name",
            "kind",
            "producer",
            "producer_id",
            "place",
            "licence_no",
            "design_capacity",
            "manure_type",
            "manure_capacity_m3",
            "manure_use",
            "latitude",
            "longitude",
            "head_count",
            "pens",
        ]

    def get_head_count(self, obj) -> int:
        return sum(p.head_count for p in obj.pens.all())


class FarmViewSet(GeoJSONListMixin, ScopedViewSetMixin, viewsets.ReadOnlyModelViewSet):
    """养殖场：列表与详情（含栏舍与存栏），`?format=geojson` 为点图层（livestock.farm.view）。"""

    queryset = Farm.objects.select_related("place", "producer").prefetch_related(
        "pens__feeder", "pens__environment"
    )
    serializer_class = FarmSerializer
    filterset_class = FarmFilterSet


class EntrySerializer(serializers.ModelSerializer):
    to_pen = serializers.IntegerField(source="other_pen_id", read_only=True, allow_null=True)

    class Meta:
        model = HerdEntry
        fields = [
            "id",
            "kind",
            "count",
            "delta",
            "head_count_after",
            "to_pen",
            "weight_kg",
            "occurred_at",
            "note",
        ]


class InventorySerializer(serializers.Serializer):
    pen = serializers.IntegerField()
    farm = serializers.IntegerField()
    stage = serializers.CharField()
    capacity = serializers.IntegerField()
    head_count = serializers.IntegerField()
    feed_24h_kg = serializers.FloatField(allow_null=True)
    feed_per_head_kg = serializers.FloatField(allow_null=True)
    intake_drop_percent = serializers.FloatField(allow_null=True)
    entries = EntrySerializer(many=True)


class EntryWriteSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(
        choices=["move", *[k for k in EntryKind.values if k != EntryKind.MOVE_IN]],
        help_text="birth 出生、purchase 购入、move（或 move_out）转栏、sale 出栏销售、death 死亡",
    )
    count = serializers.IntegerField(help_text="头数，正整数")
    to_pen = serializers.IntegerField(required=False, allow_null=True, help_text="转栏时转入的栏舍编号（id）")
    weight_kg = serializers.FloatField(required=False, allow_null=True)
    occurred_at = BoundedDateTimeField(required=False)
    note = serializers.CharField(max_length=200, required=False, allow_blank=True)
    submission_key = serializers.CharField(max_length=64, required=False, allow_blank=True)


class PenViewSet(ScopedViewSetMixin, viewsets.GenericViewSet):
    """栏舍存栏：`inventory/` 读取存栏、采食与最近变动；POST 记录一次变动（出生、购入、转栏、出栏、死亡）。"""

    queryset = Pen.objects.select_related("farm", "feeder")
    serializer_class = InventorySerializer
    pagination_class = None
    filter_backends = []
    required_perms = {"inventory": "livestock.pen.view", "record_entry": "livestock.herdentry.add"}

    def _inventory(self, pen):
        intake = telemetry.intake(pen) if pen.feeder_id else None
        return {
            "pen": pen.pk,
            "farm": pen.farm_id,
            "stage": pen.stage,
            "capacity": pen.capacity,
            "head_count": pen.head_count,
            "feed_24h_kg": intake.last_24h if intake else None,
            "feed_per_head_kg": intake.per_head if intake else None,
            "intake_drop_percent": intake.drop_percent if intake else None,
            "entries": pen.entries.all()[:50],
        }

    @action(detail=True, methods=["get"], url_path="inventory")
    def inventory(self, request, pk=None):
        return Response(InventorySerializer(self._inventory(self.get_object())).data)

    @extend_schema(request=EntryWriteSerializer, responses={201: InventorySerializer})
    @inventory.mapping.post
    def record_entry(self, request, pk=None):
        pen = self.get_object()
        values = validated(EntryWriteSerializer, request)
        to_pen = None
        if values.get("to_pen") is not None:
            to_pen = in_scope(Pen.objects, request.user, "to_pen", "转入栏舍", pk=values["to_pen"])
        values["to_pen"] = to_pen
        services.do_record_entry(pen, actor=request.user, **values)
        pen.refresh_from_db()
        return Response(InventorySerializer(self._inventory(pen)).data, status=status.HTTP_201_CREATED)


class ReportSerializer(serializers.ModelSerializer):
    place = PlaceCodeField(read_only=True)
    farm = serializers.IntegerField(source="farm_id", read_only=True, allow_null=True)

    class Meta:
        model = DiseaseReport
        fields = [
            "id",
            "place",
            "farm",
            "species",
            "disease",
            "symptoms",
            "sick",
            "deaths",
            "stage",
            "latitude",
            "longitude",
            "reported_at",
            "suspected_at",
            "confirmed_at",
            "closed_at",
            "automatic",
        ]


class ReportWriteSerializer(serializers.Serializer):
    farm = serializers.IntegerField(required=False, allow_null=True, help_text="已登记养殖场编号（id）")
    place = serializers.CharField(max_length=14, required=False, allow_blank=True, help_text="所在村区划代码")
    species = serializers.CharField(
        max_length=10,
        required=False,
        allow_blank=True,
        help_text="畜种：" + "、".join(f"{k} {v}" for k, v in AnimalSpecies.choices),
    )
    disease = serializers.CharField(max_length=40, required=False, allow_blank=True)
    symptoms = serializers.CharField(max_length=2000, required=False, allow_blank=True)
    sick = serializers.IntegerField(required=False, min_value=0, max_value=1_000_000)
    deaths = serializers.IntegerField(required=False, min_value=0, max_value=1_000_000)
    latitude = serializers.FloatField(required=False, allow_null=True)
    longitude = serializers.FloatField(required=False, allow_null=True)
    submission_key = serializers.CharField(max_length=64, required=False, allow_blank=True)


class AdvanceSerializer(serializers.Serializer):
    to = serializers.ChoiceField(choices=[s for s in DiseaseStage.values if s != DiseaseStage.SUSPICIOUS])


class ReportViewSet(
    ScopedViewSetMixin,
    mixins.CreateModelMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    """疫病报告：上报疑似疫情（需地点与畜种），列表、详情；`advance/` 研判（可疑→疑似→确诊，不能跳过）。"""

    queryset = DiseaseReport.objects.select_related("place")
    serializer_class = ReportSerializer
    filterset_class = DiseaseReportFilterSet
    required_perms = {"advance": "livestock.diseasereport.confirm"}

    @extend_schema(request=ReportWriteSerializer, responses={201: ReportSerializer})
    def create(self, request, *args, **kwargs):
        values = validated(ReportWriteSerializer, request)
        farm = None
        if values.get("farm") is not None:
            farm = in_scope(Farm.objects, request.user, "farm", "养殖场", pk=values["farm"])
        values["farm"] = farm
        values["place"] = values.get("place") or None
        values.setdefault("species", "")
        values.setdefault("symptoms", "")
        report = disease.do_report_suspicion(actor=request.user, **values)
        return Response(ReportSerializer(report).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=AdvanceSerializer, responses={200: ReportSerializer})
    @action(detail=True, methods=["post"], url_path="advance")
    def advance(self, request, pk=None):
        report = self.get_object()
        data = validated(AdvanceSerializer, request)
        report = disease.do_advance_report(report, actor=request.user, to=data["to"])
        return Response(ReportSerializer(report).data)


class PondSerializer(serializers.ModelSerializer):
    place = PlaceCodeField(read_only=True)
    farm = serializers.CharField(source="farm.name", read_only=True)
    device = serializers.CharField(source="device.code", read_only=True, default=None)
    dissolved_oxygen = serializers.FloatField(source="do", read_only=True, allow_null=True)
    dawn_forecast = serializers.FloatField(source="dof", read_only=True, allow_null=True)

    class Meta:
        model = Pond
        fields = [
            "id",
            "code",
            "name",
            "farm",
            "place",
            "species",
            "area_mu",
            "stocked",
            "device",
            "latitude",
            "longitude",
            "dissolved_oxygen",
            "dawn_forecast",
        ]


def _latest(key):
    from django.db.models import OuterRef, Subquery

    from shuxiang.iot.models import Sensor

    return Subquery(Sensor.objects.filter(device=OuterRef("device"), key=key).values("last_value")[:1])


class PondViewSet(GeoJSONListMixin, ScopedViewSetMixin, viewsets.ReadOnlyModelViewSet):
    """养殖池塘：品种、水面、在塘数、最新溶氧与预测黎明溶氧（渔业数据共享，livestock.pond.view）。"""

    queryset = Pond.objects.select_related("place", "farm", "device")
    serializer_class = PondSerializer
    filterset_class = PondFilterSet

    def get_queryset(self):
        return super().get_queryset().annotate(do=_latest("DO"), dof=_latest("DOF")).order_by("code")


class ColdStoreSerializer(serializers.ModelSerializer):
    place = PlaceCodeField(read_only=True)
    producer = serializers.CharField(source="producer.name", read_only=True)
    device = serializers.CharField(source="device.code", read_only=True, default=None)
    temperature = serializers.FloatField(source="temp", read_only=True, allow_null=True)
    occupancy_percent = serializers.FloatField(read_only=True)

    class Meta:
        model = ColdStore
        fields = [
            "id",
            "code",
            "name",
            "producer",
            "place",
            "temp_class",
            "capacity_t",
            "occupied_t",
            "occupancy_percent",
            "device",
            "temperature",
            "latitude",
            "longitude",
        ]


class ColdStoreViewSet(GeoJSONListMixin, ScopedViewSetMixin, viewsets.ReadOnlyModelViewSet):
    """冷库：温区、库容、在库率、最新库温（livestock.coldstore.view）。"""

    queryset = ColdStore.objects.select_related("place", "producer", "device")
    serializer_class = ColdStoreSerializer
    filterset_class = ColdStoreFilterSet

    def get_queryset(self):
        return super().get_queryset().annotate(temp=_latest("T")).order_by("code")


class VehicleLoadSerializer(serializers.ModelSerializer):
    lot = serializers.CharField(source="lot.lot_number", read_only=True)
    product = serializers.CharField(source="lot.product.name", read_only=True)

    class Meta:
        model = VehicleLoad
        fields = ["id", "lot", "product", "quantity_t", "destination", "loaded_at", "unloaded_at"]


class ColdVehicleSerializer(serializers.ModelSerializer):
    place = PlaceCodeField(read_only=True)
    producer = serializers.CharField(source="producer.name", read_only=True)
    terminal = serializers.CharField(source="device.code", read_only=True, default=None)
    temperature = serializers.FloatField(source="temp", read_only=True, allow_null=True)
    latitude = serializers.FloatField(source="lat", read_only=True, allow_null=True)
    longitude = serializers.FloatField(source="lon", read_only=True, allow_null=True)
    on_board = serializers.SerializerMethodField()

    class Meta:
        model = ColdVehicle
        fields = [
            "id",
            "plate",
            "name",
            "producer",
            "place",
            "temp_class",
            "capacity_t",
            "terminal",
            "temperature",
            "latitude",
            "longitude",
            "on_board",
        ]

    @extend_schema_field(VehicleLoadSerializer(many=True))
    def get_on_board(self, obj):
        loads = [x for x in obj.loads.all() if x.unloaded_at is None]
        return VehicleLoadSerializer(loads, many=True).data


class LoadWriteSerializer(serializers.Serializer):
    lot = serializers.CharField(max_length=40, help_text="追溯批次号")
    quantity_t = serializers.FloatField(help_text="数量（吨）")
    destination = serializers.CharField(max_length=100, required=False, allow_blank=True)
    loaded_at = BoundedDateTimeField(required=False)


class UnloadWriteSerializer(serializers.Serializer):
    load = serializers.IntegerField(help_text="装载记录编号（on_board[].id）")
    unloaded_at = BoundedDateTimeField(required=False)


class ColdVehicleViewSet(ScopedViewSetMixin, viewsets.ReadOnlyModelViewSet):
    """冷藏车：温区、载重、JT/T 808 车载终端、最新车厢温度与位置、在途批次；`loads/` 装车，`unload/` 卸车。"""

    queryset = ColdVehicle.objects.select_related("place", "producer", "device").prefetch_related(
        "loads__lot__product"
    )
    serializer_class = ColdVehicleSerializer
    filterset_class = ColdVehicleFilterSet
    required_perms = {"load": "livestock.coldvehicle.change", "unload": "livestock.coldvehicle.change"}

    def get_queryset(self):
        return (
            super()
            .get_queryset()
            .annotate(temp=_latest(coldchain.VEHICLE_TEMP_KEY), lat=_latest("lat"), lon=_latest("lon"))
            .order_by("plate")
        )

    def _answer(self, vehicle, code=status.HTTP_200_OK):
        return Response(self.get_serializer(self.get_queryset().get(pk=vehicle.pk)).data, status=code)

    @extend_schema(request=LoadWriteSerializer, responses={201: ColdVehicleSerializer})
    @action(detail=True, methods=["post"], url_path="loads")
    def load(self, request, pk=None):
        vehicle = self.get_object()
        data = validated(LoadWriteSerializer, request)
        coldchain.do_load_lot(vehicle, actor=request.user, **data)
        return self._answer(vehicle, status.HTTP_201_CREATED)

    @extend_schema(request=UnloadWriteSerializer, responses={200: ColdVehicleSerializer})
    @action(detail=True, methods=["post"], url_path="unload")
    def unload(self, request, pk=None):
        vehicle = self.get_object()
        data = validated(UnloadWriteSerializer, request)
        load = VehicleLoad.objects.filter(vehicle=vehicle, pk=data["load"]).first()
        if load is None:
            raise ServiceError("invalid", "该车没有这条装载记录", {"load": ["不存在"]})
        coldchain.do_unload_lot(load, actor=request.user, unloaded_at=data.get("unloaded_at"))
        return self._answer(vehicle)


class StageStandardSerializer(serializers.Serializer):
    stage = serializers.CharField(
        read_only=True, help_text="阶段：" + "、".join(f"{k} {v}" for k, v in Stage.choices)
    )
    stage_label = serializers.CharField(read_only=True)
    t_min = serializers.FloatField(help_text="最低温度 ℃")
    t_max = serializers.FloatField(help_text="最高温度 ℃")
    nh3 = serializers.FloatField(help_text="氨气上限 mg/m³")
    h2s = serializers.FloatField(help_text="硫化氢上限 mg/m³")
    co2 = serializers.FloatField(help_text="二氧化碳上限 ppm")
    minutes = serializers.IntegerField(help_text="持续多少分钟告警")
    edited = serializers.BooleanField(read_only=True, help_text="已由畜牧部门修改（否则为数据文件默认值）")


class StageStandardWriteSerializer(StageStandardSerializer):
    update_rules = serializers.BooleanField(
        required=False, default=True, help_text="同时更新已应用、仍为原标准值的告警规则"
    )


class StageStandardListSerializer(serializers.Serializer):
    count = serializers.IntegerField()
    results = StageStandardSerializer(many=True)


STAGE_PARAM = OpenApiParameter(
    "stage",
    OpenApiTypes.STR,
    OpenApiParameter.PATH,
    description="阶段：" + "、".join(f"{k} {v}" for k, v in Stage.choices),
)


class StageStandardViewSet(viewsets.ViewSet):
    """栏舍环境标准（按阶段）：读取；PUT 修改一个阶段（livestock.stagestandard.change，留痕）。"""

    lookup_field = "stage"
    schema = SingleObjectSchema()
    required_perms = {
        "list": "livestock.farm.view",
        "retrieve": "livestock.farm.view",
        "update": "livestock.stagestandard.change",
    }

    @staticmethod
    def _row(code, band):
        return {"stage": code, "stage_label": Stage(code).label, "edited": bool(band.get("edited")), **band}

    @extend_schema(responses=StageStandardListSerializer, operation_id="v1_livestock_stage_standards_list")
    def list(self, request):
        from shuxiang.livestock import standards

        bands = standards.barn_stages()
        rows = [self._row(code, bands[code]) for code in Stage.values if code in bands]
        return Response({"count": len(rows), "results": StageStandardSerializer(rows, many=True).data})

    @extend_schema(parameters=[STAGE_PARAM], responses=StageStandardSerializer)
    def retrieve(self, request, stage=None):
        from shuxiang.livestock import standards

        if stage not in Stage.values:
            raise ServiceError(
                "not_found", "没有这个阶段", {"stage": ["应为 " + "、".join(Stage.values)]}, status=404
            )
        return Response(StageStandardSerializer(self._row(stage, standards.barn_stage(stage))).data)

    @extend_schema(
        parameters=[STAGE_PARAM], request=StageStandardWriteSerializer, responses=StageStandardSerializer
    )
    def update(self, request, stage=None):
        from shuxiang.livestock import stage_standards, standards

        if stage not in Stage.values:
            raise ServiceError(
                "not_found", "没有这个阶段", {"stage": ["应为 " + "、".join(Stage.values)]}, status=404
            )
        values = validated(StageStandardWriteSerializer, request)
        update_rules = values.pop("update_rules", True)
        stage_standards.do_update_stage_standard(
            stage, actor=request.user, update_rules=update_rules, **values
        )
        return Response(StageStandardSerializer(self._row(stage, standards.barn_stage(stage))).data)


class MonthlyRowSerializer(serializers.Serializer):
    township = serializers.CharField()
    township_code = serializers.CharField()
    species = serializers.CharField()
    species_label = serializers.CharField()
    ponds = serializers.IntegerField()
    area_mu = serializers.FloatField()
    monitored = serializers.IntegerField()
    stocked_count = serializers.IntegerField()
    feed_kg = serializers.FloatField()
    harvest_kg = serializers.FloatField()
    do_mean = serializers.FloatField(allow_null=True)
    do_min = serializers.FloatField(allow_null=True)


class MonthlySerializer(serializers.Serializer):
    month = serializers.CharField()
    count = serializers.IntegerField()
    results = MonthlyRowSerializer(many=True)


class FisheryMonthlyView(viewsets.ViewSet):
    """渔业月报：按乡镇、品种汇总池塘、水面、投苗、投喂、捕捞与当月溶解氧（渔业主管部门数据共享）。"""

    required_perm = "livestock.pond.view"
    schema = SingleObjectSchema()

    @extend_schema(
        parameters=[OpenApiParameter("month", OpenApiTypes.STR, description="月份 YYYY-MM（默认本月）")],
        responses=MonthlySerializer,
    )
    def list(self, request):
        from shuxiang.livestock import fishery

        raw = request.query_params.get("month")
        month = fishery.parse_month(raw) if raw else fishery.current_month()
        rows = fishery.monthly(Pond.objects.restrict(request.user), month)
        data = {"month": f"{month:%Y-%m}", "count": len(rows), "results": [r.as_dict() for r in rows]}
        return Response(MonthlySerializer(data).data)


GEOJSON_PARAM = OpenApiParameter(
    "format", OpenApiTypes.STR, enum=["json", "geojson"], description="geojson：点图层"
)
for viewset in (FarmViewSet, PondViewSet, ColdStoreViewSet):
    viewset.list = extend_schema(parameters=[GEOJSON_PARAM])(viewset.list)
