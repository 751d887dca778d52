"""The machinery figures the plan follows, counted from the data (never typed), for the indicators engine.

- `machinery.operated_mu`: 亩 worked by machines in the period (net area of operations measured from
  tracks), per place of the work;
- `machinery.rice_machine_planted` / `machinery.rice_machine_harvested`: share of the registered rice
  fields' area that got a machine transplanting/sowing (harvest) from the start of the year to the end
  of the period, per village (a quarter's figure is the year so far);
- `machinery.with_terminal`: machines with a BeiDou terminal over all registered machines, per village.
"""

from datetime import date, datetime, time
from decimal import Decimal

from django.db.models import Count, Q, Sum
from django.utils import timezone

from shuxiang.indicators.registry import register_source

M2_PER_MU = 10000 / 15


def _bounds(period):
    tz = timezone.get_current_timezone()
    start = timezone.make_aware(datetime.combine(period.start, time.min), tz)
    end = timezone.make_aware(datetime.combine(period.end, time.max), tz)
    return start, end


def _d(value) -> Decimal:
    return Decimal(str(round(value, 1)))


def operated_mu(period):
    from shuxiang.machinery.models import Operation

    start, end = _bounds(period)
    rows = (
        Operation.objects.filter(started_at__gte=start, started_at__lte=end)
        .values("place_id")
        .annotate(m2=Sum("net_m2"))
        .order_by()
    )
    return [(r["place_id"], _d(r["m2"] / M2_PER_MU), None) for r in rows]


def _rice_share(kinds):
    def compute(period):
        from shuxiang.machinery.models import Field, OperationField

        # from the start of the year: the figure of a quarter is the year so far (the plan's is yearly)
        start, end = _bounds(period)
        start = timezone.make_aware(datetime.combine(date(period.year, 1, 1), time.min), start.tzinfo)
        rice = Field.objects.filter(crop="水稻")
        total = dict(
            rice.values("place_id").annotate(m2=Sum("area_m2")).order_by().values_list("place_id", "m2")
        )
        done_ids = (
            OperationField.objects.filter(
                field__crop="水稻",
                operation__kind__in=kinds,
                operation__started_at__gte=start,
                operation__started_at__lte=end,
            )
            .values("field_id")
            .distinct()
        )
        done = dict(
            rice.filter(pk__in=done_ids)
            .values("place_id")
            .annotate(m2=Sum("area_m2"))
            .order_by()
            .values_list("place_id", "m2")
        )
        return [
            (place, _d(done.get(place, 0) / M2_PER_MU), _d(m2 / M2_PER_MU))
            for place, m2 in total.items()
            if m2
        ]

    return compute


def with_terminal(period):
    from shuxiang.machinery.models import Machine

    rows = (
        Machine.objects.values("place_id")
        .annotate(n=Count("pk"), t=Count("pk", filter=Q(device__isnull=False)))
        .order_by()
    )
    return [(r["place_id"], r["t"], r["n"]) for r in rows]


register_source("machinery.operated_mu", "农机作业面积（按北斗轨迹计算，亩）", operated_mu)
register_source(
    "machinery.rice_machine_planted",
    "水稻机插（机播）面积占比（按轨迹落在的水稻地块）",
    _rice_share(["transplant", "sow"]),
)
register_source(
    "machinery.rice_machine_harvested", "水稻机收面积占比（按轨迹落在的水稻地块）", _rice_share(["harvest"])
)
register_source("machinery.with_terminal", "装有北斗终端的农机占比", with_terminal)


def villages_bus_served(period):
    """Villages with a bus stop, and whether a bus of its routes reached one of its stops on the period's
    last day (yesterday for the current period): per village, served (0/1) over 1."""
    from datetime import timedelta

    from shuxiang.machinery.models import BusRoute
    from shuxiang.machinery.services import stops_served

    now = timezone.now()
    _start, end = _bounds(period)
    day_end = min(end, timezone.make_aware(datetime.combine(timezone.localdate(now), time.min), end.tzinfo))
    day_start = day_end - timedelta(days=1)
    villages: dict[int, int] = {}
    for route in BusRoute.objects.prefetch_related("stops", "devices"):
        visits = stops_served(route, day_start, day_end)
        for stop in route.stops.all():
            villages[stop.place_id] = max(villages.get(stop.place_id, 0), 1 if visits.get(stop.pk) else 0)
    return [(place, Decimal(served), Decimal(1)) for place, served in villages.items()]


register_source(
    "machinery.villages_bus_served", "设有客运站点且当日有班车到站的村（按车辆轨迹）", villages_bus_served
)
