"""Writes of fish ponds: a pond with its water-quality station (DO, WT, PH, AER and the forecast DOF,
with the species' rules from data/standards.yaml) and its traceability origin; stocking, feeding and
harvest records."""

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from shuxiang.core import audit
from shuxiang.core.actors import as_actor
from shuxiang.core.permissions import require
from shuxiang.iot import services as iot
from shuxiang.livestock import standards
from shuxiang.livestock.choices import FarmKind, Species
from shuxiang.livestock.models import Farm, Pond
from shuxiang.livestock.services import ALARM_ACTIONS, _fail, _number, _place, into_iot


def _pond_station(pond, code, actor):
    device, _ = iot.do_register_device(
        actor=into_iot(actor),
        code=code,
        protocol="mqtt",
        place=pond.place,
        name=f"{pond.name}水质监测站",
        kind="pond",
        sensors=[
            {"key": "DO", "name": "溶解氧", "unit": "mg/L", "min_value": 0, "max_value": 30},
            {"key": "WT", "name": "水温", "unit": "℃", "min_value": -5, "max_value": 45},
            {"key": "PH", "name": "pH", "unit": "", "min_value": 0, "max_value": 14},
            {"key": "AER", "name": "增氧机运行", "unit": "台", "min_value": 0, "max_value": 20},
            {"key": "DOF", "name": "预测黎明溶氧", "unit": "mg/L", "min_value": -50, "max_value": 30},
        ],
    )
    figures = standards.species(pond.species)
    species = Species(pond.species).label
    iot.do_create_rule(
        actor=into_iot(actor),
        device=device,
        name="溶解氧过低",
        key="DO",
        kind="below",
        threshold=figures["critical"],
        duration_minutes=10,
        severity="critical",
        actions=ALARM_ACTIONS,
    )
    iot.do_create_rule(
        actor=into_iot(actor),
        device=device,
        name=f"预测黎明缺氧（{species}）",
        key="DOF",
        kind="below",
        threshold=figures["forecast"],
        severity="major",
        actions=ALARM_ACTIONS,
    )
    iot.do_create_rule(
        actor=into_iot(actor),
        device=device,
        name="水质站离线",
        key="DO",
        kind="no_data",
        duration_minutes=60,
        severity="warning",
    )
    return device


@transaction.atomic
def do_create_pond(
    farm: Farm, *, actor, code, name, species, area_mu, stocked=0, device_code=None, place=None
) -> Pond:
    place = _place(place) if place is not None else farm.place
    require(actor, "livestock.pond.add", place)
    errors = {}
    if farm.kind != FarmKind.FISH:
        errors["farm"] = ["池塘应属于水产养殖场"]
    if not (code or "").strip():
        errors["code"] = ["池塘编号必填"]
    elif Pond.objects.filter(code=code.strip()).exists():
        errors["code"] = [f"池塘编号 {code} 已存在"]
    if not (name or "").strip():
        errors["name"] = ["名称必填"]
    if species not in Species.values:
        errors["species"] = ["主养品种无效"]
    _number({"area_mu": area_mu}, errors, "area_mu", "水面", positive=True)
    _number({"stocked": stocked}, errors, "stocked", "在塘数量")
    if errors:
        _fail("invalid", "池塘信息有误", errors)
    pond = Pond(
        farm=farm,
        code=code.strip(),
        name=name.strip(),
        place=place,
        species=species,
        area_mu=area_mu,
        stocked=int(stocked),
        latitude=farm.latitude,
        longitude=farm.longitude,
    )
    if device_code:
        pond.device = _pond_station(pond, device_code, actor)
    pond.plot = _trace_plot(pond, farm, actor)
    pond.save()
    audit.record_create(actor, pond)
    return pond


def _trace_plot(pond, farm, actor):
    """The pond as an origin (产地地块) of its farm's trace base, showing the pond's station."""
    from shuxiang.trace import services as trace

    if farm.base_id is None or not trace.allowed(actor, "trace.plot.add"):
        return None
    plot = trace.do_create_plot(
        farm.base,
        actor=into_iot(actor),
        name=pond.name,
        place=pond.place,
        area_mu=pond.area_mu,
        latitude=pond.latitude,
        longitude=pond.longitude,
    )
    if pond.device is not None:
        trace.do_link_device(plot, actor=into_iot(actor), device_code=pond.device.code)
    return plot


@transaction.atomic
def do_record_pond(pond: Pond, *, actor, kind, on, count=0, weight_kg=0.0, note=""):
    """Stocking adds fish to the pond, a harvest takes them out (never more than are in it)."""
    from shuxiang.livestock.choices import PondRecordKind
    from shuxiang.livestock.models import PondRecord

    require(actor, "livestock.pondrecord.add", pond)
    errors = {}
    if kind not in PondRecordKind.values:
        errors["kind"] = ["类型应为投苗、投喂或捕捞"]
    _number({"count": count}, errors, "count", "数量")
    _number({"weight_kg": weight_kg}, errors, "weight_kg", "重量")
    if on is None or on > timezone.localdate():
        errors["on"] = ["日期不能为空或晚于今天"]
    if not errors and kind == PondRecordKind.HARVEST and count > pond.stocked:
        errors["count"] = [f"捕捞数量不能超过在塘 {pond.stocked} 尾"]
    if errors:
        _fail("invalid", "池塘生产记录有误", errors)
    record = PondRecord.objects.create(
        pond=pond,
        kind=kind,
        on=on,
        count=int(count),
        weight_kg=float(weight_kg),
        note=note,
        recorded_by=as_actor(actor).human,
    )
    sign = {"stocking": 1, "harvest": -1}.get(kind, 0)
    if sign:
        Pond.objects.filter(pk=pond.pk).update(stocked=F("stocked") + sign * int(count))
        pond.refresh_from_db(fields=["stocked"])
    audit.record_create(actor, record)
    return record
