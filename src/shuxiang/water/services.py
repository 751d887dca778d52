"""Every write of the water app. Creating a reservoir or pump station also registers its device,
sensors and standard alarm rules in iot, in the same transaction, on behalf of the person creating it
(checked with their iot grants and region; the audit names them)."""

from datetime import date

from django.db import transaction
from django.db.models import OuterRef, Subquery
from django.utils import timezone

from shuxiang.core import audit
from shuxiang.core.actors import Actor, as_actor
from shuxiang.core.errors import ServiceError
from shuxiang.core.permissions import require
from shuxiang.iot import services as iot
from shuxiang.iot.models import AlarmRule, Sensor
from shuxiang.water.choices import DamType, Scale
from shuxiang.water.models import PumpStation, Reservoir


def _into_iot(actor) -> Actor:
    """Who writes the station's device and rules in iot: the person, on behalf of water (their grants
    and region apply, the audit names them); the operator (CLI, demo) as itself."""
    actor = as_actor(actor)
    return Actor.on_behalf(actor.person, via="water") if actor.is_person else actor


def with_levels(qs):
    """Annotate reservoirs with their latest water level and its time (one query, no N+1)."""
    z = Sensor.objects.filter(device=OuterRef("device"), key="Z")
    return qs.annotate(level=Subquery(z.values("last_value")[:1]), level_at=Subquery(z.values("last_ts")[:1]))


def with_health_inputs(qs):
    """Annotate pump stations with what the health score needs: latest VIB, I, RH and 30-day alarms."""
    from django.db.models import Count, IntegerField
    from django.db.models.functions import Coalesce

    from shuxiang.iot.models import Alarm
    from shuxiang.water.health import alarms_since

    def latest(key):
        return Subquery(Sensor.objects.filter(device=OuterRef("device"), key=key).values("last_value")[:1])

    alarms = (
        Alarm.objects.filter(sensor__device=OuterRef("device"), started_at__gte=alarms_since())
        .order_by()
        .values("sensor__device")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return qs.annotate(
        vib=latest("VIB"),
        current=latest("I"),
        hours=latest("RH"),
        alarms_30d=Coalesce(Subquery(alarms, output_field=IntegerField()), 0),
    )


def _validate_reservoir(f) -> dict:
    errors = {}
    if not (f.get("name") or "").strip():
        errors["name"] = ["名称必填"]
    if f.get("scale") not in Scale.values:
        errors["scale"] = ["规模应为小(1)型或小(2)型"]
    if f.get("dam_type") not in DamType.values:
        errors["dam_type"] = ["坝型无效"]
    numbers = ("capacity", "normal_level", "flood_limit_level", "crest_elevation")
    for name in numbers:
        if not isinstance(f.get(name), int | float):
            errors[name] = ["应为数字"]
    if errors:
        return errors
    if f["capacity"] <= 0:
        errors["capacity"] = ["库容应大于0"]
    if f["flood_limit_level"] > f["normal_level"]:
        errors["flood_limit_level"] = ["汛限水位不能高于正常蓄水位"]
    if f["normal_level"] >= f["crest_elevation"]:
        errors["crest_elevation"] = ["坝顶高程应高于正常蓄水位"]
    return errors


def _reservoir_rules(device, reservoir, actor):
    """The standard rules: over the flood-limit level, near the crest, RTU silent for two hours."""
    iot.do_create_rule(
        actor=actor,
        device=device,
        name="超汛限水位",
        key="Z",
        kind="above",
        threshold=reservoir.flood_limit_level,
        severity="major",
        escalate_after_minutes=30,
    )
    iot.do_create_rule(
        actor=actor,
        device=device,
        name="接近坝顶",
        key="Z",
        kind="above",
        threshold=round(reservoir.crest_elevation - 0.5, 3),
        severity="critical",
        escalate_after_minutes=10,
    )
    iot.do_create_rule(
        actor=actor,
        device=device,
        name="遥测中断",
        key="Z",
        kind="no_data",
        duration_minutes=120,
        severity="warning",
    )


@transaction.atomic
def do_create_reservoir(
    *, actor, code, place, rtu_code=None, downstream=(), responsible=None, owner_unit=None, **fields
) -> Reservoir:
    require(actor, "water.reservoir.add", place)
    errors = _validate_reservoir(fields)
    if place is None:
        errors["place"] = ["请选择区划"]
    if not (code or "").strip():
        errors["code"] = ["水库编码必填"]
    elif Reservoir.objects.filter(code=code).exists():
        errors["code"] = [f"水库编码 {code} 已存在"]
    if errors:
        raise ServiceError("invalid", "水库信息有误", errors)
    reservoir = Reservoir(
        code=code.strip(), place=place, responsible=responsible, owner_unit=owner_unit, **fields
    )
    if reservoir.latitude is None:
        reservoir.latitude, reservoir.longitude = place.latitude, place.longitude
    if rtu_code:
        device, _ = iot.do_register_device(
            actor=_into_iot(actor),
            code=rtu_code,
            protocol="sl651",
            place=place,
            name=f"{reservoir.name}遥测站",
            owner_unit=owner_unit,
            kind="reservoir_rtu",
            sensors=[
                {
                    "key": "Z",
                    "name": "库水位",
                    "unit": "m",
                    "min_value": round(reservoir.crest_elevation - 40, 3),
                    "max_value": round(reservoir.crest_elevation + 3, 3),
                },
                {"key": "PJ", "name": "当前降水量", "unit": "mm", "min_value": 0, "max_value": 300},
                {"key": "VT", "name": "电源电压", "unit": "V", "min_value": 0, "max_value": 30},
            ],
        )
        reservoir.device = device
    reservoir.save()
    if downstream:
        reservoir.downstream.set(downstream)
    if reservoir.device:
        _reservoir_rules(reservoir.device, reservoir, _into_iot(actor))
    audit.record_create(actor, reservoir)
    return reservoir


@transaction.atomic
def do_update_reservoir_levels(reservoir: Reservoir, *, actor, **levels) -> Reservoir:
    """Change the characteristic levels; the device's threshold rules follow."""
    require(actor, "water.reservoir.change", reservoir)
    allowed = {"normal_level", "flood_limit_level", "crest_elevation"}
    if set(levels) - allowed:
        raise ServiceError("invalid", "只能修改特征水位", {f: ["不可修改"] for f in set(levels) - allowed})
    before = audit.snapshot(reservoir)
    for k, v in levels.items():
        setattr(reservoir, k, v)
    errors = _validate_reservoir(
        {f.name: getattr(reservoir, f.name) for f in Reservoir._meta.concrete_fields}
    )
    if errors:
        raise ServiceError("invalid", "特征水位有误", errors)
    reservoir.save(update_fields=list(levels))
    audit.record_update(actor, reservoir, before)
    if reservoir.device_id:
        for rule in AlarmRule.objects.filter(device_id=reservoir.device_id, key="Z", kind="above"):
            threshold = (
                reservoir.flood_limit_level
                if rule.name == "超汛限水位"
                else round(reservoir.crest_elevation - 0.5, 3)
            )
            if rule.threshold != threshold:
                iot.do_update_rule(rule, actor=_into_iot(actor), threshold=threshold)
    return reservoir


@transaction.atomic
def do_create_pump_station(*, actor, code, place, device_code=None, owner_unit=None, **fields) -> PumpStation:
    require(actor, "water.pumpstation.add", place)
    errors = {} if place is not None else {"place": ["请选择区划"]}
    if not (code or "").strip():
        errors["code"] = ["泵站编码必填"]
    elif PumpStation.objects.filter(code=code).exists():
        errors["code"] = [f"泵站编码 {code} 已存在"]
    if not (fields.get("name") or "").strip():
        errors["name"] = ["名称必填"]
    for name in ("pump_count", "rated_power_kw", "rated_current_a"):
        value = fields.get(name)
        if not isinstance(value, int | float) or value <= 0:
            errors[name] = ["应为大于0的数字"]
    if not isinstance(fields.get("last_maintenance_on"), date):
        errors["last_maintenance_on"] = ["请填写上次维护日期"]
    if errors:
        raise ServiceError("invalid", "泵站信息有误", errors)
    station = PumpStation(code=code.strip(), place=place, owner_unit=owner_unit, **fields)
    if station.latitude is None:
        station.latitude, station.longitude = place.latitude, place.longitude
    if device_code:
        rated = station.rated_current_a
        device, _ = iot.do_register_device(
            actor=_into_iot(actor),
            code=device_code,
            protocol="mqtt",
            place=place,
            name=f"{station.name}监测终端",
            owner_unit=owner_unit,
            kind="pump",
            sensors=[
                {"key": "I", "name": "总电流", "unit": "A", "min_value": 0, "max_value": round(rated * 3, 1)},
                {"key": "VIB", "name": "振动烈度", "unit": "mm/s", "min_value": 0, "max_value": 50},
                {"key": "RH", "name": "累计运行小时", "unit": "h", "min_value": 0, "max_value": 1_000_000},
                {
                    "key": "RUN",
                    "name": "运行台数",
                    "unit": "台",
                    "min_value": 0,
                    "max_value": station.pump_count,
                },
            ],
        )
        station.device = device
        iot.do_create_rule(
            actor=_into_iot(actor),
            device=device,
            name="振动超限",
            key="VIB",
            kind="above",
            threshold=7.1,
            severity="major",
        )
        iot.do_create_rule(
            actor=_into_iot(actor),
            device=device,
            name="电流过载",
            key="I",
            kind="above",
            threshold=round(rated * 1.1, 1),
            duration_minutes=5,
            severity="minor",
        )
    station.save()
    audit.record_create(actor, station)
    return station


@transaction.atomic
def do_record_maintenance(
    station: PumpStation, *, actor, on: date | None = None, running_hours=None
) -> PumpStation:
    """A completed maintenance: restarts both the date and the running-hours interval."""
    require(actor, "water.pumpstation.maintain", station)
    on = on or timezone.localdate()
    if on > timezone.localdate():
        raise ServiceError("invalid", "维护日期不能晚于今天", {"on": ["不能是未来日期"]})
    if on < station.last_maintenance_on:
        raise ServiceError("invalid", "维护日期不能早于上次维护", {"on": ["早于上次维护"]})
    if running_hours is None and station.device_id:
        running_hours = (
            Sensor.objects.filter(device_id=station.device_id, key="RH")
            .values_list("last_value", flat=True)
            .first()
        )
    if running_hours is not None and running_hours < 0:
        raise ServiceError("invalid", "运行小时不能为负", {"running_hours": ["不能为负"]})
    before = audit.snapshot(station)
    station.last_maintenance_on = on
    if running_hours is not None:
        station.hours_at_maintenance = running_hours
    station.save(update_fields=["last_maintenance_on", "hours_at_maintenance"])
    audit.record_update(actor, station, before)
    return station
