"""The plan's figures counted from this app's data, registered with the indicators engine.

- commerce.online_sales (农产品电商销售额, 亿元): the monthly online-sales reports of the period's
  months, summed where the station or seller is (the engine sums up the place tree; a year is its
  quarters' sum). Nobody types it into a ledger any more.
- commerce.logistics_villages (村级电商物流服务点覆盖率): each current village counts 1/1 when an open
  village station or express pickup point lies in it, else 0/1.
- markets.grain_paid_on_time (粮食收购按时付款率): purchases of the period due by its end, paid by
  their due date, per buyer's place.
- markets.price_warnings (价格预警品种数): product × township pairs whose current level is alert or
  crisis, at the quarter's recomputation.
"""

from decimal import Decimal

from django.db.models import Count, Exists, F, OuterRef, Q, Sum
from django.utils import timezone

from shuxiang.core.models import Place
from shuxiang.indicators.registry import register_source

YI = Decimal(100_000_000)  # 亿


def online_sales(period):
    from shuxiang.markets.models import SalesReport

    rows = (
        SalesReport.objects.filter(month__gte=period.start, month__lte=period.end)
        .values("place_id")
        .annotate(total=Sum("amount"))
        .order_by()
    )
    return [(r["place_id"], (r["total"] / YI).quantize(Decimal("0.0001")), None) for r in rows]


def logistics_villages(period):
    from shuxiang.markets.choices import StationKind, StationStatus
    from shuxiang.markets.models import CommerceStation

    today = timezone.localdate()
    moment = min(period.end, today)
    served = CommerceStation.objects.filter(
        place__path__startswith=OuterRef("path"),
        kind__in=[StationKind.VILLAGE, StationKind.PICKUP],
        status=StationStatus.OPEN,
    ).filter(Q(opened_on__isnull=True) | Q(opened_on__lte=moment))
    villages = Place.objects.current().filter(level=3, kind="village")
    return [
        (pk, 1 if ok else 0, 1) for pk, ok in villages.annotate(ok=Exists(served)).values_list("pk", "ok")
    ]


def grain_paid_on_time(period):
    from shuxiang.markets.models import GrainPurchase

    rows = (
        GrainPurchase.objects.filter(
            purchased_on__gte=period.start, purchased_on__lte=period.end, due_on__lte=period.end
        )
        .values("buyer__place_id")
        .annotate(
            due=Count("pk"), paid=Count("pk", filter=Q(paid_on__isnull=False, paid_on__lte=F("due_on")))
        )
        .order_by()
    )
    return [(r["buyer__place_id"], r["paid"], r["due"]) for r in rows]


def price_warnings(period):
    from shuxiang.markets.models import WarningLevel

    rows = (
        WarningLevel.objects.filter(is_current=True, level__in=["alert", "crisis"], place__level=2)
        .values("place_id")
        .annotate(n=Count("product_id", distinct=True))
        .order_by()
    )
    return [(r["place_id"], r["n"], None) for r in rows]


register_source("commerce.online_sales", "农产品网络销售月报合计（电商·月报）", online_sales)
register_source(
    "commerce.logistics_villages", "村级电商服务站/快递收投点覆盖（电商·站点）", logistics_villages
)
register_source("markets.grain_paid_on_time", "粮食收购按期付款（粮食购销·收购记录）", grain_paid_on_time)
register_source("markets.price_warnings", "警戒及以上的品种×乡镇（价格预警）", price_warnings)
