"""The plan's figures for villager services, counted from the data and registered with the engine.

Rows are (place_id, numerator, denominator) at the place each thing belongs to; the engine sums them
up the place tree, so a township's employment rate is its employed people over its people watched.
"""

from datetime import datetime, time

from django.db.models import Count, Q
from django.utils import timezone

from shuxiang.indicators.registry import register_source
from shuxiang.villager.choices import EMPLOYED, Group, PostingKind


def _bounds(period):
    tz = timezone.get_current_timezone()
    start = timezone.make_aware(datetime.combine(period.start, time.min), tz)
    end = timezone.make_aware(datetime.combine(period.end, time.max), tz)
    return start, end


def postings_published(period):
    """需求集市发布信息数: postings that went public in the period, where they are about."""
    from shuxiang.villager.models import Posting

    start, end = _bounds(period)
    rows = (
        Posting.objects.filter(published_at__range=(start, end))
        .values("place_id")
        .annotate(n=Count("pk"))
        .order_by()
    )
    return [(r["place_id"], r["n"], None) for r in rows]


def jobs_matched(period):
    """岗位匹配数: job ↔ seeker pairs the platform made in the period (at the job's place)."""
    from shuxiang.villager.models import Match

    start, end = _bounds(period)
    rows = (
        Match.objects.filter(created_at__range=(start, end))
        .values("job__place_id")
        .annotate(n=Count("pk"))
        .order_by()
    )
    return [(r["job__place_id"], r["n"], None) for r in rows]


def _employment_rate(group):
    def compute(period):
        from shuxiang.villager.models import EmploymentRecord

        quarter = period.quarter or 4
        rows = (
            EmploymentRecord.objects.filter(group=group, year=period.year, quarter=quarter)
            .values("place_id")
            .annotate(total=Count("pk"), employed=Count("pk", filter=Q(status__in=EMPLOYED)))
            .order_by()
        )
        return [(r["place_id"], r["employed"], r["total"]) for r in rows]

    return compute


def jobs_posted(period):
    """招聘岗位信息数: job postings public in the period."""
    from shuxiang.villager.models import Posting

    start, end = _bounds(period)
    rows = (
        Posting.objects.filter(kind=PostingKind.JOB, published_at__range=(start, end))
        .values("place_id")
        .annotate(n=Count("pk"))
        .order_by()
    )
    return [(r["place_id"], r["n"], None) for r in rows]


register_source("villager.postings_published", "需求集市发布信息（便民服务·需求集市）", postings_published)
register_source("villager.jobs_posted", "需求集市招聘信息（便民服务·需求集市）", jobs_posted)
register_source("villager.jobs_matched", "岗位匹配推送（便民服务·需求集市）", jobs_matched)
register_source(
    "villager.employment_rate_poverty_exited",
    "脱贫人口就业率（便民服务·就业监测）",
    _employment_rate(Group.POVERTY_EXITED),
)
register_source(
    "villager.employment_rate_migrant", "农民工就业率（便民服务·就业监测）", _employment_rate(Group.MIGRANT)
)


def heritage_digitised(period):
    """非遗与文物数字化: items with at least one image, audio or video file over all items, at their place."""
    from shuxiang.core.models import Attachment
    from shuxiang.villager.models import HeritageItem

    with_media = {
        int(i)
        for i in Attachment.objects.filter(owner_type="villager.heritageitem").values_list(
            "owner_id", flat=True
        )
    }
    rows: dict[int, list[int]] = {}
    for pk, place_id in HeritageItem.objects.values_list("pk", "place_id"):
        cell = rows.setdefault(place_id, [0, 0])
        cell[0] += 1 if pk in with_media else 0
        cell[1] += 1
    return [(place_id, done, total) for place_id, (done, total) in rows.items()]


def visitors(period):
    """重点景区、乡村旅游游客人次: the period's daily counts summed, at each site's place."""
    from django.db.models import Sum

    from shuxiang.villager.models import VisitCount

    rows = (
        VisitCount.objects.filter(day__range=(period.start, period.end))
        .values("site__place_id")
        .annotate(n=Sum("count"))
        .order_by()
    )
    return [(r["site__place_id"], r["n"], None) for r in rows]


register_source("villager.heritage_digitised", "非遗与文物数字化（便民服务·文化）", heritage_digitised)
register_source("villager.visitors", "旅游点游客人次（便民服务·文旅）", visitors)
