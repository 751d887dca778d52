"""The plan's reservoir figure counted from telemetry, registered with the indicators engine.

"小型水库监测管理系统覆盖数" is how many small reservoirs are actually watched: those whose station
reported in the 24 hours before the moment counted — now for the current quarter, the quarter's
last moment for a past one. A reservoir whose RTU went silent drops out of the figure by itself;
nobody types it into a ledger. Rows are one per village holding such reservoirs (the number there),
which the engine sums up the place tree.
"""

from datetime import datetime, time, timedelta

from django.db.models import Count, Exists, OuterRef
from django.utils import timezone

from shuxiang.indicators.registry import register_source

SOURCE = "water.reservoirs_reporting"
WINDOW = timedelta(hours=24)


def counted_at(period, now=None) -> datetime:
    """The moment a quarter's figure stands for: its last instant (Beijing time), or now if later."""
    now = now or timezone.now()
    end = timezone.make_aware(datetime.combine(period.end, time.max), timezone.get_current_timezone())
    return min(end, now)


def reservoirs_reporting(period, now=None):
    from shuxiang.iot.models import Reading
    from shuxiang.water.models import Reservoir

    moment = counted_at(period, now)
    recent = Reading.objects.filter(sensor__device=OuterRef("device"), ts__gt=moment - WINDOW, ts__lte=moment)
    rows = (
        Reservoir.objects.filter(device__isnull=False)
        .filter(Exists(recent))
        .values("place_id")
        .annotate(n=Count("pk"))
        .order_by()
    )
    return [(row["place_id"], row["n"], None) for row in rows]


register_source(SOURCE, "小型水库遥测站近24小时有数据（水利·遥测）", reservoirs_reporting)
