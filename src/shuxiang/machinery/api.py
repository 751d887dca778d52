"""The machinery API: the registry, operations (JSON, GeoJSON, CSV) for the province and outside
systems (token, scoped to the client's region), service requests, and tracks as GeoJSON."""

import csv
import io

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, renderers, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from shuxiang.core.api.base import PlaceCodeField, ScopedViewSetMixin, validated
from shuxiang.core.api.renderers import GeoJSONRenderer
from shuxiang.core.errors import ServiceError
from shuxiang.core.geometry import to_geojson
from shuxiang.core.models import Place
from shuxiang.machinery import services
from shuxiang.machinery.filtersets import (
    MachineFilterSet,
    OperationFilterSet,
    RequestFilterSet,
    RoadFilterSet,
    SubsidyFilterSet,
)
from shuxiang.machinery.models import (
    BusRoute,
    Machine,
    Operation,
    Road,
    ServiceRequest,
    SubsidyApplication,
)


class CSVRenderer(renderers.BaseRenderer):
    """The page's rows as CSV (UTF-8 with BOM, for Excel); nested values as JSON text."""

    media_type = "text/csv"
    format = "csv"
    charset = "utf-8"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        rows = data.get("results", data) if isinstance(data, dict) else data
        if isinstance(rows, dict):  # an error body
            rows = [rows]
        out = io.StringIO()
        if rows:
            writer = csv.DictWriter(out, fieldnames=list(rows[0]), extrasaction="ignore")
            writer.writeheader()
            for row in rows:
                writer.writerow({k: v if not isinstance(v, dict | list) else str(v) for k, v in row.items()})
        return ("\ufeff" + out.getvalue()).encode("utf-8")


class MachineSerializer(serializers.ModelSerializer):
    place = PlaceCodeField(read_only=True)
    device = serializers.CharField(source="device.code", read_only=True, default=None)
    kind_display = serializers.CharField(source="get_kind_display", read_only=True)

    class Meta:
        model = Machine
        fields = [
            "id",
            "code",
            "name",
            "kind",
            "kind_display",
            "make",
            "model",
            "plate",
            "owner_kind",
            "owner_name",
            "place",
            "implement_width_m",
            "inspection_due_on",
            "device",
            "price_per_mu",
        ]


class MachineViewSet(ScopedViewSetMixin, viewsets.ReadOnlyModelViewSet):
    """Farm machines in the caller's region (machinery.machine.view)."""

    queryset = Machine.objects.select_related("place", "device").order_by("code")
    serializer_class = MachineSerializer
    filterset_class = MachineFilterSet


class OperationSerializer(serializers.ModelSerializer):
    machine = serializers.CharField(source="machine.code", read_only=True)
    place = PlaceCodeField(read_only=True)
    township = serializers.SerializerMethodField()
    kind_display = serializers.CharField(source="get_kind_display", read_only=True)
    net_mu = serializers.SerializerMethodField()
    fields_worked = serializers.SerializerMethodField()

    class Meta:
        model = Operation
        fields = [
            "id",
            "machine",
            "kind",
            "kind_display",
            "season",
            "place",
            "township",
            "started_at",
            "ended_at",
            "width_m",
            "length_m",
            "gross_m2",
            "net_m2",
            "net_mu",
            "overlap_pct",
            "qualified_depth_pct",
            "flags",
            "fields_worked",
        ]

    def get_township(self, obj) -> str | None:
        codes = obj.place.path.strip("/").split("/")
        return codes[1] if len(codes) > 1 else None

    def get_net_mu(self, obj) -> float:
        return round(obj.net_mu, 2)

    def get_fields_worked(self, obj) -> list[dict]:
        return [{"field": s.field_id, "area_m2": s.area_m2} for s in obj.shares.all()]


@extend_schema(
    parameters=[
        OpenApiParameter(
            "format", str, enum=["json", "geojson", "csv"], description="geojson：作业范围为面；csv：表格"
        )
    ]
)
class OperationViewSet(ScopedViewSetMixin, viewsets.ReadOnlyModelViewSet):
    """Operations measured from tracks (machinery.operation.view): per machine, field, township and
    season (`?season=2026早稻&township=430903100000`). `?format=geojson` gives the worked areas as a
    FeatureCollection, `?format=csv` the rows as CSV."""

    queryset = (
        Operation.objects.select_related("machine", "place")
        .prefetch_related("shares")
        .order_by("-started_at", "pk")
    )
    serializer_class = OperationSerializer
    filterset_class = OperationFilterSet
    renderer_classes = [renderers.JSONRenderer, GeoJSONRenderer, CSVRenderer]

    def list(self, request, *args, **kwargs):
        response = super().list(request, *args, **kwargs)
        if getattr(request.accepted_renderer, "format", "") != "geojson":
            return response
        page = response.data
        areas = dict(
            Operation.objects.filter(pk__in=[r["id"] for r in page["results"]]).values_list("pk", "area")
        )
        features = [
            {"type": "Feature", "id": row["id"], "properties": dict(row), "geometry": areas.get(row["id"])}
            for row in page["results"]
        ]
        return Response(
            {
                "type": "FeatureCollection",
                "count": page["count"],
                "next": page.get("next"),
                "features": features,
            }
        )


class RequestSerializer(serializers.ModelSerializer):
    place = PlaceCodeField(queryset=Place.objects.all())
    machine = serializers.CharField(source="machine.code", read_only=True, default=None)
    kind_display = serializers.CharField(source="get_kind_display", read_only=True)
    status_display = serializers.CharField(source="get_status_display", read_only=True)
    operation = serializers.PrimaryKeyRelatedField(read_only=True)

    class Meta:
        model = ServiceRequest
        fields = [
            "id",
            "place",
            "kind",
            "kind_display",
            "requester_name",
            "area_mu",
            "window_start",
            "window_end",
            "note",
            "status",
            "status_display",
            "machine",
            "price_per_mu",
            "started_at",
            "finished_at",
            "operation",
            "amount",
        ]
        read_only_fields = [
            "status",
            "machine",
            "price_per_mu",
            "started_at",
            "finished_at",
            "operation",
            "amount",
        ]


class RequestViewSet(
    ScopedViewSetMixin, mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet, viewsets.GenericViewSet
):
    """Service requests (调度) in the caller's region; POST files one (machinery.servicerequest.add)."""

    queryset = ServiceRequest.objects.select_related("place", "machine").order_by("-created_at", "pk")
    serializer_class = RequestSerializer
    filterset_class = RequestFilterSet

    def perform_create(self, serializer):
        d = serializer.validated_data
        serializer.instance = services.do_create_request(
            actor=self.request.user,
            place=d["place"],
            kind=d["kind"],
            requester_name=d["requester_name"],
            area_mu=d["area_mu"],
            window_start=d["window_start"],
            window_end=d["window_end"],
            note=d.get("note", ""),
        )


class TrackViewSet(ScopedViewSetMixin, viewsets.GenericViewSet):
    """A machine's track for a period as a GeoJSON LineString Feature (machinery.machine.view):
    `/api/v1/machinery/tracks/{machine code}/?start=2026-05-01&end=2026-05-02` (local time; at most
    31 days; long tracks simplified to 2,000 points)."""

    queryset = Machine.objects.all()
    lookup_field = "code"  # the machine's registry code
    serializer_class = serializers.Serializer
    renderer_classes = [renderers.JSONRenderer, GeoJSONRenderer]
    pagination_class = None

    @extend_schema(
        parameters=[
            OpenApiParameter("start", OpenApiTypes.DATETIME, description="开始（默认：结束前 24 小时）"),
            OpenApiParameter("end", OpenApiTypes.DATETIME, description="结束（默认：现在）"),
        ],
        responses={200: OpenApiTypes.OBJECT},
    )
    def retrieve(self, request, *args, **kwargs):
        machine = self.get_object()
        unknown = set(request.query_params) - {"start", "end", "format"}
        if unknown:
            raise ServiceError("invalid", "不支持的查询参数", {k: ["不支持的参数"] for k in sorted(unknown)})
        start, end = services.parse_period(request.query_params.get("start"), request.query_params.get("end"))
        points = services.track_points(machine.device_id, start, end)
        line = services.track_line(points)
        return Response(
            {
                "type": "Feature",
                "geometry": to_geojson(line, decimals=6) if line is not None else None,
                "properties": {
                    "machine": machine.code,
                    "start": start.isoformat(),
                    "end": end.isoformat(),
                    "points": len(points),
                },
            }
        )


class SubsidySerializer(serializers.ModelSerializer):
    place = PlaceCodeField(read_only=True)
    applicant = serializers.SerializerMethodField()
    kind_display = serializers.CharField(source="get_kind_display", read_only=True)
    status_display = serializers.CharField(source="get_status_display", read_only=True)
    machine = serializers.CharField(source="machine.code", read_only=True, default=None)

    class Meta:
        model = SubsidyApplication
        fields = [
            "id",
            "number",
            "applicant",
            "place",
            "kind",
            "kind_display",
            "make",
            "model",
            "serial_number",
            "price",
            "subsidy",
            "status",
            "status_display",
            "reason",
            "paid_amount",
            "paid_on",
            "machine",
            "created_at",
            "updated_at",
        ]

    def get_applicant(self, obj) -> str:
        from shuxiang.core.pii import mask_name

        return mask_name(obj.applicant.name)


class SubsidyViewSet(ScopedViewSetMixin, viewsets.ReadOnlyModelViewSet):
    """农机购置补贴 claims in the caller's region (machinery.subsidyapplication.view); applicants masked."""

    queryset = SubsidyApplication.objects.select_related("place", "applicant", "machine").order_by(
        "-created_at", "pk"
    )
    serializer_class = SubsidySerializer
    filterset_class = SubsidyFilterSet


class RoadSerializer(serializers.ModelSerializer):
    place = PlaceCodeField(read_only=True)
    grade_display = serializers.CharField(source="get_grade_display", read_only=True)
    condition_display = serializers.CharField(source="get_condition_display", read_only=True)

    class Meta:
        model = Road
        fields = [
            "id",
            "code",
            "name",
            "grade",
            "grade_display",
            "place",
            "length_km",
            "surface",
            "condition",
            "condition_display",
        ]


@extend_schema(
    parameters=[
        OpenApiParameter("format", str, enum=["json", "geojson"], description="geojson：路线走向为线")
    ]
)
class RoadViewSet(ScopedViewSetMixin, viewsets.ReadOnlyModelViewSet):
    """Rural roads in the caller's region (machinery.road.view); `?format=geojson` with their courses."""

    queryset = Road.objects.select_related("place").order_by("code")
    serializer_class = RoadSerializer
    filterset_class = RoadFilterSet
    renderer_classes = [renderers.JSONRenderer, GeoJSONRenderer]

    def list(self, request, *args, **kwargs):
        response = super().list(request, *args, **kwargs)
        if getattr(request.accepted_renderer, "format", "") != "geojson":
            return response
        page = response.data
        shapes = dict(
            Road.objects.filter(pk__in=[r["id"] for r in page["results"]]).values_list("pk", "geometry")
        )
        features = [
            {"type": "Feature", "id": row["id"], "properties": dict(row), "geometry": shapes.get(row["id"])}
            for row in page["results"]
        ]
        return Response(
            {
                "type": "FeatureCollection",
                "count": page["count"],
                "next": page.get("next"),
                "features": features,
            }
        )


# --- passenger transport: routes, timetables, punctuality ------------------------------------------


class BusStopSerializer(serializers.Serializer):
    sequence = serializers.IntegerField()
    name = serializers.CharField()
    village = serializers.CharField(source="place.code")
    latitude = serializers.FloatField()
    longitude = serializers.FloatField()
    offset_min = serializers.IntegerField(allow_null=True, help_text="去程从首站发车到本站的分钟数")


class BusRouteSerializer(serializers.ModelSerializer):
    place = PlaceCodeField(read_only=True)
    stops = BusStopSerializer(many=True, read_only=True)
    devices = serializers.SlugRelatedField(slug_field="code", many=True, read_only=True)
    timetable = serializers.SerializerMethodField()

    class Meta:
        model = BusRoute
        fields = ["id", "code", "name", "place", "operator_name", "devices", "stops", "timetable"]

    def get_timetable(self, obj) -> dict:
        deps = list(obj.departures.all())
        return {
            "out": [f"{d.departs_at:%H:%M}" for d in deps if d.direction == "out"],
            "back": [f"{d.departs_at:%H:%M}" for d in deps if d.direction == "back"],
        }


class TimetableSerializer(serializers.Serializer):
    offsets = serializers.ListField(
        child=serializers.IntegerField(min_value=0), help_text="各站去程运行时分，按站序，首站 0"
    )
    out = serializers.ListField(child=serializers.CharField(), required=False, default=list)
    back = serializers.ListField(child=serializers.CharField(), required=False, default=list)


class StopCallSerializer(serializers.Serializer):
    stop = serializers.CharField(source="stop.name")
    sequence = serializers.IntegerField(source="stop.sequence")
    scheduled = serializers.DateTimeField()
    actual = serializers.DateTimeField(allow_null=True)
    deviation_min = serializers.FloatField(allow_null=True)
    status = serializers.ChoiceField(choices=list(services.CALL_STATUS))


class DeparturePunctualitySerializer(serializers.Serializer):
    direction = serializers.CharField(source="departure.direction")
    departs_at = serializers.TimeField(source="departure.departs_at", format="%H:%M")
    calls = StopCallSerializer(many=True)


class PunctualitySerializer(serializers.Serializer):
    route = serializers.CharField()
    date = serializers.DateField(source="day")
    on_time_pct = serializers.FloatField(allow_null=True)
    due = serializers.IntegerField()
    on_time = serializers.IntegerField()
    early = serializers.IntegerField()
    late = serializers.IntegerField()
    missed = serializers.IntegerField()
    pending = serializers.IntegerField()
    departures_planned = serializers.IntegerField()
    departures_run = serializers.IntegerField(source="run")
    departures = DeparturePunctualitySerializer(many=True)


class BusRouteViewSet(ScopedViewSetMixin, viewsets.ReadOnlyModelViewSet):
    """Bus routes (城乡客运) in the caller's region with stops and timetable (machinery.busroute.view);
    `GET …/{code}/punctuality/?date=` every timetabled call of a day against the buses' tracks;
    `PUT …/{code}/timetable/` sets the timetable (machinery.busroute.change)."""

    queryset = BusRoute.objects.select_related("place").prefetch_related(
        "stops__place", "devices", "departures"
    )
    lookup_field = "code"
    serializer_class = BusRouteSerializer
    required_perms = {"timetable": "machinery.busroute.change", "punctuality": "machinery.busroute.view"}

    @extend_schema(
        summary="某日各班次各站的准点情况（按车辆轨迹）",
        parameters=[OpenApiParameter("date", OpenApiTypes.DATE, description="日期（默认：昨天）")],
        responses=PunctualitySerializer,
    )
    @action(detail=True, methods=["get"])
    def punctuality(self, request, code=None):
        from datetime import date, timedelta

        from django.utils import timezone

        route = self.get_object()
        today = timezone.localdate()
        raw = request.query_params.get("date")
        try:
            day = date.fromisoformat(raw) if raw else today - timedelta(days=1)
        except ValueError:
            raise ServiceError("invalid", "日期格式应为 YYYY-MM-DD", {"date": ["日期无效"]}) from None
        if day > today:
            raise ServiceError("invalid", "日期不能晚于今天", {"date": ["日期无效"]})
        result = services.punctuality(route, day)
        result.route = route.code
        result.departures_planned = len(result.departures)
        return Response(PunctualitySerializer(result).data)

    @extend_schema(
        summary="设置时刻表（替换原有）", request=TimetableSerializer, responses=BusRouteSerializer
    )
    @action(detail=True, methods=["put"])
    def timetable(self, request, code=None):
        route = self.get_object()
        d = validated(TimetableSerializer, request)
        services.do_set_timetable(
            route, actor=request.user, offsets=d["offsets"], out_times=d["out"], back_times=d["back"]
        )
        return Response(BusRouteSerializer(self.get_queryset().get(pk=route.pk)).data)
