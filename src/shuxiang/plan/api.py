"""Plan API: the 27 tasks, the quarterly ledgers with submit / approve / return actions."""

from drf_spectacular.utils import extend_schema_field
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from shuxiang.core.api.base import ScopedViewSetMixin, validated
from shuxiang.plan import figures as figures_module
from shuxiang.plan import services
from shuxiang.plan.choices import UnitRole
from shuxiang.plan.filtersets import LedgerEntryFilterSet
from shuxiang.plan.loader import current_plan
from shuxiang.plan.models import LedgerEntry, Task


class TargetSerializer(serializers.Serializer):
    """A task's quantified target (schema of TaskSerializer.get_targets)."""

    indicator = serializers.CharField(allow_null=True)
    quote = serializers.CharField()
    year = serializers.IntegerField(allow_null=True)
    value = serializers.FloatField(allow_null=True)
    unit = serializers.CharField(allow_blank=True)
    place = serializers.CharField(allow_null=True)


class LedgerValueSerializer(serializers.Serializer):
    """One indicator's figures on a ledger form (schema of LedgerEntrySerializer.get_values)."""

    name = serializers.CharField()
    unit = serializers.CharField(allow_blank=True)
    kind = serializers.CharField()
    numerator = serializers.FloatField(allow_null=True)
    denominator = serializers.FloatField(allow_null=True)


class TaskSerializer(serializers.ModelSerializer):
    section = serializers.CharField(source="section.code")
    section_title = serializers.CharField(source="section.title")
    lead_units = serializers.SerializerMethodField()
    responsible_units = serializers.SerializerMethodField()
    targets = serializers.SerializerMethodField()
    indicators = serializers.SlugRelatedField(many=True, read_only=True, slug_field="code")

    class Meta:
        model = Task
        fields = [
            "number",
            "seed_number",
            "section",
            "section_title",
            "title",
            "text",
            "lead_units",
            "responsible_units",
            "all_townships",
            "indicators",
            "targets",
        ]

    def _units(self, task, role):
        return [tu.label for tu in task.task_units.all() if tu.role == role]

    def get_lead_units(self, task) -> list[str]:
        return self._units(task, UnitRole.LEAD)

    def get_responsible_units(self, task) -> list[str]:
        names = self._units(task, UnitRole.RESPONSIBLE)
        return [*names, "各乡镇、街道、园区"] if task.all_townships else names

    @extend_schema_field(TargetSerializer(many=True))
    def get_targets(self, task):
        return [
            {
                "indicator": t.indicator.code if t.indicator_id else None,
                "quote": t.quote,
                "year": t.year,
                "value": float(t.value) if t.value is not None else None,
                "unit": t.indicator.unit if t.indicator_id else "",
                "place": t.place.code if t.place_id else None,
            }
            for t in task.targets.all()
        ]


class TaskViewSet(viewsets.ReadOnlyModelViewSet):
    """The current plan's key tasks (the published plan: every signed-in user reads all of it)."""

    serializer_class = TaskSerializer
    lookup_field = "number"
    required_perm = "plan.task.view"  # no class-level queryset: the current plan's tasks

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Task.objects.none()  # the schema is generated without a database
        plan = current_plan(self.request.user)
        return (
            Task.objects.filter(plan=plan)
            .select_related("section")
            .prefetch_related("task_units", "indicators", "targets__indicator", "targets__place")
            .order_by("number")
        )


class LedgerEntrySerializer(serializers.ModelSerializer):
    period = serializers.CharField(source="round.period", read_only=True)
    deadline = serializers.DateTimeField(source="round.deadline", read_only=True)
    task = serializers.IntegerField(source="task.number", read_only=True)
    task_title = serializers.CharField(source="task.title", read_only=True)
    place = serializers.CharField(source="place.code", read_only=True)
    place_name = serializers.CharField(source="place.name", read_only=True)
    unit = serializers.CharField(source="unit.name", read_only=True, default=None)
    status_label = serializers.CharField(source="get_status_display", read_only=True)
    values = serializers.SerializerMethodField()
    editable = serializers.SerializerMethodField()

    class Meta:
        model = LedgerEntry
        fields = [
            "id",
            "period",
            "deadline",
            "task",
            "task_title",
            "place",
            "place_name",
            "unit",
            "status",
            "status_label",
            "approval_level",
            "progress",
            "problems",
            "values",
            "submitted_at",
            "on_time",
            "reopened_until",
            "return_reason",
            "editable",
        ]
        read_only_fields = fields

    @extend_schema_field(serializers.DictField(child=LedgerValueSerializer()))
    def get_values(self, entry):
        prefetched = self.context.get("figures")
        if prefetched is not None:
            figures = prefetched.get(figures_module.key_of(entry), {})
        else:
            figures = services.entry_figures(entry)
        result = {}
        for indicator in services.reported_indicators(entry):
            num, den = figures.get(indicator.code, (None, None))
            result[indicator.code] = {
                "name": indicator.name,
                "unit": indicator.unit,
                "kind": indicator.kind,
                "numerator": float(num) if num is not None else None,
                "denominator": float(den) if den is not None else None,
            }
        return result

    def get_editable(self, entry) -> bool:
        """Whether a save by the caller would be accepted: the form is open, and the caller passes the
        same gate the save does (the fill grant on this form, inside their region)."""
        if not entry.is_open_for_input():
            return False
        fillable = self.context.get("fillable")
        if fillable is not None:
            return entry.pk in fillable
        request = self.context.get("request")
        return request is not None and services.may_fill(request.user, entry)


class LedgerWriteSerializer(serializers.Serializer):
    progress = serializers.CharField(required=False, allow_blank=True, max_length=5000)
    problems = serializers.CharField(required=False, allow_blank=True, max_length=5000)
    values = serializers.DictField(required=False)


class ReasonSerializer(serializers.Serializer):
    reason = serializers.CharField(required=False, allow_blank=True, max_length=300)


def _values_from_request(values: dict) -> dict:
    clean = {}
    for code, given in (values or {}).items():
        if isinstance(given, dict):
            clean[code] = (given.get("numerator"), given.get("denominator"))
        else:
            clean[code] = given
    return clean


class LedgerEntryViewSet(
    ScopedViewSetMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    """Quarterly ledger forms in the user's region. PATCH saves progress, problems and `values`
    ({code: number} or {code: {"numerator", "denominator"}}); POST `submit/`, `approve/`,
    `return/` (with `reason`), `unapprove/` move it along village → township → district."""

    queryset = LedgerEntry.objects.select_related("round", "task", "place", "unit").prefetch_related(
        "task__indicators"
    )
    serializer_class = LedgerEntrySerializer
    filterset_class = LedgerEntryFilterSet
    # list/retrieve: view; PATCH: change (filling, whose grant constraint names the reporters).
    required_perms = {
        "submit": "plan.ledgerentry.change",
        "approve": "plan.ledgerentry.approve",
        "return_": "plan.ledgerentry.approve",
        "unapprove": "plan.ledgerentry.approve",
    }

    def list(self, request, *args, **kwargs):
        queryset = self.filter_queryset(self.get_queryset())
        page = self.paginate_queryset(queryset)
        context = {
            **self.get_serializer_context(),
            "figures": figures_module.figures_of(page),
            "fillable": services.fillable_ids(request.user, page),
        }
        serializer = self.get_serializer(page, many=True, context=context)
        return self.get_paginated_response(serializer.data)

    def partial_update(self, request, pk=None):
        entry = self.get_object()
        data = validated(LedgerWriteSerializer, request)
        entry = services.do_save_entry(
            entry,
            actor=request.user,
            progress=data.get("progress"),
            problems=data.get("problems"),
            values=_values_from_request(data.get("values")),
        )
        return Response(self.get_serializer(entry).data)

    def _act(self, fn, **kwargs):
        entry = fn(self.get_object(), actor=self.request.user, **kwargs)
        return Response(self.get_serializer(entry).data, status=status.HTTP_200_OK)

    @action(detail=True, methods=["post"])
    def submit(self, request, pk=None):
        return self._act(services.do_submit_entry)

    @action(detail=True, methods=["post"])
    def approve(self, request, pk=None):
        return self._act(services.do_approve_entry)

    @action(detail=True, methods=["post"], url_path="return")
    def return_(self, request, pk=None):
        s = validated(ReasonSerializer, request)
        return self._act(services.do_return_entry, reason=s.get("reason", ""))

    @action(detail=True, methods=["post"])
    def unapprove(self, request, pk=None):
        return self._act(services.do_unapprove_entry)
