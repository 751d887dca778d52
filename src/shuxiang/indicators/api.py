from drf_spectacular.utils import extend_schema
from rest_framework import serializers, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from shuxiang.indicators.filtersets import IndicatorFilterSet
from shuxiang.indicators.models import Indicator
from shuxiang.indicators.reading import values_json


class IndicatorSerializer(serializers.ModelSerializer):
    designated_unit = serializers.CharField(source="designated_unit.name", default=None, read_only=True)
    unit_rule = serializers.CharField(source="unit_rule_text", read_only=True)

    class Meta:
        model = Indicator
        fields = [
            "code",
            "name",
            "description",
            "kind",
            "unit",
            "factor",
            "decimals",
            "numerator_label",
            "denominator_label",
            "source",
            "entry_level",
            "period_aggregation",
            "unit_aggregation",
            "designated_unit",
            "unit_rule",
            "min_value",
            "max_value",
            "higher_is_better",
            "green_at",
            "yellow_at",
        ]


class ValueRowSerializer(serializers.Serializer):
    """One place's figure (reading.row_json): what the values endpoint answers per place."""

    place = serializers.CharField(help_text="区划代码")
    place_name = serializers.CharField()
    level = serializers.IntegerField()
    numerator = serializers.FloatField(allow_null=True)
    denominator = serializers.FloatField(allow_null=True)
    value = serializers.FloatField(allow_null=True)
    target = serializers.FloatField(allow_null=True)
    progress = serializers.FloatField(allow_null=True)
    light = serializers.CharField()


class ReporterSerializer(serializers.Serializer):
    unit = serializers.CharField(allow_null=True)
    name = serializers.CharField()
    numerator = serializers.FloatField(allow_null=True)
    denominator = serializers.FloatField(allow_null=True)
    value = serializers.FloatField(allow_null=True)
    counted = serializers.BooleanField()


class OwnValueSerializer(ValueRowSerializer):
    reporting_note = serializers.CharField(allow_blank=True)
    reporters = ReporterSerializer(many=True)


class IndicatorValuesSerializer(serializers.Serializer):
    """The indicator at a place and period, with its children (reading.values_json)."""

    indicator = serializers.CharField()
    name = serializers.CharField()
    unit = serializers.CharField(allow_blank=True)
    period = serializers.CharField()
    period_label = serializers.CharField()
    unit_aggregation = serializers.CharField(allow_blank=True)
    unit_rule = serializers.CharField(allow_blank=True)
    place = OwnValueSerializer()
    children = ValueRowSerializer(many=True)


class IndicatorViewSet(viewsets.ReadOnlyModelViewSet):
    """Indicator definitions (district-wide reference data). Values: `/{code}/values/?period=2025&place=CODE`
    gives the place's rolled-up value, target, progress and light, and the same for each child place."""

    serializer_class = IndicatorSerializer
    filterset_class = IndicatorFilterSet
    lookup_field = "code"
    # No class-level queryset (see get_queryset), so the permissions are declared here: definitions
    # for staff, values (rolled up inside the caller's region) for whoever may view indicator data.
    required_perm = "indicators.indicator.view"
    required_perms = {"values": "indicators.datavalue.view"}

    def get_queryset(self):
        # Declared unscoped: definitions are the same for every region (no class-level queryset,
        # so the scope walk does not treat them as regional objects).
        return Indicator.objects.filter(is_active=True).select_related("designated_unit")

    @extend_schema(responses=IndicatorValuesSerializer)
    @action(detail=True, methods=["get"])
    def values(self, request, code=None):
        indicator = self.get_object()
        return Response(
            values_json(
                indicator,
                request.user,
                place=request.query_params.get("place"),
                period=request.query_params.get("period"),
            )
        )
