from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import mixins, renderers, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from shuxiang.core.api.base import (
    BoundedDateTimeField,
    PlaceCodeField,
    ScopedViewSetMixin,
    in_scope,
    validated,
)
from shuxiang.core.api.renderers import GeoJSONRenderer
from shuxiang.core.errors import ServiceError
from shuxiang.ecology import hj212_commands, services, trucks
from shuxiang.ecology.choices import grade_label
from shuxiang.ecology.filtersets import (
    CollectionRecordFilterSet,
    ForestStandFilterSet,
    MonitoringPointFilterSet,
    SampleFilterSet,
    TruckFilterSet,
)
from shuxiang.ecology.models import (
    CollectionPoint,
    CollectionRecord,
    ForestStand,
    Limit,
    MonitoringPoint,
    River,
    Sample,
    SampleValue,
    Standard,
    StationCommand,
    Truck,
)

GEOJSON_CAP = 5000
# A forest GeoJSON answer is one FeatureCollection, not paged: a township's stands (a few thousand) fit;
# a request that would return more is asked to narrow it (township, place, bbox).
FOREST_GEOJSON_LIMIT = 5000


@extend_schema_field(OpenApiTypes.STR)
class StandardRefField(serializers.Field):
    """A standard as people cite it: "GB 3838-2002"."""

    def to_representation(self, value):
        return f"{value.code}-{value.edition}"


# --- standards ---------------------------------------------------------------------------------------


class LimitSerializer(serializers.ModelSerializer):
    factor = serializers.CharField(source="factor.code")
    factor_name = serializers.CharField(source="factor.name")
    unit = serializers.CharField(source="factor.unit")
    grade_display = serializers.SerializerMethodField()

    class Meta:
        model = Limit
        fields = ["factor", "factor_name", "unit", "grade", "grade_display", "lake", "min_value", "max_value"]

    def get_grade_display(self, obj) -> str:
        return grade_label(obj.grade)


class StandardSerializer(serializers.ModelSerializer):
    kind_display = serializers.CharField(source="get_kind_display", read_only=True)
    limits = LimitSerializer(many=True, read_only=True)

    class Meta:
        model = Standard
        fields = [
            "id",
            "code",
            "edition",
            "name",
            "kind",
            "kind_display",
            "grades",
            "note",
            "is_active",
            "limits",
        ]


class StandardViewSet(viewsets.ReadOnlyModelViewSet):
    """水质标准及其版本、各因子各等级限值（ecology.standard.view）。全区统一的参考数据。"""

    queryset = Standard.objects.prefetch_related("limits__factor").order_by("code", "-edition")
    serializer_class = StandardSerializer
    filterset_fields = ["code", "edition", "kind"]


class RiverSerializer(serializers.ModelSerializer):
    flows_into = serializers.CharField(source="flows_into.name", read_only=True, default=None)

    class Meta:
        model = River
        fields = ["id", "name", "flows_into", "joins_at_km", "length_km", "source"]


class RiverViewSet(viewsets.ReadOnlyModelViewSet):
    """本区水系表：河流、汇入哪条河流及汇入处里程（ecology.river.view）。溯源据此区分上游和下游；
    由区里以文件导入（/ecology/rivers/ 或 `shuxiang rivers FILE`）。"""

    queryset = River.objects.select_related("flows_into").order_by("name")
    serializer_class = RiverSerializer
    filterset_fields = ["name"]


# --- points ------------------------------------------------------------------------------------------


class MonitoringPointSerializer(serializers.ModelSerializer):
    place = PlaceCodeField(read_only=True)
    kind_display = serializers.CharField(source="get_kind_display", read_only=True)
    standard = StandardRefField(read_only=True)
    grade_display = serializers.CharField(source="grade_label", read_only=True)
    device = serializers.CharField(source="device.code", read_only=True, default=None)
    responsible_unit = serializers.CharField(source="responsible_unit.name", read_only=True, default=None)
    latest_class_display = serializers.SerializerMethodField()

    class Meta:
        model = MonitoringPoint
        fields = [
            "id",
            "code",
            "name",
            "kind",
            "kind_display",
            "place",
            "standard",
            "grade",
            "grade_display",
            "lake",
            "river",
            "river_km",
            "responsible_unit",
            "device",
            "latitude",
            "longitude",
            "protection_zones",
            "latest_class",
            "latest_class_display",
            "latest_meets",
            "latest_sampled_at",
        ]

    def get_latest_class_display(self, obj) -> str:
        return grade_label(obj.latest_class) if obj.latest_class else ""


def point_feature(p, row=None) -> dict:
    props = dict(row or {})
    props.pop("protection_zones", None)
    for key in ("latitude", "longitude"):
        props.pop(key, None)
    return {
        "type": "Feature",
        "id": p.pk,
        "geometry": {"type": "Point", "coordinates": [p.longitude, p.latitude]}
        if p.latitude is not None
        else None,
        "properties": props,
    }


class StationCommandSerializer(serializers.ModelSerializer):
    station = serializers.CharField(source="device.code", read_only=True)
    label = serializers.CharField(read_only=True)
    params = serializers.SerializerMethodField()

    class Meta:
        model = StationCommand
        fields = [
            "id",
            "station",
            "cn",
            "label",
            "params",
            "status",
            "qn",
            "requested_label",
            "created_at",
            "expires_at",
            "sent_at",
            "answered_at",
            "qn_rtn",
            "exe_rtn",
            "result",
            "detail",
        ]

    def get_params(self, obj) -> dict:
        return {k: ("******" if k == "NewPW" else v) for k, v in obj.params.items()}


class StationCommandWriteSerializer(serializers.Serializer):
    cn = serializers.ChoiceField(
        choices=hj212_commands.command_choices(),
        help_text="命令编码：1011 提取时间、1012 校时、1061/1062 提取/设置实时数据间隔、1072 设置密码、2011/2012 开始/停止实时数据",
    )
    value = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=10,
        help_text="1062：间隔秒数（30–3600）；1072：6 位新密码",
    )


class MonitoringPointViewSet(ScopedViewSetMixin, viewsets.ReadOnlyModelViewSet):
    """监测点位（ecology.monitoringpoint.view）：执行标准、目标等级、最新水质类别；`?format=geojson` 输出点要素。

    `commands/`：该点位在线监测站的 HJ 212 反控命令（GET 分页列出，新的在前；POST 登记一条，ecology.stationcommand.add）。"""

    required_perms = {"commands": "ecology.stationcommand.view", "send_command": "ecology.stationcommand.add"}

    queryset = MonitoringPoint.objects.select_related("place", "standard", "device", "responsible_unit")
    serializer_class = MonitoringPointSerializer
    filterset_class = MonitoringPointFilterSet
    renderer_classes = [renderers.JSONRenderer, GeoJSONRenderer]

    def get_queryset(self):
        return super().get_queryset().order_by("code")

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "format", str, enum=["json", "geojson"], description="geojson：输出 FeatureCollection"
            )
        ]
    )
    def list(self, request, *args, **kwargs):
        if getattr(request.accepted_renderer, "format", "") != "geojson":
            return super().list(request, *args, **kwargs)
        qs = self.filter_queryset(self.get_queryset())[:GEOJSON_CAP]
        features = [point_feature(p, MonitoringPointSerializer(p).data) for p in qs]
        return Response({"type": "FeatureCollection", "count": len(features), "features": features})

    @extend_schema(
        summary="该点位在线监测站的反控命令（最近 50 条）", responses=StationCommandSerializer(many=True)
    )
    # commands are a paged JSON list: no GeoJSON answer (the points' list and detail have one)
    @action(detail=True, methods=["get"], url_path="commands", renderer_classes=[renderers.JSONRenderer])
    def commands(self, request, pk=None):
        point = self.get_object()
        rows = (
            StationCommand.objects.restrict(request.user).filter(device_id=point.device_id)
            if point.device_id
            else StationCommand.objects.none()
        )
        page = self.paginate_queryset(rows.order_by("-created_at", "-pk"))
        return self.get_paginated_response(StationCommandSerializer(page, many=True).data)

    @extend_schema(
        summary="向该点位的在线监测站下发 HJ 212 命令：登记后由 hj212 serve 在站点在线时发出",
        request=StationCommandWriteSerializer,
        responses={202: StationCommandSerializer},
    )
    @commands.mapping.post
    def send_command(self, request, pk=None):
        point = self.get_object()
        body = validated(StationCommandWriteSerializer, request)
        command = hj212_commands.do_request_hj212_command(
            point,
            actor=request.user,
            cn=body["cn"],
            value=body.get("value", ""),
        )
        return Response(StationCommandSerializer(command).data, status=status.HTTP_202_ACCEPTED)


# --- the forest layer --------------------------------------------------------------------------------


class ForestStandSerializer(serializers.ModelSerializer):
    place = PlaceCodeField(read_only=True)
    place_name = serializers.CharField(source="place.name", read_only=True)
    forest_type_display = serializers.CharField(source="get_forest_type_display", read_only=True)
    category_display = serializers.CharField(source="get_category_display", read_only=True)
    origin_display = serializers.CharField(source="get_origin_display", read_only=True)
    area_mu = serializers.FloatField(read_only=True, help_text="按图形计算的面积（亩）")

    class Meta:
        model = ForestStand
        fields = [
            "id",
            "code",
            "place",
            "place_name",
            "forest_type",
            "forest_type_display",
            "category",
            "category_display",
            "origin",
            "origin_display",
            "species",
            "area_m2",
            "area_mu",
            "declared_area_mu",
            "version",
            "source",
            "changed_at",
        ]


def forest_feature(stand) -> dict:
    """A stand as a GeoJSON Feature (CGCS2000 longitude/latitude): code, type, area in 亩, where it lies."""
    return {
        "type": "Feature",
        "id": stand.pk,
        "geometry": stand.geometry,
        "properties": {
            "code": stand.code,
            "forest_type": stand.forest_type,
            "forest_type_display": stand.get_forest_type_display(),
            "category_display": stand.get_category_display(),
            "origin_display": stand.get_origin_display(),
            "species": stand.species,
            "area_mu": stand.area_mu,
            "declared_area_mu": stand.declared_area_mu,
            "place": stand.place.code,
            "place_name": stand.place.name,
            "url": stand.get_absolute_url(),
        },
    }


class ForestStandViewSet(ScopedViewSetMixin, viewsets.ReadOnlyModelViewSet):
    """林地小班（ecology.foreststand.view）：现行小班及其林地类型、森林类别、起源、优势树种、按图形计算的面积（亩）
    和文件申报面积。筛选 `township`、`place`（含下级）、`forest_type`、`category`、`origin`、`q`、`bbox`（西,南,东,北）；
    `?format=geojson` 输出 FeatureCollection（CGCS2000 经纬度，不分页；超过 5000 个小班时请缩小范围）。"""

    queryset = ForestStand.objects.filter(retired_at__isnull=True).select_related("place")
    serializer_class = ForestStandSerializer
    filterset_class = ForestStandFilterSet
    renderer_classes = [renderers.JSONRenderer, GeoJSONRenderer]

    def get_queryset(self):
        return super().get_queryset().order_by("code")

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "format", str, enum=["json", "geojson"], description="geojson：输出 FeatureCollection"
            )
        ]
    )
    def list(self, request, *args, **kwargs):
        if getattr(request.accepted_renderer, "format", "") != "geojson":
            return super().list(request, *args, **kwargs)
        qs = self.filter_queryset(self.get_queryset())
        if qs[FOREST_GEOJSON_LIMIT : FOREST_GEOJSON_LIMIT + 1].exists():
            raise ServiceError(
                "too_many",
                f"结果超过 {FOREST_GEOJSON_LIMIT} 个小班，请用 township、place 或 bbox 缩小范围",
                {"bbox": ["请缩小范围"]},
            )
        features = [forest_feature(s) for s in qs]
        return Response({"type": "FeatureCollection", "count": len(features), "features": features})


# --- samples -----------------------------------------------------------------------------------------


class SampleValueSerializer(serializers.ModelSerializer):
    factor = serializers.CharField(source="factor.code")
    factor_name = serializers.CharField(source="factor.name")
    unit = serializers.CharField(source="factor.unit")

    class Meta:
        model = SampleValue
        fields = ["factor", "factor_name", "unit", "value", "water_class", "meets", "limit"]


class SampleSerializer(serializers.ModelSerializer):
    point = serializers.CharField(source="point.code")
    point_name = serializers.CharField(source="point.name")
    standard = StandardRefField(read_only=True)
    source_display = serializers.CharField(source="get_source_display", read_only=True)
    class_display = serializers.CharField(source="class_label", read_only=True)
    values = SampleValueSerializer(many=True, read_only=True)

    class Meta:
        model = Sample
        fields = [
            "id",
            "point",
            "point_name",
            "taken_at",
            "sampler",
            "lab",
            "report_number",
            "source",
            "source_display",
            "standard",
            "grade",
            "water_class",
            "class_display",
            "wqi",
            "meets",
            "exceeded",
            "values",
        ]


class FactorValueInput(serializers.Serializer):
    factor = serializers.CharField(max_length=40, help_text="HJ 212 因子编码，如 w01018")
    value = serializers.FloatField()
    unit = serializers.CharField(
        max_length=16, required=False, allow_blank=True, help_text="可省略；给出时须与因子单位一致"
    )


class SampleWriteSerializer(serializers.Serializer):
    point = serializers.CharField(max_length=30, help_text="点位编码")
    taken_at = BoundedDateTimeField()
    sampler = serializers.CharField(max_length=50)
    lab = serializers.CharField(max_length=100, required=False, allow_blank=True)
    report_number = serializers.CharField(max_length=50, required=False, allow_blank=True)
    standard = serializers.CharField(
        max_length=40,
        required=False,
        allow_blank=True,
        help_text="评价标准及版本，如 GB 3838-2002；省略时用点位的执行标准",
    )
    values = FactorValueInput(many=True, allow_empty=False)


class SampleViewSet(ScopedViewSetMixin, mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """水质样品（ecology.sample.view）；POST 录入样品及各因子测定值（ecology.sample.add），按点位执行标准评价，
    超标即生成超标告警和处置事件。"""

    queryset = Sample.objects.select_related("point", "standard").prefetch_related("values__factor")
    serializer_class = SampleSerializer
    filterset_class = SampleFilterSet

    @extend_schema(request=SampleWriteSerializer, responses={201: SampleSerializer})
    def create(self, request, *args, **kwargs):
        values = validated(SampleWriteSerializer, request)
        point = in_scope(MonitoringPoint.objects, request.user, "point", "点位", code=values.pop("point"))
        standard = values.pop("standard", "") or None
        factor_values = [dict(v) for v in values.pop("values")]
        sample = services.do_record_sample(
            point, actor=request.user, values=factor_values, standard=standard, **values
        )
        sample = self.get_queryset().get(pk=sample.pk)
        return Response(SampleSerializer(sample).data, status=status.HTTP_201_CREATED)


# --- sanitation --------------------------------------------------------------------------------------


class CollectionRecordSerializer(serializers.ModelSerializer):
    point = serializers.CharField(source="point.code")
    point_name = serializers.CharField(source="point.name")
    place = PlaceCodeField(source="point.place", read_only=True)

    class Meta:
        model = CollectionRecord
        fields = [
            "id",
            "point",
            "point_name",
            "place",
            "collected_at",
            "weight_kg",
            "truck",
            "registered_truck",
            "transfer_station",
        ]


class CollectionWriteSerializer(serializers.Serializer):
    point = serializers.CharField(max_length=30, help_text="垃圾收集点编号")
    collected_at = BoundedDateTimeField()
    weight_kg = serializers.FloatField()
    transfer_station = serializers.CharField(max_length=60)
    truck = serializers.CharField(max_length=20, required=False, allow_blank=True)


class CollectionRecordViewSet(ScopedViewSetMixin, mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """垃圾清运记录（ecology.collectionrecord.view）；POST 记录一次清运（ecology.collectionrecord.add）。"""

    queryset = CollectionRecord.objects.select_related("point", "point__place").order_by(
        "-collected_at", "-pk"
    )
    serializer_class = CollectionRecordSerializer
    filterset_class = CollectionRecordFilterSet

    @extend_schema(request=CollectionWriteSerializer, responses={201: CollectionRecordSerializer})
    def create(self, request, *args, **kwargs):
        values = validated(CollectionWriteSerializer, request)
        point = in_scope(CollectionPoint.objects, request.user, "point", "收集点", code=values.pop("point"))
        record = services.do_record_collection(point, actor=request.user, **values)
        return Response(CollectionRecordSerializer(record).data, status=status.HTTP_201_CREATED)


class TruckSerializer(serializers.ModelSerializer):
    place = PlaceCodeField(read_only=True)
    terminal = serializers.CharField(source="terminal.code", read_only=True, default=None)
    terminal_online = serializers.SerializerMethodField()
    terminal_last_seen_at = serializers.DateTimeField(
        source="terminal.last_seen_at", read_only=True, default=None
    )

    class Meta:
        model = Truck
        fields = [
            "id",
            "plate",
            "unit",
            "place",
            "capacity_t",
            "terminal",
            "terminal_online",
            "terminal_last_seen_at",
            "is_active",
            "synthetic",
        ]

    def get_terminal_online(self, obj) -> bool | None:
        return obj.terminal.is_online if obj.terminal_id else None


class TruckWriteSerializer(serializers.Serializer):
    plate = serializers.CharField(max_length=20, help_text="车牌号，如 湘H·D1234")
    unit = serializers.CharField(max_length=60)
    place = PlaceCodeField(help_text="所属乡镇或区的区划代码")
    capacity_t = serializers.FloatField(required=False, allow_null=True)
    terminal_code = serializers.CharField(
        max_length=40,
        required=False,
        allow_blank=True,
        help_text="JT/T 808 终端的设备编码（已在物联感知登记）",
    )
    is_active = serializers.BooleanField(required=False, default=True)


class TruckUpdateSerializer(serializers.Serializer):
    unit = serializers.CharField(max_length=60, required=False)
    place = PlaceCodeField(required=False)
    capacity_t = serializers.FloatField(required=False, allow_null=True)
    terminal_code = serializers.CharField(
        max_length=40, required=False, allow_blank=True, help_text="空字符串表示拆除终端"
    )
    is_active = serializers.BooleanField(required=False)


class VisitSerializer(serializers.Serializer):
    point = serializers.CharField(source="point.code", help_text="收集点编号")
    point_name = serializers.CharField(source="point.name")
    place = serializers.CharField(source="point.place.code", help_text="收集点所在村的区划代码")
    arrived = serializers.DateTimeField()
    left = serializers.DateTimeField()
    minutes = serializers.FloatField()
    fixes = serializers.IntegerField(help_text="停靠期间的定位点数")


class TruckViewSet(
    ScopedViewSetMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """垃圾清运车（ecology.truck.view）；POST 登记（ecology.truck.add），PATCH 修改（ecology.truck.change）；
    visits：某日（北京时间）按北斗轨迹计算的停靠收集点。"""

    queryset = Truck.objects.select_related("place", "terminal").order_by("plate")
    serializer_class = TruckSerializer
    filterset_class = TruckFilterSet
    http_method_names = ["get", "post", "patch", "head", "options"]
    required_perms = {"visits": "ecology.truck.view"}

    @extend_schema(request=TruckWriteSerializer, responses={201: TruckSerializer})
    def create(self, request, *args, **kwargs):
        data = validated(TruckWriteSerializer, request)
        truck = trucks.do_register_truck(actor=request.user, **data)
        return Response(TruckSerializer(truck).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=TruckUpdateSerializer, responses={200: TruckSerializer})
    def partial_update(self, request, *args, **kwargs):
        truck = self.get_object()
        data = validated(TruckUpdateSerializer, request)
        truck = trucks.do_update_truck(truck, actor=request.user, **data)
        return Response(TruckSerializer(truck).data)

    @extend_schema(exclude=True)
    def update(self, request, *args, **kwargs):  # PUT is not offered (http_method_names); PATCH corrects
        return self.partial_update(request, *args, **kwargs)

    @extend_schema(
        summary="某日停靠的收集点（按北斗轨迹计算：收集点 50 米内连续停留 2 分钟以上）",
        parameters=[OpenApiParameter("date", OpenApiTypes.DATE, description="日期（北京时间），默认今天")],
        responses=VisitSerializer(many=True),
    )
    @action(detail=True, methods=["get"], url_path="visits")
    def visits(self, request, pk=None):
        truck = self.get_object()
        day = trucks.parse_day(request.query_params.get("date"))
        _track, visits = trucks.visits_of_day(truck, day, request.user)
        page = self.paginate_queryset(visits)
        return self.get_paginated_response(VisitSerializer(page, many=True).data)
