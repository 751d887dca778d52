"""Stand-in boundaries for the demo county, so every map under `make run` shows townships and villages.

They are made up and marked so (`synthetic` in each boundary's properties; docs/maps.md): the county's
outline is the hull of its place centres widened by about 3 km with a gentle wobble, each township is
the Voronoi cell of its centre inside that outline, and each village the Voronoi cell of its centre
inside its township. A demo village centre that fell outside its township's cell is moved to a spot
inside it (its hamlets with it), so every centre lies inside its own boundary, as it would in a real
county. Deterministic (spots are drawn from generators seeded by each village's code, never from the
demo's shared one) and quick: a few hundred shapes, one batch update.
"""

import math
import random

import shapely
from django.db import connection, transaction

from shuxiang.core import audit, geometry
from shuxiang.core.actors import OPERATOR
from shuxiang.core.boundaries import boundary_feature, bump_version
from shuxiang.core.models import Place

SOURCE = "演示用合成边界"
MARGIN_DEGREES = 0.035  # ≈ 3.5 km around the outermost centres
WOBBLE_DEGREES = 0.01


def county_outline(points) -> shapely.Polygon:
    """The hull of the centres, widened, its edge pushed in and out a little so it looks drawn, not computed."""
    hull = shapely.MultiPoint(points).convex_hull.buffer(MARGIN_DEGREES, quad_segs=16)
    cx, cy = hull.centroid.x, hull.centroid.y
    ring = []
    for x, y in hull.exterior.coords[:-1]:
        angle = math.atan2(y - cy, x - cx)
        offset = WOBBLE_DEGREES * (0.6 * math.sin(3 * angle + 0.7) + 0.4 * math.sin(7 * angle + 2.1))
        length = math.hypot(x - cx, y - cy) or 1.0
        ring.append((x + offset * (x - cx) / length, y + offset * (y - cy) / length))
    outline = shapely.Polygon(ring)
    return outline if outline.is_valid else hull


def _spot_inside(code, cell, fallback):
    """A point inside `cell` drawn from a generator seeded by the place's code (the demo stays the same)."""
    rng = random.Random(code)
    minx, miny, maxx, maxy = cell.bounds
    for _ in range(60):
        candidate = (rng.uniform(minx, maxx), rng.uniform(miny, maxy))
        if cell.contains(shapely.Point(candidate)):
            return candidate
    return fallback


def _pulled_inside(point, anchor, cell):
    """`point`, or the first of the points on the way to `anchor` that lies inside `cell`."""
    px, py = point
    ax, ay = anchor
    for share in (1.0, 0.8, 0.6, 0.45, 0.3, 0.2, 0.1, 0.0):
        candidate = (ax + share * (px - ax), ay + share * (py - ay))
        if cell.contains(shapely.Point(candidate)):
            return candidate
    return anchor


@transaction.atomic
def build_boundaries(district: Place, townships: list[Place], villages: list[Place], hamlets: list[Place]):
    """Gives the district, its townships and villages a synthetic boundary (in place, one batch update)."""
    located = [p for p in (*townships, *villages, *hamlets) if p.latitude is not None]
    outline = county_outline([(p.longitude, p.latitude) for p in located])
    township_cells = geometry.voronoi_cells([(t.longitude, t.latitude) for t in townships], outline)
    villages_of: dict[str, list[Place]] = {}
    for village in villages:
        villages_of.setdefault(village.parent.code, []).append(village)
    hamlets_of: dict[str, list[Place]] = {}
    for hamlet in hamlets:
        hamlets_of.setdefault(hamlet.parent.code, []).append(hamlet)

    shapes = {district.code: outline}
    moved = []
    for township, cell in zip(townships, township_cells, strict=True):
        shapes[township.code] = cell
        inner = cell.buffer(-0.002) if cell.buffer(-0.002).area > 0 else cell
        members = villages_of.get(township.code, [])
        for village in members:
            old = (village.longitude, village.latitude)
            new = old
            if not inner.contains(shapely.Point(old)):
                new = _spot_inside(village.code, inner, (township.longitude, township.latitude))
            if new != old:
                village.longitude, village.latitude = round(new[0], 5), round(new[1], 5)
                moved.append(village)
                for hamlet in hamlets_of.get(village.code, []):
                    hamlet.longitude = round(hamlet.longitude + new[0] - old[0], 5)
                    hamlet.latitude = round(hamlet.latitude + new[1] - old[1], 5)
                    moved.append(hamlet)
        if not members:
            continue
        village_cells = geometry.voronoi_cells([(v.longitude, v.latitude) for v in members], cell)
        for village, village_cell in zip(members, village_cells, strict=True):
            shapes[village.code] = village_cell
            for hamlet in hamlets_of.get(village.code, []):
                old = (hamlet.longitude, hamlet.latitude)
                new = _pulled_inside(old, (village.longitude, village.latitude), village_cell)
                if new != old:
                    hamlet.longitude, hamlet.latitude = round(new[0], 5), round(new[1], 5)
                    moved.append(hamlet)

    drawn = []
    for place in (district, *townships, *villages):
        place.geometry = boundary_feature(shapes[place.code], source=SOURCE, synthetic=True)
        drawn.append(place)
    _with_keys(drawn + moved)
    Place.objects.bulk_update(drawn, ["geometry", "latitude", "longitude"], batch_size=200)
    # A thousand hamlet centres: one executemany instead of bulk_update's CASE expressions (seconds).
    with connection.cursor() as cursor:
        cursor.executemany(
            f"UPDATE {Place._meta.db_table} SET latitude = %s, longitude = %s WHERE id = %s",
            [(p.latitude, p.longitude, p.pk) for p in moved if p.level == 4],
        )
    audit.record(
        OPERATOR,
        "import",
        object_type="core.place",
        object_repr=SOURCE,
        changes={"updated": len(drawn), "synthetic": True, "moved_centres": len(moved)},
    )
    transaction.on_commit(bump_version)


def _with_keys(places):
    """Primary keys for places created by bulk_create on a database that does not return them."""
    missing = [p for p in places if p.pk is None]
    if missing:
        keys = dict(Place.objects.filter(code__in=[p.code for p in missing]).values_list("code", "pk"))
        for place in missing:
            place.pk = keys[place.code]
