from rest_framework import serializers, viewsets

from shuxiang.core.api.base import PlaceCodeField, ScopedViewSetMixin
from shuxiang.water import health, services
from shuxiang.water.choices import LevelStatus
from shuxiang.water.filtersets import PumpStationFilterSet, ReservoirFilterSet
from shuxiang.water.models import PumpStation, Reservoir


class ReservoirSerializer(serializers.ModelSerializer):
    place = PlaceCodeField(read_only=True)
    downstream = PlaceCodeField(many=True, read_only=True)
    device = serializers.CharField(source="device.code", read_only=True, default=None)
    level = serializers.FloatField(read_only=True, allow_null=True)
    level_at = serializers.DateTimeField(read_only=True, allow_null=True)
    status = serializers.SerializerMethodField()
    status_display = serializers.SerializerMethodField()

    class Meta:
        model = Reservoir
        fields = [
            "id",
            "code",
            "name",
            "place",
            "scale",
            "dam_type",
            "capacity",
            "normal_level",
            "flood_limit_level",
            "crest_elevation",
            "device",
            "downstream",
            "latitude",
            "longitude",
            "level",
            "level_at",
            "status",
            "status_display",
        ]

    def get_status(self, obj) -> str:
        return obj.level_status(obj.level)

    def get_status_display(self, obj) -> str:
        return LevelStatus(obj.level_status(obj.level)).label


class ReservoirViewSet(ScopedViewSetMixin, viewsets.ReadOnlyModelViewSet):
    """Reservoirs in the caller's region with their current level (water.reservoir.view)."""

    queryset = Reservoir.objects.select_related("place", "device").prefetch_related("downstream")
    serializer_class = ReservoirSerializer
    filterset_class = ReservoirFilterSet

    def get_queryset(self):
        return services.with_levels(super().get_queryset()).order_by("code")


class PumpStationSerializer(serializers.ModelSerializer):
    place = PlaceCodeField(read_only=True)
    device = serializers.CharField(source="device.code", read_only=True, default=None)
    health_score = serializers.SerializerMethodField()
    health_reasons = serializers.SerializerMethodField()
    maintenance_due = serializers.SerializerMethodField()
    maintenance_due_on = serializers.DateField(read_only=True)

    class Meta:
        model = PumpStation
        fields = [
            "id",
            "code",
            "name",
            "place",
            "pump_count",
            "rated_power_kw",
            "rated_current_a",
            "installed_year",
            "device",
            "last_maintenance_on",
            "maintenance_due_on",
            "maintenance_due",
            "health_score",
            "health_reasons",
        ]

    def _health(self, obj):
        if not hasattr(obj, "_health"):
            latest = {
                k: v for k, v in {"VIB": obj.vib, "I": obj.current, "RH": obj.hours}.items() if v is not None
            }
            obj._health = health.assess(obj, latest, obj.alarms_30d)
        return obj._health

    def get_health_score(self, obj) -> int:
        return self._health(obj).score

    def get_health_reasons(self, obj) -> list[str]:
        return self._health(obj).reasons

    def get_maintenance_due(self, obj) -> bool:
        return self._health(obj).maintenance_due


class PumpStationViewSet(ScopedViewSetMixin, viewsets.ReadOnlyModelViewSet):
    """Pump stations in the caller's region with health and maintenance (water.pumpstation.view)."""

    queryset = PumpStation.objects.select_related("place", "device")
    serializer_class = PumpStationSerializer
    filterset_class = PumpStationFilterSet

    def get_queryset(self):
        return services.with_health_inputs(super().get_queryset()).order_by("code")
