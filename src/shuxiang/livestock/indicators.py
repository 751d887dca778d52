"""The plan's livestock, fishery and cold-chain figures, counted from the registry and telemetry.

- `livestock.pigs_on_digital_feeding` (数字化饲喂系统覆盖生猪, 万头): the head count, at the moment
  counted, of pens whose feeder reported in the 24 hours before it. A pen whose feeder went silent
  drops out by itself. The head count at a past moment is today's minus the entries recorded after it.
- `livestock.pig_stock_registered` (万头): the head count of every registered pen at that moment.
- `livestock.farms_with_manure`: pig farms with a manure facility (type and storage capacity).
- `livestock.ponds_online`: ponds whose station reported in the 24 hours before the moment.
- `livestock.cold_capacity_pilot` (吨): cold-store capacity in the pilot townships of data/standards.yaml.

The moment is now for the current quarter, the quarter's last instant for a past one. Rows are one
per village (the engine sums them up the place tree).
"""

from collections import defaultdict
from datetime import datetime, time, timedelta
from decimal import Decimal

from django.db.models import Exists, OuterRef, Sum
from django.utils import timezone

from shuxiang.indicators.registry import register_source
from shuxiang.livestock import standards

WINDOW = timedelta(hours=24)
TEN_THOUSAND = Decimal(10000)


def counted_at(period, now=None) -> datetime:
    now = now or timezone.now()
    end = timezone.make_aware(datetime.combine(period.end, time.max), timezone.get_current_timezone())
    return min(end, now)


def _heads_at(pens, moment) -> dict[int, int]:
    """Head count per pen at `moment`: the current count minus what entries after it changed."""
    from shuxiang.livestock.models import HerdEntry

    heads = dict(pens.values_list("pk", "head_count"))
    later = (
        HerdEntry.objects.filter(pen_id__in=list(heads), occurred_at__gt=moment)
        .values("pen_id")
        .annotate(d=Sum("delta"))
        .order_by()
    )
    for row in later:
        heads[row["pen_id"]] -= row["d"]
    return heads


def _by_village(pens, moment) -> list:
    villages = dict(pens.values_list("pk", "farm__place_id"))
    totals: dict[int, int] = defaultdict(int)
    for pen_id, n in _heads_at(pens, moment).items():
        totals[villages[pen_id]] += max(n, 0)
    return [(place, Decimal(n) / TEN_THOUSAND, None) for place, n in sorted(totals.items()) if n]


def pigs_on_digital_feeding(period, now=None):
    from shuxiang.iot.models import Reading
    from shuxiang.livestock.models import Pen

    moment = counted_at(period, now)
    recent = Reading.objects.filter(
        sensor__device=OuterRef("feeder"), sensor__key="FEED", ts__gt=moment - WINDOW, ts__lte=moment
    )
    return _by_village(Pen.objects.filter(feeder__isnull=False).filter(Exists(recent)), moment)


def pig_stock_registered(period, now=None):
    from shuxiang.livestock.models import Pen

    return _by_village(Pen.objects.filter(farm__kind="pig"), counted_at(period, now))


def farms_with_manure(period, now=None):
    from django.db.models import Count

    from shuxiang.livestock.models import Farm

    rows = (
        Farm.objects.filter(kind="pig", manure_capacity_m3__gt=0)
        .exclude(manure_type="none")
        .values("place_id")
        .annotate(n=Count("pk"))
        .order_by()
    )
    return [(r["place_id"], r["n"], None) for r in rows]


def ponds_online(period, now=None):
    from django.db.models import Count

    from shuxiang.iot.models import Reading
    from shuxiang.livestock.models import Pond

    moment = counted_at(period, now)
    recent = Reading.objects.filter(
        sensor__device=OuterRef("device"), sensor__key="DO", ts__gt=moment - WINDOW, ts__lte=moment
    )
    rows = (
        Pond.objects.filter(device__isnull=False)
        .filter(Exists(recent))
        .values("place_id")
        .annotate(n=Count("pk"))
    )
    return [(r["place_id"], r["n"], None) for r in rows.order_by()]


def cold_capacity_pilot(period, now=None):
    from shuxiang.livestock.models import ColdStore

    pilots = standards.load()["cold_pilot_townships"]
    rows = (
        ColdStore.objects.filter(place__parent__name__in=pilots)
        .values("place_id")
        .annotate(t=Sum("capacity_t"))
        .order_by()
    )
    return [(r["place_id"], Decimal(str(r["t"])), None) for r in rows]


register_source(
    "livestock.pigs_on_digital_feeding",
    "饲喂器近24小时有数据的栏舍存栏（畜牧·饲喂）",
    pigs_on_digital_feeding,
)
register_source("livestock.pig_stock_registered", "登记栏舍存栏（畜牧·存栏台账）", pig_stock_registered)
register_source("livestock.farms_with_manure", "配套粪污处理设施的生猪养殖场（畜牧）", farms_with_manure)
register_source("livestock.ponds_online", "水质监测站近24小时有数据的池塘（渔业·遥测）", ponds_online)
register_source("livestock.cold_capacity_pilot", "试点乡镇冷库库容（冷链）", cold_capacity_pilot)
