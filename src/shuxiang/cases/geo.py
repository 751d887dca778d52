"""Where a report is: inside the county or not, and which village or hamlet it falls in.

The county's outline is the district Place's GeoJSON geometry when one is
loaded; otherwise the box around every place of the county that has
coordinates, widened by MARGIN_DEGREES (about 5 km) so edge hamlets are not
refused. A point is given to the nearest village or hamlet centre: the
division tree carries centres, not boundaries, for villages.
"""

import math

from django.conf import settings

from shuxiang.core.choices import PlaceLevel
from shuxiang.core.errors import ServiceError
from shuxiang.core.models import Place

MARGIN_DEGREES = 0.05


def county() -> Place | None:
    return Place.objects.filter(level=PlaceLevel.DISTRICT, code__startswith=settings.COUNTY_CODE).first()


def _point_in_ring(lat, lng, ring) -> bool:
    inside = False
    j = len(ring) - 1
    for i in range(len(ring)):
        xi, yi = ring[i][0], ring[i][1]
        xj, yj = ring[j][0], ring[j][1]
        if (yi > lat) != (yj > lat) and lng < (xj - xi) * (lat - yi) / ((yj - yi) or 1e-12) + xi:
            inside = not inside
        j = i
    return inside


def _in_geometry(lat, lng, geometry) -> bool:
    if geometry.get("type") == "Feature":
        geometry = geometry.get("geometry") or {}
    kind, coords = geometry.get("type"), geometry.get("coordinates") or []
    polygons = [coords] if kind == "Polygon" else coords if kind == "MultiPolygon" else []
    return any(poly and _point_in_ring(lat, lng, poly[0]) for poly in polygons)


def county_bounds(root: Place) -> tuple[float, float, float, float] | None:
    """(south, west, north, east) of the county's places with coordinates, widened by the margin."""
    from django.db.models import Max, Min

    agg = Place.objects.filter(
        path__startswith=root.path, latitude__isnull=False, longitude__isnull=False
    ).aggregate(s=Min("latitude"), n=Max("latitude"), w=Min("longitude"), e=Max("longitude"))
    if agg["s"] is None:
        return None
    return (
        agg["s"] - MARGIN_DEGREES,
        agg["w"] - MARGIN_DEGREES,
        agg["n"] + MARGIN_DEGREES,
        agg["e"] + MARGIN_DEGREES,
    )


def check_in_county(lat, lng) -> None:
    """Refuses coordinates that are malformed or outside the county (ServiceError "outside_county")."""
    try:
        lat, lng = float(lat), float(lng)
    except (TypeError, ValueError):
        raise ServiceError(
            "invalid_coordinates", "坐标格式错误", {"lat": ["应为数字"], "long": ["应为数字"]}
        ) from None
    if not (-90 <= lat <= 90 and -180 <= lng <= 180) or math.isnan(lat) or math.isnan(lng):
        raise ServiceError("invalid_coordinates", "坐标超出范围", {"lat": ["纬度应在 -90 到 90 之间"]})
    root = county()
    if root is None:
        raise ServiceError("no_county", "系统尚未配置区县区划", {})
    if root.geometry:
        inside = _in_geometry(lat, lng, root.geometry)
    else:
        bounds = county_bounds(root)
        inside = bounds is not None and bounds[0] <= lat <= bounds[2] and bounds[1] <= lng <= bounds[3]
    if not inside:
        raise ServiceError(
            "outside_county",
            f"所选位置不在{root.name}范围内，本平台只受理{root.name}的事件",
            {"lat": ["位置不在本区县范围内"], "long": ["位置不在本区县范围内"]},
        )


def nearest_place(lat, lng) -> Place:
    """The village or hamlet whose centre is nearest (equirectangular distance, fine at county scale)."""
    root = county()
    candidates = Place.objects.filter(
        path__startswith=root.path,
        level__in=(PlaceLevel.VILLAGE, PlaceLevel.HAMLET),
        latitude__isnull=False,
        longitude__isnull=False,
    ).values_list("pk", "latitude", "longitude")
    cos_lat = math.cos(math.radians(lat))
    # Look near the point first (a box of about ±5 km); the whole county only when nothing is that close.
    near = candidates.filter(
        latitude__range=(lat - MARGIN_DEGREES, lat + MARGIN_DEGREES),
        longitude__range=(lng - MARGIN_DEGREES, lng + MARGIN_DEGREES),
    )
    rows = list(near) or list(candidates)
    best, best_d = None, None
    for pk, plat, plng in rows:
        d = (plat - lat) ** 2 + ((plng - lng) * cos_lat) ** 2
        if best_d is None or d < best_d:
            best, best_d = pk, d
    if best is None:
        township = (
            Place.objects.filter(
                path__startswith=root.path, level=PlaceLevel.TOWNSHIP, latitude__isnull=False
            )
            .order_by("code")
            .first()
        )
        return township or root
    return Place.objects.get(pk=best)


def locate(lat, lng) -> Place:
    check_in_county(lat, lng)
    return nearest_place(float(lat), float(lng))
