"""非农化 / 非粮化 monitoring: rules as data, evaluated on every planting and patrol, and over a season.

A rule (FindingRule) names the layers it watches, the crop categories or observed land uses that
make a finding, the seasons it applies to and the rectification deadline. Three ways in:
- a planting is recorded (declared, imported, from machinery) → `check_planting`;
- an inspector's patrol report is recorded → `check_patrol`;
- the season run (`run_season`, a CLI command and the bench) evaluates every planting of a season
  at once in SQL and opens the findings the per-record checks would have opened.
A finding is unique per polygon, rule and season: a second planting or patrol of the same problem
adds nothing, so one problem opens exactly one case.
"""

from datetime import timedelta

from django.apps import apps
from django.db import transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone

from shuxiang.core import audit
from shuxiang.core.permissions import require
from shuxiang.farmland.choices import CROP_CATEGORY, Crop, LandUse, RuleCondition, parse_season, season_label

NON_GRAIN_CATEGORIES = ["oil", "vegetable", "fruit", "nursery", "tea", "forage", "other"]
DEFAULT_RULES = [
    {
        "code": "JBNT-FL-01",
        "name": "永久基本农田种植非粮作物",
        "finding_type": "non_grain",
        "condition": RuleCondition.PLANTED_CATEGORY,
        "kinds": ["permanent", "high_standard"],
        "categories": NON_GRAIN_CATEGORIES,
        # winter rapeseed in rotation with rice is the county's usual pattern, not 非粮化
        "season_parts": ["early", "late"],
        "deadline_days": 60,
    },
    {
        "code": "JBNT-FN-01",
        "name": "耕地挖塘、建房、硬化（非农化）",
        "finding_type": "non_agri",
        "condition": RuleCondition.OBSERVED_USE,
        "kinds": ["permanent", "high_standard", "cultivated"],
        "uses": ["pond", "building"],
        "season_parts": [],
        "deadline_days": 30,
    },
    {
        "code": "JBNT-FL-02",
        "name": "永久基本农田改种果树、苗木等（巡查发现）",
        "finding_type": "non_grain",
        "condition": RuleCondition.OBSERVED_USE,
        "kinds": ["permanent", "high_standard"],
        "uses": ["orchard", "nursery", "non_grain"],
        "season_parts": ["early", "late"],
        "deadline_days": 60,
    },
    {
        "code": "JBNT-LH-01",
        "name": "永久基本农田撂荒（巡查发现）",
        "finding_type": "idle",
        "condition": RuleCondition.OBSERVED_USE,
        "kinds": ["permanent", "high_standard"],
        "uses": ["idle"],
        "season_parts": ["early", "late"],
        "deadline_days": 45,
    },
    {
        "code": "JBNT-LH-02",
        "name": "永久基本农田整季无种植申报（撂荒，季末核查）",
        "finding_type": "idle",
        "condition": RuleCondition.NO_PLANTING,
        "kinds": ["permanent"],
        "season_parts": ["early", "late"],
        "deadline_days": 45,
        # off until the county's declarations are complete: an undeclared field is not yet an idle one
        "is_active": False,
    },
]


def ensure_default_rules(sender=None, using="default", **kwargs):
    """The county's starting rules exist after every migrate; an administrator's edits stay."""
    from shuxiang.farmland.models import FindingRule

    for row in DEFAULT_RULES:
        row = dict(row)
        FindingRule.objects.using(using).get_or_create(code=row.pop("code"), defaults=row)


def _active(condition):
    from shuxiang.farmland.models import FindingRule

    return list(FindingRule.objects.filter(is_active=True, condition=condition))


def _applies(rule, parcel, season) -> bool:
    parsed = parse_season(season)
    if parsed is None or parcel.kind not in (rule.kinds or []):
        return False
    return not rule.season_parts or parsed[1] in rule.season_parts


def _open(parcel, rule, season, *, description, planting=None, patrol=None):
    """The finding (and its case) for this polygon, rule and season — the existing one if there is one."""
    from shuxiang.farmland.cases_link import FARMLAND, open_case
    from shuxiang.farmland.models import Finding

    existing = Finding.objects.filter(parcel=parcel, rule=rule, season=season).first()
    if existing is not None:
        return existing, False
    require(FARMLAND, "farmland.finding.add")
    finding = Finding.objects.create(
        parcel=parcel,
        rule=rule,
        season=season,
        finding_type=rule.finding_type,
        planting=planting,
        patrol=patrol,
        description=description[:500],
        deadline=timezone.localdate() + timedelta(days=rule.deadline_days),
    )
    if apps.is_installed("shuxiang.cases"):
        finding.case = open_case(finding)
        finding.save(update_fields=["case"])
    audit.record_create(FARMLAND, finding)
    return finding, True


def _planting_text(planting) -> str:
    variety = f"（{planting.variety}）" if planting.variety else ""
    return (
        f"{season_label(planting.season)}申报种植{Crop(planting.crop).label}{variety} {planting.area_mu} 亩"
    )


def check_planting(planting) -> list:
    """Findings a planting makes (called inside the service that records it)."""
    category = CROP_CATEGORY.get(planting.crop)
    found = []
    for rule in _active(RuleCondition.PLANTED_CATEGORY):
        if category in (rule.categories or []) and _applies(rule, planting.parcel, planting.season):
            found.append(
                _open(
                    planting.parcel,
                    rule,
                    planting.season,
                    description=_planting_text(planting),
                    planting=planting,
                )[0]
            )
    return found


def check_patrol(patrol) -> list:
    found = []
    for rule in _active(RuleCondition.OBSERVED_USE):
        if patrol.observed_use in (rule.uses or []) and _applies(rule, patrol.parcel, patrol.season):
            text = f"巡查发现：{LandUse(patrol.observed_use).label}" + (
                f"。{patrol.note}" if patrol.note else ""
            )
            found.append(_open(patrol.parcel, rule, patrol.season, description=text, patrol=patrol)[0])
    return found


@transaction.atomic
def run_season(season: str, *, actor) -> dict:
    """Every active planting and no-planting rule over every current polygon for one season.

    The matching is done in SQL (one query per rule); only new findings are written. Returns counts.
    """
    from shuxiang.farmland.models import Finding, Parcel, Planting

    require(actor, "farmland.finding.add")
    parsed = parse_season(season)
    if parsed is None:
        from shuxiang.core.errors import ServiceError

        raise ServiceError(
            "invalid", "季节格式应为 2026-early / 2026-late / 2026-winter", {"season": ["格式错误"]}
        )
    counts = {"checked_rules": 0, "opened": 0}
    for rule in _active(RuleCondition.PLANTED_CATEGORY) + _active(RuleCondition.NO_PLANTING):
        if rule.season_parts and parsed[1] not in rule.season_parts:
            continue
        counts["checked_rules"] += 1
        already = Finding.objects.filter(parcel=OuterRef("pk"), rule=rule, season=season)
        parcels = Parcel.objects.filter(kind__in=rule.kinds or [], retired_at__isnull=True).exclude(
            Exists(already)
        )
        if rule.condition == RuleCondition.PLANTED_CATEGORY:
            crops = [c for c, cat in CROP_CATEGORY.items() if cat in (rule.categories or [])]
            hits = Planting.objects.filter(season=season, crop__in=crops, parcel__in=parcels).select_related(
                "parcel__place__parent"
            )
            for planting in hits.order_by("parcel_id", "pk"):
                _, opened = _open(
                    planting.parcel, rule, season, description=_planting_text(planting), planting=planting
                )
                counts["opened"] += int(opened)
        else:
            planted = Planting.objects.filter(parcel=OuterRef("pk"), season=season)
            for parcel in parcels.exclude(Exists(planted)).select_related("place__parent"):
                _open(parcel, rule, season, description=f"{season_label(season)}整季无种植申报，疑似撂荒")
                counts["opened"] += 1
    return counts


def matches_sql(season: str):
    """The polygon ids the planting rules flag for a season, by SQL alone (the bench's reference)."""
    from shuxiang.farmland.models import Parcel, Planting

    parsed = parse_season(season)
    ids = set()
    for rule in _active(RuleCondition.PLANTED_CATEGORY):
        if rule.season_parts and parsed[1] not in rule.season_parts:
            continue
        crops = [c for c, cat in CROP_CATEGORY.items() if cat in (rule.categories or [])]
        planted = Planting.objects.filter(parcel=OuterRef("pk"), season=season, crop__in=crops)
        ids.update(
            Parcel.objects.filter(kind__in=rule.kinds, retired_at__isnull=True)
            .filter(Exists(planted))
            .values_list("pk", flat=True)
        )
    return ids
