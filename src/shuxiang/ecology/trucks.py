"""Garbage trucks: the registry, their JT/T 808 tracks, the collection points they stopped at (visits) and
the track check of collection records (轨迹核验).

A truck's terminal is an iot device (protocol jt808); its positions are that device's `lat`/`lon`
readings, read through machinery's `track_points` when machinery is installed (ecology does not read
the terminal protocol itself). Without machinery, or without a terminal, a truck has its manual records
only. Visits and the check are computed from the track every time they are shown — nobody types them.
"""

import math
import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.apps import apps
from django.db import transaction
from django.utils import timezone

from shuxiang.core import audit
from shuxiang.core.errors import ServiceError
from shuxiang.core.permissions import require
from shuxiang.ecology.models import CollectionPoint, CollectionRecord, Truck
from shuxiang.iot.models import Device

# A stop counts as a visit to a collection point when consecutive positions stay within VISIT_RADIUS_M of
# it for at least VISIT_MIN_STAY: emptying a bin takes minutes, and 50 m covers a BeiDou fix's error plus
# parking beside the bins; a truck driving past at 20–40 km/h stays inside 50 m for seconds, not minutes.
VISIT_RADIUS_M = 50.0
VISIT_MIN_STAY = timedelta(minutes=2)
# A record is checked against the track within ±2 h of its time: records are often typed afterwards from
# memory or a paper sheet, so the time is approximate; more than two hours off is not the same trip.
CHECK_WINDOW = timedelta(hours=2)

MATCHED, NOT_REACHED, NO_TRACK = "符合", "未到达", "无轨迹"

# 湘H·D1234, 湘HD1234, 湘H D12345 (new energy), 湘H·1234挂: province, letter, 4–6 letters/digits/挂学警
PLATE_RE = re.compile(r"^[\u4e00-\u9fa5][A-Z]·[A-Z0-9]{4,6}[挂学警]?$")
SEPARATORS = re.compile(r"[\s·.\-•・]")
TERMINAL_PROTOCOL = "jt808"


def canonical_plate(text: str) -> str:
    """One spelling per plate (湘H·D1234) so a record typed as 湘HD1234 or 湘H-D1234 finds its truck."""
    bare = SEPARATORS.sub("", text or "").upper()
    return f"{bare[:2]}·{bare[2:]}" if len(bare) > 2 else bare


def truck_for_plate(text: str) -> Truck | None:
    plate = canonical_plate(text)
    return Truck.objects.filter(plate=plate).first() if plate else None


# --- the registry ---------------------------------------------------------------------------------------


def _terminal(code, errors, *, truck=None):
    code = (code or "").strip()
    if not code:
        return None
    device = Device.objects.filter(code=code).first()
    if device is None:
        errors["terminal"] = [f"终端 {code} 未在物联感知中登记"]
    elif device.protocol != TERMINAL_PROTOCOL:
        errors["terminal"] = [f"终端 {code} 不是 JT/T 808 车载终端"]
    elif Truck.objects.filter(terminal=device).exclude(pk=getattr(truck, "pk", None)).exists():
        errors["terminal"] = [f"终端 {code} 已装在另一辆清运车上"]
    else:
        return device
    return None


def _check(values, errors):
    if "unit" in values and not (values["unit"] or "").strip():
        errors["unit"] = ["请填写运营单位"]
    capacity = values.get("capacity_t")
    if capacity is not None and (
        type(capacity) is bool
        or not isinstance(capacity, int | float)
        or not math.isfinite(capacity)
        or not 0 < capacity <= 100
    ):
        errors["capacity_t"] = ["载重应在 0–100 吨之间"]
    place = values.get("place", ...)
    if place is None:
        errors["place"] = ["请选择所属乡镇或区"]
    elif place is not ... and place.level not in (1, 2):
        errors["place"] = ["清运车属于乡镇或区，不属于村"]


@transaction.atomic
def do_register_truck(
    *, actor, plate, unit, place, capacity_t=None, terminal_code="", is_active=True, synthetic=False
) -> Truck:
    """A garbage truck in the registry; `terminal_code`: its JT/T 808 terminal, already added in iot."""
    require(actor, "ecology.truck.add")
    errors = {}
    plate = canonical_plate(plate)
    if not PLATE_RE.match(plate):
        errors["plate"] = ["车牌号格式应如 湘H·D1234"]
    elif Truck.objects.filter(plate=plate).exists():
        errors["plate"] = [f"车牌 {plate} 已登记"]
    _check({"unit": unit, "capacity_t": capacity_t, "place": place}, errors)
    terminal = _terminal(terminal_code, errors)
    if errors:
        raise ServiceError("invalid", "清运车信息有误", errors)
    require(actor, "ecology.truck.add", place)
    truck = Truck.objects.create(
        plate=plate,
        unit=unit.strip()[:60],
        place=place,
        capacity_t=float(capacity_t) if capacity_t is not None else None,
        terminal=terminal,
        is_active=bool(is_active),
        synthetic=synthetic,
    )
    audit.record_create(actor, truck)
    # earlier manual records naming this plate now belong to the truck (the plate string stays as typed)
    _link_records(truck)
    return truck


UPDATABLE = ("unit", "place", "capacity_t", "terminal_code", "is_active")


@transaction.atomic
def do_update_truck(truck: Truck, *, actor, **changes) -> Truck:
    """Change a truck's unit, place, capacity, terminal ('' removes it) or whether it is in use. The
    plate is its identity: a re-plated truck is a new registration."""
    require(actor, "ecology.truck.change", truck)
    unknown = set(changes) - set(UPDATABLE)
    if unknown:
        raise ServiceError("invalid", "清运车信息有误", {k: ["不可修改"] for k in sorted(unknown)})
    errors = {}
    _check(changes, errors)
    terminal = truck.terminal
    if "terminal_code" in changes:
        terminal = _terminal(changes["terminal_code"], errors, truck=truck)
    if errors:
        raise ServiceError("invalid", "清运车信息有误", errors)
    if "place" in changes:
        require(actor, "ecology.truck.change", changes["place"])
    before = audit.snapshot(truck)
    for key in ("unit", "place", "capacity_t", "is_active"):
        if key in changes:
            value = changes[key]
            if key == "unit":
                value = value.strip()[:60]
            elif key == "capacity_t" and value is not None:
                value = float(value)
            setattr(truck, key, value)
    truck.terminal = terminal
    truck.save()
    audit.record_update(actor, truck, before)
    return truck


def _link_records(truck: Truck) -> int:
    plates = {truck.plate, truck.plate.replace("·", "")}
    return CollectionRecord.objects.filter(registered_truck__isnull=True, truck__in=plates).update(
        registered_truck=truck
    )


# --- tracks and visits ---------------------------------------------------------------------------------


def tracks_available() -> bool:
    """Tracks are read through machinery (JT/T 808 positions as it stores them) when it is installed."""
    return apps.is_installed("shuxiang.machinery")


def track_of(truck: Truck, start: datetime, end: datetime):
    """The truck's positions in [start, end), or None when it has no terminal or tracks cannot be read."""
    if truck.terminal_id is None or not tracks_available():
        return None
    from shuxiang.machinery.services import track_points

    return [p for p in track_points(truck.terminal_id, start, end) if p.positioned]


def day_bounds(day: date) -> tuple[datetime, datetime]:
    """A calendar day in Beijing time (the platform's time zone) as [start, end)."""
    start = timezone.make_aware(datetime.combine(day, time()))
    return start, timezone.make_aware(datetime.combine(day + timedelta(days=1), time()))


def parse_day(text) -> date:
    if not text:
        return timezone.localdate()
    try:
        return date.fromisoformat(str(text))
    except ValueError:
        raise ServiceError("invalid", "日期格式应为 YYYY-MM-DD", {"date": ["日期无效"]}) from None


def metres(lat1, lon1, lat2, lon2) -> float:
    """Distance on the ground; an equirectangular approximation is exact enough within a few km."""
    k = math.cos(math.radians((lat1 + lat2) / 2))
    return 6371000.0 * math.hypot(math.radians(lat2 - lat1), math.radians(lon2 - lon1) * k)


@dataclass
class Visit:
    point: CollectionPoint
    arrived: datetime
    left: datetime
    fixes: int

    @property
    def minutes(self) -> float:
        return round((self.left - self.arrived).total_seconds() / 60, 1)


def find_visits(track, points) -> list[Visit]:
    """The stops of a track at collection points: runs of consecutive positions within VISIT_RADIUS_M of
    a point lasting VISIT_MIN_STAY or more. `points`: collection points with coordinates."""
    if not track:
        return []
    margin = 0.001  # ~100 m in degrees: points far from the whole track are not looked at
    lats = [p.lat for p in track]
    lons = [p.lon for p in track]
    south, north, west, east = min(lats) - margin, max(lats) + margin, min(lons) - margin, max(lons) + margin
    visits = []
    for point in points:
        if point.latitude is None or point.longitude is None:
            continue
        if not (south <= point.latitude <= north and west <= point.longitude <= east):
            continue
        run = []
        for fix in [*track, None]:
            near = fix is not None and (
                metres(fix.lat, fix.lon, point.latitude, point.longitude) <= VISIT_RADIUS_M
            )
            if near:
                run.append(fix)
                continue
            if run and run[-1].ts - run[0].ts >= VISIT_MIN_STAY:
                visits.append(Visit(point, run[0].ts, run[-1].ts, len(run)))
            run = []
    visits.sort(key=lambda v: v.arrived)
    return visits


def candidate_points(user=None):
    qs = CollectionPoint.objects.restrict(user) if user is not None else CollectionPoint.objects.all()
    return qs.filter(is_active=True, latitude__isnull=False, longitude__isnull=False).select_related("place")


def visits_of_day(truck: Truck, day: date, user=None):
    """(track, visits) of a truck for a day; track None when it has no terminal or tracks are unread."""
    start, end = day_bounds(day)
    track = track_of(truck, start, end)
    if track is None:
        return None, []
    if not track:
        return track, []
    return track, find_visits(track, _points_near(track, user))


def _points_near(track, user=None):
    margin = 0.001
    lats = [p.lat for p in track]
    lons = [p.lon for p in track]
    return list(
        candidate_points(user).filter(
            latitude__gte=min(lats) - margin,
            latitude__lte=max(lats) + margin,
            longitude__gte=min(lons) - margin,
            longitude__lte=max(lons) + margin,
        )
    )


# --- the track check of records (轨迹核验) ---------------------------------------------------------------


def check_records(records) -> dict[int, str]:
    """For each record whose registered truck has a terminal: 符合 (the track stopped at the record's point
    within ±CHECK_WINDOW of its time), 未到达 (the track is there but never stopped at the point), 无轨迹 (no
    positions in that window). Records without such a truck are left out (manual records, unchecked).
    One track read per truck covering its records' windows."""
    by_truck: dict[int, list] = {}
    trucks = {}
    for r in records:
        t = r.registered_truck
        if t is None or t.terminal_id is None:
            continue
        trucks[t.pk] = t
        by_truck.setdefault(t.pk, []).append(r)
    out: dict[int, str] = {}
    if not tracks_available():
        return out
    for pk, rows in by_truck.items():
        start = min(r.collected_at for r in rows) - CHECK_WINDOW
        end = max(r.collected_at for r in rows) + CHECK_WINDOW
        track = track_of(trucks[pk], start, end) or []
        stops = find_visits(track, {r.point for r in rows}) if track else []
        for r in rows:
            lo, hi = r.collected_at - CHECK_WINDOW, r.collected_at + CHECK_WINDOW
            if not any(lo <= fix.ts <= hi for fix in track):
                out[r.pk] = NO_TRACK
            elif any(v.point.pk == r.point_id and v.arrived <= hi and v.left >= lo for v in stops):
                out[r.pk] = MATCHED
            else:
                out[r.pk] = NOT_REACHED
    return out


def unmatched_count(user, since: datetime) -> int:
    """How many records since `since` the track says never reached their point (for the home page)."""
    records = (
        CollectionRecord.objects.restrict(user)
        .filter(collected_at__gte=since, registered_truck__terminal__isnull=False)
        .select_related("point", "registered_truck")
    )
    return sum(1 for v in check_records(list(records)).values() if v == NOT_REACHED)
