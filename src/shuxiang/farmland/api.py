"""The farmland API: layers (GeoJSON with ?format=geojson), plantings, findings, rice fields, seedlings."""

import json
from decimal import Decimal

from django.db.models import TextField
from django.db.models.functions import Cast
from django.http import HttpResponse
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response

from shuxiang.core.api.base import PlaceCodeField, ScopedViewSetMixin, validated
from shuxiang.core.api.renderers import GeoJSONRenderer
from shuxiang.farmland import facilities, rice, services
from shuxiang.farmland.choices import Crop, Kind, mu, season_label
from shuxiang.farmland.filtersets import (
    FacilityFilterSet,
    FindingFilterSet,
    ParcelFilterSet,
    PlantingFilterSet,
    RiceAdvisoryFilterSet,
    RiceSeasonFilterSet,
    SeedlingBatchFilterSet,
)
from shuxiang.farmland.models import (
    Facility,
    Finding,
    Parcel,
    Planting,
    RiceAdvisory,
    RiceSeason,
    SeedlingBatch,
)

# A GeoJSON answer is one FeatureCollection, not paginated: a village's layer (a few thousand
# polygons) fits; a request that would return more is asked to narrow it down.
GEOJSON_LIMIT = 20_000


def feature(parcel: Parcel) -> dict:
    """A polygon as a GeoJSON Feature: `code`, `kind`, `area_m2`, `area_mu` (numbers) and what it is."""
    return {
        "type": "Feature",
        "id": f"{parcel.kind}:{parcel.code}",
        "properties": {
            "code": parcel.code,
            "kind": parcel.kind,
            "kind_display": Kind(parcel.kind).label,
            "area_m2": round(parcel.area_m2, 2),
            "area_mu": mu(parcel.area_m2),
            "village": parcel.place.code,
            "village_name": parcel.place.name,
            "land_class": parcel.land_class,
            "project": parcel.project.code if parcel.project_id else None,
            "version": parcel.version,
        },
        "geometry": parcel.geometry,
    }


def feature_collection(parcels) -> dict:
    return {"type": "FeatureCollection", "features": [feature(p) for p in parcels]}


def feature_collection_body(qs) -> str:
    """The same FeatureCollection as text, written from the stored GeoJSON without parsing it
    (a village layer of 3,000 polygons is ~1.3 MB: parsing and re-serialising it was most of the answer)."""
    rows = qs.annotate(geometry_text=Cast("geometry", TextField())).values_list(
        "kind", "code", "area_m2", "place__code", "place__name", "land_class", "project__code", "version",
        "geometry_text",
    )  # fmt: skip
    labels = dict(Kind.choices)
    parts = []
    for kind, code, area, village, village_name, land_class, project, version, geometry_text in sorted(rows):
        props = {
            "code": code,
            "kind": kind,
            "kind_display": labels[kind],
            "area_m2": round(area, 2),
            "area_mu": mu(area),
            "village": village,
            "village_name": village_name,
            "land_class": land_class,
            "project": project,
            "version": version,
        }
        head = json.dumps(
            {"type": "Feature", "id": f"{kind}:{code}", "properties": props}, ensure_ascii=False
        )
        parts.append(f'{head[:-1]},"geometry":{geometry_text}}}')
    return '{"type":"FeatureCollection","features":[' + ",".join(parts) + "]}"


class ParcelSerializer(serializers.ModelSerializer):
    village = PlaceCodeField(source="place", read_only=True)
    kind_display = serializers.CharField(source="get_kind_display", read_only=True)
    area_mu = serializers.FloatField(read_only=True)
    project = serializers.CharField(source="project.code", read_only=True, default=None)

    class Meta:
        model = Parcel
        fields = [
            "id",
            "code",
            "kind",
            "kind_display",
            "village",
            "land_class",
            "area_m2",
            "area_mu",
            "project",
            "version",
            "source",
            "changed_at",
            "changed_by_label",
        ]


class ParcelViewSet(ScopedViewSetMixin, viewsets.ReadOnlyModelViewSet):
    """Current polygons of the farmland layers in the caller's region. `?format=geojson` answers a
    FeatureCollection (properties `code`, `kind`, `area_m2`, `area_mu`) instead of the paginated list."""

    queryset = Parcel.objects.filter(retired_at__isnull=True).select_related("place", "project")
    serializer_class = ParcelSerializer
    filterset_class = ParcelFilterSet
    renderer_classes = [JSONRenderer, GeoJSONRenderer]

    def list(self, request, *args, **kwargs):
        if request.accepted_renderer.format != "geojson":
            return super().list(request, *args, **kwargs)
        # no ORDER BY: sorted by the unique (kind, code) index, SQLite walked the whole layer in code order
        # instead of the village's rows by the (kind, place) index; the features are sorted below instead
        qs = self.filter_queryset(self.get_queryset()).order_by()
        if qs[GEOJSON_LIMIT : GEOJSON_LIMIT + 1].exists():
            raise ValidationError(
                {"village": [f"结果超过 {GEOJSON_LIMIT} 个图斑，请用 village 或 kind 缩小范围"]}
            )
        return HttpResponse(feature_collection_body(qs), content_type="application/geo+json")

    def retrieve(self, request, *args, **kwargs):
        if request.accepted_renderer.format == "geojson":
            return Response(feature(self.get_object()))
        return super().retrieve(request, *args, **kwargs)


class PlantingSerializer(serializers.ModelSerializer):
    parcel = serializers.CharField(source="parcel.code", read_only=True)
    kind = serializers.CharField(source="parcel.kind", read_only=True)
    village = PlaceCodeField(source="parcel.place", read_only=True)
    crop_display = serializers.CharField(source="get_crop_display", read_only=True)
    season_display = serializers.SerializerMethodField()
    area_mu = serializers.FloatField(read_only=True)

    class Meta:
        model = Planting
        fields = [
            "id",
            "parcel",
            "kind",
            "village",
            "season",
            "season_display",
            "crop",
            "crop_display",
            "variety",
            "area_mu",
            "grower_name",
            "source",
            "created_at",
        ]

    def get_season_display(self, obj) -> str:
        return season_label(obj.season)


class PlantingInputSerializer(serializers.Serializer):
    parcel = serializers.CharField(max_length=40, help_text="图斑编号")
    kind = serializers.ChoiceField(
        choices=Kind.choices, required=False, help_text="图斑所在图层（编号在多个图层重复时必填）"
    )
    season = serializers.RegexField(
        r"^\d{4}-(early|late|winter)$",
        max_length=12,
        error_messages={"invalid": "季节格式应为 2026-early、2026-late 或 2026-winter"},
    )
    crop = serializers.ChoiceField(choices=Crop.choices)
    variety = serializers.CharField(max_length=60, required=False, allow_blank=True, default="")
    area_mu = serializers.DecimalField(max_digits=10, decimal_places=2, min_value=Decimal("0.01"))
    grower_name = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")
    submission_key = serializers.CharField(max_length=64, required=False, allow_blank=True, default="")


class PlantingViewSet(ScopedViewSetMixin, mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """Season plantings in the caller's region (`?season=2026-early`); POST declares one."""

    queryset = Planting.objects.select_related("parcel__place")
    serializer_class = PlantingSerializer
    filterset_class = PlantingFilterSet

    @extend_schema(request=PlantingInputSerializer, responses={201: PlantingSerializer})
    def create(self, request, *args, **kwargs):
        v = validated(PlantingInputSerializer, request)
        parcel = Parcel.objects.restrict(request.user).filter(retired_at__isnull=True, code=v["parcel"])
        if v.get("kind"):
            parcel = parcel.filter(kind=v["kind"])
        found = list(parcel.select_related("place")[:2])
        if len(found) != 1:
            message = (
                "图斑编号在多个图层中存在，请指定 kind"
                if len(found) > 1
                else f"图斑 {v['parcel']} 不存在或不在您的管辖范围内"
            )
            raise ValidationError({"parcel": [message]})
        planting = services.do_record_planting(
            actor=request.user,
            parcel=found[0],
            season=v["season"],
            crop=v["crop"],
            area_mu=v["area_mu"],
            variety=v["variety"],
            grower_name=v["grower_name"],
            submission_key=v["submission_key"] or None,
        )
        return Response(PlantingSerializer(planting).data, status=201)


class FindingSerializer(serializers.ModelSerializer):
    parcel = serializers.CharField(source="parcel.code", read_only=True)
    kind = serializers.CharField(source="parcel.kind", read_only=True)
    village = PlaceCodeField(source="parcel.place", read_only=True)
    rule = serializers.CharField(source="rule.code", read_only=True)
    rule_name = serializers.CharField(source="rule.name", read_only=True)
    finding_type_display = serializers.CharField(source="get_finding_type_display", read_only=True)
    status_display = serializers.CharField(source="get_status_display", read_only=True)
    case = serializers.CharField(source="case.tracking_number", read_only=True, default=None)
    on_time = serializers.SerializerMethodField()

    class Meta:
        model = Finding
        fields = [
            "id",
            "parcel",
            "kind",
            "village",
            "season",
            "rule",
            "rule_name",
            "finding_type",
            "finding_type_display",
            "description",
            "status",
            "status_display",
            "deadline",
            "case",
            "rectified_at",
            "rectification",
            "on_time",
            "created_at",
        ]

    @extend_schema_field(serializers.BooleanField(allow_null=True))
    def get_on_time(self, obj):
        return obj.on_time


class FindingViewSet(ScopedViewSetMixin, viewsets.ReadOnlyModelViewSet):
    """非农化/非粮化 findings in the caller's region with their case and rectification."""

    queryset = Finding.objects.select_related("parcel__place", "rule", "case")
    serializer_class = FindingSerializer
    filterset_class = FindingFilterSet


class RiceSeasonSerializer(serializers.ModelSerializer):
    field = serializers.CharField(source="parcel.code", read_only=True)
    village = PlaceCodeField(source="parcel.place", read_only=True)
    variety = serializers.CharField(source="variety.name", read_only=True)
    transplant_display = serializers.CharField(source="get_transplant_display", read_only=True)
    area_mu = serializers.FloatField(read_only=True)
    stage = serializers.SerializerMethodField()
    stage_source = serializers.SerializerMethodField()
    degree_days = serializers.SerializerMethodField()

    class Meta:
        model = RiceSeason
        fields = [
            "id",
            "field",
            "village",
            "season",
            "variety",
            "area_mu",
            "grower_name",
            "sowing_date",
            "transplant_date",
            "transplant",
            "transplant_display",
            "stage",
            "stage_source",
            "degree_days",
            "yield_kg_per_mu",
        ]

    def _info(self, obj):
        """(stage, accumulation), computed once per field with the temperatures shared by the page."""
        from shuxiang.farmland.thermal import Thermal

        cache = self.context.setdefault("_stages", {})
        if obj.pk not in cache:
            thermal = self.context.setdefault("_thermal", Thermal())
            cache[obj.pk] = rice.stage_info(obj, thermal=thermal)
        return cache[obj.pk]

    def get_stage(self, obj) -> str:
        return self._info(obj)[0]

    @extend_schema_field(serializers.ChoiceField(choices=["override", "station", "county", "mixed", "days"]))
    def get_stage_source(self, obj) -> str:
        """override: corrected by hand; station / county / mixed: degree-days from the township's stations,
        the county mean or both; days: the day-count calendar."""
        return "override" if obj.stage_override else self._info(obj)[1].kind

    @extend_schema_field(serializers.FloatField(allow_null=True))
    def get_degree_days(self, obj):
        """Effective accumulated temperature since sowing (℃·d), null when the day count applies."""
        return None if obj.stage_override else self._info(obj)[1].gdd


class RiceFieldViewSet(ScopedViewSetMixin, viewsets.ReadOnlyModelViewSet):
    """Rice fields of the district by season: variety, dates, stage (from the calendar or corrected), yield."""

    queryset = RiceSeason.objects.select_related("parcel__place", "variety")
    serializer_class = RiceSeasonSerializer
    filterset_class = RiceSeasonFilterSet


class RiceAdvisorySerializer(serializers.ModelSerializer):
    source_identifier = serializers.CharField(source="source.identifier", read_only=True)
    source_headline = serializers.CharField(source="source.headline", read_only=True)
    hazard_name = serializers.CharField(read_only=True)
    status_display = serializers.CharField(source="get_status_display", read_only=True)
    place = PlaceCodeField(read_only=True)

    class Meta:
        model = RiceAdvisory
        fields = [
            "id",
            "source",
            "source_identifier",
            "source_headline",
            "place",
            "hazard",
            "hazard_name",
            "start",
            "days",
            "colour",
            "forecast",
            "villages",
            "area_mu",
            "status",
            "status_display",
            "warning",
            "note",
            "decided_by",
            "decided_at",
            "created_at",
        ]


class AdvisoryDismissSerializer(serializers.Serializer):
    note = serializers.CharField(max_length=200)


class RiceAdvisoryViewSet(ScopedViewSetMixin, viewsets.ReadOnlyModelViewSet):
    """Stage advisories drafted from the meteorological bureau's warnings; `issue` sends one through the
    warnings engine (the caller must be allowed to author warnings), `dismiss` sets it aside."""

    queryset = RiceAdvisory.objects.select_related("source", "place")
    serializer_class = RiceAdvisorySerializer
    filterset_class = RiceAdvisoryFilterSet
    required_perms = {"issue": "farmland.riceadvisory.change", "dismiss": "farmland.riceadvisory.change"}

    @extend_schema(request=None, responses={200: RiceAdvisorySerializer})
    @action(detail=True, methods=["post"], url_path="issue")
    def issue(self, request, pk=None):
        from shuxiang.farmland import rice_weather

        advisory = rice_weather.do_issue_advisory(self.get_object(), actor=request.user)
        return Response(RiceAdvisorySerializer(advisory).data)

    @extend_schema(request=AdvisoryDismissSerializer, responses={200: RiceAdvisorySerializer})
    @action(detail=True, methods=["post"], url_path="dismiss")
    def dismiss(self, request, pk=None):
        from shuxiang.farmland import rice_weather

        data = validated(AdvisoryDismissSerializer, request)
        advisory = rice_weather.do_dismiss_advisory(self.get_object(), actor=request.user, note=data["note"])
        return Response(RiceAdvisorySerializer(advisory).data)


class SeedlingBatchSerializer(serializers.ModelSerializer):
    factory = serializers.CharField(source="factory.code", read_only=True)
    factory_name = serializers.CharField(source="factory.name", read_only=True)
    variety = serializers.CharField(source="variety.name", read_only=True)
    status_display = serializers.CharField(source="get_status_display", read_only=True)
    customer_fields = serializers.SerializerMethodField()

    class Meta:
        model = SeedlingBatch
        fields = [
            "id",
            "code",
            "factory",
            "factory_name",
            "variety",
            "trays",
            "sowing_date",
            "target_transplant_date",
            "status",
            "status_display",
            "germination_rate",
            "quality_note",
            "delivered_trays",
            "delivered_on",
            "customer",
            "customer_fields",
        ]

    def get_customer_fields(self, obj) -> list[str]:
        return [p.code for p in obj.customer_parcels.all()]


class SeedlingBatchViewSet(ScopedViewSetMixin, viewsets.ReadOnlyModelViewSet):
    """Seedling factory batches in the caller's region: quality check and delivery to fields."""

    queryset = SeedlingBatch.objects.select_related("factory", "variety").prefetch_related("customer_parcels")
    serializer_class = SeedlingBatchSerializer
    filterset_class = SeedlingBatchFilterSet


class FacilitySerializer(serializers.ModelSerializer):
    project = serializers.CharField(source="project.code", read_only=True)
    project_name = serializers.CharField(source="project.name", read_only=True)
    village = PlaceCodeField(source="place", read_only=True)
    kind_display = serializers.CharField(source="get_kind_display", read_only=True)
    status_display = serializers.CharField(source="get_status_display", read_only=True)
    case = serializers.CharField(source="case.tracking_number", read_only=True, default=None)
    device = serializers.CharField(source="device.code", read_only=True, default=None)

    class Meta:
        model = Facility
        fields = [
            "id",
            "code",
            "kind",
            "kind_display",
            "name",
            "project",
            "project_name",
            "village",
            "latitude",
            "longitude",
            "size",
            "caretaker",
            "status",
            "status_display",
            "case",
            "repairs",
            "device",
        ]


class DamageInputSerializer(serializers.Serializer):
    description = serializers.CharField(max_length=1000, help_text="损坏情况，如：渠道垮塌约3米")
    submission_key = serializers.CharField(max_length=64, required=False, allow_blank=True, default="")


class DamageResultSerializer(serializers.Serializer):
    case = serializers.CharField(help_text="报修工单受理编号")
    facility = FacilitySerializer()


class FacilityViewSet(ScopedViewSetMixin, viewsets.ReadOnlyModelViewSet):
    """High-standard farmland facilities in the caller's region; POST …/damage/ reports one broken
    (a repair case for the township; a second report while it is open adds to that case)."""

    queryset = Facility.objects.select_related("project", "place", "case", "device")
    serializer_class = FacilitySerializer
    filterset_class = FacilityFilterSet
    required_perms = {"damage": "farmland.facility.report"}

    @extend_schema(request=DamageInputSerializer, responses={201: DamageResultSerializer})
    @action(detail=True, methods=["post"], url_path="damage")
    def damage(self, request, pk=None):
        facility = self.get_object()
        data = validated(DamageInputSerializer, request)
        case = facilities.do_report_damage(
            facility,
            actor=request.user,
            description=data["description"],
            submission_key=data["submission_key"] or None,
        )
        facility.refresh_from_db()
        return Response(
            {"case": case.tracking_number, "facility": FacilitySerializer(facility).data}, status=201
        )
