from drf_spectacular.utils import extend_schema, extend_schema_serializer
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from shuxiang.core import ratelimit, services
from shuxiang.core.access import SIGNED_IN
from shuxiang.core.api.base import BoundedDateField, JSONField, PlaceCodeField, ScopedViewSetMixin, validated
from shuxiang.core.api.schema import ErrorSerializer
from shuxiang.core.choices import NAME_BY_LEVEL, PlaceKind, Role, UnitKind
from shuxiang.core.filtersets import (
    AuditFilterSet,
    PersonFilterSet,
    PlaceFilterSet,
    UnitFilterSet,
    UserFilterSet,
)
from shuxiang.core.models import AuditEntry, Person, Place, Unit, User

# --- serializers ---------------------------------------------------------------------------


class PlaceSerializer(serializers.ModelSerializer):
    level = serializers.SerializerMethodField()
    level_display = serializers.CharField(source="get_level_display", read_only=True)
    kind_display = serializers.CharField(source="get_kind_display", read_only=True)
    parent = PlaceCodeField(read_only=True)

    class Meta:
        model = Place
        fields = [
            "code",
            "name",
            "level",
            "level_display",
            "kind",
            "kind_display",
            "parent",
            "valid_from",
            "valid_to",
            "latitude",
            "longitude",
            "synthetic",
        ]

    def get_level(self, obj) -> str:
        return NAME_BY_LEVEL[obj.level]


class PlaceDetailSerializer(PlaceSerializer):
    class Meta(PlaceSerializer.Meta):
        fields = [*PlaceSerializer.Meta.fields, "geometry"]


class PlaceWriteSerializer(serializers.Serializer):
    code = serializers.CharField(max_length=14)
    name = serializers.CharField(max_length=100)
    level = serializers.ChoiceField(choices=list(NAME_BY_LEVEL.values()))
    kind = serializers.ChoiceField(choices=PlaceKind.choices)
    parent = PlaceCodeField(required=False, allow_null=True)
    valid_from = BoundedDateField(required=False, allow_null=True)
    valid_to = BoundedDateField(required=False, allow_null=True)
    geometry = JSONField(required=False, allow_null=True)


class UnitSerializer(serializers.ModelSerializer):
    place = PlaceCodeField()
    domains = serializers.ListField(child=serializers.CharField(max_length=30), required=False, max_length=20)
    place_name = serializers.CharField(source="place.name", read_only=True)
    kind_display = serializers.CharField(source="get_kind_display", read_only=True)

    class Meta:
        model = Unit
        fields = [
            "id",
            "name",
            "short_name",
            "kind",
            "kind_display",
            "place",
            "place_name",
            "code",
            "domains",
            "phone",
            "is_active",
        ]


class PersonSerializer(serializers.ModelSerializer):
    """Identifiers go out masked; plaintext only through the audited reveal action."""

    place = PlaceCodeField()
    id_number = serializers.CharField(required=False, allow_blank=True, max_length=32)
    phone = serializers.CharField(required=False, allow_blank=True, max_length=20)

    class Meta:
        model = Person
        fields = [
            "id",
            "name",
            "id_number",
            "phone",
            "gender",
            "birth_date",
            "place",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["gender", "birth_date", "created_at", "updated_at"]

    def to_representation(self, instance):
        data = super().to_representation(instance)
        data["id_number"] = instance.id_number_masked
        data["phone"] = instance.phone_masked
        return data


class RevealSerializer(serializers.Serializer):
    fields = serializers.ListField(
        child=serializers.ChoiceField(choices=["id_number", "phone"]), min_length=1
    )


class RevealedSerializer(serializers.Serializer):
    """The full values asked for (only those)."""

    id_number = serializers.CharField(required=False, allow_null=True)
    phone = serializers.CharField(required=False, allow_null=True)


class UserSerializer(serializers.ModelSerializer):
    place = PlaceCodeField(allow_null=True, required=False)
    unit = serializers.PrimaryKeyRelatedField(queryset=Unit.objects.all(), allow_null=True, required=False)
    password = serializers.CharField(write_only=True, required=False, style={"input_type": "password"})
    role = serializers.ChoiceField(choices=Role.choices)

    class Meta:
        model = User
        fields = [
            "id",
            "username",
            "display_name",
            "role",
            "place",
            "unit",
            "can_reveal_pii",
            "is_active",
            "last_login",
            "password",
        ]
        read_only_fields = ["last_login"]


@extend_schema_serializer(many=False)
class MeSerializer(UserSerializer):
    """The caller's own account: one object (the route is a viewset's list, so say it is not a list)."""


class AuditEntrySerializer(serializers.ModelSerializer):
    actor = serializers.CharField(source="actor_label")

    class Meta:
        model = AuditEntry
        fields = [
            "id",
            "at",
            "actor",
            "action",
            "object_type",
            "object_id",
            "object_repr",
            "changes",
            "source",
            "ip",
        ]


# --- viewsets --------------------------------------------------------------------------------


class PlaceViewSet(
    ScopedViewSetMixin, mixins.CreateModelMixin, mixins.UpdateModelMixin, viewsets.ReadOnlyModelViewSet
):
    """The division tree. `?level=township`, `?parent=CODE`, `?q=`; detail by code."""

    queryset = Place.objects.select_related("parent")
    filterset_class = PlaceFilterSet
    lookup_field = "code"
    # Changes are partial (name, kind, validity, geometry; code, level and parent stay): PATCH, not PUT.
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_serializer_class(self):
        if self.action in ("create", "update", "partial_update"):
            return PlaceWriteSerializer
        return PlaceDetailSerializer if self.action == "retrieve" else PlaceSerializer

    def create(self, request, *args, **kwargs):
        data = validated(PlaceWriteSerializer, request)
        data["level"] = {v: k for k, v in NAME_BY_LEVEL.items()}[data["level"]]
        place = services.do_create_place(actor=request.user, **data)
        return Response(PlaceDetailSerializer(place).data, status=status.HTTP_201_CREATED)

    def update(self, request, *args, **kwargs):
        place = self.get_object()
        s = validated(PlaceWriteSerializer, request, partial=True)
        changes = {k: v for k, v in s.items() if k not in ("code", "parent", "level")}
        place = services.do_update_place(place, actor=request.user, **changes)
        return Response(PlaceDetailSerializer(place).data)


class UnitViewSet(
    ScopedViewSetMixin, mixins.CreateModelMixin, mixins.UpdateModelMixin, viewsets.ReadOnlyModelViewSet
):
    queryset = Unit.objects.select_related("place")
    serializer_class = UnitSerializer
    filterset_class = UnitFilterSet

    def perform_create(self, serializer):
        data = serializer.validated_data
        data.pop("is_active", None)
        serializer.instance = services.do_create_unit(actor=self.request.user, **data)

    def perform_update(self, serializer):
        serializer.instance = services.do_update_unit(
            serializer.instance, actor=self.request.user, **serializer.validated_data
        )


class PersonViewSet(ScopedViewSetMixin, viewsets.ModelViewSet):
    """People in the user's region; `id_number` and `phone` masked. `?q=` finds by name or full number."""

    queryset = Person.objects.select_related("place")
    serializer_class = PersonSerializer
    filterset_class = PersonFilterSet
    required_perms = {"reveal": "core.person.reveal"}

    def perform_create(self, serializer):
        serializer.instance = services.do_create_person(actor=self.request.user, **serializer.validated_data)

    def perform_update(self, serializer):
        data = serializer.validated_data
        serializer.instance = services.do_update_person(
            serializer.instance,
            actor=self.request.user,
            name=data.get("name"),
            place=data.get("place"),
            id_number=data.get("id_number") or None,
            phone=data.get("phone") or None,
        )

    def perform_destroy(self, instance):
        services.do_delete_person(instance, actor=self.request.user)

    @extend_schema(request=RevealSerializer, responses={200: RevealedSerializer, 429: ErrorSerializer})
    @action(detail=True, methods=["post"])
    def reveal(self, request, pk=None):
        """Full ID/phone for holders of the reveal permission; every call is audited."""
        person = self.get_object()
        s = validated(RevealSerializer, request)
        try:
            ratelimit.limit_reveal(request.user, person, s["fields"])
        except ratelimit.RateLimited as exc:
            return Response(exc.as_dict(), status=exc.status, headers={"Retry-After": str(exc.retry_after)})
        return Response(services.do_reveal(person, s["fields"], actor=request.user))


class UserViewSet(
    ScopedViewSetMixin, mixins.CreateModelMixin, mixins.UpdateModelMixin, viewsets.ReadOnlyModelViewSet
):
    queryset = User.objects.select_related("place", "unit")
    serializer_class = UserSerializer
    filterset_class = UserFilterSet

    def perform_create(self, serializer):
        data = dict(serializer.validated_data)
        data.pop("is_active", None)
        data.setdefault("place", None)
        serializer.instance = services.do_create_user(
            actor=self.request.user, password=data.pop("password", ""), **data
        )

    def perform_update(self, serializer):
        data = dict(serializer.validated_data)
        data.pop("username", None)
        password = data.pop("password", None)
        serializer.instance = services.do_update_user(serializer.instance, actor=self.request.user, **data)
        if password:
            services.do_set_password(serializer.instance, actor=self.request.user, password=password)


class AuditViewSet(ScopedViewSetMixin, viewsets.ReadOnlyModelViewSet):
    """The audit log, read-only, for administrators and district staff."""

    queryset = AuditEntry.objects.all()
    serializer_class = AuditEntrySerializer
    filterset_class = AuditFilterSet


class MeView(viewsets.ViewSet):
    """The signed-in caller's own account."""

    access = SIGNED_IN

    @extend_schema(responses={200: MeSerializer})
    def list(self, request):
        return Response(MeSerializer(request.user).data)


__all__ = [
    "PlaceViewSet",
    "UnitViewSet",
    "PersonViewSet",
    "UserViewSet",
    "AuditViewSet",
    "MeView",
    "UnitKind",
]
