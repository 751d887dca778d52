from rest_framework import serializers, viewsets
from rest_framework.decorators import action
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from shuxiang.indicators.filtersets import IndicatorFilterSet
from shuxiang.indicators.models import Indicator
from shuxiang.indicators.reading import values_json


class IndicatorSerializer(serializers.ModelSerializer):
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
            "min_value",
            "max_value",
            "higher_is_better",
            "green_at",
            "yellow_at",
        ]


class IndicatorViewSet(viewsets.ReadOnlyModelViewSet):
    """Indicator definitions (district-wide reference data). Values: `/{code}/values/?period=2025&place=CODE`
    gives the place's rolled-up value, target, progress and light, and the same for each child place."""

    serializer_class = IndicatorSerializer
    filterset_class = IndicatorFilterSet
    lookup_field = "code"
    permission_classes = [IsAuthenticated]

    def get_queryset(self):
        # Declared unscoped: definitions are the same for every region (no class-level queryset,
        # so the scope walk does not treat them as regional objects).
        return Indicator.objects.filter(is_active=True)

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
