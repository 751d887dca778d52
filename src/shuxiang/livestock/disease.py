"""Disease early warning: reports, the animal-health office's stages, outbreak zones, mortality clues.

A report starts `suspicious` (可疑). The office moves it one stage at a time, in the order of
data/standards.yaml (suspicious → suspected → confirmed); skipping a stage is refused. A confirmed
report is an outbreak: its zones (radii from the same file) are drawn on the map, the farms inside
are listed — by farm name and producer name only, never the owner's personal data — and told, with
the townships they are in; the office may draft a warning through the warnings engine. Herd moves
into or out of a pen of a farm inside a zone are flagged on the outbreak page.
"""

import math
from datetime import timedelta

from django.apps import apps
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone

from shuxiang.core import audit
from shuxiang.core.actors import Actor, as_actor
from shuxiang.core.context import origin
from shuxiang.core.errors import ServiceError
from shuxiang.core.permissions import require
from shuxiang.core.services import resolve_place
from shuxiang.livestock import standards
from shuxiang.livestock.choices import AnimalSpecies, DiseaseStage, EntryKind
from shuxiang.livestock.models import DiseaseReport, Farm, HerdEntry

SIGNAL_TYPE = "animal_epidemic"
SIGNAL_DEFAULTS = {
    "name": "动物疫情",
    "category": "Health",
    "colours": ["yellow", "orange", "red"],
    "guides": {
        "yellow": "周边养殖场加强消毒和生物安全管理，暂停外来人员车辆进场，发现异常立即报告。",
        "orange": "疫区内禁止生猪及其产品调出，受威胁区加强监测排查，发现异常立即报告。",
        "red": "疫区封锁，扑杀、无害化处理按规定执行；受威胁区内生猪禁止移动，全面排查。",
    },
    "order": 60,
}


def system_actor() -> Actor:
    return Actor.system("livestock")


def _km(lat1, lng1, lat2, lng2) -> float:
    """Great-circle distance (haversine) — enough for zones of a few kilometres."""
    r = 6371.0
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lng2 - lng1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * r * math.asin(math.sqrt(a))


def zone_of(report: DiseaseReport, lat, lng) -> str | None:
    """The innermost zone of the outbreak the point lies in ("infected", "threatened"), or None."""
    d = _km(report.latitude, report.longitude, lat, lng)
    for code, zone in sorted(standards.zones().items(), key=lambda kv: kv[1]["radius_km"]):
        if d <= zone["radius_km"]:
            return code
    return None


def farms_in_zones(report: DiseaseReport, queryset=None) -> list[tuple[Farm, str, float]]:
    """(farm, zone, distance km) for every farm inside the outbreak's outer zone, nearest first."""
    outer = max(z["radius_km"] for z in standards.zones().values())
    # a bounding box first (degrees of latitude ~111 km) so the database returns only nearby farms
    dlat = outer / 111.0
    dlng = outer / (111.0 * max(math.cos(math.radians(report.latitude)), 0.1))
    qs = queryset if queryset is not None else Farm.objects.all()
    qs = qs.filter(
        latitude__range=(report.latitude - dlat, report.latitude + dlat),
        longitude__range=(report.longitude - dlng, report.longitude + dlng),
    ).select_related("producer", "place__parent")
    rows = []
    for farm in qs:
        zone = zone_of(report, farm.latitude, farm.longitude)
        if zone is not None:
            rows.append((farm, zone, _km(report.latitude, report.longitude, farm.latitude, farm.longitude)))
    return sorted(rows, key=lambda r: r[2])


def flagged_moves(report: DiseaseReport):
    """Herd moves, purchases and sales of farms inside the zones since the report came in."""
    farms = [f.pk for f, _, _ in farms_in_zones(report)]
    kinds = [EntryKind.MOVE_IN, EntryKind.MOVE_OUT, EntryKind.PURCHASE, EntryKind.SALE]
    return (
        HerdEntry.objects.filter(pen__farm_id__in=farms, kind__in=kinds, occurred_at__gte=report.reported_at)
        .exclude(kind=EntryKind.MOVE_IN, other_pen__farm_id__in=farms)
        .exclude(kind=EntryKind.MOVE_OUT, other_pen__farm_id__in=farms)
        .select_related("pen__farm")
        if farms
        else HerdEntry.objects.none()
    )


# --- reports ---------------------------------------------------------------------------------


@transaction.atomic
def do_report_suspicion(
    *,
    actor,
    species="",
    symptoms="",
    place=None,
    farm: Farm | None = None,
    latitude=None,
    longitude=None,
    sick=0,
    deaths=0,
    disease="非洲猪瘟",
    photos=(),
    submission_key="",
    automatic=False,
) -> DiseaseReport:
    """A farmer's, vet's or grid worker's suspicion (or the system's mortality clue). Needs a place
    (the farm's, or one chosen) and a species; the point is the farm's, else the one given, else the
    village's."""
    key = (submission_key or "").strip()[:64]
    if key:
        first = DiseaseReport.objects.filter(submission_key=key).first()
        if first is not None:
            require(actor, "livestock.diseasereport.add", first)
            return first
    errors = {}
    if farm is not None:
        place = farm.place
    elif place not in (None, ""):
        try:
            place = resolve_place(place)
        except ServiceError as exc:
            errors["place"] = exc.fields.get("place") or [exc.message]
            place = None
    else:
        place = None
    if place is None and "place" not in errors:
        errors["place"] = ["请选择发生地点（养殖场或村）"]
    if species not in AnimalSpecies.values:
        errors["species"] = ["请选择畜种"]
    if not (symptoms or "").strip():
        errors["symptoms"] = ["请描述症状"]
    for name, value in (("sick", sick), ("deaths", deaths)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            errors[name] = ["应为不小于0的整数"]
    for name, value, low, high in (("latitude", latitude, -90, 90), ("longitude", longitude, -180, 180)):
        if value is not None and (not isinstance(value, int | float) or not low <= value <= high):
            errors[name] = ["坐标无效"]
    if errors:
        raise ServiceError("invalid", "疫情报告有误：" + "；".join(v[0] for v in errors.values()), errors)
    require(actor, "livestock.diseasereport.add", place)
    lat = farm.latitude if farm is not None and farm.latitude is not None else latitude
    lng = farm.longitude if farm is not None and farm.longitude is not None else longitude
    if lat is None or lng is None:
        lat, lng = place.latitude, place.longitude
    if lat is None or lng is None:
        raise ServiceError("invalid", "无法确定发生地点坐标，请在地图上选点", {"latitude": ["请选点"]})
    report = DiseaseReport.objects.create(
        place=place,
        farm=farm,
        species=species,
        disease=(disease or "非洲猪瘟").strip()[:40],
        symptoms=symptoms.strip(),
        sick=sick,
        deaths=deaths,
        latitude=lat,
        longitude=lng,
        reported_by=as_actor(actor).human,
        reported_at=timezone.now(),
        automatic=automatic,
        submission_key=key,
    )
    if photos:
        from shuxiang.core.files import store_attachment

        for upload in photos:
            store_attachment(upload, owner=report, place=place, actor=actor)
    audit.record_create(actor, report)
    transaction.on_commit(lambda: _tell_office(report))
    return report


def _tell_office(report):
    from shuxiang.core.choices import Role
    from shuxiang.core.models import User
    from shuxiang.core.services import notify

    people = [
        u
        for u in User.objects.filter(
            role__in=(Role.DEPARTMENT, Role.TOWNSHIP), is_active=True
        ).select_related("place")
        if u.place_id and report.place.path.startswith(u.place.path)
    ]
    notify(
        people,
        title=f"疫情报告：{report}",
        body=f"{report.symptoms[:100]}（发病 {report.sick}，死亡 {report.deaths}）",
        url=report.get_absolute_url(),
        kind="livestock",
    )


NEXT = {"suspicious": "suspected", "suspected": "confirmed"}


@transaction.atomic
def do_advance_report(report: DiseaseReport, *, actor, to, note="") -> DiseaseReport:
    """Move a report to its next stage (可疑 → 疑似 → 确诊), rule it out, or lift a confirmed outbreak."""
    require(actor, "livestock.diseasereport.confirm", report)
    report = DiseaseReport.objects.select_for_update().get(pk=report.pk)
    order = standards.disease_stages()
    current = report.stage
    if to == DiseaseStage.RULED_OUT:
        if current not in order[:-1]:
            raise ServiceError(
                "bad_stage", f"{report.get_stage_display()}的报告不能排除", {"to": ["不能排除"]}
            )
    elif to == DiseaseStage.LIFTED:
        if current != DiseaseStage.CONFIRMED:
            raise ServiceError("bad_stage", "只有确诊疫情可以解除封锁", {"to": ["尚未确诊"]})
    elif to in order:
        if current not in order or order.index(to) != order.index(current) + 1:
            have = DiseaseStage(current).label
            want = DiseaseStage(to).label
            step = DiseaseStage(order[order.index(current) + 1]).label if current in order[:-1] else None
            hint = f"，下一步应为「{step}」" if step else ""
            raise ServiceError(
                "stage_skipped", f"不能从「{have}」直接改为「{want}」{hint}", {"to": ["不能跳过阶段"]}
            )
    else:
        raise ServiceError("invalid", "目标阶段无效", {"to": ["阶段无效"]})
    before = audit.snapshot(report)
    now = timezone.now()
    report.stage = to
    fields = ["stage"]
    if to == DiseaseStage.SUSPECTED:
        report.suspected_at = now
        fields.append("suspected_at")
    elif to == DiseaseStage.CONFIRMED:
        report.confirmed_at = now
        fields.append("confirmed_at")
    else:
        report.closed_at = now
        fields.append("closed_at")
    report.save(update_fields=fields)
    audit.record_update(actor, report, before)
    if to == DiseaseStage.CONFIRMED:
        transaction.on_commit(lambda: _tell_zone(report))
    return report


def _tell_zone(report):
    """Every farm's operators inside the zones and the townships concerned hear of the outbreak — the
    message names the zone and the distance, not whose farm the outbreak is on."""
    from shuxiang.cases.routing import township_of
    from shuxiang.core.choices import Role
    from shuxiang.core.services import notify, users_at

    rows = farms_in_zones(report)
    zones = standards.zones()
    townships = {township_of(report.place)}
    for farm, zone, km in rows:
        townships.add(township_of(farm.place))
        notify(
            list(farm.producer.operators.filter(is_active=True)),
            title=f"动物疫情：您的养殖场位于{zones[zone]['label']}内",
            body=f"{farm.name}距{report.place.name}确诊{report.disease}疫点约 {km:.1f} 公里。请加强生物安全，禁止调运。",
            url="",
            kind="livestock",
        )
    townships.discard(None)
    notify(
        users_at(list(townships), [Role.TOWNSHIP]),
        title=f"确诊动物疫情：{report.place.name}{report.disease}",
        body=f"疫区及受威胁区内养殖场 {len(rows)} 个，请组织排查和封锁。",
        url=report.get_absolute_url(),
        kind="livestock",
    )


@transaction.atomic
def do_issue_outbreak_warning(report: DiseaseReport, *, actor, colour="orange"):
    """A draft warning (in the approval queue) for the townships the outbreak's zones reach."""
    if not apps.is_installed("shuxiang.warnings"):
        raise ServiceError("unavailable", "预警发布模块未安装", {})
    from shuxiang.cases.routing import township_of
    from shuxiang.warnings import services as warnings

    require(actor, "livestock.diseasereport.confirm", report)
    if report.stage != DiseaseStage.CONFIRMED:
        raise ServiceError("bad_stage", "只有确诊疫情可以发布预警", {})
    areas = {township_of(report.place)} | {township_of(f.place) for f, _, _ in farms_in_zones(report)}
    areas.discard(None)
    outer = max(z["radius_km"] for z in standards.zones().values())
    warning = warnings.do_create_warning(
        actor=actor,
        signal_type=SIGNAL_TYPE,
        colour=colour,
        headline=f"{report.place.name}{report.disease}疫情"[:100],
        description=(
            f"{timezone.localtime(report.confirmed_at):%Y-%m-%d}经确诊，{report.place.name}发生"
            f"{report.get_species_display()}{report.disease}疫情。疫点周边 {outer:g} 公里内养殖场请加强防控。"
        ),
        areas=sorted(areas, key=lambda p: p.code),
        expires=timezone.now() + timedelta(days=21),
        source="区畜牧水产事务中心",
        submit=True,
    )
    before = audit.snapshot(report)
    report.warning_id = warning.pk
    report.save(update_fields=["warning_id"])
    audit.record_update(actor, report, before)
    return warning


# --- mortality clue -------------------------------------------------------------------------


def check_mortality(farm_id, *, now=None) -> DiseaseReport | None:
    """Deaths of the last 7 days above `mortality_clue_factor` × the farm's baseline raise a clue
    (an automatic suspicious report), unless one is already open for the farm."""
    now = now or timezone.now()
    farm = Farm.objects.filter(pk=farm_id).select_related("place").first()
    if farm is None:
        return None
    deaths = (
        HerdEntry.objects.filter(
            pen__farm=farm, kind=EntryKind.DEATH, occurred_at__gt=now - timedelta(days=7)
        ).aggregate(n=Sum("count"))["n"]
        or 0
    )
    factor = standards.load()["mortality_clue_factor"]
    limit = farm.baseline_daily_deaths * 7 * factor
    if deaths <= limit:
        return None
    open_stages = [DiseaseStage.SUSPICIOUS, DiseaseStage.SUSPECTED, DiseaseStage.CONFIRMED]
    if DiseaseReport.objects.filter(farm=farm, stage__in=open_stages).exists():
        return None
    with origin("task"):
        return do_report_suspicion(
            actor=system_actor(),
            farm=farm,
            species="pig",
            symptoms=f"系统线索：近7天死亡 {deaths} 头，超过基线（日均 {farm.baseline_daily_deaths:g} 头）的 {factor:g} 倍",
            deaths=int(deaths),
            automatic=True,
        )
