from datetime import date

from django.contrib import messages
from django.db.models import Count, F, Q
from django.http import JsonResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from shuxiang.core import formats
from shuxiang.core.access import requires
from shuxiang.core.errors import ServiceError
from shuxiang.core.generic import Column, ObjectDetailView, ObjectListView, object_or_404, object_view
from shuxiang.core.permissions import has_perm
from shuxiang.iot.models import Alarm, Sensor
from shuxiang.water import alarm_actions, health, services
from shuxiang.water.choices import LEVEL_TAG, NEAR_MARGIN_M, LevelStatus
from shuxiang.water.filtersets import PumpStationFilterSet, ReservoirFilterSet
from shuxiang.water.models import PumpStation, Reservoir


def _margin(r):
    return "—" if r.level is None else f"{r.level - r.flood_limit_level:+.2f}"


def _status_label(r):
    return LevelStatus(r.level_status(r.level)).label


class ReservoirListView(ObjectListView):
    """Map and table of every reservoir in scope: current level against its flood-limit level."""

    model = Reservoir
    filterset_class = ReservoirFilterSet
    title = "小型水库水情"
    template_name = "water/reservoir_list.html"
    select_related = ("place", "place__parent")
    columns = [
        Column("名称", "name", link=True),
        Column("所在乡镇", "place.parent.name"),
        Column("规模", "get_scale_display"),
        Column("汛限水位(m)", lambda r: formats.number(r.flood_limit_level)),
        Column("当前水位(m)", lambda r: formats.number(r.level)),
        Column("距汛限(m)", _margin),
        Column("水情", _status_label),
        Column("更新时间", "level_at"),
    ]

    def get_queryset(self):
        # most urgent first: highest level above (or closest below) the flood-limit level
        margin = F("level") - F("flood_limit_level")
        return services.with_levels(super().get_queryset()).order_by(margin.desc(nulls_last=True), "code")

    detail_route = "water:reservoir_detail"


def reservoir_kpis(user) -> dict:
    qs = services.with_levels(Reservoir.objects.restrict(user))
    return qs.aggregate(
        total=Count("pk"),
        over=Count("pk", filter=Q(level__gt=F("flood_limit_level"))),
        near=Count(
            "pk",
            filter=Q(level__lte=F("flood_limit_level"), level__gt=F("flood_limit_level") - NEAR_MARGIN_M),
        ),
        unknown=Count("pk", filter=Q(level__isnull=True)),
    )


@requires("water.reservoir.view")
@require_GET
def reservoir_map(request):
    """GeoJSON-ish points for the Leaflet map: every reservoir in scope with its level status."""
    rows = []
    for r in services.with_levels(Reservoir.objects.restrict(request.user)).select_related("place"):
        if r.latitude is None:
            continue
        status = r.level_status(r.level)
        rows.append(
            {
                "name": r.name,
                "lat": r.latitude,
                "lng": r.longitude,
                "status": status,
                "status_label": LevelStatus(status).label,
                "level": r.level,
                "flood_limit": r.flood_limit_level,
                "url": reverse("water:reservoir_detail", args=[r.pk]),
            }
        )
    return JsonResponse({"reservoirs": rows})


class ReservoirDetailView(ObjectDetailView):
    model = Reservoir
    template_name = "water/reservoir_detail.html"
    select_related = ("place", "place__parent", "device", "responsible", "owner_unit")

    def get_object(self):
        obj = super().get_object()
        obj.level = obj.level_at = None
        if obj.device_id:
            z = Sensor.objects.filter(device_id=obj.device_id, key="Z").first()
            if z is not None:
                obj.level, obj.level_at = z.last_value, z.last_ts
        return obj

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        r = self.object
        status = r.level_status(r.level)
        user = self.request.user
        context.update(
            status=LevelStatus(status).label,
            status_tag=LEVEL_TAG[status],
            margin=None if r.level is None else r.level - r.flood_limit_level,
            freeboard=None if r.level is None else r.crest_elevation - r.level,
            sensors=Sensor.objects.filter(device_id=r.device_id) if r.device_id else [],
            alarms=Alarm.objects.restrict(user)
            .filter(sensor__device_id=r.device_id)
            .select_related("rule")[:10]
            if r.device_id
            else [],
            downstream=r.downstream.all(),
            cases=station_cases(r, user),
        )
        return context


def station_cases(station, user):
    """The cases the station's alarms opened (water.alarm_actions), as far as the user may see them."""
    from django.apps import apps

    if not apps.is_installed("shuxiang.cases"):
        return []
    from shuxiang.cases.models import Case

    return list(
        Case.objects.restrict(user)
        .filter(case_type=alarm_actions.CASE_TYPE, source_ref=alarm_actions.station_ref(station))
        .order_by("-created_at")[:10]
    )


def _latest(device_id) -> dict:
    if not device_id:
        return {}
    return dict(Sensor.objects.filter(device_id=device_id).values_list("key", "last_value"))


def _health(station):
    """Health from the annotations of services.with_health_inputs (no query per row)."""
    if not hasattr(station, "_health"):
        latest = {"VIB": station.vib, "I": station.current, "RH": station.hours}
        station._health = health.assess(
            station, {k: v for k, v in latest.items() if v is not None}, station.alarms_30d
        )
    return station._health


class PumpStationListView(ObjectListView):
    model = PumpStation
    filterset_class = PumpStationFilterSet
    title = "泵站"
    select_related = ("place", "place__parent")

    columns = [
        Column("名称", "name", link=True),
        Column("所在乡镇", "place.parent.name"),
        Column("机组", "pump_count"),
        Column("装机(kW)", "rated_power_kw"),
        Column("健康评分", lambda s: _health(s).score),
        Column("状况", lambda s: _health(s).grade),
        Column(
            "维护到期",
            lambda s: "已到期" if _health(s).maintenance_due else f"{s.maintenance_due_on:%Y-%m-%d}",
        ),
    ]

    def get_queryset(self):
        return services.with_health_inputs(super().get_queryset())

    detail_route = "water:pump_detail"


class PumpStationDetailView(ObjectDetailView):
    model = PumpStation
    template_name = "water/pump_detail.html"
    select_related = ("place", "place__parent", "device", "owner_unit")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        s = self.object
        user = self.request.user
        alarms = (
            Alarm.objects.restrict(user).filter(sensor__device_id=s.device_id)
            if s.device_id
            else Alarm.objects.none()
        )
        recent = alarms.filter(started_at__gte=health.alarms_since()).count()
        context.update(
            health=health.assess(s, _latest(s.device_id), recent),
            sensors=Sensor.objects.filter(device_id=s.device_id) if s.device_id else [],
            alarms=alarms.select_related("rule")[:10],
            can_maintain=has_perm(user, "water.pumpstation.maintain", s),
            cases=station_cases(s, user),
            today=timezone.localdate(),
        )
        return context


@requires("water.pumpstation.maintain")
@require_POST
@object_view(PumpStation)
def pump_maintenance(request, pk):
    station = object_or_404(PumpStation, request.user, pk=pk)
    try:
        on = date.fromisoformat(request.POST.get("on") or timezone.localdate().isoformat())
    except ValueError:
        messages.error(request, "维护日期格式错误")
        return redirect("water:pump_detail", pk=pk)
    try:
        services.do_record_maintenance(station, actor=request.user, on=on)
    except ServiceError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, "已记录维护，维护周期重新计算")
    return redirect("water:pump_detail", pk=pk)
