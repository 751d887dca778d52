"""API of monitoring: households (members nested, ID numbers masked), clues,
thresholds, anonymous self-declarations and department alert pushes.

Serializers are configuration; every write goes through services. Each route
declares its permission (core.access.DeclaredPermission); department users
whose unit is not responsible for monitoring are refused (InMonitoring), and
the services check both again. Health and disability appear only for callers
holding `monitoring.household.health`.
"""

from django.db.models import Prefetch
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, permissions, serializers, status, viewsets
from rest_framework.response import Response
from rest_framework.throttling import AnonRateThrottle
from rest_framework.views import APIView

from shuxiang.core.access import PUBLIC, DeclaredPermission
from shuxiang.core.actors import Actor
from shuxiang.core.api.base import PlaceCodeField, ScopedViewSetMixin, validated
from shuxiang.core.permissions import has_perm
from shuxiang.monitoring import choices as c
from shuxiang.monitoring import perms, services
from shuxiang.monitoring.filtersets import ClueFilterSet, HouseholdFilterSet
from shuxiang.monitoring.models import Clue, Household, IncomeRecord, Member, MonitoringThreshold
from shuxiang.monitoring.perms import clue_view, in_monitoring


class InMonitoring(permissions.BasePermission):
    """After the declared permission: a department user acts here only if their unit is responsible
    for monitoring (perms.in_monitoring)."""

    message = perms.OUTSIDE_DOMAIN

    def has_permission(self, request, view):
        return not request.user.is_authenticated or in_monitoring(request.user)


DECLARED_IN_MONITORING = [DeclaredPermission, InMonitoring]


class MemberSerializer(serializers.ModelSerializer):
    name = serializers.CharField(source="person.name", read_only=True)
    id_number = serializers.CharField(source="person.id_number_masked", read_only=True)
    phone = serializers.CharField(source="person.phone_masked", read_only=True)
    person = serializers.IntegerField(source="person_id", read_only=True)

    class Meta:
        model = Member
        fields = [
            "id",
            "person",
            "name",
            "id_number",
            "phone",
            "relation",
            "labour",
            "health",
            "disability_grade",
            "schooling",
            "medical_insured",
        ]

    def to_representation(self, instance):
        data = super().to_representation(instance)
        if not self.context.get("can_health"):
            data.pop("health")
            data.pop("disability_grade")
        return data


class IncomeSerializer(serializers.ModelSerializer):
    class Meta:
        model = IncomeRecord
        fields = [
            "year",
            "wage",
            "production",
            "property_income",
            "transfer",
            "expenses",
            "gross",
            "size",
            "per_capita_net",
        ]


class HouseholdSerializer(serializers.ModelSerializer):
    place = PlaceCodeField(read_only=True)
    members = MemberSerializer(many=True, read_only=True)
    incomes = IncomeSerializer(many=True, read_only=True)
    risk_types = serializers.SerializerMethodField()
    guarantee_failures = serializers.ListField(child=serializers.CharField(), read_only=True)

    class Meta:
        model = Household
        fields = [
            "id",
            "number",
            "place",
            "category",
            "lifted_year",
            "housing_grade",
            "water_safe",
            "status",
            "monitored_type",
            "identified_on",
            "eliminated_on",
            "risk_types",
            "guarantee_failures",
            "members",
            "incomes",
        ]

    def get_risk_types(self, obj) -> list[dict]:
        if not self.context.get("can_health"):
            return []
        return [{"risk_type": r.risk_type, "is_primary": r.is_primary} for r in obj.risks.all()]


class NewMemberSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=50)
    id_number = serializers.CharField(max_length=32)
    phone = serializers.CharField(max_length=20, required=False, allow_blank=True)
    relation = serializers.CharField(max_length=16)
    labour = serializers.CharField(max_length=16, required=False)
    health = serializers.CharField(max_length=16, required=False)
    disability_grade = serializers.IntegerField(required=False, allow_null=True)
    schooling = serializers.CharField(max_length=16, required=False)
    medical_insured = serializers.BooleanField(required=False, default=True)


class HouseholdCreateSerializer(serializers.Serializer):
    number = serializers.CharField(max_length=32, required=False, allow_blank=True)
    place = serializers.CharField(max_length=14, help_text="村民小组区划代码（14位）")
    category = serializers.CharField(max_length=16)
    lifted_year = serializers.IntegerField(required=False, allow_null=True)
    housing_grade = serializers.CharField(max_length=1, required=False, allow_blank=True)
    water_safe = serializers.BooleanField(required=False, default=True)
    members = NewMemberSerializer(many=True)


class HouseholdViewSet(ScopedViewSetMixin, mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    queryset = Household.objects.select_related("place").order_by("place__code", "number")
    serializer_class = HouseholdSerializer
    filterset_class = HouseholdFilterSet
    permission_classes = DECLARED_IN_MONITORING
    required_perms = {"create": perms.EDIT}  # list and retrieve: monitoring.household.view

    def get_queryset(self):
        return (
            super()
            .get_queryset()
            .prefetch_related(
                Prefetch("members", queryset=Member.objects.select_related("person").order_by("id")),
                Prefetch("incomes", queryset=IncomeRecord.objects.order_by("-year")),
                "risks",
            )
        )

    def get_serializer_context(self):
        return {**super().get_serializer_context(), "can_health": has_perm(self.request.user, perms.HEALTH)}

    @extend_schema(request=HouseholdCreateSerializer, responses={201: HouseholdSerializer})
    def create(self, request, *args, **kwargs):
        data = validated(HouseholdCreateSerializer, request)
        household = services.do_create_household(actor=request.user, **data)
        household = self.get_queryset().get(pk=household.pk)
        return Response(self.get_serializer(household).data, status=status.HTTP_201_CREATED)


class ClueSerializer(serializers.ModelSerializer):
    place = PlaceCodeField(read_only=True)
    household = serializers.SlugRelatedField(slug_field="number", read_only=True)
    rule = serializers.SlugRelatedField(slug_field="code", read_only=True)
    channel_display = serializers.CharField(source="get_channel_display", read_only=True)
    status_display = serializers.CharField(source="get_status_display", read_only=True)

    class Meta:
        model = Clue
        fields = [
            "id",
            "place",
            "household",
            "channel",
            "channel_display",
            "source",
            "rule",
            "period",
            "risk_types",
            "summary",
            "figures",
            "consent",
            "status",
            "status_display",
            "note",
            "created_at",
            "handled_at",
        ]

    def to_representation(self, instance):
        data = super().to_representation(instance)
        data.update(clue_view(self.context["request"].user, instance))
        return data


class ClueViewSet(ScopedViewSetMixin, viewsets.ReadOnlyModelViewSet):
    queryset = Clue.objects.select_related("place", "household", "rule")
    serializer_class = ClueSerializer
    filterset_class = ClueFilterSet
    permission_classes = DECLARED_IN_MONITORING


class ThresholdSerializer(serializers.ModelSerializer):
    class Meta:
        model = MonitoringThreshold
        fields = ["id", "province", "province_name", "year", "amount", "document", "updated_at"]
        read_only_fields = ["updated_at"]
        validators = []  # the service answers a repeat (province, year) by correcting the figure


class ThresholdViewSet(mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """Province × year income lines; any monitoring user reads, administrators create or correct."""

    queryset = MonitoringThreshold.objects.all()
    serializer_class = ThresholdSerializer
    permission_classes = DECLARED_IN_MONITORING
    required_perms = {"create": perms.CONFIGURE}  # list and retrieve: monitoring.monitoringthreshold.view
    filterset_fields = ["province", "year"]

    def create(self, request, *args, **kwargs):
        data = self.get_serializer(data=request.data)
        data.is_valid(raise_exception=True)
        threshold = services.do_set_threshold(actor=request.user, **data.validated_data)
        return Response(self.get_serializer(threshold).data, status=status.HTTP_201_CREATED)


class DeclarationThrottle(AnonRateThrottle):
    scope = "anon_submit"


class DeclarationSerializer(serializers.Serializer):
    place = serializers.CharField(max_length=14, help_text="村或村民小组的区划代码")
    name = serializers.CharField(max_length=50)
    id_number = serializers.CharField(max_length=32)
    phone = serializers.CharField(max_length=20, required=False, allow_blank=True)
    description = serializers.CharField(max_length=2000)
    risk_types = serializers.ListField(child=serializers.CharField(max_length=20), required=False)
    consent = serializers.BooleanField(
        required=False, default=False, help_text="同意核查家庭情况，必须为 true"
    )


class DeclarationView(APIView):
    """农户自主申报: anonymous (rate-limited) or by a cadre on a resident's behalf; creates a clue."""

    access = PUBLIC
    throttle_classes = [DeclarationThrottle]
    scope_public = True

    @extend_schema(request=DeclarationSerializer, responses={201: None})
    def post(self, request):
        data = validated(DeclarationSerializer, request)
        by_cadre = request.user.is_authenticated
        actor = request.user if by_cadre else Actor.anonymous("public")
        clue = services.do_declare(actor=actor, **data)
        body = {"status": clue.status, "message": "申报已提交，村干部将尽快联系核实"}
        if by_cadre:
            body["id"] = clue.pk
        return Response(body, status=status.HTTP_201_CREATED)


class AlertRecordSerializer(serializers.Serializer):
    id_number = serializers.CharField(max_length=32)
    detail = serializers.CharField(max_length=500, required=False, allow_blank=True)
    amount = serializers.DecimalField(max_digits=12, decimal_places=2, required=False, allow_null=True)


class AlertBatchSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=c.AlertKind.choices)
    source = serializers.CharField(max_length=100, required=False, allow_blank=True)
    records = AlertRecordSerializer(many=True)


class AlertView(APIView):
    """部门筛查预警: a department (a monitoring bureau's user, or its data feed account) pushes records
    keyed by ID number; matches become clues."""

    permission_classes = DECLARED_IN_MONITORING
    required_perm = perms.ALERT

    @extend_schema(request=AlertBatchSerializer, responses={201: None})
    def post(self, request):
        data = validated(AlertBatchSerializer, request)
        result = services.do_receive_alerts(actor=request.user, **data)
        return Response(result, status=status.HTTP_201_CREATED)
