"""Every write of the ecology app: points, standards' limits, samples (judged, exceedance → case),
pollution sources, garbage collection points and records, the overdue-collection check."""

import math
import re
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from shuxiang.core import audit
from shuxiang.core.actors import Actor, as_actor
from shuxiang.core.errors import ServiceError
from shuxiang.core.permissions import require
from shuxiang.ecology import case_actions, standards
from shuxiang.ecology.choices import ExceedanceStatus, PointKind, SampleSource, SourceKind
from shuxiang.ecology.models import (
    CollectionPoint,
    CollectionRecord,
    Exceedance,
    Factor,
    Limit,
    MonitoringPoint,
    PollutionSource,
    Sample,
    SampleValue,
    Standard,
)

CODE_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{1,29}$")
ECOLOGY = Actor.system("ecology")
UNIT_ALIASES = {"mg/l": "mg/L", "ug/l": "μg/L", "个/l": "个/L", "无量纲": "", "-": ""}


def _number(value, field, errors, *, low=None, high=None):
    if type(value) is bool or not isinstance(value, int | float) or not math.isfinite(value):
        errors[field] = ["应为数字"]
        return None
    if (low is not None and value < low) or (high is not None and value > high):
        errors[field] = [f"应在 {low}–{high} 之间"]
        return None
    return float(value)


def _coords(fields, errors, required=False):
    lat, lng = fields.get("latitude"), fields.get("longitude")
    if lat is None and lng is None:
        if required:
            errors["latitude"] = ["请填写经纬度"]
        return None, None
    lat = _number(lat, "latitude", errors, low=-90, high=90)
    lng = _number(lng, "longitude", errors, low=-180, high=180)
    return lat, lng


def _river_position(fields, errors) -> tuple[str, float | None]:
    """A river name and the kilometre on it (from its source): what tracing needs to tell upstream
    from downstream (ecology.rivers). A kilometre without its river means nothing and is refused."""
    river = (fields.get("river") or "").strip()
    km = fields.get("river_km")
    if len(river) > 60:
        errors["river"] = ["河流名称最多 60 字"]
    if km in (None, ""):
        return river, None
    km = _number(km, "river_km", errors, low=0, high=10000)
    if km is not None and not river:
        errors["river"] = ["填写河道里程时请同时填写所在河流"]
    return river, km


def valid_grades(standard: Standard) -> list[str]:
    return list(standard.grades or [""])


def parse_standard(text: str) -> Standard:
    """ "GB 3838-2002" → the standard of that edition; a clear error when the edition is missing."""
    code, _, edition = (text or "").strip().rpartition("-")
    standard = Standard.objects.filter(code=code.strip(), edition=edition.strip(), is_active=True).first()
    if standard is None:
        raise ServiceError(
            "standard_missing",
            f"没有现行的标准版本“{text}”",
            {"standard": ["标准号与版本（年份）写作 GB 3838-2002；请先在水质标准中录入该版本"]},
        )
    return standard


# --- monitoring points -------------------------------------------------------------------------------


def _validate_zones(zones, errors):
    if zones in (None, ""):
        return None
    from shuxiang.core import geometry

    try:
        if not isinstance(zones, dict) or zones.get("type") != "FeatureCollection":
            raise ValueError("应为 GeoJSON FeatureCollection")
        for feature in zones.get("features") or []:
            problem = geometry.polygon_problem(geometry.from_geojson(feature))
            if problem:
                raise ValueError(f"保护区范围：{problem}")
    except (ValueError, TypeError, AttributeError, KeyError) as exc:
        errors["protection_zones"] = [str(exc) or "保护区范围无效"]
        return None
    return zones


@transaction.atomic
def do_create_point(
    *, actor, code, name, kind, place, standard, grade="", lake=False, **fields
) -> MonitoringPoint:
    require(actor, "ecology.monitoringpoint.add", place)
    errors = {}
    code = (code or "").strip()
    if not CODE_RE.match(code):
        errors["code"] = ["点位编码为 2–30 位字母、数字、下划线或连字符"]
    elif MonitoringPoint.objects.filter(code=code).exists():
        errors["code"] = [f"点位编码 {code} 已存在"]
    if not (name or "").strip():
        errors["name"] = ["名称必填"]
    if kind not in PointKind.values:
        errors["kind"] = ["点位类型无效"]
    if place is None:
        errors["place"] = ["请选择区划"]
    if standard is None:
        errors["standard"] = ["请选择执行标准"]
    elif grade not in valid_grades(standard):
        choices = "、".join(g for g in valid_grades(standard) if g) or "（不分等级，留空）"
        errors["grade"] = [f"{standard.code} 的等级为：{choices}"]
    lat, lng = _coords(fields, errors)
    zones = _validate_zones(fields.get("protection_zones"), errors)
    river, river_km = _river_position(fields, errors)
    if errors:
        raise ServiceError("invalid", "监测点位信息有误", errors)
    point = MonitoringPoint.objects.create(
        code=code,
        name=name.strip()[:100],
        kind=kind,
        place=place,
        standard=standard,
        grade=grade,
        lake=bool(lake),
        river=river,
        river_km=river_km,
        responsible_unit=fields.get("responsible_unit"),
        owner=fields.get("owner"),
        device=fields.get("device"),
        latitude=lat if lat is not None else place.latitude,
        longitude=lng if lng is not None else place.longitude,
        protection_zones=zones,
    )
    audit.record_create(actor, point)
    return point


@transaction.atomic
def do_set_limit(
    standard: Standard, *, actor, factor: Factor, grade="", lake=False, min_value=None, max_value=None
):
    """Add or change one limit of a standard (a new edition's figures, a permit's limit)."""
    require(actor, "ecology.standard.change", standard)
    errors = {}
    if grade not in valid_grades(standard):
        errors["grade"] = ["该标准没有这个等级"]
    for name, value in (("min_value", min_value), ("max_value", max_value)):
        if value is not None:
            _number(value, name, errors)
    if min_value is None and max_value is None:
        errors["max_value"] = ["限值至少要有上限或下限"]
    elif min_value is not None and max_value is not None and not errors and min_value > max_value:
        errors["min_value"] = ["下限不能高于上限"]
    if errors:
        raise ServiceError("invalid", "限值有误", errors)
    limit = Limit.objects.filter(standard=standard, factor=factor, grade=grade, lake=lake).first()
    before = audit.snapshot(limit) if limit else None
    if limit is None:
        limit = Limit(standard=standard, factor=factor, grade=grade, lake=lake)
    limit.min_value, limit.max_value = min_value, max_value
    limit.save()
    if before is None:
        audit.record_create(actor, limit)
    else:
        audit.record_update(actor, limit, before)
    return limit


def _into_iot(actor) -> Actor:
    """The person, on behalf of ecology, in iot (their grants and region apply); the operator as itself."""
    actor = as_actor(actor)
    return Actor.on_behalf(actor.person, via="ecology") if actor.is_person else actor


@transaction.atomic
def do_link_station(point: MonitoringPoint, *, actor, device) -> MonitoringPoint:
    """Make an HJ 212 station (an iot device, its MN) the point's online station, and give it one alarm
    rule per limit of the point's standard at the point's grade (above an upper limit, below a lower one),
    whose alarm opens — or adds to — the point's 水质超标 case (`ecology.open_case`)."""
    from shuxiang.iot import services as iot
    from shuxiang.iot.models import AlarmRule

    require(actor, "ecology.monitoringpoint.change", point)
    if device is None or device.protocol != "hj212":
        raise ServiceError(
            "invalid", "在线监测站应为已登记的 HJ 212 设备", {"device": ["请填写 HJ 212 监测站的 MN"]}
        )
    other = MonitoringPoint.objects.filter(device=device).exclude(pk=point.pk).first()
    if other is not None:
        raise ServiceError(
            "invalid", f"监测站 {device.code} 已关联点位 {other.name}", {"device": ["已被其他点位使用"]}
        )
    before = audit.snapshot(point)
    point.device = device
    point.save(update_fields=["device"])
    audit.record_update(actor, point, before)
    table = standards.limits_of(point.standard, point.lake)
    grade = point.grade or ("III" if point.standard.classifies else "")
    existing = set(AlarmRule.objects.filter(device=device).values_list("name", flat=True))
    severity = "major" if point.kind == PointKind.DRINKING_SOURCE else "minor"
    for by_grade in table.values():
        limit = by_grade.get(grade) or by_grade.get("")
        if limit is None:
            continue
        for kind, bound, word in (
            ("above", limit.max_value, "超上限"),
            ("below", limit.min_value, "低于下限"),
        ):
            name = f"{limit.factor.name}{word}（{point.standard.code}）"[:60]
            if bound is None or name in existing:
                continue
            iot.do_create_rule(
                actor=_into_iot(actor),
                device=device,
                name=name,
                key=limit.factor.code,
                kind=kind,
                threshold=bound,
                severity=severity,
                duration_minutes=0,
                actions=["ecology.open_case"],
            )
    return point


# --- samples -----------------------------------------------------------------------------------------


def _factor_values(values, errors) -> list:
    """[(Factor, value)] from [{"factor": code, "value": x, "unit": u}], or errors by factor code."""
    if not isinstance(values, list | tuple) or not values:
        errors["values"] = ["至少填写一个因子的测定值"]
        return []
    factors = {f.code: f for f in Factor.objects.all()}
    by_name = {f.name: f for f in factors.values()}
    clean, seen = [], set()
    for i, item in enumerate(values):
        if not isinstance(item, dict):
            errors[f"values[{i}]"] = ["应为 {factor, value, unit}"]
            continue
        code = str(item.get("factor") or "").strip()
        factor = factors.get(code) or by_name.get(code)
        key = code or f"values[{i}]"
        if factor is None:
            errors[key] = [f"未知的监测因子“{code}”：请用 HJ 212 因子编码（如 w01018）"]
            continue
        if factor.code in seen:
            errors[key] = ["同一因子重复填写"]
            continue
        seen.add(factor.code)
        unit = item.get("unit")
        if unit is not None:
            unit = str(unit).strip()
            unit = UNIT_ALIASES.get(unit.lower(), unit)
            if unit != factor.unit:
                errors[key] = [f"{factor.name}的单位应为“{factor.unit or '无量纲'}”，收到“{unit}”"]
                continue
        raw = item.get("value")
        if isinstance(raw, str):
            try:
                raw = float(raw.strip())
            except ValueError:
                errors[key] = [f"{factor.name}的测定值不是数字"]
                continue
        value = _number(raw, key, errors)
        if value is None:
            continue
        if value < 0 and factor.code != "w01010":
            errors[key] = [f"{factor.name}的测定值不能为负"]
            continue
        clean.append((factor, value))
    return clean


@transaction.atomic
def do_record_sample(
    point: MonitoringPoint,
    *,
    actor,
    taken_at,
    sampler,
    values,
    lab="",
    report_number="",
    report=None,
    source=SampleSource.MANUAL,
    standard=None,
    now=None,
) -> Sample:
    """Record a sample, judge it against the point's standard (or `standard`, "GB 3838-2002"), keep the
    point's latest class, and act on the result: an exceedance opens (or adds to) the point's 超标告警
    and its case; a sample that meets the standard closes an open one (复测达标)."""
    require(actor, "ecology.sample.add", point)
    now = now or timezone.now()
    errors = {}
    if not isinstance(taken_at, datetime):
        errors["taken_at"] = ["请填写采样时间"]
    elif taken_at > now + timedelta(minutes=10):
        errors["taken_at"] = ["采样时间不能晚于当前时间"]
    elif taken_at < now - timedelta(days=3 * 366):
        errors["taken_at"] = ["采样时间早于三年前"]
    if not (sampler or "").strip():
        errors["sampler"] = ["请填写采样人"]
    if source not in SampleSource.values:
        errors["source"] = ["来源无效"]
    if standard is None:
        standard = point.standard
    elif isinstance(standard, str):
        standard = parse_standard(standard)
    if not standard.is_active or not standard.limits.exists():
        raise ServiceError(
            "standard_missing",
            f"{standard.code}-{standard.edition} 不是现行标准或没有限值，无法评价",
            {"standard": ["请先在水质标准中录入该版本的限值"]},
        )
    clean = _factor_values(values, errors)
    if errors:
        raise ServiceError("invalid", "样品信息有误", errors)
    grade = point.grade if point.standard_id == standard.pk else _grade_for(standard, point.grade)
    result = standards.judge(standard, grade, point.lake, clean)
    sample = Sample.objects.create(
        point=point,
        taken_at=taken_at,
        sampler=sampler.strip()[:50],
        lab=(lab or "").strip()[:100],
        report_number=(report_number or "").strip()[:50],
        source=source,
        standard=standard,
        grade=grade,
        water_class=result.water_class,
        wqi=result.wqi,
        meets=result.meets,
        exceeded=result.summary()[:300],
        created_by=as_actor(actor).person,
    )
    if report is not None:
        from shuxiang.core.files import store_attachment

        try:
            sample.report = store_attachment(
                report, owner=sample, place=point.place, actor=actor, kind="document"
            )
        except ServiceError as exc:
            raise ServiceError(
                exc.code, exc.message, {"report": list(exc.fields.get("files", [exc.message]))}
            ) from None
        sample.save(update_fields=["report"])
    SampleValue.objects.bulk_create(
        SampleValue(
            sample=sample,
            factor=r.factor,
            value=r.value,
            water_class=r.water_class,
            meets=r.meets,
            limit=r.limit,
        )
        for r in result.results
    )
    audit.record_create(actor, sample)
    _latest(point, sample)
    _act_on(point, sample, now)
    return sample


def _grade_for(standard, grade):
    grades = valid_grades(standard)
    return grade if grade in grades else ("III" if "III" in grades else grades[0])


def _latest(point, sample):
    if point.latest_sampled_at is not None and point.latest_sampled_at > sample.taken_at:
        return  # an older sample entered late does not replace the latest
    MonitoringPoint.objects.filter(pk=point.pk).update(
        latest_class=sample.water_class, latest_meets=sample.meets, latest_sampled_at=sample.taken_at
    )
    point.latest_class, point.latest_meets, point.latest_sampled_at = (
        sample.water_class,
        sample.meets,
        sample.taken_at,
    )


def _act_on(point, sample, now):
    open_one = (
        Exceedance.objects.select_for_update().filter(point=point, status=ExceedanceStatus.OPEN).first()
    )
    if not sample.meets:
        if open_one is not None:
            Exceedance.objects.filter(pk=open_one.pk).update(repeat_count=F("repeat_count") + 1)
            case_actions.note_repeat(open_one, sample)
            return
        exceedance = Exceedance.objects.create(
            point=point, sample=sample, summary=sample.exceeded or "超标", opened_at=now
        )
        audit.record(ECOLOGY, "create", exceedance)
        exceedance.case = case_actions.open_case(exceedance)
        if exceedance.case is not None:
            exceedance.save(update_fields=["case"])
        return
    if open_one is not None and sample.taken_at > open_one.sample.taken_at:
        before = audit.snapshot(open_one)
        open_one.status = ExceedanceStatus.CLOSED
        open_one.closed_at = now
        open_one.closing_sample = sample
        open_one.save(update_fields=["status", "closed_at", "closing_sample"])
        audit.record(ECOLOGY, "transition", open_one, changes=audit.diff(before, audit.snapshot(open_one)))
        case_actions.note_closed(open_one, sample)


# --- pollution sources -------------------------------------------------------------------------------


@transaction.atomic
def do_create_source(*, actor, code, name, kind, place, **fields) -> PollutionSource:
    require(actor, "ecology.pollutionsource.add", place)
    errors = {}
    code = (code or "").strip()
    if not CODE_RE.match(code):
        errors["code"] = ["编号为 2–30 位字母、数字、下划线或连字符"]
    elif PollutionSource.objects.filter(code=code).exists():
        errors["code"] = [f"编号 {code} 已存在"]
    if not (name or "").strip():
        errors["name"] = ["名称必填"]
    if kind not in SourceKind.values:
        errors["kind"] = ["污染源类型无效"]
    if place is None:
        errors["place"] = ["请选择区划"]
    lat, lng = _coords(fields, errors, required=True)
    load = fields.get("load_index", 1.0)
    load = _number(load, "load_index", errors, low=0, high=1000)
    river, river_km = _river_position(fields, errors)
    if errors:
        raise ServiceError("invalid", "污染源信息有误", errors)
    source = PollutionSource.objects.create(
        code=code,
        name=name.strip()[:100],
        kind=kind,
        place=place,
        latitude=lat,
        longitude=lng,
        scale=(fields.get("scale") or "")[:60],
        load_index=load,
        owner=fields.get("owner"),
        outfall=fields.get("outfall"),
        survey_year=fields.get("survey_year"),
        note=(fields.get("note") or "")[:300],
        river=river,
        river_km=river_km,
    )
    audit.record_create(actor, source)
    return source


def distance_km(lat1, lng1, lat2, lng2) -> float:
    r = 6371.0088
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lng2 - lng1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * r * math.asin(math.sqrt(a))


def nearby_sources(point: MonitoringPoint, user=None, radius_km: float = 5.0) -> list:
    """Tracing (溯源): the pollution sources within `radius_km` of a point whose water can reach it,
    likeliest contributors first — the point's own discharger, then upstream sources by load over
    distance, then sources whose river position is not recorded (they cannot be ruled out). Sources
    downstream or in another basin (ecology.rivers) are left out; `tracing` also returns those."""
    return tracing(point, user, radius_km)[0]


def tracing(point: MonitoringPoint, user=None, radius_km: float = 5.0) -> tuple[list, list]:
    """(kept, left out): every source within `radius_km`, each with `.distance_km`, `.score` (load
    over distance) and `.relation` (ecology.rivers: own, upstream, unknown, downstream, elsewhere)."""
    from shuxiang.ecology import rivers

    if point.latitude is None:
        return [], []
    qs = PollutionSource.objects.restrict(user) if user is not None else PollutionSource.objects.all()
    # a box first (1° latitude ≈ 111 km), then the exact distance
    dlat = radius_km / 111.0
    dlng = radius_km / max(1e-6, 111.0 * math.cos(math.radians(point.latitude)))
    box = qs.filter(
        latitude__range=(point.latitude - dlat, point.latitude + dlat),
        longitude__range=(point.longitude - dlng, point.longitude + dlng),
    ).select_related("place")
    network = rivers.Network.load()
    order = {rivers.OWN: 0, rivers.UPSTREAM: 1, rivers.UNKNOWN: 2, rivers.DOWNSTREAM: 3, rivers.ELSEWHERE: 4}
    rows = []
    for s in box:
        d = distance_km(point.latitude, point.longitude, s.latitude, s.longitude)
        if d <= radius_km:
            s.relation = network.relation(point, s)
            s.relation_label = rivers.LABELS[s.relation]
            s.distance_km = round(d, 2)
            s.score = round(s.load_index / max(d, 0.2), 2)
            rows.append(s)
    rows.sort(key=lambda s: (order[s.relation], -s.score, s.distance_km))
    kept = [s for s in rows if s.relation in rivers.KEPT]
    return kept, [s for s in rows if s.relation not in rivers.KEPT]


# --- garbage collection -------------------------------------------------------------------------------


@transaction.atomic
def do_create_collection_point(
    *, actor, code, name, place, bins=1, interval_days=2, **fields
) -> CollectionPoint:
    require(actor, "ecology.collectionpoint.add", place)
    errors = {}
    code = (code or "").strip()
    if not CODE_RE.match(code):
        errors["code"] = ["编号为 2–30 位字母、数字、下划线或连字符"]
    elif CollectionPoint.objects.filter(code=code).exists():
        errors["code"] = [f"编号 {code} 已存在"]
    if not (name or "").strip():
        errors["name"] = ["名称必填"]
    if place is None:
        errors["place"] = ["请选择所在村"]
    if not isinstance(bins, int) or not 1 <= bins <= 200:
        errors["bins"] = ["垃圾桶数应为 1–200"]
    if not isinstance(interval_days, int) or not 1 <= interval_days <= 30:
        errors["interval_days"] = ["清运周期应为 1–30 天"]
    lat, lng = _coords(fields, errors)
    if errors:
        raise ServiceError("invalid", "收集点信息有误", errors)
    point = CollectionPoint.objects.create(
        code=code,
        name=name.strip()[:100],
        place=place,
        bins=bins,
        interval_days=interval_days,
        latitude=lat if lat is not None else place.latitude,
        longitude=lng if lng is not None else place.longitude,
    )
    audit.record_create(actor, point)
    return point


@transaction.atomic
def do_record_collection(
    point: CollectionPoint, *, actor, collected_at, weight_kg, transfer_station, truck="", now=None
) -> CollectionRecord:
    """One emptying of a collection point; an overdue-collection case of the point hears of it."""
    require(actor, "ecology.collectionrecord.add", point)
    now = now or timezone.now()
    errors = {}
    if not isinstance(collected_at, datetime):
        errors["collected_at"] = ["请填写清运时间"]
    elif collected_at > now + timedelta(minutes=10):
        errors["collected_at"] = ["清运时间不能晚于当前时间"]
    elif collected_at < now - timedelta(days=366):
        errors["collected_at"] = ["清运时间早于一年前"]
    weight = _number(weight_kg, "weight_kg", errors, low=0, high=50000)
    if not (transfer_station or "").strip():
        errors["transfer_station"] = ["请填写转运站"]
    if errors:
        raise ServiceError("invalid", "清运记录有误", errors)
    from shuxiang.ecology.trucks import truck_for_plate

    truck = (truck or "").strip()[:20]
    record = CollectionRecord.objects.create(
        point=point,
        collected_at=collected_at,
        weight_kg=weight,
        truck=truck,
        registered_truck=truck_for_plate(truck),  # a registered plate links the record to its track
        transfer_station=transfer_station.strip()[:60],
        recorded_by=as_actor(actor).person,
    )
    audit.record_create(actor, record)
    if point.last_collected_at is None or point.last_collected_at < collected_at:
        CollectionPoint.objects.filter(pk=point.pk).update(last_collected_at=collected_at)
        point.last_collected_at = collected_at
        case_actions.note_collected(point, record)
    return record


def overdue_points(now=None, qs=None):
    """Active collection points not emptied within their interval (never emptied counts as overdue)."""
    now = now or timezone.now()
    qs = qs if qs is not None else CollectionPoint.objects.all()
    out = []
    for p in qs.filter(is_active=True).select_related("place"):
        if p.last_collected_at is None or p.last_collected_at < now - timedelta(days=p.interval_days):
            out.append(p)
    return out


def do_check_overdue_collections(*, actor, now=None) -> int:
    """Open a case for every overdue collection point that has none open (one per point). Returns how many."""
    require(actor, "ecology.collectionpoint.view")
    opened = 0
    for point in overdue_points(now):
        with transaction.atomic():
            if case_actions.open_collection_case(point, now or timezone.now()) is not None:
                opened += 1
    return opened


# --- 美丽屋场 ----------------------------------------------------------------------------------------


@transaction.atomic
def do_assess_village(*, actor, place, period, scores, note="", photo=None):
    """A village's 美丽屋场 assessment for a quarter: a score per active checklist item (0 … its weight).
    Assessing a village again in the same quarter replaces the scores (audited as a change)."""
    from shuxiang.core.choices import PlaceLevel
    from shuxiang.ecology.models import BeautyAssessment, BeautyItem
    from shuxiang.indicators.periods import parse_period

    require(actor, "ecology.beautyassessment.add", place)
    errors = {}
    if place is None or place.level != PlaceLevel.VILLAGE:
        errors["place"] = ["请选择一个村（社区）"]
    try:
        quarter = parse_period(period)
        if quarter.is_year:
            raise ServiceError("invalid", "", {})
    except ServiceError:
        errors["period"] = ["季度写作 2026Q4"]
        quarter = None
    items = list(BeautyItem.objects.filter(is_active=True))
    clean = {}
    for item in items:
        value = (scores or {}).get(item.code)
        if value is None:
            errors[item.code] = [f"请为“{item.name}”打分"]
            continue
        number = _number(value, item.code, errors, low=0, high=item.max_score)
        if number is not None:
            clean[item.code] = number
    unknown = set(scores or {}) - {i.code for i in items}
    for code in unknown:
        errors[str(code)[:20]] = ["评分细则中没有这一项"]
    if errors:
        raise ServiceError("invalid", "美丽屋场评分有误", errors)
    existing = BeautyAssessment.objects.filter(place=place, period=quarter.code).first()
    before = audit.snapshot(existing) if existing else None
    assessment = existing or BeautyAssessment(place=place, period=quarter.code)
    assessment.scores = clean
    assessment.total = round(sum(clean.values()), 1)
    assessment.max_total = float(sum(i.max_score for i in items))
    assessment.note = (note or "")[:300]
    assessment.assessed_by = as_actor(actor).person
    assessment.save()
    if photo is not None:
        from shuxiang.core.files import store_attachment

        try:
            assessment.photo = store_attachment(
                photo, owner=assessment, place=place, actor=actor, kind="photo"
            )
        except ServiceError as exc:
            raise ServiceError(
                exc.code, exc.message, {"photo": list(exc.fields.get("files", [exc.message]))}
            ) from None
        assessment.save(update_fields=["photo"])
    if before is None:
        audit.record_create(actor, assessment)
    else:
        audit.record_update(actor, assessment, before)
    return assessment
