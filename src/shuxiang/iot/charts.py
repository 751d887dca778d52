"""Chart series for a sensor: raw for a day, hourly rollups for a month, daily for a year."""

from datetime import timedelta

from django.utils import timezone

from shuxiang.iot.models import Reading, Rollup, RollupPeriod

RANGES = {
    "24h": (timedelta(hours=24), None),
    "30d": (timedelta(days=30), "hour"),
    "1y": (timedelta(days=365), "day"),
}


def series(sensor, range_name: str) -> dict:
    span, period = RANGES.get(range_name, RANGES["24h"])
    since = timezone.now() - span
    if period is None:
        points = [
            [timezone.localtime(ts).isoformat(), value]
            for ts, value in Reading.objects.filter(sensor=sensor, ts__gte=since)
            .order_by("ts")
            .values_list("ts", "value")[:5000]
        ]
        bands = []
    else:
        rows = Rollup.objects.filter(sensor=sensor, period=RollupPeriod(period), start__gte=since).order_by(
            "start"
        )
        points, bands = [], []
        for r in rows:
            stamp = timezone.localtime(r.start).isoformat()
            points.append([stamp, round(r.avg, 3)])
            bands.append([stamp, r.min, r.max])
    return {
        "key": sensor.key,
        "name": sensor.label,
        "unit": sensor.unit,
        "range": range_name if range_name in RANGES else "24h",
        "points": points,
        "bands": bands,
    }
