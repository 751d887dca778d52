"""What livestock derives from raw telemetry, and writes back into iot as readings of its own keys,
so the iot engine's rules (thresholds and durations people edit) raise the alarms:

- FDROP on a pen's feeder: how far (%) the last 24 hours' feed fell below the mean of the 7 days
  before — an early sign of illness. The rule "采食量下降" fires above the configured percent.
- DOF on a pond's station: the dawn minimum of dissolved oxygen projected from the night's decline
  so far. The rule "预测黎明缺氧" fires below the species' forecast threshold, hours before the
  fixed low-oxygen alarm would.

Both run as the system actor "livestock" (grant: iot.reading.add) through `iot.services.do_ingest`.
"""

from dataclasses import dataclass
from datetime import datetime, time, timedelta

from django.db.models import Max, Q, Sum
from django.utils import timezone

from shuxiang.core.actors import Actor
from shuxiang.core.context import origin
from shuxiang.iot import services as iot
from shuxiang.iot.models import Reading, Sensor
from shuxiang.livestock import standards

DAY = timedelta(hours=24)


def _actor():
    return Actor.system("livestock")


# --- feed -----------------------------------------------------------------------------------


def _feed_sensor(device_id):
    return Sensor.objects.filter(device_id=device_id, key="FEED").values_list("pk", flat=True).first()


def feed_between(device_id, start, end) -> float:
    sensor = _feed_sensor(device_id)
    if sensor is None:
        return 0.0
    total = Reading.objects.filter(sensor_id=sensor, ts__gt=start, ts__lte=end).aggregate(s=Sum("value"))["s"]
    return float(total or 0.0)


@dataclass
class Intake:
    last_24h: float  # kg
    mean_7d: float  # kg per 24 h over the 7 days before
    per_head: float | None  # kg per head, last 24 h
    drop_percent: float | None  # positive: below the mean
    last_report: datetime | None = None


def _windows(now):
    return {
        "last": Sum("value", filter=Q(ts__gt=now - DAY)),
        "week": Sum("value", filter=Q(ts__lte=now - DAY)),
        "latest": Max("ts"),
    }


def _intake_of(pen, row) -> Intake:
    last, mean = float(row.get("last") or 0.0), float(row.get("week") or 0.0) / 7
    drop = round((1 - last / mean) * 100, 1) if mean > 0 else None
    per_head = round(last / pen.head_count, 2) if pen.head_count else None
    return Intake(round(last, 1), round(mean, 1), per_head, drop, row.get("latest"))


def intake(pen, now=None) -> Intake:
    """The last 24 hours' feed of the pen against the 7 days before, in one query."""
    now = now or timezone.now()
    sensor = _feed_sensor(pen.feeder_id) if pen.feeder_id else None
    row = {}
    if sensor is not None:
        row = Reading.objects.filter(sensor_id=sensor, ts__gt=now - 8 * DAY, ts__lte=now).aggregate(
            **_windows(now)
        )
    return _intake_of(pen, row)


def intakes(pens, now=None) -> dict:
    """`intake` for many pens (a farm page) in one grouped query: pen id → Intake."""
    now = now or timezone.now()
    pens = list(pens)
    rows = (
        Reading.objects.filter(
            sensor__key="FEED",
            sensor__device__pen_fed__in=[p.pk for p in pens],
            ts__gt=now - 8 * DAY,
            ts__lte=now,
        )
        .values("sensor__device__pen_fed")
        .annotate(**_windows(now))
        .order_by()
    )
    by_pen = {r["sensor__device__pen_fed"]: r for r in rows}
    return {p.pk: _intake_of(p, by_pen.get(p.pk, {})) for p in pens if p.feeder_id}


def do_check_intake(pen, *, actor, now=None) -> float | None:
    """Write the pen's FDROP (the rule on it decides whether it is an alarm). None: no history yet.
    `actor` reports the computed value as the feeder would (the livestock system actor in the periodic task)."""
    if pen.feeder_id is None:
        return None
    now = now or timezone.now()
    result = intake(pen, now)
    # a silent feeder says nothing about the pigs: its own no-data rule raises 饲喂器离线
    if result.drop_percent is None or result.last_report is None or result.last_report <= now - DAY / 4:
        return None
    with origin("task"):
        iot.do_ingest_one(
            pen.feeder.code, [("FDROP", now, max(result.drop_percent, -1000))], actor=actor, now=now
        )
    return result.drop_percent


def check_all_intakes(now=None) -> int:
    from shuxiang.livestock.models import Pen

    n = 0
    for pen in Pen.objects.filter(feeder__isnull=False, feeder__is_active=True).select_related("feeder"):
        n += do_check_intake(pen, actor=_actor(), now=now) is not None
    return n


def feed_conversion(farm, days=30, now=None) -> float | None:
    """Feed (kg) over the gain sold (kg) of the last `days`: sales' weight minus purchases' weight."""
    from shuxiang.livestock.choices import EntryKind
    from shuxiang.livestock.models import HerdEntry

    now = now or timezone.now()
    start = now - timedelta(days=days)
    feed = Reading.objects.filter(
        sensor__key="FEED", sensor__device__pen_fed__farm=farm, ts__gt=start, ts__lte=now
    ).aggregate(s=Sum("value"))["s"]
    weights = HerdEntry.objects.filter(
        pen__farm=farm, occurred_at__gt=start, weight_kg__isnull=False
    ).aggregate(
        sold=Sum("weight_kg", filter=Q(kind=EntryKind.SALE)),
        bought=Sum("weight_kg", filter=Q(kind=EntryKind.PURCHASE)),
    )
    gain = (weights["sold"] or 0) - (weights["bought"] or 0)
    return round(feed / gain, 2) if feed and gain > 0 else None


# --- night oxygen ---------------------------------------------------------------------------


def _night_start(now_local: datetime) -> datetime:
    """The dusk that began the night `now_local` is in (today's, or yesterday's before dawn)."""
    figures = standards.load()
    dusk = now_local.replace(hour=figures["dusk_hour"], minute=0, second=0, microsecond=0)
    return dusk if now_local >= dusk else dusk - timedelta(days=1)


def _dawn(night_start: datetime) -> datetime:
    hour = standards.load()["dawn_hour"]
    return timezone.make_aware(
        datetime.combine(night_start.date() + timedelta(days=1), time(hour)), night_start.tzinfo
    )


def project_dawn(points, dawn: datetime) -> float | None:
    """Least-squares line through (time, DO) of the night so far, read at dawn. Needs ≥ 6 points over
    ≥ 1 hour; a rising or flat night projects the last value (no decline to extrapolate)."""
    if len(points) < 6 or (points[-1][0] - points[0][0]) < timedelta(hours=1):
        return None
    t0 = points[0][0]
    xs = [(t - t0).total_seconds() / 3600 for t, _ in points]
    ys = [v for _, v in points]
    n = len(xs)
    mx, my = sum(xs) / n, sum(ys) / n
    sxx = sum((x - mx) ** 2 for x in xs)
    slope = sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True)) / sxx
    if slope >= 0:
        return round(ys[-1], 2)
    at = (dawn - t0).total_seconds() / 3600
    return round(my + slope * (at - mx), 2)


def forecast_dawn(pond, now=None) -> tuple[float | None, datetime | None]:
    """(projected dawn DO in mg/L, dawn) for the night `now` is in; (None, None) in the day."""
    now = now or timezone.now()
    local = timezone.localtime(now)
    start = _night_start(local)
    dawn = _dawn(start)
    if local >= dawn:
        return None, None
    sensor = Sensor.objects.filter(device_id=pond.device_id, key="DO").values_list("pk", flat=True).first()
    if sensor is None:
        return None, dawn
    # the last three hours of the night carry the current rate of decline (sunset photosynthesis ends)
    since = max(start, now - timedelta(hours=3))
    points = list(
        Reading.objects.filter(sensor_id=sensor, ts__gte=since, ts__lte=now)
        .order_by("ts")
        .values_list("ts", "value")
    )
    return project_dawn(points, dawn), dawn


def do_forecast_oxygen(pond, *, actor, now=None) -> float | None:
    """Write the pond's DOF; the rule on it warns when the projection is under the species' threshold."""
    if pond.device_id is None:
        return None
    now = now or timezone.now()
    value, _ = forecast_dawn(pond, now)
    if value is None:
        return None
    with origin("task"):
        iot.do_ingest_one(pond.device.code, [("DOF", now, max(min(value, 30), -50))], actor=actor, now=now)
    return value


def forecast_all_ponds(now=None) -> int:
    from shuxiang.livestock.models import Pond

    n = 0
    for pond in Pond.objects.filter(device__isnull=False, device__is_active=True).select_related("device"):
        n += do_forecast_oxygen(pond, actor=_actor(), now=now) is not None
    return n
