"""The computed indicators the plan's registries and ledgers feed (registered with the engine).

Each source counts, for every current place at its level, 1/1 (covered) or 0/1: the
engine sums those up the tree, so a township's fibre coverage is its hamlets with fibre
over all its hamlets. Registries hold the present state: a refresh for a quarter is the
snapshot taken then.
"""

from django.db.models import Count, Exists, OuterRef, Q

from shuxiang.core.models import Place
from shuxiang.indicators.registry import register_source
from shuxiang.plan.choices import EntryStatus, ServicePointKind
from shuxiang.plan.models import LedgerEntry, NetworkCoverage, ServicePoint


def current_places(level):
    return Place.objects.current().filter(level=level)


def _coverage(level, condition):
    def compute(period):
        covered = NetworkCoverage.objects.filter(place=OuterRef("pk")).filter(condition)
        rows = current_places(level).annotate(ok=Exists(covered)).values_list("pk", "ok")
        return [(pk, 1 if ok else 0, 1) for pk, ok in rows]

    return compute


def _coverage_count(level, condition):
    def compute(period):
        ids = NetworkCoverage.objects.filter(condition, place__in=current_places(level)).values_list(
            "place_id", flat=True
        )
        return [(pk, 1, None) for pk in ids]

    return compute


def _points(level, kind, *, exact=False):
    """Places at `level` with an active point of `kind` (at the place itself when `exact`, else anywhere under it)."""

    def compute(period):
        where = {"place": OuterRef("pk")} if exact else {"place__path__startswith": OuterRef("path")}
        points = ServicePoint.objects.filter(kind=kind, is_active=True, **where)
        rows = current_places(level).annotate(ok=Exists(points)).values_list("pk", "ok")
        return [(pk, 1 if ok else 0, 1) for pk, ok in rows]

    return compute


def _ledger(on_time: bool):
    def compute(period):
        done = Q(status__in=[EntryStatus.SUBMITTED, EntryStatus.APPROVED])
        if on_time:
            done &= Q(on_time=True)
        rows = (
            LedgerEntry.objects.filter(round__period=period.code)
            .values("place_id")
            .annotate(expected=Count("id"), done=Count("id", filter=done))
            .order_by()
        )
        return [(r["place_id"], r["done"], r["expected"]) for r in rows]

    return compute


register_source("coverage.g5_townships", "乡镇中心镇区5G覆盖（网络覆盖登记）", _coverage(2, Q(has_5g=True)))
register_source("coverage.g5_villages", "5G覆盖行政村（网络覆盖登记）", _coverage_count(3, Q(has_5g=True)))
register_source("coverage.fibre_hamlets", "自然村光纤通达（网络覆盖登记）", _coverage(4, Q(has_fibre=True)))
register_source("coverage.g4_hamlets", "自然村4G覆盖（网络覆盖登记）", _coverage(4, Q(has_4g=True)))
register_source(
    "coverage.cable_tv_villages", "行政村有线电视连通（网络覆盖登记）", _coverage(3, Q(has_cable_tv=True))
)
register_source(
    "coverage.bandwidth_villages", "村级带宽达1G（网络覆盖登记）", _coverage(3, Q(bandwidth_mbps__gte=1000))
)
register_source(
    "coverage.bandwidth_townships",
    "乡镇带宽达10G（网络覆盖登记）",
    _coverage(2, Q(bandwidth_mbps__gte=10000)),
)
register_source(
    "service_points.logistics_villages",
    "村级电商物流服务点（服务网点）",
    _points(3, ServicePointKind.LOGISTICS),
)
register_source(
    "service_points.culture_townships",
    "区文化馆分馆（服务网点）",
    _points(2, ServicePointKind.CULTURE_BRANCH),
)
register_source(
    "service_points.library_townships",
    "区图书馆分馆（服务网点）",
    _points(2, ServicePointKind.LIBRARY_BRANCH),
)
register_source(
    "service_points.remote_medical_townships",
    "乡镇远程医疗（服务网点）",
    _points(2, ServicePointKind.REMOTE_MEDICAL, exact=True),
)
register_source(
    "service_points.remote_medical_villages",
    "村远程医疗（服务网点）",
    _points(3, ServicePointKind.REMOTE_MEDICAL),
)
# Public-service coverage per village (issue 22: education, medical insurance, social security).
register_source(
    "service_points.school_network_villages",
    "村（校）宽带网络接入（服务网点）",
    _points(3, ServicePointKind.SCHOOL_NETWORK),
)
register_source(
    "service_points.remote_classroom_villages",
    "村远程同步课堂（服务网点）",
    _points(3, ServicePointKind.REMOTE_CLASSROOM),
)
register_source(
    "service_points.insurance_settlement_villages",
    "村医保结算点（服务网点）",
    _points(3, ServicePointKind.INSURANCE_SETTLEMENT),
)
register_source(
    "service_points.social_security_villages",
    "村社保服务点（服务网点）",
    _points(3, ServicePointKind.SOCIAL_SECURITY),
)
register_source("ledger.completeness", "季度台账报送（工作台账）", _ledger(on_time=False))
register_source("ledger.on_time", "季度台账按时报送（工作台账）", _ledger(on_time=True))
