"""Internal API: /api/v1/cases/ (list, detail, create; transitions as POST actions), region-scoped.

Places are division codes, categories their codes; the reporter's phone appears masked only.
The transition actions are made from cases.choices.TRANSITIONS: one POST action per staff step,
declaring the step's permission (core.access) and calling the step's service.
"""

from drf_spectacular.utils import extend_schema, extend_schema_serializer
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import FormParser
from rest_framework.response import Response

from shuxiang.cases import services, stats
from shuxiang.cases.choices import STAFF_TRANSITIONS, Channel, Priority
from shuxiang.cases.filtersets import CaseFilterSet
from shuxiang.cases.models import Case, CaseCategory, CaseEvent
from shuxiang.core.api.base import (
    BoundedDateTimeField,
    JSONField,
    PlaceCodeField,
    ScopedViewSetMixin,
    validated,
)
from shuxiang.core.errors import ServiceError
from shuxiang.core.jsonbody import BoundedJSONParser, StrictMultiPartParser
from shuxiang.core.models import Unit


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
    available_actions = serializers.SerializerMethodField(help_text="调用方现在可以办理的步骤")

    class Meta(CaseSerializer.Meta):
        fields = [*CaseSerializer.Meta.fields, "events", "available_actions"]

    def get_available_actions(self, case) -> list[str]:
        request = self.context.get("request")
        if request is None or not request.user.is_authenticated:
            return []
        return [str(a) for a in services.available_actions(request.user, case)]


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
    extra = JSONField(required=False)
    unit = serializers.PrimaryKeyRelatedField(queryset=Unit.objects.all(), required=False, allow_null=True)
    assignee = serializers.CharField(
        required=False, allow_blank=True, allow_null=True, help_text="承办人用户名（须负责该区域）"
    )
    deadline = BoundedDateTimeField(required=False, allow_null=True)
    is_public = serializers.BooleanField(required=False, allow_null=True, default=None)
    source_ref = serializers.CharField(required=False, allow_blank=True, max_length=80)
    photos = serializers.ListField(child=serializers.FileField(), required=False)


@extend_schema_serializer(component_name="CaseNote")  # warnings has a NoteSerializer of its own
class NoteSerializer(serializers.Serializer):
    note = serializers.CharField(required=False, allow_blank=True, default="")
    is_public = serializers.BooleanField(
        required=False, allow_null=True, default=None, help_text="对反映人公开（不填：按该步骤的默认）"
    )


class ReasonSerializer(serializers.Serializer):
    reason = serializers.CharField()


class EvidenceSerializer(serializers.Serializer):
    note = serializers.CharField()
    photos = serializers.ListField(child=serializers.FileField(), required=False)


class RecordSerializer(EvidenceSerializer):
    is_public = serializers.BooleanField(required=False, default=False, help_text="对反映人公开")


class DispatchSerializer(serializers.Serializer):
    unit = serializers.PrimaryKeyRelatedField(queryset=Unit.objects.all(), required=False, allow_null=True)
    assignee = serializers.CharField(
        required=False, allow_blank=True, allow_null=True, help_text="承办人用户名（须负责该区域）"
    )
    note = serializers.CharField(required=False, allow_blank=True, default="")
    deadline = BoundedDateTimeField(required=False, allow_null=True)


class EscalateSerializer(serializers.Serializer):
    reason = serializers.CharField()
    to_place = PlaceCodeField(required=False, allow_null=True)


# The input each kind of step asks for (TRANSITIONS rows name their kind).
STEP_SERIALIZERS = {
    "note": NoteSerializer,
    "record": RecordSerializer,
    "evidence": EvidenceSerializer,
    "reason": ReasonSerializer,
    "escalate": EscalateSerializer,
    "dispatch": DispatchSerializer,
}


def _photos(request):
    return request.FILES.getlist("photos") if hasattr(request, "FILES") else []


def _step_name(step) -> str:
    """The viewset action of a step ("accept_case"): "dispatch" and "return" are taken names."""
    return f"{step.action}_case"


class CaseViewSet(ScopedViewSetMixin, mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """Cases in the caller's region. Transitions are POST actions; a refused one changes nothing."""

    # Users and the escalation place come by prefetch: fewer joins keep the planner quick on the list.
    queryset = Case.objects.select_related("category", "place", "unit").prefetch_related(
        "assignee", "grid_worker", "escalated_to"
    )
    filterset_class = CaseFilterSet
    # Each step's action (made below from TRANSITIONS) declares the step's permission.
    required_perms = {
        "create": "case.open",
        **{_step_name(step): step.perm for step in STAFF_TRANSITIONS},
    }
    parser_classes = [
        BoundedJSONParser,
        StrictMultiPartParser,
        FormParser,
    ]  # JSON bounded like every API body

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
        values = validated(CaseCreateSerializer, request)
        values["photos"] = _photos(request)
        case = services.do_open_case(actor=request.user, **values)
        return self._answer(case, status.HTTP_201_CREATED)

    def _answer(self, case, code=status.HTTP_200_OK):
        fresh = self.get_queryset().prefetch_related("events").filter(pk=case.pk).first()
        if fresh is None:
            # Still written, but now outside what the caller may read (dispatched away, or a client
            # that only files cases): say so, show nothing.
            return Response({"id": case.pk, "tracking_number": case.tracking_number}, status=code)
        return Response(CaseDetailSerializer(fresh, context={"request": self.request}).data, status=code)

    def run_step(self, request, step):
        """One staff step: the case in the caller's region (else 404), its input, its service."""
        case = self.get_object()
        serializer_class = STEP_SERIALIZERS[step.form]
        data = validated(serializer_class, request)
        values = {k: v for k, v in data.items() if k != "photos"}
        if "photos" in serializer_class().fields:
            values["photos"] = _photos(request)
        if not step.staff_choose:
            values.pop("is_public", None)
        case = step.run(case, actor=request.user, **values)
        return self._answer(case)


def _step_action(step):
    def handler(self, request, pk=None):
        return self.run_step(request, step)

    handler.__name__ = _step_name(step)
    handler.__doc__ = f"{step.label}（需要 {step.perm}）."
    # extend_schema after action: action() replaces the function's kwargs, and the schema with them.
    handler = action(detail=True, methods=["post"], url_path=step.path, url_name=step.path)(handler)
    return extend_schema(request=STEP_SERIALIZERS[step.form], responses=CaseDetailSerializer)(handler)


for _step in STAFF_TRANSITIONS:
    setattr(CaseViewSet, _step_name(_step), _step_action(_step))


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

    required_perm = "cases.casecategory.view"

    @extend_schema(responses=CategorySerializer(many=True))
    def list(self, request):
        return Response(CategorySerializer(CaseCategory.objects.filter(is_active=True), many=True).data)


class StatisticsView(viewsets.ViewSet):
    """Per township / unit / category over the cases submitted in [since, until), in the caller's region."""

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
