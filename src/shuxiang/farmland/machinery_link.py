"""Plantings taken from machinery operations, and a rice field's operations, when machinery is installed.

A transplanter's (插秧) worked area is rice on the ground: the field was planted this season whatever
anybody declared. `do_take_plantings` intersects each transplanting operation of a season with the
village's farmland polygons (permanent farmland first, else cultivated land — one polygon per spot,
as the plantings table counts them) and records rice on every polygon the machine covered at least
MIN_SHARE of, with the covered area (never more than is left undeclared on the polygon). It is
idempotent (one planting per operation and polygon, by submission key) and skips polygons that already
have rice that season. It runs daily (farmland.tasks) and from `shuxiang farmland take-plantings`.

Machinery's seasons are named 2026早稻/2026晚稻/2026冬季; farmland's 2026-early/-late/-winter.
"""

from django.apps import apps
from django.db import transaction

from shuxiang.core import geometry
from shuxiang.core.actors import as_actor
from shuxiang.core.permissions import require
from shuxiang.farmland.choices import M2_PER_MU, PlantingSource, parse_season

MIN_SHARE = 0.3  # of the polygon's area the machine must have covered
MIN_AREA_M2 = 0.3 * M2_PER_MU
SEASON_PARTS = {"early": "早稻", "late": "晚稻", "winter": "冬季"}
KINDS = ("permanent", "cultivated")


def available() -> bool:
    return apps.is_installed("shuxiang.machinery")


def machinery_season(season: str) -> str:
    year, _, part = season.partition("-")
    return f"{year}{SEASON_PARTS[part]}"


def _polygons(place_id):
    from shuxiang.farmland.models import Parcel

    found = {}
    for p in Parcel.objects.filter(place_id=place_id, kind__in=KINDS, retired_at__isnull=True):
        # one polygon per spot: a permanent polygon stands for the cultivated one under it
        key = p.code[2:] if len(p.code) > 2 else p.code
        if key not in found or p.kind == "permanent":
            found[key] = p
    return list(found.values())


def covered(operation, parcels) -> list[tuple[object, float]]:
    """(polygon, covered m²) for the polygons an operation's worked area covers enough of."""
    if not operation.area:
        return []
    worked = geometry.from_geojson(operation.area)
    out = []
    for parcel in parcels:
        shape = geometry.from_geojson(parcel.geometry)
        if not shape.intersects(worked):
            continue
        m2 = geometry.area_m2(shape.intersection(worked))
        if m2 >= MIN_AREA_M2 and m2 >= MIN_SHARE * parcel.area_m2:
            out.append((parcel, min(m2, parcel.area_m2)))
    return out


@transaction.atomic
def do_take_plantings(season: str, *, actor) -> dict:
    """Rice plantings from the season's transplanting operations. Returns what it did, for the caller."""
    from shuxiang.farmland import services
    from shuxiang.farmland.models import Planting
    from shuxiang.machinery.choices import OperationKind
    from shuxiang.machinery.models import Operation

    actor = as_actor(actor)
    require(actor, "farmland.planting.add")
    if parse_season(season) is None:
        from shuxiang.core.errors import ServiceError

        raise ServiceError(
            "invalid", "季节格式应为 2026-early、2026-late 或 2026-winter", {"season": ["格式错误"]}
        )
    result = {"operations": 0, "plantings": 0, "already": 0, "area_mu": 0.0}
    operations = (
        Operation.objects.filter(kind=OperationKind.TRANSPLANT, season=machinery_season(season))
        .exclude(area=None)
        .select_related("machine")
        .order_by("started_at")
    )
    by_place: dict = {}
    for op in operations:
        result["operations"] += 1
        if op.place_id not in by_place:
            by_place[op.place_id] = _polygons(op.place_id)
        for parcel, m2 in covered(op, by_place[op.place_id]):
            key = f"machinery:{op.pk}:{parcel.pk}"
            taken = Planting.objects.filter(parcel=parcel, season=season)
            if taken.filter(submission_key=key).exists() or taken.filter(crop="rice").exists():
                result["already"] += 1
                continue
            left = parcel.area_m2 - sum(taken.values_list("area_m2", flat=True))
            area = min(m2, left)
            if area < MIN_AREA_M2:
                result["already"] += 1
                continue
            services.do_record_planting(
                actor=actor,
                parcel=parcel,
                season=season,
                crop="rice",
                area_mu=round(area / M2_PER_MU, 2),
                grower_name=op.machine.owner_name,
                source=PlantingSource.MACHINERY,
                submission_key=key,
            )
            result["plantings"] += 1
            result["area_mu"] += area / M2_PER_MU
    result["area_mu"] = round(result["area_mu"], 1)
    return result


def operations_on(parcel, season: str, user) -> list:
    """The machinery operations of a season that worked on a polygon (for the rice field page)."""
    if not available():
        return []
    from shuxiang.machinery.models import Operation

    try:
        name = machinery_season(season)
    except KeyError:
        return []
    ops = Operation.objects.restrict(user).filter(place_id=parcel.place_id, season=name).exclude(area=None)
    rows = []
    for op in ops.select_related("machine").order_by("started_at"):
        for _, m2 in covered(op, [parcel]):
            rows.append({"operation": op, "area_mu": round(m2 / M2_PER_MU, 2)})
    return rows
