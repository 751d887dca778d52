"""The fishery authority's monthly report: per township and species, the ponds, their water, what was
stocked, fed and harvested, and the month's dissolved oxygen (mean, lowest) from the stations."""

from dataclasses import asdict, dataclass
from datetime import date, datetime, time

from django.db.models import Avg, Count, Min, Q, Sum
from django.utils import timezone

from shuxiang.core.errors import ServiceError
from shuxiang.iot.models import Reading
from shuxiang.livestock.choices import Species
from shuxiang.livestock.models import PondRecord


@dataclass
class Row:
    township: str
    township_code: str
    species: str
    species_label: str
    ponds: int
    area_mu: float
    monitored: int
    stocked_count: int
    feed_kg: float
    harvest_kg: float
    do_mean: float | None
    do_min: float | None

    def as_dict(self):
        return asdict(self)


def parse_month(value) -> date:
    try:
        year, month = (int(x) for x in str(value or "").split("-"))
        return date(year, month, 1)
    except ValueError:
        raise ServiceError(
            "invalid", "月份格式应为 YYYY-MM，如 2026-07", {"month": ["格式应为 YYYY-MM"]}
        ) from None


def _bounds(month: date):
    nxt = date(month.year + (month.month == 12), month.month % 12 + 1, 1)
    tz = timezone.get_current_timezone()
    return (
        month,
        nxt,
        timezone.make_aware(datetime.combine(month, time()), tz),
        timezone.make_aware(datetime.combine(nxt, time()), tz),
    )


def monthly(ponds, month: date) -> list[Row]:
    """One row per (township, species) of the given ponds (already restricted to the reader)."""
    first, nxt, start, end = _bounds(month)
    groups = (
        ponds.values("place__parent__name", "place__parent__code", "species")
        .annotate(n=Count("pk"), area=Sum("area_mu"), monitored=Count("device"))
        .order_by("place__parent__code", "species")
    )
    records = (
        PondRecord.objects.filter(pond__in=ponds, on__gte=first, on__lt=nxt)
        .values("pond__place__parent__code", "pond__species")
        .annotate(
            stocked=Sum("count", filter=Q(kind="stocking")),
            feed=Sum("weight_kg", filter=Q(kind="feeding")),
            harvest=Sum("weight_kg", filter=Q(kind="harvest")),
        )
        .order_by()
    )
    by_group = {(r["pond__place__parent__code"], r["pond__species"]): r for r in records}
    oxygen = (
        Reading.objects.filter(
            sensor__key="DO",
            sensor__device__pond__in=ponds.filter(device__isnull=False),
            ts__gte=start,
            ts__lt=end,
        )
        .values("sensor__device__pond__place__parent__code", "sensor__device__pond__species")
        .annotate(mean=Avg("value"), low=Min("value"))
        .order_by()
    )
    by_oxygen = {
        (r["sensor__device__pond__place__parent__code"], r["sensor__device__pond__species"]): r
        for r in oxygen
    }
    rows = []
    for g in groups:
        key = (g["place__parent__code"], g["species"])
        rec, ox = by_group.get(key, {}), by_oxygen.get(key, {})
        rows.append(
            Row(
                township=g["place__parent__name"] or "",
                township_code=g["place__parent__code"] or "",
                species=g["species"],
                species_label=Species(g["species"]).label,
                ponds=g["n"],
                area_mu=round(g["area"] or 0, 1),
                monitored=g["monitored"],
                stocked_count=rec.get("stocked") or 0,
                feed_kg=round(rec.get("feed") or 0, 1),
                harvest_kg=round(rec.get("harvest") or 0, 1),
                do_mean=round(ox["mean"], 2) if ox.get("mean") is not None else None,
                do_min=round(ox["low"], 2) if ox.get("low") is not None else None,
            )
        )
    return rows


HEADERS = [
    "乡镇",
    "区划代码",
    "品种",
    "池塘数",
    "水面（亩）",
    "在线监测",
    "投苗（尾）",
    "投喂（kg）",
    "捕捞（kg）",
    "平均溶氧",
    "最低溶氧",
]


def row_cells(row: Row) -> list:
    return [
        row.township,
        row.township_code,
        row.species_label,
        row.ponds,
        row.area_mu,
        row.monitored,
        row.stocked_count,
        row.feed_kg,
        row.harvest_kg,
        "" if row.do_mean is None else row.do_mean,
        "" if row.do_min is None else row.do_min,
    ]


def current_month() -> date:
    return timezone.localdate().replace(day=1)
