"""Housing API: houses (list with filters, GeoJSON, detail, register) and appraisals (list, detail, and
the phone's submission as multipart with photos). Places are division codes; errors are the one shape."""

from django.db import transaction
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response

from shuxiang.core.api.base import (
    BoundedDateField,
    JSONField,
    PlaceCodeField,
    ScopedViewSetMixin,
    in_scope,
    validated,
)
from shuxiang.core.api.renderers import GeoJSONRenderer
from shuxiang.housing import choices as c
from shuxiang.housing import services
from shuxiang.housing.filtersets import AppraisalFilterSet, HouseFilterSet
from shuxiang.housing.models import Appraisal, AppraisalFinding, House


class HouseSerializer(serializers.ModelSerializer):
    place = PlaceCodeField(read_only=True)
    owner = serializers.SerializerMethodField()
    household = serializers.CharField(source="household.number", read_only=True, default=None)
    is_business = serializers.BooleanField(read_only=True)

    class Meta:
        model = House
        fields = [
            "code",
            "place",
            "address",
            "owner",
            "household",
            "key_group",
            "structure",
            "floors",
            "year_built",
            "floor_area",
            "use",
            "is_business",
            "business_kind",
            "business_name",
            "latitude",
            "longitude",
            "grade",
            "appraised_on",
            "dangerous_since",
            "updated_at",
        ]

    def get_owner(self, obj) -> str | None:
        """The owner's name, masked (姓名脱敏); the ID number never leaves core.Person."""
        from shuxiang.core.pii import mask_name

        return mask_name(obj.owner.name) if obj.owner_id else None


class HouseWriteSerializer(serializers.Serializer):
    place = PlaceCodeField()
    address = serializers.CharField(max_length=120, required=False, allow_blank=True)
    owner_name = serializers.CharField(max_length=50, required=False, allow_blank=True)
    owner_id_number = serializers.CharField(max_length=20, required=False, allow_blank=True)
    structure = serializers.ChoiceField(choices=c.Structure.choices)
    floors = serializers.IntegerField(min_value=1, max_value=12)
    year_built = serializers.IntegerField(required=False, allow_null=True, min_value=1900, max_value=2100)
    floor_area = serializers.DecimalField(max_digits=8, decimal_places=1, required=False, allow_null=True)
    use = serializers.ChoiceField(choices=c.Use.choices, default=c.Use.LIVING)
    business_kind = serializers.ChoiceField(choices=c.BusinessKind.choices, required=False, allow_blank=True)
    business_name = serializers.CharField(max_length=60, required=False, allow_blank=True)
    key_group = serializers.ChoiceField(choices=c.KeyGroup.choices, required=False, allow_blank=True)
    latitude = serializers.FloatField(required=False, allow_null=True, min_value=18, max_value=54)
    longitude = serializers.FloatField(required=False, allow_null=True, min_value=73, max_value=136)


def _feature(h: dict) -> dict:
    props = {k: v for k, v in h.items() if k not in ("latitude", "longitude")}
    geometry = (
        {"type": "Point", "coordinates": [h["longitude"], h["latitude"]]}
        if h["latitude"] is not None
        else None
    )
    return {"type": "Feature", "id": h["code"], "geometry": geometry, "properties": props}


class HouseViewSet(
    ScopedViewSetMixin,
    mixins.CreateModelMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    """农房：列表（可筛选，`?format=geojson` 返回点要素）、详情（按房屋编码）、登记。"""

    queryset = House.objects.select_related("place", "owner", "household")
    serializer_class = HouseSerializer
    filterset_class = HouseFilterSet
    lookup_field = "code"
    lookup_value_regex = r"\d{14}-\d{4}"
    renderer_classes = [JSONRenderer, GeoJSONRenderer]

    def get_queryset(self):
        return super().get_queryset().order_by("code")

    def list(self, request, *args, **kwargs):
        response = super().list(request, *args, **kwargs)
        if request.accepted_renderer.format == "geojson":
            data = response.data
            response.data = {
                "type": "FeatureCollection",
                "count": data["count"],
                "next": data.get("next"),
                "previous": data.get("previous"),
                "features": [_feature(h) for h in data["results"]],
            }
        return response

    @extend_schema(request=HouseWriteSerializer, responses={201: HouseSerializer})
    def create(self, request, *args, **kwargs):
        data = validated(HouseWriteSerializer, request)
        house = services.do_register_house(actor=request.user, **data)
        return Response(HouseSerializer(house).data, status=status.HTTP_201_CREATED)


class FindingSerializer(serializers.ModelSerializer):
    class Meta:
        model = AppraisalFinding
        fields = ["part", "level", "note"]
        ref_name = "AppraisalFinding"  # farmland has a Finding of its own


class AppraisalSerializer(serializers.ModelSerializer):
    house = serializers.CharField(source="house.code", read_only=True)
    findings = FindingSerializer(many=True, read_only=True)
    photos = serializers.SerializerMethodField()

    class Meta:
        model = Appraisal
        fields = [
            "id",
            "house",
            "kind",
            "grade",
            "appraised_on",
            "appraiser_name",
            "appraiser_org",
            "conclusion",
            "findings",
            "photos",
            "latitude",
            "longitude",
            "created_at",
        ]

    def get_photos(self, obj) -> list[str]:
        from django.urls import reverse

        from shuxiang.core.files import attachments_of

        return [reverse("attachment", args=[a.pk]) for a in attachments_of(obj)]


class AppraisalWriteSerializer(serializers.Serializer):
    house = serializers.CharField(max_length=20, help_text="房屋编码")
    grade = serializers.ChoiceField(choices=c.Grade.choices)
    appraised_on = BoundedDateField()
    appraiser_name = serializers.CharField(max_length=50)
    appraiser_org = serializers.CharField(max_length=80, required=False, allow_blank=True)
    conclusion = serializers.CharField(max_length=2000, required=False, allow_blank=True)
    findings = JSONField(
        help_text='各部位鉴定结果，如 [{"part": "foundation", "level": "none"}, {"part": "load_bearing", "level": "local", "note": "…"}]'
    )
    photos = serializers.ListField(child=serializers.ImageField(), required=False, max_length=9)
    latitude = serializers.FloatField(required=False, allow_null=True)
    longitude = serializers.FloatField(required=False, allow_null=True)
    submission_key = serializers.CharField(max_length=64, required=False, allow_blank=True)

    def validate_findings(self, value):
        if not isinstance(value, list) or not all(isinstance(f, dict) for f in value):
            raise serializers.ValidationError("应为对象数组：[{part, level, note}]")
        return value


class AppraisalViewSet(
    ScopedViewSetMixin,
    mixins.CreateModelMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    """房屋安全鉴定：列表、详情、手机提交（multipart，可附照片；C/D级须有照片和危险部位）。"""

    queryset = Appraisal.objects.select_related("house").prefetch_related("findings")
    serializer_class = AppraisalSerializer
    filterset_class = AppraisalFilterSet

    @extend_schema(request=AppraisalWriteSerializer, responses={201: AppraisalSerializer})
    def create(self, request, *args, **kwargs):
        values = validated(AppraisalWriteSerializer, request)
        house = in_scope(House.objects, request.user, "house", "房屋", code=values.pop("house"))
        with transaction.atomic():
            appraisal = services.do_record_appraisal(
                house,
                actor=request.user,
                submission_key=values.pop("submission_key", "") or None,
                **values,
            )
        return Response(AppraisalSerializer(appraisal).data, status=status.HTTP_201_CREATED)
