"""Every write of farms, pens, herd entries, ponds and cold stores.

Creating a pen with a feeder, a pond with a water-quality station or a cold store with a logger also
registers the device, its sensors and its standard rules in iot, in the same transaction, on behalf of
the person creating it (their iot grants and region apply; the audit names them) — as water does.
Thresholds come from data/standards.yaml (livestock.standards), never from code.
"""

from datetime import datetime

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from shuxiang.core import audit
from shuxiang.core.actors import Actor, as_actor
from shuxiang.core.errors import ServiceError
from shuxiang.core.permissions import require
from shuxiang.core.services import resolve_place
from shuxiang.iot import services as iot
from shuxiang.livestock import standards
from shuxiang.livestock.choices import ENTRY_SIGN, EntryKind, FarmKind, ManureType, Stage
from shuxiang.livestock.models import Farm, HerdEntry, Pen

ALARM_ACTIONS = ["livestock.open_case"]


def into_iot(actor) -> Actor:
    """Who writes devices and rules in iot (and bases and plots in trace): the person, on behalf of
    livestock (their grants and region apply, the audit names them); the operator as itself."""
    actor = as_actor(actor)
    return Actor.on_behalf(actor.person, via="livestock") if actor.is_person else actor


def _fail(code, message, fields):
    raise ServiceError(code, message, fields)


def _number(fields, errors, name, label, *, positive=False, required=True):
    value = fields.get(name)
    if value in (None, ""):
        if required:
            errors[name] = [f"请填写{label}"]
        return None
    if not isinstance(value, int | float) or isinstance(value, bool):
        errors[name] = [f"{label}应为数字"]
        return None
    if value < 0 or (positive and value == 0):
        errors[name] = [f"{label}应大于0" if positive else f"{label}不能为负"]
    return value


def _place(place):
    return resolve_place(place) if place is not None else None


def _producer(producer, errors):
    from shuxiang.trace.models import Producer

    if isinstance(producer, Producer):
        return producer
    if producer in (None, ""):
        errors["producer"] = ["请选择经营主体（追溯系统经营主体名录）"]
        return None
    found = Producer.objects.filter(pk=producer).first() if str(producer).isdigit() else None
    if found is None:
        errors["producer"] = ["经营主体不存在"]
    return found


# --- farms ----------------------------------------------------------------------------------


@transaction.atomic
def do_create_farm(*, actor, code, name, kind, producer, place, lagoon_code=None, **fields) -> Farm:
    place = _place(place)
    require(actor, "livestock.farm.add", place)
    errors = {}
    producer = _producer(producer, errors)
    if not (code or "").strip():
        errors["code"] = ["养殖场编码必填"]
    elif Farm.objects.filter(code=code.strip()).exists():
        errors["code"] = [f"养殖场编码 {code} 已存在"]
    if not (name or "").strip():
        errors["name"] = ["名称必填"]
    if kind not in FarmKind.values:
        errors["kind"] = ["类型应为生猪养殖场或水产养殖场"]
    if fields.get("manure_type", ManureType.NONE) not in ManureType.values:
        errors["manure_type"] = ["粪污处理方式无效"]
    for key, label in (("manure_capacity_m3", "粪污贮存容积"), ("baseline_daily_deaths", "日常日均死亡")):
        if key in fields:
            _number(fields, errors, key, label)
    if place is not None and place.level < 3:
        errors["place"] = ["养殖场应登记到村"]
    if errors:
        _fail("invalid", "养殖场信息有误", errors)
    farm = Farm(code=code.strip(), name=name.strip(), kind=kind, producer=producer, place=place, **fields)
    if farm.latitude is None:
        farm.latitude, farm.longitude = place.latitude, place.longitude
    farm.base = _trace_base(farm, actor)
    if lagoon_code:
        farm.lagoon = _lagoon(farm, lagoon_code, actor)
    farm.save()
    audit.record_create(actor, farm)
    return farm


def _trace_base(farm, actor):
    """The farm as a production base of traceability (its ponds become origins of harvested lots),
    when the person may register bases; otherwise the farm stands alone."""
    from shuxiang.trace import services as trace

    if not trace.allowed(actor, "trace.base.add") or not trace.allowed(
        actor, "trace.producer.change", farm.producer
    ):
        return None
    kind = "livestock" if farm.kind == FarmKind.PIG else "aquaculture"
    existing = farm.producer.bases.filter(name=farm.name).first()
    if existing is not None:
        return existing if not hasattr(existing, "farm") else None
    return trace.do_create_base(
        farm.producer,
        actor=into_iot(actor),
        name=farm.name,
        kind=kind,
        place=farm.place,
        latitude=farm.latitude,
        longitude=farm.longitude,
    )


@transaction.atomic
def do_update_manure(farm: Farm, *, actor, manure_type, manure_capacity_m3, manure_use="") -> Farm:
    require(actor, "livestock.farm.change", farm)
    errors = {}
    if manure_type not in ManureType.values:
        errors["manure_type"] = ["粪污处理方式无效"]
    _number({"v": manure_capacity_m3}, errors, "v", "粪污贮存容积")
    if errors:
        _fail("invalid", "粪污设施信息有误", {"manure_capacity_m3": errors.pop("v", [])} | errors)
    before = audit.snapshot(farm)
    farm.manure_type, farm.manure_capacity_m3, farm.manure_use = manure_type, manure_capacity_m3, manure_use
    farm.save(update_fields=["manure_type", "manure_capacity_m3", "manure_use"])
    audit.record_update(actor, farm, before)
    return farm


def _lagoon(farm, code, actor):
    """The manure lagoon's level gauge: full for 30 minutes, or no cleaning recorded for the standard's
    days (CLEAN readings come from do_record_manure), are alarms that open a case."""
    figures = standards.load()
    device, _ = iot.do_register_device(
        actor=into_iot(actor),
        code=code,
        protocol="mqtt",
        place=farm.place,
        name=f"{farm.name}粪污池液位计",
        kind="lagoon",
        sensors=[
            {"key": "LV", "name": "粪污池液位", "unit": "%", "min_value": 0, "max_value": 120},
            {"key": "CLEAN", "name": "清运量", "unit": "m³", "min_value": 0, "max_value": 100000},
        ],
    )
    iot.do_create_rule(
        actor=into_iot(actor),
        device=device,
        name="粪污池将满",
        key="LV",
        kind="above",
        threshold=figures["lagoon_full_percent"],
        duration_minutes=30,
        severity="major",
        actions=ALARM_ACTIONS,
    )
    iot.do_create_rule(
        actor=into_iot(actor),
        device=device,
        name="粪污清运超期",
        key="CLEAN",
        kind="no_data",
        duration_minutes=figures["manure_cleaning_days"] * 24 * 60,
        severity="minor",
        actions=ALARM_ACTIONS,
    )
    return device


@transaction.atomic
def do_record_manure(farm: Farm, *, actor, kind, volume_m3, destination="", occurred_at=None):
    """A cleaning or transport of manure; also a CLEAN reading on the lagoon gauge (resets 清运超期)."""
    from shuxiang.livestock.choices import ManureKind
    from shuxiang.livestock.models import ManureRecord

    require(actor, "livestock.manurerecord.add", farm)
    errors = {}
    if kind not in ManureKind.values:
        errors["kind"] = ["类型应为清粪或清运"]
    _number({"volume_m3": volume_m3}, errors, "volume_m3", "数量", positive=True)
    if errors:
        _fail("invalid", "清运记录有误", errors)
    when = _when(occurred_at)
    record = ManureRecord.objects.create(
        farm=farm,
        kind=kind,
        volume_m3=float(volume_m3),
        destination=(destination or "").strip()[:100],
        occurred_at=when,
        recorded_by=as_actor(actor).human,
    )
    audit.record_create(actor, record)
    if farm.lagoon_id:
        iot.do_ingest_one(
            farm.lagoon.code, [("CLEAN", when, float(volume_m3))], actor=Actor.system("livestock")
        )
    return record


# --- pens -----------------------------------------------------------------------------------


def barn_rules(pen: Pen, actor) -> list:
    """The environment rules of the pen's stage (data/standards.yaml), on its environment device: out
    of the temperature band, or a gas over its ceiling, for the stage's minutes. Rules already there
    (same name) are kept as the farm edited them."""
    if pen.environment_id is None:
        return []
    band = standards.barn_stage(pen.stage)
    stage = Stage(pen.stage).label
    wanted = [
        ("温度过高", "T", "above", band["t_max"]),
        ("温度过低", "T", "below", band["t_min"]),
        ("氨气超标", "NH3", "above", band["nh3"]),
        ("硫化氢超标", "H2S", "above", band["h2s"]),
        ("二氧化碳超标", "CO2", "above", band["co2"]),
    ]
    have = set(pen.environment.rules.values_list("name", flat=True))
    made = []
    for name, key, kind, threshold in wanted:
        full = f"{stage}{name}"
        if full in have:
            continue
        made.append(
            iot.do_create_rule(
                actor=into_iot(actor),
                device=pen.environment,
                name=full,
                key=key,
                kind=kind,
                threshold=threshold,
                duration_minutes=band["minutes"],
                severity="minor" if key == "CO2" else "major",
                actions=ALARM_ACTIONS,
            )
        )
    return made


@transaction.atomic
def do_apply_barn_rules(pen: Pen, *, actor) -> int:
    """The one click on a pen's page: its stage's environment rules, on its environment device."""
    require(actor, "livestock.pen.change", pen)
    if pen.environment_id is None:
        _fail("no_device", "该栏舍未登记环境监测设备", {"environment": ["请先登记环境监测设备"]})
    made = barn_rules(pen, actor)
    audit.record(
        actor, "update", pen, changes={"rules": [None, len(made)]}, object_repr=f"{pen} 应用环境规则"
    )
    return len(made)


def _feeder(pen, code, actor):
    device, _ = iot.do_register_device(
        actor=into_iot(actor),
        code=code,
        protocol="mqtt",
        place=pen.farm.place,
        name=f"{pen}饲喂器",
        kind="feeder",
        sensors=[
            {"key": "FEED", "name": "下料量", "unit": "kg", "min_value": 0, "max_value": 5000},
            {"key": "FDROP", "name": "采食下降", "unit": "%", "min_value": -1000, "max_value": 100},
        ],
    )
    drop = standards.load()["intake_drop_percent"]
    iot.do_create_rule(
        actor=into_iot(actor),
        device=device,
        name="采食量下降",
        key="FDROP",
        kind="above",
        threshold=drop,
        severity="major",
        actions=ALARM_ACTIONS,
    )
    iot.do_create_rule(
        actor=into_iot(actor),
        device=device,
        name="饲喂器离线",
        key="FEED",
        kind="no_data",
        duration_minutes=180,
        severity="warning",
    )
    return device


def _environment(pen, code, actor):
    device, _ = iot.do_register_device(
        actor=into_iot(actor),
        code=code,
        protocol="mqtt",
        place=pen.farm.place,
        name=f"{pen}环境监测",
        kind="barn_env",
        sensors=[
            {"key": "T", "name": "舍内温度", "unit": "℃", "min_value": -20, "max_value": 60},
            {"key": "NH3", "name": "氨气", "unit": "mg/m³", "min_value": 0, "max_value": 500},
            {"key": "H2S", "name": "硫化氢", "unit": "mg/m³", "min_value": 0, "max_value": 200},
            {"key": "CO2", "name": "二氧化碳", "unit": "ppm", "min_value": 0, "max_value": 20000},
        ],
    )
    return device


@transaction.atomic
def do_create_pen(
    farm: Farm, *, actor, code, stage, capacity, feeder_code=None, environment_code=None, apply_rules=True
) -> Pen:
    require(actor, "livestock.pen.add", farm)
    errors = {}
    if farm.kind != FarmKind.PIG:
        errors["farm"] = ["只有生猪养殖场有栏舍"]
    if not (code or "").strip():
        errors["code"] = ["栏舍编号必填"]
    elif Pen.objects.filter(farm=farm, code=code.strip()).exists():
        errors["code"] = [f"栏舍编号 {code} 已存在"]
    if stage not in Stage.values:
        errors["stage"] = ["阶段应为产房、保育舍、育肥舍或妊娠舍"]
    _number({"capacity": capacity}, errors, "capacity", "容量", positive=True)
    if errors:
        _fail("invalid", "栏舍信息有误", errors)
    pen = Pen(farm=farm, code=code.strip(), stage=stage, capacity=int(capacity))
    if feeder_code:
        pen.feeder = _feeder(pen, feeder_code, actor)
    if environment_code:
        pen.environment = _environment(pen, environment_code, actor)
    pen.save()
    if apply_rules:
        barn_rules(pen, actor)
    audit.record_create(actor, pen)
    return pen


# --- herd entries ---------------------------------------------------------------------------


def _when(occurred_at) -> datetime:
    now = timezone.now()
    if occurred_at is None:
        return now
    if not isinstance(occurred_at, datetime):
        _fail("invalid", "发生时间格式错误", {"occurred_at": ["应为日期时间"]})
    if timezone.is_naive(occurred_at):
        occurred_at = timezone.make_aware(occurred_at)
    if occurred_at > now + timezone.timedelta(minutes=5):
        _fail("invalid", "发生时间不能晚于现在", {"occurred_at": ["不能是未来时间"]})
    return occurred_at


def _apply(pen, kind, count, *, actor, occurred_at, other=None, weight_kg=None, note="", key="") -> HerdEntry:
    delta = ENTRY_SIGN[kind] * count
    # Lock the pen row and move its count with F() so two phones recording at once never lose one.
    current = Pen.objects.select_for_update().values_list("head_count", flat=True).get(pk=pen.pk)
    if current + delta < 0:
        what = "转出" if kind == EntryKind.MOVE_OUT else EntryKind(kind).label
        message = f"{pen.code} 存栏 {current} 头，不能{what} {count} 头"
        if current == 0:
            message = f"{pen.code} 当前无存栏，不能{what}"
        _fail("negative_head_count", message, {"count": [f"不能超过现有存栏 {current} 头"]})
    Pen.objects.filter(pk=pen.pk).update(head_count=F("head_count") + delta)
    entry = HerdEntry.objects.create(
        pen=pen,
        kind=kind,
        count=count,
        delta=delta,
        head_count_after=current + delta,
        other_pen=other,
        weight_kg=weight_kg,
        occurred_at=occurred_at,
        note=note,
        recorded_by=as_actor(actor).human,
        submission_key=key,
    )
    audit.record_create(actor, entry)
    return entry


def _require_herd_book(actor, pen: Pen) -> None:
    from shuxiang.core.actors import as_actor
    from shuxiang.core.errors import NotFound
    from shuxiang.core.permissions import has_perm
    from shuxiang.core.scope import place_in_scope

    who = as_actor(actor)
    if who.is_person and not place_in_scope(who.person, pen.farm.place):
        raise NotFound()  # another village's pen does not exist for them, as on its page
    require(actor, "livestock.herdentry.add", pen.farm.place)
    own_only = has_perm(actor, "livestock.farm.record")
    require(
        actor,
        "livestock.farm.record",
        pen.farm,
        message="您只能记录本经营主体养殖场的存栏台账" if own_only else None,
    )


@transaction.atomic
def do_record_entry(
    pen: Pen,
    *,
    actor,
    kind,
    count,
    to_pen: Pen | None = None,
    occurred_at=None,
    weight_kg=None,
    note="",
    submission_key="",
) -> HerdEntry:
    """One change of a pen's head count. A move (`kind="move"` or `"move_out"` with `to_pen`) writes
    both pens' entries. A repeated `submission_key` answers the first entry, writes nothing.

    Who: `livestock.herdentry.add` in the farm's region, and `livestock.farm.record` on the farm (staff
    for every farm; a producer's recorder only for its own producers' farms, and is told so)."""
    _require_herd_book(actor, pen)
    key = (submission_key or "").strip()[:64]
    if key:
        first = HerdEntry.objects.filter(pen=pen, submission_key=key).exclude(kind=EntryKind.MOVE_IN).first()
        if first is not None:
            return first
    errors = {}
    if kind == "move":
        kind = EntryKind.MOVE_OUT
    if kind not in ENTRY_SIGN or kind == EntryKind.MOVE_IN:
        errors["kind"] = ["类型应为出生、购入、转出（转栏）、出栏销售或死亡"]
    if isinstance(count, bool) or not isinstance(count, int):
        errors["count"] = ["头数应为整数"]
    elif count <= 0:
        errors["count"] = ["头数应大于0（存栏不能记为负数）"]
    if kind == EntryKind.MOVE_OUT:
        if to_pen is None:
            errors["to_pen"] = ["转栏请选择转入栏舍"]
        elif to_pen.pk == pen.pk:
            errors["to_pen"] = ["转入栏舍不能是本栏舍"]
        elif to_pen.farm_id != pen.farm_id:
            errors["to_pen"] = ["只能在同一养殖场内转栏"]
    if weight_kg is not None and (not isinstance(weight_kg, int | float) or weight_kg < 0):
        errors["weight_kg"] = ["重量应为非负数字"]
    if errors:
        _fail("invalid", "存栏变动有误", errors)
    when = _when(occurred_at)
    entry = _apply(
        pen, kind, count, actor=actor, occurred_at=when, other=to_pen, weight_kg=weight_kg, note=note, key=key
    )
    if kind == EntryKind.MOVE_OUT:
        _require_herd_book(actor, to_pen)
        _apply(to_pen, EntryKind.MOVE_IN, count, actor=actor, occurred_at=when, other=pen, note=note, key=key)
    if kind == EntryKind.DEATH:
        from shuxiang.livestock import disease

        transaction.on_commit(lambda: disease.check_mortality(pen.farm_id, now=when))
    pen.refresh_from_db(fields=["head_count"])
    return entry
