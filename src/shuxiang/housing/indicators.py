"""Housing figures counted from the registry, registered with the indicators engine.

"重点对象危房动态清零": how many houses of key low-income households are C or D on the day counted —
the last day of a past quarter, today for the current one. A house counts when its latest appraisal
on or before that day is C or D; an accepted renovation writes an A/B acceptance appraisal, so the
house drops out by itself. Nobody types the figure; the goal is 0. Rows are one per hamlet, which the
engine sums up the place tree (a township's figure is its open houses).
"""

from datetime import date

from django.db.models import Count, OuterRef, Q, Subquery
from django.utils import timezone

from shuxiang.housing import choices as c
from shuxiang.indicators.registry import register_source

KEY_OPEN = "housing.key_dangerous_open"
BUSINESS_INSPECTED = "housing.business_inspected"
HAZARDS_RECTIFIED = "housing.hazards_rectified"


def counted_on(period, today=None) -> date:
    today = today or timezone.localdate()
    return min(period.end, today)


def with_grade_on(qs, day: date):
    """Annotate houses with `grade_on`: the grade of their latest appraisal on or before `day`."""
    from shuxiang.housing.models import Appraisal

    latest = Appraisal.objects.filter(house=OuterRef("pk"), appraised_on__lte=day).order_by(
        "-appraised_on", "-pk"
    )
    return qs.annotate(grade_on=Subquery(latest.values("grade")[:1]))


def key_dangerous_open_on(day: date, qs=None):
    """Houses of key groups that were C/D on `day` (a queryset; `qs` narrows it, e.g. to a region)."""
    from shuxiang.housing.models import House

    qs = (House.objects.all() if qs is None else qs).exclude(key_group="")
    if day >= timezone.localdate():
        # today the latest appraisal's grade is the house's own (appraisals are never dated ahead), so
        # the count reads the indexed column instead of a subquery per key house
        return qs.filter(grade__in=c.DANGEROUS)
    return with_grade_on(qs, day).filter(grade_on__in=c.DANGEROUS)


def key_dangerous_open(period, today=None):
    rows = (
        key_dangerous_open_on(counted_on(period, today)).values("place_id").annotate(n=Count("pk")).order_by()
    )
    return [(row["place_id"], row["n"], None) for row in rows]


def business_inspected(period, today=None):
    """Business houses inspected at least once by the day counted, over all business houses."""
    from shuxiang.housing.models import House

    day = counted_on(period, today)
    rows = (
        House.objects.exclude(use=c.Use.LIVING)
        .values("place_id")
        .annotate(
            total=Count("pk", distinct=True),
            done=Count("pk", filter=Q(business_inspections__inspected_on__lte=day), distinct=True),
        )
        .order_by()
    )
    return [(row["place_id"], row["done"], row["total"]) for row in rows]


def hazards_rectified(period, today=None):
    """Inspections that found hazards by the day counted, and how many of them were rectified by then."""
    from shuxiang.housing.models import BusinessInspection

    day = counted_on(period, today)
    rows = (
        BusinessInspection.objects.filter(inspected_on__lte=day)
        .exclude(hazards=[])
        .values("house__place_id")
        .annotate(
            total=Count("pk"),
            done=Count("pk", filter=Q(rectified_on__isnull=False, rectified_on__lte=day)),
        )
        .order_by()
    )
    return [(row["house__place_id"], row["done"], row["total"]) for row in rows]


register_source(KEY_OPEN, "重点对象C/D级危房未清零户数（农房安全·鉴定台账）", key_dangerous_open)
register_source(BUSINESS_INSPECTED, "经营性自建房已排查比例（农房安全·排查台账）", business_inspected)
register_source(HAZARDS_RECTIFIED, "经营性自建房隐患整改销号比例（农房安全·排查台账）", hazards_rectified)

INDICATORS = [
    {
        "code": "housing_key_dangerous_open",
        "name": "重点对象危房未清零户数",
        "description": "由农房鉴定台账计算：统计日（往季为季末，当季为今天）重点对象（监测户、低保、特困、"
        "突发严重困难户、脱贫户等）最近一次鉴定为C级或D级的房屋数，竣工验收达A/B级即退出；目标为0（动态清零）",
        "kind": "number",
        "unit": "户",
        "source": "computed",
        "computed_by": KEY_OPEN,
        "decimals": 0,
        "min_value": 0,
        "higher_is_better": False,
        "order": 60,
    },
    {
        "code": "housing_business_inspected",
        "name": "经营性自建房排查率",
        "description": "由农房台账计算：已排查的经营性自建房 / 经营性自建房总数",
        "kind": "ratio",
        "unit": "%",
        "factor": 100,
        "numerator_label": "已排查经营性自建房",
        "denominator_label": "经营性自建房",
        "source": "computed",
        "computed_by": BUSINESS_INSPECTED,
        "max_value": 100,
        "order": 61,
    },
    {
        "code": "housing_hazards_rectified",
        "name": "经营性自建房隐患整改率",
        "description": "由排查台账计算：已凭整改照片销号的隐患排查记录 / 发现隐患的排查记录",
        "kind": "ratio",
        "unit": "%",
        "factor": 100,
        "numerator_label": "已销号",
        "denominator_label": "发现隐患",
        "source": "computed",
        "computed_by": HAZARDS_RECTIFIED,
        "max_value": 100,
        "order": 62,
    },
]


def ensure_indicators(sender=None, using="default", **kwargs):
    """The three computed indicators exist after every migrate (what an administrator changed stays)."""
    from shuxiang.indicators.models import Indicator

    for spec in INDICATORS:
        spec = dict(spec)
        Indicator.objects.using(using).get_or_create(code=spec.pop("code"), defaults=spec)
