"""Hourly (UTC) and daily (Beijing day) summaries of readings, and the retention of raw readings."""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from django.db import transaction
from django.db.models import Avg, Count, Max, Min
from django.db.models.functions import TruncDay, TruncHour
from django.utils import timezone

from shuxiang.iot import conf
from shuxiang.iot.models import Reading, Rollup, RollupPeriod

BEIJING = ZoneInfo("Asia/Shanghai")


def _upsert(period, rows):
    objs = [
        Rollup(
            sensor_id=r["sensor_id"],
            period=period,
            start=r["bucket"],
            count=r["n"],
            min=r["lo"],
            max=r["hi"],
            avg=r["mean"],
        )
        for r in rows
    ]
    if objs:
        Rollup.objects.bulk_create(
            objs,
            batch_size=1000,
            update_conflicts=True,
            unique_fields=["sensor", "period", "start"],
            update_fields=["count", "min", "max", "avg"],
        )
    return len(objs)


def _aggregate(start, end, trunc, sensor_ids=None):
    qs = Reading.objects.filter(ts__gte=start, ts__lt=end)
    if sensor_ids is not None:
        qs = qs.filter(sensor_id__in=sensor_ids)
    return (
        qs.annotate(bucket=trunc)
        .values("sensor_id", "bucket")
        .annotate(n=Count("value"), lo=Min("value"), hi=Max("value"), mean=Avg("value"))
        .order_by()
    )


@transaction.atomic
def rollup_range(start: datetime, end: datetime, sensor_ids=None) -> int:
    """Recompute the hourly and daily rollups touching [start, end) (idempotent: rewrites the buckets)."""
    hour_start = start.astimezone(UTC).replace(minute=0, second=0, microsecond=0)
    day_start = timezone.localtime(start, BEIJING).replace(hour=0, minute=0, second=0, microsecond=0)
    day_end = timezone.localtime(end, BEIJING).replace(hour=0, minute=0, second=0, microsecond=0) + timedelta(
        days=1
    )
    n = _upsert(RollupPeriod.HOUR, _aggregate(hour_start, end, TruncHour("ts", tzinfo=UTC), sensor_ids))
    n += _upsert(RollupPeriod.DAY, _aggregate(day_start, day_end, TruncDay("ts", tzinfo=BEIJING), sensor_ids))
    return n


def rollup_recent(now=None) -> int:
    """The periodic job: the last two hours (late readings land in the previous hour too)."""
    now = now or timezone.now()
    return rollup_range(now - timedelta(hours=2), now)


def purge_old_readings(now=None, chunk=50_000) -> int:
    """Remove raw readings older than SHUXIANG_IOT_RETENTION_DAYS; rollups keep the long view. On
    PostgreSQL whole months go at once (their partitions detached and dropped); what is left before the
    horizon — part of one month, or everything on SQLite — is deleted in chunks."""
    from shuxiang.iot import partitions

    now = now or timezone.now()
    cutoff = now - timedelta(days=conf.RETENTION_DAYS)
    partitions.drop_before(cutoff)
    deleted = 0
    while True:
        with transaction.atomic():
            batch = list(Reading.objects.filter(ts__lt=cutoff).values_list("sensor_id", "ts")[:chunk])
            if not batch:
                return deleted
            by_sensor = {}
            for sid, ts in batch:
                by_sensor.setdefault(sid, []).append(ts)
            for sid, stamps in by_sensor.items():
                Reading.objects.filter(sensor_id=sid, ts__lte=max(stamps), ts__lt=cutoff).delete()
            deleted += len(batch)
