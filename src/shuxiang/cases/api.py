"""Internal API: /api/v1/cases/ (list, detail, create; transitions as POST actions), region-scoped.

Places are division codes, categories their codes; the reporter's phone appears masked only.
"""

from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.response import Response

from shuxiang.cases import services, stats
from shuxiang.cases.choices import Channel, Priority
from shuxiang.cases.filtersets import CaseFilterSet
from shuxiang.cases.models import Case, CaseCategory, CaseEvent
from shuxiang.core.api.base import HasRolePermission, PlaceCodeField, ScopedViewSetMixin
from shuxiang.core.errors import ServiceError
from shuxiang.core.models import Unit, User


class CaseEventSerializer(serializers.ModelSerializer):
    action_display = serializers.CharField(source="get_action_display", read_only=True)

    class Meta:
        model = CaseEvent
        fields = [
            "id",
            "action",
            "action_display",
            "from_state",
            "to_state",
            "actor_label",
            "note",
            "is_public",
            "at",
        ]


class CaseSerializer(serializers.ModelSerializer):
    category = serializers.SlugRelatedField(slug_field="code", read_only=True)
    category_name = serializers.CharField(source="category.name", read_only=True, default="")
    place = PlaceCodeField(read_only=True)
    place_name = serializers.CharField(source="place.name", read_only=True)
    state_display = serializers.CharField(source="get_state_display", read_only=True)
    unit_name = serializers.CharField(source="unit.name", read_only=True, default="")
    assignee = serializers.SlugRelatedField(slug_field="username", read_only=True)
    grid_worker = serializers.SlugRelatedField(slug_field="username", read_only=True)
    escalated_to = PlaceCodeField(read_only=True)
    phone = serializers.CharField(source="phone_masked", read_only=True)

    class Meta:
        model = Case
        fields = [
            "id",
            "tracking_number",
            "case_type",
            "category",
            "category_name",
            "title",
            "description",
            "place",
            "place_name",
            "latitude",
            "longitude",
            "address",
            "state",
            "state_display",
            "priority",
            "channel",
            "is_public",
            "reporter_name",
            "phone",
            "unit",
            "unit_name",
            "assignee",
            "grid_worker",
            "accept_deadline",
            "deadline",
            "is_overdue",
            "accept_overdue",
            "escalation_level",
            "escalated_to",
            "accepted_at",
            "dispatched_at",
            "resolved_at",
            "closed_at",
            "reopen_count",
            "rating",
            "rating_comment",
            "status_notes",
            "extra",
            "source_ref",
            "created_at",
            "updated_at",
        ]


class CaseDetailSerializer(CaseSerializer):
    events = CaseEventSerializer(many=True, read_only=True)

    class Meta(CaseSerializer.Meta):
        fields = [*CaseSerializer.Meta.fields, "events"]


class CaseCreateSerializer(serializers.Serializer):
    category = serializers.CharField(required=False, allow_blank=True, help_text="类别代码")
    case_type = serializers.CharField(required=False, allow_blank=True)
    title = serializers.CharField(required=False, allow_blank=True, max_length=100)
    description = serializers.CharField()
    place = serializers.CharField(required=False, allow_blank=True, help_text="区划代码")
    latitude = serializers.FloatField(required=False, allow_null=True)
    longitude = serializers.FloatField(required=False, allow_null=True)
    address = serializers.CharField(required=False, allow_blank=True, max_length=200)
    reporter_name = serializers.CharField(required=False, allow_blank=True, max_length=50)
    phone = serializers.CharField(required=False, allow_blank=True, max_length=20)
    priority = serializers.ChoiceField(choices=Priority.choices, required=False, default=Priority.NORMAL)
    channel = serializers.ChoiceField(choices=Channel.choices, required=False, default=Channel.API)
    extra = serializers.JSONField(required=False)
    unit = serializers.PrimaryKeyRelatedField(queryset=Unit.objects.all(), required=False, allow_null=True)
    assignee = serializers.SlugRelatedField(
        slug_field="username", queryset=User.objects.all(), required=False, allow_null=True
    )
    deadline = serializers.DateTimeField(required=False, allow_null=True)
    is_public = serializers.BooleanField(required=False, allow_null=True, default=None)
    source_ref = serializers.CharField(required=False, allow_blank=True, max_length=80)
    photos = serializers.ListField(child=serializers.FileField(), required=False)


class NoteSerializer(serializers.Serializer):
    note = serializers.CharField(required=False, allow_blank=True, default="")


class ReasonSerializer(serializers.Serializer):
    reason = serializers.CharField()


class EvidenceSerializer(serializers.Serializer):
    note = serializers.CharField()
    photos = serializers.ListField(child=serializers.FileField(), required=False)


class StaffNoteSerializer(EvidenceSerializer):
    is_public = serializers.BooleanField(required=False, default=False)


class DispatchSerializer(serializers.Serializer):
    unit = serializers.PrimaryKeyRelatedField(queryset=Unit.objects.all(), required=False, allow_null=True)
    assignee = serializers.SlugRelatedField(
        slug_field="username", queryset=User.objects.all(), required=False, allow_null=True
    )
    note = serializers.CharField(required=False, allow_blank=True, default="")
    deadline = serializers.DateTimeField(required=False, allow_null=True)


class EscalateSerializer(serializers.Serializer):
    reason = serializers.CharField()
    to_place = PlaceCodeField(required=False, allow_null=True)


def _photos(request):
    return request.FILES.getlist("photos") if hasattr(request, "FILES") else []


class CaseViewSet(ScopedViewSetMixin, mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """Cases in the caller's region. Transitions are POST actions; a refused one changes nothing."""

    # Users and the escalation place come by prefetch: fewer joins keep the planner quick on the list.
    queryset = Case.objects.select_related("category", "place", "unit").prefetch_related(
        "assignee", "grid_worker", "escalated_to"
    )
    filterset_class = CaseFilterSet
    permission_classes = [HasRolePermission]
    required_perms = {"create": "case.open"}
    parser_classes = [JSONParser, MultiPartParser, FormParser]

    def get_serializer_class(self):
        if self.action == "retrieve":
            return CaseDetailSerializer
        if self.action == "create":
            return CaseCreateSerializer
        return CaseSerializer

    def get_queryset(self):
        qs = super().get_queryset()
        if self.action == "retrieve":
            qs = qs.prefetch_related("events")
        return qs

    @extend_schema(request=CaseCreateSerializer, responses={201: CaseDetailSerializer})
    def create(self, request, *args, **kwargs):
        data = CaseCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        values["photos"] = _photos(request)
        case = services.do_open_case(actor=request.user, **values)
        return self._answer(case, status.HTTP_201_CREATED)

    def _answer(self, case, code=status.HTTP_200_OK):
        fresh = self.get_queryset().prefetch_related("events").filter(pk=case.pk).first()
        if fresh is None:
            # Still written, but now outside the caller's region (e.g. dispatched away): say so, show nothing.
            return Response({"id": case.pk, "tracking_number": case.tracking_number}, status=code)
        return Response(CaseDetailSerializer(fresh).data, status=code)

    def _transition(self, request, serializer_class, service, **extra):
        case = self.get_object()
        data = serializer_class(data=request.data)
        data.is_valid(raise_exception=True)
        values = {k: v for k, v in data.validated_data.items() if k != "photos"}
        if "photos" in serializer_class().fields:
            values["photos"] = _photos(request)
        case = service(case, actor=request.user, **values, **extra)
        return self._answer(case)

    @extend_schema(request=NoteSerializer, responses=CaseDetailSerializer)
    @action(detail=True, methods=["post"])
    def accept(self, request, pk=None):
        """受理."""
        return self._transition(request, NoteSerializer, services.do_accept_case)

    @extend_schema(request=DispatchSerializer, responses=CaseDetailSerializer)
    @action(detail=True, methods=["post"], url_path="dispatch", url_name="dispatch")
    def dispatch_case(self, request, pk=None):
        """派单/改派 to a unit (id) and/or a user (username)."""
        return self._transition(request, DispatchSerializer, services.do_dispatch_case)

    @extend_schema(request=ReasonSerializer, responses=CaseDetailSerializer)
    @action(detail=True, methods=["post"], url_path="return", url_name="return")
    def return_case(self, request, pk=None):
        """退回 with a reason."""
        return self._transition(request, ReasonSerializer, services.do_return_case)

    @extend_schema(request=NoteSerializer, responses=CaseDetailSerializer)
    @action(detail=True, methods=["post"])
    def start(self, request, pk=None):
        return self._transition(request, NoteSerializer, services.do_start_case)

    @extend_schema(request=StaffNoteSerializer, responses=CaseDetailSerializer)
    @action(detail=True, methods=["post"])
    def notes(self, request, pk=None):
        return self._transition(request, StaffNoteSerializer, services.do_add_note)

    @extend_schema(request=EvidenceSerializer, responses=CaseDetailSerializer)
    @action(detail=True, methods=["post"])
    def resolve(self, request, pk=None):
        """办结 with evidence (note required, photos optional)."""
        return self._transition(request, EvidenceSerializer, services.do_resolve_case)

    @extend_schema(request=NoteSerializer, responses=CaseDetailSerializer)
    @action(detail=True, methods=["post"])
    def close(self, request, pk=None):
        return self._transition(request, NoteSerializer, services.do_close_case)

    @extend_schema(request=NoteSerializer, responses=CaseDetailSerializer)
    @action(detail=True, methods=["post"])
    def confirm(self, request, pk=None):
        """Confirm fixed on the reporter's behalf (after a follow-up call)."""
        return self._transition(request, NoteSerializer, services.do_confirm_case)

    @extend_schema(request=ReasonSerializer, responses=CaseDetailSerializer)
    @action(detail=True, methods=["post"])
    def reopen(self, request, pk=None):
        return self._transition(request, ReasonSerializer, services.do_reopen_case)

    @extend_schema(request=EscalateSerializer, responses=CaseDetailSerializer)
    @action(detail=True, methods=["post"])
    def escalate(self, request, pk=None):
        return self._transition(request, EscalateSerializer, services.do_escalate_case)


class CategorySerializer(serializers.ModelSerializer):
    deadline_unit_display = serializers.CharField(source="get_deadline_unit_display", read_only=True)

    class Meta:
        model = CaseCategory
        fields = [
            "code",
            "name",
            "description",
            "group",
            "case_type",
            "is_public",
            "is_sensitive",
            "deadline_amount",
            "deadline_unit",
            "deadline_unit_display",
            "accept_hours",
            "is_active",
        ]


class CategoryViewSet(viewsets.ViewSet):
    """District-wide reference data: the categories, their deadlines and whether residents may use them.

    Not a model viewset: categories belong to no region, so there is nothing to scope.
    """

    @extend_schema(responses=CategorySerializer(many=True))
    def list(self, request):
        return Response(CategorySerializer(CaseCategory.objects.filter(is_active=True), many=True).data)


class StatisticsView(viewsets.ViewSet):
    """Per township / unit / category over the cases submitted in [since, until), in the caller's region."""

    permission_classes = [HasRolePermission]
    required_perm = "case.stats"

    @extend_schema(responses={200: dict})
    def list(self, request):
        by = request.query_params.get("by", "township")
        if by not in stats.DIMENSIONS:
            raise ServiceError("invalid", "by 只能是 township、unit 或 category", {"by": ["取值无效"]})
        filterset = CaseFilterSet(
            request.query_params, queryset=stats.restricted(request.user), request=request
        )
        if not filterset.is_valid():
            raise ServiceError("invalid", "筛选条件有误", {k: list(v) for k, v in filterset.errors.items()})
        qs = filterset.qs
        return Response(
            {
                "by": by,
                "rows": [r.as_dict() for r in stats.statistics(qs, by)],
                "total": stats.totals(qs).as_dict(),
            }
        )
