"""Every write of the farmland app besides the layer import (farmland.layers.do_import_layer).

Plantings and patrol reports are checked against their polygon (area, location) before anything is
written, and go through the monitoring rules in the same transaction: a finding and its case are
written with them or not at all.
"""

from datetime import date
from decimal import Decimal, InvalidOperation

from django.db import transaction
from django.utils import timezone

from shuxiang.core import audit
from shuxiang.core.actors import Actor, as_actor
from shuxiang.core.errors import ServiceError
from shuxiang.core.permissions import require
from shuxiang.farmland import layers, rules
from shuxiang.farmland.choices import (
    M2_PER_MU,
    BatchStatus,
    Crop,
    Kind,
    LandUse,
    PlantingSource,
    Transplant,
    mu,
    parse_season,
    season_from_text,
)
from shuxiang.farmland.models import (
    Finding,
    Parcel,
    PatrolReport,
    Planting,
    Project,
    RiceSeason,
    RiceVariety,
    SeedlingBatch,
    SeedlingFactory,
)

# Drawn areas and declared areas differ by rounding: a planting may exceed its polygon by this much.
AREA_TOLERANCE = 1.005


def _number(value, field, label, errors, *, positive=True):
    try:
        number = float(Decimal(str(value)))
    except (InvalidOperation, TypeError, ValueError):
        errors[field] = [f"{label}应为数字"]
        return None
    if positive and not number > 0:
        errors[field] = [f"{label}应大于0"]
        return None
    return number


def _season(value, errors):
    if parse_season(value) is None:
        errors["season"] = ["季节格式应为 年份-early/late/winter，如 2026-early"]
        return None
    return str(value)


def parcel_by_code(code, *, kind=None):
    """The current polygon with this code (of `kind` when given; a code may exist in several layers)."""
    qs = Parcel.objects.filter(code=str(code or "").strip(), retired_at__isnull=True)
    if kind:
        qs = qs.filter(kind=kind)
    found = list(qs.select_related("place__parent")[:2])
    return found[0] if len(found) == 1 else None


# --- projects ---------------------------------------------------------------------------------


@transaction.atomic
def do_create_project(
    *, actor, code, name, year, place, investment, planned_area_mu, facilities="", builder=""
):
    require(actor, "farmland.project.add", place)
    errors = {}
    if not (code or "").strip():
        errors["code"] = ["项目编号必填"]
    elif Project.objects.filter(code=code.strip()).exists():
        errors["code"] = [f"项目编号 {code} 已存在"]
    if not (name or "").strip():
        errors["name"] = ["项目名称必填"]
    if not isinstance(year, int) or not 2000 <= year <= 2100:
        errors["year"] = ["建设年度应为 2000–2100 的年份"]
    _number(investment, "investment", "总投资", errors, positive=False)
    _number(planned_area_mu, "planned_area_mu", "建设面积", errors)
    if errors:
        raise ServiceError("invalid", "建设项目信息有误", errors)
    project = Project.objects.create(
        code=code.strip(),
        name=name.strip(),
        year=year,
        place=place,
        investment=Decimal(str(investment)),
        planned_area_mu=Decimal(str(planned_area_mu)),
        facilities=facilities,
        builder=builder,
    )
    audit.record_create(actor, project)
    return project


# --- plantings --------------------------------------------------------------------------------


def _check_planting(parcel, season, crop, area_m2, errors, *, exclude=None):
    if parcel is None:
        errors["parcel"] = ["图斑不存在或已停用"]
    if crop not in Crop.values:
        errors["crop"] = ["作物不在作物表中"]
    if parcel is None or area_m2 is None or season is None:
        return
    taken = Planting.objects.filter(parcel=parcel, season=season)
    if exclude is not None:
        taken = taken.exclude(pk=exclude)
    already = sum(taken.values_list("area_m2", flat=True))
    if already + area_m2 > parcel.area_m2 * AREA_TOLERANCE:
        left = max(parcel.area_m2 - already, 0)
        errors["area_mu"] = [
            f"种植面积超过图斑面积：图斑 {mu(parcel.area_m2)} 亩，本季已登记 {mu(already)} 亩，最多还能登记 {mu(left)} 亩"
        ]


@transaction.atomic
def do_record_planting(
    *,
    actor,
    parcel,
    season,
    crop,
    area_mu,
    variety="",
    grower=None,
    grower_name="",
    source=PlantingSource.DECLARED,
    submission_key=None,
) -> Planting:
    """A season's planting on a polygon; the monitoring rules run on it in the same transaction.

    A repeated `submission_key` (a phone that sent twice) returns the first record.
    """
    actor = as_actor(actor)
    if submission_key:
        existing = Planting.objects.filter(submission_key=submission_key).first()
        if existing is not None:
            return existing
    if parcel is not None:
        require(actor, "farmland.planting.add", parcel.place)
    else:
        require(actor, "farmland.planting.add")
    errors = {}
    season = _season(season, errors)
    area = _number(area_mu, "area_mu", "种植面积", errors)
    area_m2 = area * M2_PER_MU if area is not None else None
    if source not in PlantingSource.values:
        errors["source"] = ["来源无效"]
    if len(variety or "") > 60:
        errors["variety"] = ["品种名称不超过60个字"]
    _check_planting(
        parcel if parcel is not None and parcel.retired_at is None else None, season, crop, area_m2, errors
    )
    if errors:
        raise ServiceError("invalid", "种植信息有误", errors)
    planting = Planting.objects.create(
        parcel=parcel,
        season=season,
        crop=crop,
        variety=(variety or "").strip(),
        area_m2=round(area_m2, 2),
        grower=grower,
        grower_name=(grower_name or (grower.name if grower else "")).strip()[:100],
        source=source,
        recorded_by=actor.human,
        submission_key=submission_key or None,
    )
    audit.record_create(actor, planting)
    rules.check_planting(planting)
    return planting


# XLSX / CSV columns of a planting table (the village's 种植情况登记表).
PLANTING_HEADERS = {
    "图斑编号": "parcel",
    "图层": "kind",
    "季节": "season",
    "作物": "crop",
    "品种": "variety",
    "面积（亩）": "area_mu",
    "面积(亩)": "area_mu",
    "面积": "area_mu",
    "种植户": "grower_name",
}
CROP_BY_LABEL = {c.label: c.value for c in Crop}
KIND_BY_LABEL = {k.label: k.value for k in Kind}


@transaction.atomic
def do_import_plantings(data: bytes, filename: str, *, actor) -> list[Planting]:
    """Every row of a planting table, or none (ImportRejected lists every bad row)."""
    from shuxiang.core.importers import ImportRejected, Problem, read_rows

    require(actor, "farmland.planting.add")
    rows = read_rows(data, filename)
    problems, created = [], []
    for number, raw in rows:
        row = {PLANTING_HEADERS.get(k.strip(), k.strip()): v for k, v in raw.items()}
        kind = KIND_BY_LABEL.get(
            str(row.get("kind") or "").strip(), str(row.get("kind") or "").strip() or None
        )
        parcel = parcel_by_code(row.get("parcel"), kind=kind)
        crop = CROP_BY_LABEL.get(str(row.get("crop") or "").strip(), str(row.get("crop") or "").strip())
        try:
            with transaction.atomic():
                created.append(
                    do_record_planting(
                        actor=actor,
                        parcel=parcel,
                        season=season_from_text(row.get("season")),
                        crop=crop,
                        area_mu=row.get("area_mu"),
                        variety=str(row.get("variety") or ""),
                        grower_name=str(row.get("grower_name") or ""),
                        source=PlantingSource.IMPORTED,
                    )
                )
        except ServiceError as exc:
            detail = "；".join(m for msgs in exc.fields.values() for m in msgs) or exc.message
            problems.append(Problem(number, "", detail))
    if problems:
        raise ImportRejected(problems)
    return created


# --- patrols and findings ---------------------------------------------------------------------


@transaction.atomic
def do_record_patrol(
    *, actor, parcel, season, observed_use, latitude, longitude, note="", photo=None, submission_key=None
) -> PatrolReport:
    """An inspector's report from inside a polygon; a finding (and its case) when a rule says so."""
    actor = as_actor(actor)
    if submission_key:
        existing = PatrolReport.objects.filter(submission_key=submission_key).first()
        if existing is not None:
            return existing
    if parcel is None or parcel.retired_at is not None:
        raise ServiceError("invalid", "图斑不存在或已停用", {"parcel": ["请选择图斑"]})
    require(actor, "farmland.patrolreport.add", parcel.place)
    errors = {}
    season = _season(season, errors)
    if observed_use not in LandUse.values:
        errors["observed_use"] = ["请选择现状"]
    lat = _number(latitude, "latitude", "纬度", errors, positive=False)
    lng = _number(longitude, "longitude", "经度", errors, positive=False)
    if lat is not None and lng is not None and not layers.covers(parcel, lng, lat):
        errors["latitude"] = [f"位置（{lng:.6f}, {lat:.6f}）不在图斑 {parcel.code} 内，请到图斑内定位后再报"]
    if len(note or "") > 500:
        errors["note"] = ["说明不超过500字"]
    if errors:
        raise ServiceError("invalid", "巡查记录有误", errors)
    patrol = PatrolReport.objects.create(
        parcel=parcel,
        season=season,
        observed_use=observed_use,
        latitude=lat,
        longitude=lng,
        note=(note or "").strip(),
        reported_by=actor.human,
        submission_key=submission_key or None,
    )
    if photo is not None:
        from shuxiang.core.files import store_attachment

        patrol.photo = store_attachment(photo, owner=patrol, place=parcel.place, actor=actor)
        patrol.save(update_fields=["photo"])
    audit.record_create(actor, patrol)
    rules.check_patrol(patrol)
    return patrol


@transaction.atomic
def do_dismiss_finding(finding: Finding, *, actor, reason) -> Finding:
    """A finding the township verified as no problem (a mapped pond that was always a pond, say)."""
    require(actor, "farmland.finding.change", finding)
    reason = (reason or "").strip()
    if len(reason) < 4:
        raise ServiceError("invalid", "请说明核实情况（至少4个字）", {"reason": ["至少4个字"]})
    if finding.status != "open":
        raise ServiceError("invalid_state", "该问题已处理", {})
    before = audit.snapshot(finding)
    finding.status, finding.rectification = "dismissed", reason[:500]
    finding.save(update_fields=["status", "rectification"])
    audit.record_update(actor, finding, before)
    if finding.case_id and finding.case.is_open:
        from shuxiang.cases import services as cases
        from shuxiang.farmland.cases_link import FARMLAND

        cases.do_add_note(finding.case, actor=FARMLAND, note=f"经核实无问题：{reason}")
    return finding


# --- rice -------------------------------------------------------------------------------------


@transaction.atomic
def do_record_rice_season(
    *,
    actor,
    parcel,
    season,
    variety,
    sowing_date,
    transplant,
    transplant_date=None,
    area_mu=None,
    grower_name="",
    yield_kg_per_mu=None,
) -> RiceSeason:
    """A rice field's season; it also counts as the polygon's rice planting (grain area, monitoring)."""
    if parcel is None or parcel.retired_at is not None:
        raise ServiceError("invalid", "田块不存在或已停用", {"parcel": ["请选择田块"]})
    require(actor, "farmland.riceseason.add", parcel.place)
    errors = {}
    season = _season(season, errors)
    if not isinstance(variety, RiceVariety):
        errors["variety"] = ["请选择品种"]
    if not isinstance(sowing_date, date):
        errors["sowing_date"] = ["请填写播种日期"]
    elif transplant_date is not None and transplant_date < sowing_date:
        errors["transplant_date"] = ["移栽日期不能早于播种日期"]
    if transplant not in Transplant.values:
        errors["transplant"] = ["请选择栽插方式"]
    area = parcel.area_m2 if area_mu in (None, "") else None
    if area is None:
        value = _number(area_mu, "area_mu", "面积", errors)
        area = value * M2_PER_MU if value is not None else None
    if area is not None and area > parcel.area_m2 * AREA_TOLERANCE:
        errors["area_mu"] = [f"面积超过田块面积（{mu(parcel.area_m2)} 亩）"]
    if season and RiceSeason.objects.filter(parcel=parcel, season=season).exists():
        errors["season"] = ["该田块本季已有水稻记录"]
    if errors:
        raise ServiceError("invalid", "水稻田季记录有误", errors)
    record = RiceSeason.objects.create(
        parcel=parcel,
        season=season,
        variety=variety,
        area_m2=round(area, 2),
        grower_name=(grower_name or "")[:100],
        sowing_date=sowing_date,
        transplant_date=transplant_date,
        transplant=transplant,
        yield_kg_per_mu=yield_kg_per_mu,
    )
    audit.record_create(actor, record)
    if not Planting.objects.filter(parcel=parcel, season=season, crop="rice").exists():
        do_record_planting(
            actor=Actor.on_behalf(as_actor(actor).person, via="farmland")
            if as_actor(actor).is_person
            else actor,
            parcel=parcel,
            season=season,
            crop="rice",
            variety=variety.name,
            area_mu=round(area / M2_PER_MU, 4),
            grower_name=grower_name,
        )
    return record


@transaction.atomic
def do_update_rice_season(record: RiceSeason, *, actor, **fields) -> RiceSeason:
    """Correct the stage by hand, record the transplant date or the yield."""
    require(actor, "farmland.riceseason.change", record)
    allowed = {"stage_override", "transplant_date", "yield_kg_per_mu"}
    if set(fields) - allowed:
        raise ServiceError(
            "invalid", "只能修改生育期、移栽日期和亩产", {f: ["不可修改"] for f in set(fields) - allowed}
        )
    errors = {}
    if fields.get("transplant_date") and fields["transplant_date"] < record.sowing_date:
        errors["transplant_date"] = ["移栽日期不能早于播种日期"]
    stage = fields.get("stage_override")
    if stage and stage not in [s for s, _ in record.variety.stages]:
        errors["stage_override"] = ["不是该品种的生育期"]
    if fields.get("yield_kg_per_mu") is not None and not 0 < float(fields["yield_kg_per_mu"]) < 1500:
        errors["yield_kg_per_mu"] = ["亩产应在 0–1500 kg 之间"]
    if errors:
        raise ServiceError("invalid", "水稻田季记录有误", errors)
    before = audit.snapshot(record)
    for k, v in fields.items():
        setattr(record, k, v if v is not None else ("" if k == "stage_override" else None))
    record.save(update_fields=list(fields))
    audit.record_update(actor, record, before)
    return record


# --- seedling factory -------------------------------------------------------------------------


def _into_iot(actor) -> Actor:
    actor = as_actor(actor)
    return Actor.on_behalf(actor.person, via="farmland") if actor.is_person else actor


GREENHOUSE_SENSORS = [
    {"key": "T", "name": "棚内温度", "unit": "℃", "min_value": -10, "max_value": 60},
    {"key": "RH", "name": "棚内湿度", "unit": "%", "min_value": 0, "max_value": 100},
    {"key": "LUX", "name": "光照强度", "unit": "lx", "min_value": 0, "max_value": 200000},
]
# Rice seedlings in a greenhouse: above 35 ℃ they scorch (烧苗), below 12 ℃ they stop growing
# (and risk 青枯/立枯病); the nursery keeps humidity below 95 % to keep 立枯病 down.
GREENHOUSE_RULES = [
    {
        "name": "棚温过高（烧苗风险）",
        "key": "T",
        "kind": "above",
        "threshold": 35,
        "severity": "major",
        "duration_minutes": 10,
    },
    {
        "name": "棚温过低",
        "key": "T",
        "kind": "below",
        "threshold": 12,
        "severity": "major",
        "duration_minutes": 30,
    },
    {
        "name": "湿度过高（立枯病风险）",
        "key": "RH",
        "kind": "above",
        "threshold": 95,
        "severity": "minor",
        "duration_minutes": 60,
    },
    {"name": "环境监测中断", "key": "T", "kind": "no_data", "duration_minutes": 120, "severity": "warning"},
]


@transaction.atomic
def do_create_seedling_factory(
    *, actor, code, name, place, capacity_trays, device_code=None
) -> SeedlingFactory:
    """A seedling factory; with `device_code` its greenhouse sensors and rules are registered in iot."""
    from shuxiang.iot import services as iot

    require(actor, "farmland.seedlingfactory.add", place)
    errors = {}
    if not (code or "").strip():
        errors["code"] = ["编号必填"]
    elif SeedlingFactory.objects.filter(code=code.strip()).exists():
        errors["code"] = [f"编号 {code} 已存在"]
    if not (name or "").strip():
        errors["name"] = ["名称必填"]
    if not isinstance(capacity_trays, int) or capacity_trays <= 0:
        errors["capacity_trays"] = ["育秧能力应为大于0的整数"]
    if errors:
        raise ServiceError("invalid", "育秧工厂信息有误", errors)
    factory = SeedlingFactory(
        code=code.strip(), name=name.strip(), place=place, capacity_trays=capacity_trays
    )
    if device_code:
        device, _ = iot.do_register_device(
            actor=_into_iot(actor),
            code=device_code,
            protocol="mqtt",
            place=place,
            name=f"{factory.name}大棚环境",
            kind="greenhouse",
            sensors=GREENHOUSE_SENSORS,
        )
        factory.device = device
        for rule in GREENHOUSE_RULES:
            iot.do_create_rule(actor=_into_iot(actor), device=device, **rule)
    factory.save()
    audit.record_create(actor, factory)
    return factory


def season_load(factory: SeedlingFactory, year: int) -> int:
    """Trays sown in the factory in a year, excluding failed batches (capacity planning)."""
    return sum(
        SeedlingBatch.objects.filter(factory=factory, sowing_date__year=year)
        .exclude(status=BatchStatus.FAILED)
        .values_list("trays", flat=True)
    )


@transaction.atomic
def do_create_batch(
    *, actor, factory, code, variety, trays, sowing_date, target_transplant_date, customer="", parcels=()
) -> SeedlingBatch:
    require(actor, "farmland.seedlingbatch.add", factory)
    errors = {}
    if not (code or "").strip():
        errors["code"] = ["批次号必填"]
    elif SeedlingBatch.objects.filter(code=code.strip()).exists():
        errors["code"] = [f"批次号 {code} 已存在"]
    if not isinstance(trays, int) or trays <= 0:
        errors["trays"] = ["秧盘数应为大于0的整数"]
    if not isinstance(variety, RiceVariety):
        errors["variety"] = ["请选择品种"]
    if not isinstance(sowing_date, date) or not isinstance(target_transplant_date, date):
        errors["sowing_date"] = ["请填写播种和计划移栽日期"]
    elif target_transplant_date <= sowing_date:
        errors["target_transplant_date"] = ["计划移栽日期应晚于播种日期"]
    if not errors:
        load = season_load(factory, sowing_date.year)
        if load + trays > factory.capacity_trays:
            errors["trays"] = [
                f"超出工厂本年育秧能力：能力 {factory.capacity_trays} 盘，已排 {load} 盘，最多还能排 {factory.capacity_trays - load} 盘"
            ]
    if errors:
        raise ServiceError("invalid", "育秧批次信息有误", errors)
    batch = SeedlingBatch.objects.create(
        code=code.strip(),
        factory=factory,
        variety=variety,
        trays=trays,
        sowing_date=sowing_date,
        target_transplant_date=target_transplant_date,
        customer=(customer or "")[:100],
    )
    if parcels:
        batch.customer_parcels.set(parcels)
    audit.record_create(actor, batch)
    return batch


@transaction.atomic
def do_check_batch(batch: SeedlingBatch, *, actor, germination_rate, note="") -> SeedlingBatch:
    """Quality check: a batch with at least 85 % established seedlings is ready to leave the factory."""
    require(actor, "farmland.seedlingbatch.change", batch)
    errors = {}
    rate = _number(germination_rate, "germination_rate", "成秧率", errors, positive=False)
    if rate is not None and not 0 <= rate <= 100:
        errors["germination_rate"] = ["成秧率应在 0–100 之间"]
    if batch.status in (BatchStatus.DELIVERED, BatchStatus.FAILED):
        errors["status"] = ["该批次已交付或已判定不合格"]
    if errors:
        raise ServiceError("invalid", "质检信息有误", errors)
    before = audit.snapshot(batch)
    batch.germination_rate, batch.quality_note = rate, (note or "")[:200]
    batch.status = BatchStatus.READY if rate >= 85 else BatchStatus.FAILED
    batch.save(update_fields=["germination_rate", "quality_note", "status"])
    audit.record_update(actor, batch, before)
    return batch


@transaction.atomic
def do_deliver_batch(batch: SeedlingBatch, *, actor, trays, on=None) -> SeedlingBatch:
    require(actor, "farmland.seedlingbatch.change", batch)
    on = on or timezone.localdate()
    if batch.status != BatchStatus.READY:
        raise ServiceError("invalid_state", "只有质检合格、待出圃的批次才能交付", {})
    if not isinstance(trays, int) or trays <= 0 or batch.delivered_trays + trays > batch.trays:
        raise ServiceError(
            "invalid", f"交付数应为 1–{batch.trays - batch.delivered_trays} 盘", {"trays": ["超出剩余秧盘"]}
        )
    before = audit.snapshot(batch)
    batch.delivered_trays += trays
    batch.delivered_on = on
    if batch.delivered_trays == batch.trays:
        batch.status = BatchStatus.DELIVERED
    batch.save(update_fields=["delivered_trays", "delivered_on", "status"])
    audit.record_update(actor, batch, before)
    return batch
