"""The ecology figures of plan tasks 26 and 27, counted from the module's data (never typed).

- `ecology.sources_meeting_standard`: 集中式饮用水水源地水质达标 — per village, its drinking-water
  sources (1 each) and those whose latest sample up to the moment counted met their standard. A
  source never sampled counts as not meeting it.
- `ecology.samples_meeting_standard`: 水质样品达标 — per village, the samples taken in the quarter and
  those that met their point's standard.
- `ecology.collection_on_schedule`: 垃圾收运按期 — per village with collection points, 1/1 when every
  active point was emptied within its interval at the moment counted, else 0/1.

- `ecology.forest_area`: 林地面积 — per village (or township, for stands placed there), the measured area
  in 亩 of the forest layer's current stands (林业资源数据库); a number, summed up the tree.

The moment counted is the quarter's last instant, or now for the current quarter.
"""

from datetime import datetime, time, timedelta
from decimal import Decimal

from django.db.models import Count, OuterRef, Q, Subquery
from django.utils import timezone

from shuxiang.indicators.registry import register_source


def counted_at(period, now=None) -> datetime:
    now = now or timezone.now()
    end = timezone.make_aware(datetime.combine(period.end, time.max), timezone.get_current_timezone())
    return min(end, now)


def _bounds(period):
    tz = timezone.get_current_timezone()
    start = timezone.make_aware(datetime.combine(period.start, time.min), tz)
    return start, counted_at(period)


def sources_meeting_standard(period, now=None):
    from shuxiang.ecology.models import MonitoringPoint, Sample

    moment = counted_at(period, now)
    latest = Sample.objects.filter(point=OuterRef("pk"), taken_at__lte=moment).order_by("-taken_at", "-pk")
    rows = {}
    points = MonitoringPoint.objects.filter(kind="drinking_source", is_active=True).annotate(
        ok=Subquery(latest.values("meets")[:1])
    )
    for place_id, ok in points.values_list("place_id", "ok"):
        met, total = rows.get(place_id, (0, 0))
        rows[place_id] = (met + (1 if ok else 0), total + 1)
    return [(pk, met, total) for pk, (met, total) in rows.items()]


def samples_meeting_standard(period, now=None):
    from shuxiang.ecology.models import Sample

    start, moment = _bounds(period)
    rows = (
        Sample.objects.filter(taken_at__gte=start, taken_at__lte=moment)
        .values("point__place_id")
        .annotate(total=Count("pk"), met=Count("pk", filter=Q(meets=True)))
        .order_by()
    )
    return [(r["point__place_id"], r["met"], r["total"]) for r in rows]


def collection_on_schedule(period, now=None):
    from shuxiang.ecology.models import CollectionPoint, CollectionRecord

    moment = counted_at(period, now)
    last = (
        CollectionRecord.objects.filter(point=OuterRef("pk"), collected_at__lte=moment)
        .order_by("-collected_at")
        .values("collected_at")[:1]
    )
    villages: dict[int, bool] = {}
    for p in CollectionPoint.objects.filter(is_active=True).annotate(last=Subquery(last)):
        on_time = p.last is not None and p.last >= moment - timedelta(days=p.interval_days)
        villages[p.place_id] = villages.get(p.place_id, True) and on_time
    return [(pk, 1 if ok else 0, 1) for pk, ok in villages.items()]


def beautiful_village_score(period, now=None):
    """Per village assessed in the quarter: its 美丽屋场 score over the full score (a percentage up the tree)."""
    from shuxiang.ecology.models import BeautyAssessment

    rows = BeautyAssessment.objects.filter(period=period.code).values_list("place_id", "total", "max_total")
    return [(pk, total, top) for pk, total, top in rows if top]


def forest_area(period, now=None):
    """The forest layer as it stands now: a stand's history is not kept, so every period counts the
    current layer (a past quarter's figure is refreshed only when someone asks for it)."""
    from django.db.models import Sum

    from shuxiang.ecology.choices import M2_PER_MU
    from shuxiang.ecology.models import ForestStand

    rows = (
        ForestStand.objects.filter(retired_at__isnull=True)
        .values("place_id")
        .annotate(total=Sum("area_m2"))
        .order_by()
        .values_list("place_id", "total")
    )
    return [(pk, Decimal(f"{total / M2_PER_MU:.1f}"), None) for pk, total in rows if total]


register_source("ecology.forest_area", "林地小班面积（生态环境·林业资源数据库）", forest_area)
register_source(
    "ecology.beautiful_village_score", "美丽屋场“六个一”得分率（生态环境·评分）", beautiful_village_score
)
register_source(
    "ecology.sources_meeting_standard",
    "集中式饮用水水源地最新样品达标（生态环境·水质样品）",
    sources_meeting_standard,
)
register_source(
    "ecology.samples_meeting_standard", "季度内水质样品达标（生态环境·水质样品）", samples_meeting_standard
)
register_source(
    "ecology.collection_on_schedule", "村垃圾收集点均按周期清运（生态环境·清运记录）", collection_on_schedule
)
