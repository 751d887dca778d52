"""The plan's farmland figures, computed from this app's data and registered with the indicators engine.

Task 2 of the plan (完善永久基本农田数据库 … "非农化""非粮化"动态监测) and task 8 (数字种植业, 智能化育秧工厂)
are followed by figures nobody types: rows are one per village (or per factory's village), which the
engine sums up the place tree.

- farmland.permanent_area — 永久基本农田面积（亩）: the current polygons of the layer, areas from geometry.
- farmland.grain_area — 粮食播种面积（亩）: grain plantings of every season of the period's year sown by
  the period's end (a field sown twice counts twice, as 播种面积 does).
- farmland.findings_on_time — 问题按期整改率: findings whose deadline fell by the period's end, and of
  them those rectified by their deadline.
- farmland.rice_machine_area — 水稻机插面积（亩）: rice fields of the year transplanted by machine.
- farmland.seedling_trays — 育秧工厂交付秧盘（盘）: trays delivered in the year.
"""

from collections import defaultdict
from datetime import datetime, time
from decimal import Decimal

from django.db.models import Count, Q, Sum
from django.utils import timezone

from shuxiang.farmland.choices import GRAIN_CROPS, M2_PER_MU, SEASON_START_MONTH
from shuxiang.indicators.registry import register_source


def _rows(values):
    return [(place_id, Decimal(f"{total / M2_PER_MU:.1f}"), None) for place_id, total in values if total]


def permanent_area(period, now=None):
    from shuxiang.farmland.models import Parcel

    rows = (
        Parcel.objects.filter(kind="permanent", retired_at__isnull=True)
        .values("place_id")
        .annotate(total=Sum("area_m2"))
        .order_by()
        .values_list("place_id", "total")
    )
    return _rows(rows)


def _seasons_sown_by(period) -> list[str]:
    return [
        f"{period.year}-{part}" for part, month in SEASON_START_MONTH.items() if month <= period.end.month
    ]


def grain_area(period, now=None):
    from shuxiang.farmland.models import Planting

    rows = (
        Planting.objects.filter(season__in=_seasons_sown_by(period), crop__in=GRAIN_CROPS)
        .values("parcel__place_id")
        .annotate(total=Sum("area_m2"))
        .order_by()
        .values_list("parcel__place_id", "total")
    )
    return _rows(rows)


def findings_on_time(period, now=None):
    from shuxiang.farmland.models import Finding

    due = Finding.objects.filter(deadline__lte=period.end).exclude(status="dismissed")
    end = timezone.make_aware(datetime.combine(period.end, time.max), timezone.get_current_timezone())
    counts = defaultdict(lambda: [0, 0])
    for place_id, deadline, rectified_at in due.values_list("parcel__place_id", "deadline", "rectified_at"):
        counts[place_id][1] += 1
        if (
            rectified_at is not None
            and rectified_at <= end
            and timezone.localtime(rectified_at).date() <= deadline
        ):
            counts[place_id][0] += 1
    return [(place_id, on_time, total) for place_id, (on_time, total) in counts.items()]


def rice_machine_area(period, now=None):
    from shuxiang.farmland.models import RiceSeason

    rows = (
        RiceSeason.objects.filter(season__in=_seasons_sown_by(period), transplant="machine")
        .values("parcel__place_id")
        .annotate(total=Sum("area_m2"))
        .order_by()
        .values_list("parcel__place_id", "total")
    )
    return _rows(rows)


def seedling_trays(period, now=None):
    from shuxiang.farmland.models import SeedlingBatch

    rows = (
        SeedlingBatch.objects.filter(delivered_on__year=period.year, delivered_on__lte=period.end)
        .values("factory__place_id")
        .annotate(total=Sum("delivered_trays"), n=Count("pk"))
        .order_by()
        .filter(~Q(total=0))
    )
    return [(r["factory__place_id"], r["total"], None) for r in rows]


register_source("farmland.permanent_area", "永久基本农田图层面积（耕地·图层）", permanent_area)
register_source("farmland.grain_area", "粮食作物播种面积（耕地·种植记录）", grain_area)
register_source("farmland.findings_on_time", "非农化非粮化问题按期整改（耕地·监测）", findings_on_time)
register_source("farmland.rice_machine_area", "水稻机插秧面积（水稻平台）", rice_machine_area)
register_source("farmland.seedling_trays", "育秧工厂交付秧盘数（育秧工厂）", seedling_trays)
