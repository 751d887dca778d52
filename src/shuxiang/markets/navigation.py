"""The home page's "pending work" lines from markets: price warnings at alert or crisis, prices
waiting to be checked, grain anomalies."""

from django.urls import reverse

from shuxiang.core.navigation import PendingItem
from shuxiang.core.permissions import has_perm


def pending(user):
    from shuxiang.markets.models import GrainPurchase, GrainStock, PriceObservation, WarningLevel

    if not has_perm(user, "markets.warninglevel.view") or user.role in ("grid", "village"):
        return []
    current = WarningLevel.objects.restrict(user).filter(is_current=True, place__level__lte=2)
    items = [
        PendingItem(
            "价格危机级预警（品种×乡镇）",
            current.filter(level="crisis").values("product_id", "place_id").distinct().count(),
            reverse("markets:warnings") + "?level=crisis",
            "danger",
        ),
        PendingItem(
            "价格警戒级预警（品种×乡镇）",
            current.filter(level="alert").values("product_id", "place_id").distinct().count(),
            reverse("markets:warnings") + "?level=alert",
            "warning",
        ),
        PendingItem(
            "待核实的异常价格",
            PriceObservation.objects.restrict(user).filter(questioned=True).count(),
            reverse("markets:prices") + "?questioned=true",
            "warning",
        ),
        PendingItem(
            "粮食购销异常（低价收购、账实不符）",
            GrainPurchase.objects.restrict(user).filter(below_minimum=True).count()
            + GrainStock.objects.restrict(user).exclude(anomaly="").count(),
            reverse("grain:home"),
            "warning",
        ),
    ]
    return [i for i in items if i.count]
