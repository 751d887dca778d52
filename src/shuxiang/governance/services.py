"""Every write of governance: grids and patrols. Each takes the actor, checks it, runs in one
transaction and writes its audit entry; a patrol's findings open cases through the case engine on the
grid worker's behalf (their grants and region apply, the case's timeline names them)."""

import math
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from shuxiang.core import audit
from shuxiang.core.actors import SYSTEM_LABELS, Actor, as_actor
from shuxiang.core.choices import Role
from shuxiang.core.errors import ServiceError
from shuxiang.core.files import store_attachment
from shuxiang.core.permissions import has_perm, require
from shuxiang.governance import choices as c
from shuxiang.governance.models import Grid, Patrol

SYSTEM_LABELS.setdefault("governance", "基层治理联动")
VILLAGE, HAMLET = 3, 4
MAX_PHOTOS = 9
MAX_EVENTS = 5


def _polygon(geometry, errors):
    from shuxiang.core import geometry as geo

    if not geometry:
        return None
    try:
        shape = geo.from_geojson(geometry)
    except (TypeError, ValueError, AttributeError, KeyError) as exc:
        errors["geometry"] = [f"范围不是有效的 GeoJSON：{exc}"]
        return None
    problem = geo.polygon_problem(shape)
    if problem:
        errors["geometry"] = [problem]
        return None
    return shape


def _check_overlap(village, shape, hamlets, exclude, errors):
    """No hamlet in two grids; no polygon sharing more than OVERLAP_SHARE of the smaller one's area."""
    from shuxiang.core import geometry as geo

    others = (
        Grid.objects.filter(village=village)
        .exclude(pk=getattr(exclude, "pk", None))
        .prefetch_related("hamlets")
    )
    taken = {h.pk: g for g in others for h in g.hamlets.all()}
    clashes = [f"{h.name}已属于{taken[h.pk].name}" for h in hamlets if h.pk in taken]
    if clashes:
        errors["hamlets"] = clashes
    if shape is None:
        return
    for other in others:
        if not other.geometry:
            continue
        theirs = geo.from_geojson(other.geometry)
        shared = shape.intersection(theirs)
        if not shared.is_empty and shared.area > c.OVERLAP_SHARE * min(shape.area, theirs.area):
            share = geo.area_m2(shared)
            errors.setdefault("geometry", []).append(f"与{other.name}重叠约{share:,.0f}平方米，网格不能交叠")


def _check_workers(workers, village, errors):
    bad = [
        w.display_name or w.username
        for w in workers
        if w.role not in (Role.GRID, Role.VILLAGE) or w.place_id != village.pk
    ]
    if bad:
        errors["workers"] = ["只能指定本村的网格员或村干部：" + "、".join(bad)]


def next_code(village) -> str:
    codes = Grid.objects.filter(code__startswith=village.code).values_list("code", flat=True)
    numbers = [int(code[-2:]) for code in codes if code[-2:].isdigit() and len(code) == len(village.code) + 2]
    return f"{village.code}{max(numbers, default=0) + 1:02d}"


@transaction.atomic
def do_create_grid(*, actor, village, name, hamlets=(), workers=(), geometry=None) -> Grid:
    require(actor, "governance.grid.add", village)
    errors: dict[str, list[str]] = {}
    if village is None or village.level != VILLAGE:
        errors["village"] = ["网格须建在村（社区）内"]
    name = (name or "").strip()
    if not name or len(name) > 60:
        errors["name"] = ["请填写网格名称（60字以内）"]
    hamlets = list(hamlets)
    if village is not None and any(h.parent_id != village.pk or h.level != HAMLET for h in hamlets):
        errors["hamlets"] = ["只能包含本村的村民小组"]
    if not hamlets and not geometry:
        errors["hamlets"] = ["请选择村民小组或绘制网格范围"]
    shape = _polygon(geometry, errors)
    if village is not None and "hamlets" not in errors:
        _check_overlap(village, shape, hamlets, None, errors)
    if village is not None:
        _check_workers(workers, village, errors)
    if errors:
        raise ServiceError("invalid", "网格信息有误：" + next(iter(errors.values()))[0], errors)
    from shuxiang.core import geometry as geo

    grid = Grid.objects.create(
        code=next_code(village),
        name=name,
        village=village,
        geometry=geo.to_geojson(shape) if shape is not None else None,
    )
    grid.hamlets.set(hamlets)
    grid.workers.set(workers)
    audit.record_create(actor, grid)
    return grid


def _route(points, errors) -> tuple[list, int]:
    clean = []
    if not isinstance(points, list):
        errors["route"] = ["轨迹应为 [[经度, 纬度, 时间戳], …]"]
        return [], 0
    if len(points) > c.MAX_ROUTE_POINTS:
        errors["route"] = [f"轨迹点不能超过{c.MAX_ROUTE_POINTS}个"]
        return [], 0
    for point in points:
        try:
            lng, lat, ts = float(point[0]), float(point[1]), int(point[2])
        except (TypeError, ValueError, IndexError):
            errors["route"] = ["轨迹点格式应为 [经度, 纬度, 时间戳]"]
            return [], 0
        if not (73 <= lng <= 136 and 18 <= lat <= 54):
            errors["route"] = ["轨迹点不在中国境内"]
            return [], 0
        clean.append([round(lng, 6), round(lat, 6), ts])
    distance = 0.0
    for (x1, y1, _), (x2, y2, _) in zip(clean, clean[1:], strict=False):
        dy = (y2 - y1) * 111_320
        dx = (x2 - x1) * 111_320 * math.cos(math.radians((y1 + y2) / 2))
        distance += math.hypot(dx, dy)
    return clean, int(distance)


@transaction.atomic
def do_record_patrol(
    grid: Grid,
    *,
    actor,
    started_at,
    ended_at,
    seen="",
    checked=(),
    route=(),
    photos=(),
    events=(),
    submission_key=None,
) -> Patrol:
    """A patrol from the phone. Each event found ({category, description}) opens a case of that category."""
    require(actor, "governance.patrol.add", grid)
    actor = as_actor(actor)
    if submission_key:
        existing = Patrol.objects.filter(submission_key=submission_key).first()
        if existing is not None:
            return existing
    person = actor.person
    if (
        person is not None
        and not grid.workers.filter(pk=person.pk).exists()
        and not has_perm(actor, "governance.grid.change", grid)
    ):
        raise ServiceError("not_your_grid", "只有本网格的网格员可以记录巡查", status=403)
    errors: dict[str, list[str]] = {}
    now = timezone.now()
    if started_at is None or ended_at is None:
        errors["started_at"] = ["请填写开始和结束时间"]
    elif ended_at < started_at:
        errors["ended_at"] = ["结束时间不能早于开始时间"]
    elif ended_at > now + timedelta(minutes=5):
        errors["ended_at"] = ["结束时间不能晚于现在"]
    elif ended_at - started_at > timedelta(hours=c.MAX_PATROL_HOURS):
        errors["ended_at"] = [f"一次巡查不超过{c.MAX_PATROL_HOURS}小时"]
    checked = list(dict.fromkeys(checked or []))
    unknown = [x for x in checked if x not in c.CHECKLIST_CODES]
    if unknown:
        errors["checked"] = ["未知的巡查事项：" + "、".join(map(str, unknown))]
    seen = (seen or "").strip()
    if len(seen) > 2000:
        errors["seen"] = ["巡查情况不能超过2000字"]
    if not seen and not checked:
        errors["seen"] = ["请填写巡查情况或勾选巡查事项"]
    clean_route, distance = _route(list(route or []), errors)
    events = list(events or [])
    if len(events) > MAX_EVENTS:
        errors["events"] = [f"一次最多上报{MAX_EVENTS}件事件"]
    photos = [p for p in (photos or []) if p]
    if len(photos) > MAX_PHOTOS:
        errors["photos"] = [f"最多上传{MAX_PHOTOS}张照片"]
    if errors:
        raise ServiceError("invalid", "巡查记录有误：" + next(iter(errors.values()))[0], errors)
    patrol = Patrol.objects.create(
        grid=grid,
        worker=person,
        started_at=started_at,
        ended_at=ended_at,
        seen=seen,
        checked=checked,
        route=clean_route,
        distance_m=distance,
        submission_key=submission_key or None,
    )
    for p in photos:
        store_attachment(p, owner=patrol, place=grid.village, actor=actor)
    audit.record_create(actor, patrol)
    cases = [_open_event(grid, patrol, event, i, actor) for i, event in enumerate(events)]
    patrol.cases.set(cases)
    return patrol


def _open_event(grid, patrol, event, index, actor):
    """An event found on patrol: a case of its category, routed by the case engine as any other."""
    from shuxiang.cases import services as cases

    if not isinstance(event, dict):
        raise ServiceError("invalid", "事件格式有误", {"events": ["应为 {category, description}"]})
    hamlets = list(grid.hamlets.all()[:1])
    place = hamlets[0] if hamlets else grid.village
    by = Actor.on_behalf(actor.person, via="governance") if actor.is_person else actor
    try:
        return cases.do_open_case(
            actor=by,
            category=event.get("category"),
            description=event.get("description", ""),
            place=place,
            latitude=event.get("latitude"),
            longitude=event.get("longitude"),
            channel="staff",
            source_ref=f"governance.patrol:{patrol.pk}",
            submission_key=f"governance.patrol:{patrol.pk}:{index}",
        )
    except ServiceError as exc:
        fields = {f"events[{index}].{k}": v for k, v in exc.fields.items()} or {"events": [exc.message]}
        raise ServiceError(
            exc.code, f"第{index + 1}件事件：{exc.message}", fields, status=exc.status
        ) from exc
