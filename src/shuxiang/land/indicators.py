"""The plan's land and collective-economy figures, computed from the registers (never typed).

Each source gives rows per village (place, numerator, denominator-or-None); the indicators engine sums
them up the place tree. A period's figure is the state at its last day (or today, if earlier).
"""

from datetime import datetime, time

from django.db.models import Count, F, Q, Sum
from django.utils import timezone

from shuxiang.indicators.registry import register_source


def _as_of(period):
    return min(period.end, timezone.localdate())


def parcels_registered(period):
    """地块数字化登记数: parcels with a surveyed polygon registered by the period's end."""
    from shuxiang.land.models import Parcel

    end = timezone.make_aware(datetime.combine(_as_of(period), time.max))
    rows = (
        Parcel.objects.filter(geometry__isnull=False, created_at__lte=end)
        .values("village_id")
        .annotate(n=Count("pk"))
        .order_by()
    )
    return [(r["village_id"], r["n"], None) for r in rows]


def transferred_share(period):
    """土地流转率: contracted area under an active transfer ÷ contracted area (both m²)."""
    from shuxiang.land.models import Parcel, Transfer

    day = _as_of(period)
    contracted = {
        r["village_id"]: r["a"]
        for r in Parcel.objects.filter(kind="10")
        .values("village_id")
        .annotate(a=Sum("registered_area_m2"))
        .order_by()
    }
    transferred = {
        r["village_id"]: r["a"]
        for r in Transfer.objects.filter(start__lte=day, end__gt=day)
        .exclude(status="terminated")
        .values("village_id")
        .annotate(a=Sum("area_m2"))
        .order_by()
    }
    return [(v, transferred.get(v) or 0, a) for v, a in contracted.items() if a]


def transferred_area_mu(period):
    """流转面积（亩）."""
    from decimal import Decimal

    from shuxiang.land.models import MU_M2, Transfer

    day = _as_of(period)
    rows = (
        Transfer.objects.filter(start__lte=day, end__gt=day)
        .exclude(status="terminated")
        .values("village_id")
        .annotate(a=Sum("area_m2"))
        .order_by()
    )
    return [(r["village_id"], (r["a"] / MU_M2).quantize(Decimal("0.01")), None) for r in rows]


def members_with_shares(period):
    """持股成员数: confirmed members holding shares."""
    from shuxiang.land.models import Member

    rows = (
        Member.objects.filter(status="confirmed", holdings__shares__gt=0)
        .values("cooperative__village_id")
        .annotate(n=Count("pk", distinct=True))
        .order_by()
    )
    return [(r["cooperative__village_id"], r["n"], None) for r in rows]


def dividends_paid(period):
    """分红发放金额（元）: runs paid within the period."""
    from shuxiang.land.models import Distribution

    rows = (
        Distribution.objects.filter(status="paid", paid_at__date__range=(period.start, period.end))
        .values("cooperative__village_id")
        .annotate(s=Sum("amount"))
        .order_by()
    )
    return [(r["cooperative__village_id"], r["s"], None) for r in rows]


def disclosures_on_time(period):
    """按时财务公开的村: villages whose disclosures for the period's months/quarters were all on time."""
    from shuxiang.land.models import Disclosure

    rows = (
        Disclosure.objects.filter(start__gte=period.start, end__lte=period.end)
        .values("village_id")
        .annotate(total=Count("pk"), late=Count("pk", filter=Q(published_at__date__gt=F("due_on"))))
        .order_by()
    )
    return [(r["village_id"], 1 if r["late"] == 0 else 0, None) for r in rows]


SOURCES = {
    "land.parcels_registered": ("地块数字化登记数（土地·确权）", parcels_registered),
    "land.transferred_share": ("承包地流转率（土地·流转）", transferred_share),
    "land.transferred_area_mu": ("土地流转面积（亩）（土地·流转）", transferred_area_mu),
    "land.members_with_shares": ("持股集体经济组织成员数（土地·合作社）", members_with_shares),
    "land.dividends_paid": ("集体经济组织分红发放额（元）（土地·合作社）", dividends_paid),
    "land.disclosures_on_time": ("按时财务公开的村（土地·财务公开）", disclosures_on_time),
}
for _key, (_label, _fn) in SOURCES.items():
    register_source(_key, _label, _fn)
