"""Township and village boundaries: imported from a surveyed file, one polygon per division code.

A boundary file comes from a county's natural-resources bureau or a surveying company (GeoJSON,
Shapefile or GeoPackage, any of China's usual coordinate systems — see core/geometry.py). Every
feature is checked before anything is written: an unknown code, a shape that is not a valid polygon,
a shape far from the county (a wrong coordinate system) or a place outside the importer's region
refuses the whole file with every bad feature listed. What is written is one GeoJSON Feature in
CGCS2000 longitude/latitude on `Place.geometry`, whose properties say where it came from.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import shapely
from django.core.cache import cache
from django.db import transaction
from django.db.models import Max, Min

from shuxiang.core import audit, geometry
from shuxiang.core.errors import ServiceError
from shuxiang.core.importers import ImportRejected
from shuxiang.core.models import Place
from shuxiang.core.permissions import require
from shuxiang.core.scope import place_in_scope

# Column names surveying and land data use for a division code, tried in this order.
CODE_FIELDS = ("code", "区划代码", "行政区划代码", "CODE", "XZQDM", "ZLDWDM", "QHDM", "DM", "adcode", "PAC")
# How far beyond everything the county already knows (place centres, its outline) a shape may reach
# before it is taken for a wrong coordinate system: about 10 km.
FAR_MARGIN_DEGREES = 0.1
VERSION_KEY = "maps:boundaries:version"


@dataclass
class FeatureProblem:
    number: int
    code: str
    message: str

    def as_text(self) -> str:
        where = f"第{self.number}个要素" + (f"（{self.code}）" if self.code else "")
        return f"{where}：{self.message}"


@dataclass
class BoundaryImport:
    updated: int = 0
    crs: str = ""
    places: list[str] = field(default_factory=list)


def code_of(value) -> str:
    """A division code as the file writes it, made into ours (numbers, 6/9-digit prefixes, 19-digit 坐落单位代码)."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = str(value).strip()
    if not text.isdigit():
        return text
    if len(text) in (6, 9):
        return text.ljust(12, "0")
    if len(text) == 19 and text.endswith("0000000"):
        return text[:12]
    return text


def pick_code_field(fields: list[str], wanted: str | None) -> str:
    if wanted:
        if wanted not in fields:
            raise ServiceError(
                "bad_file", f"文件中没有字段“{wanted}”，现有字段：{'、'.join(fields) or '（无）'}", {}
            )
        return wanted
    for name in CODE_FIELDS:
        for candidate in fields:
            if candidate.lower() == name.lower():
                return candidate
    raise ServiceError(
        "bad_file",
        f"找不到区划代码字段（试过 {'、'.join(CODE_FIELDS)}），请用 --code-field 指定；现有字段：{'、'.join(fields) or '（无）'}",
        {},
    )


def _county_extents(places) -> dict[str, tuple]:
    """(minx, miny, maxx, maxy) of what is known of each county the places belong to."""
    extents = {}
    for root_code in {p.path.split("/")[1] for p in places}:
        root = Place.objects.filter(code=root_code).first()
        agg = Place.objects.filter(path__startswith=f"/{root_code}/", latitude__isnull=False).aggregate(
            s=Min("latitude"), n=Max("latitude"), w=Min("longitude"), e=Max("longitude")
        )
        boxes = []
        if agg["s"] is not None:
            boxes.append((agg["w"], agg["s"], agg["e"], agg["n"]))
        outline = geometry.from_geojson(root.geometry) if root and root.geometry else None
        if outline is not None and not outline.is_empty:
            boxes.append(outline.bounds)
        if boxes:
            extents[root_code] = (
                min(b[0] for b in boxes),
                min(b[1] for b in boxes),
                max(b[2] for b in boxes),
                max(b[3] for b in boxes),
            )
    return extents


def _far_from(extent, shape) -> float | None:
    """Kilometres by which a shape leaves the county's known extent (None when it stays within the margin)."""
    minx, miny, maxx, maxy = extent
    box = shapely.box(minx, miny, maxx, maxy)
    if box.buffer(FAR_MARGIN_DEGREES, join_style="mitre").contains(shape):
        return None
    return round(box.distance(shape.centroid) * 111, 1)


# --- reading a polygon layer file (boundaries here; farmland layers, forest stands) -----------------


def read_layer(path, crs=None):
    """(the file's VectorFile, its shapes moved to CGCS2000, the source CRS) — or ServiceError in Chinese.

    The shared first half of every polygon import: read the file, refuse an empty one, find the
    coordinate system (declared by the caller, else the file's, checked against where the shapes lie)."""
    try:
        source = geometry.read_vector(path)
    except geometry.GeometryError as exc:
        raise ServiceError("bad_file", exc.message, {}) from None
    if not source.features:
        raise ServiceError("empty_file", "文件里没有任何要素", {})
    shapes = [f.geometry for f in source.features if f.geometry is not None and not f.geometry.is_empty]
    if not shapes:
        raise ServiceError("bad_file", "文件里没有任何图形", {})
    bounds = shapely.total_bounds(np.array(shapes, dtype=object))
    try:
        declared = geometry.CRS.from_user_input(crs) if crs else source.crs
    except Exception:  # noqa: BLE001  (pyproj raises its own CRSError for any unreadable text)
        raise ServiceError("bad_crs", f"无法识别坐标系“{crs}”，请写成 EPSG:4525 这样的形式", {}) from None
    try:
        source_crs = geometry.detect_crs(declared, bounds)
    except geometry.GeometryError as exc:
        raise ServiceError("bad_crs", exc.message, {}) from None
    return source, geometry.to_storage([f.geometry for f in source.features], source_crs), source_crs


def pick_field(fields, candidates):
    """The file's own spelling of the first candidate column it has (case-insensitive), or None."""
    lowered = {f.lower(): f for f in fields}
    return next((lowered[n.lower()] for n in candidates if n.lower() in lowered), None)


def cell_text(value) -> str:
    """An attribute as text: None → "", 12.0 → "12" (codes read from numeric columns), stripped."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def json_safe(props: dict) -> dict:
    """A feature's attributes as they can be stored in a JSON field (dates and the like as text)."""
    return {
        k: (v if isinstance(v, str | int | float | bool) or v is None else str(v)) for k, v in props.items()
    }


def plan_boundaries(path, *, actor, code_field=None, crs=None):
    """(place, CGCS2000 shape) for every feature, the source CRS label, and every problem found."""
    source, moved, source_crs = read_layer(path, crs)
    name_field = pick_code_field(source.fields, code_field)

    codes = [code_of(f.properties.get(name_field)) for f in source.features]
    places = {p.code: p for p in Place.objects.filter(code__in=[c for c in codes if c])}
    extents = _county_extents(places.values())
    problems, plans, seen = [], [], {}
    for feature, code, shape in zip(source.features, codes, moved, strict=True):
        found = []
        place = places.get(code)
        if not code:
            found.append(f"没有区划代码（字段“{name_field}”为空）")
        elif place is None:
            found.append(f"区划代码 {code} 不在系统中")
        elif not place_in_scope(actor, place):
            found.append(f"{place.name}不在您的管辖范围内")
        if code and code in seen:
            found.append(f"区划代码重复（与第{seen[code]}个要素相同）")
        seen.setdefault(code, feature.number)
        reason = geometry.polygon_problem(shape)
        if reason:
            found.append(reason)
        elif place is not None and place.path.split("/")[1] in extents:
            far = _far_from(extents[place.path.split("/")[1]], shape)
            if far is not None:
                found.append(f"图形远在本区县范围之外（约 {far} 公里），坐标系是否正确？")
        problems.extend(FeatureProblem(feature.number, code, m) for m in found)
        if not found:
            plans.append((place, shape))
    return plans, problems, geometry.crs_label(source_crs)


def _summary(value) -> str | None:
    shape = geometry.from_geojson(value) if value else None
    if shape is None:
        return None
    vertices = len(shapely.get_coordinates(shape))
    return f"{vertices} 个顶点，{geometry.area_m2(shape) / 10_000:.2f} 公顷"


@transaction.atomic
def do_import_boundaries(path, *, actor, code_field=None, crs=None, synthetic=False) -> BoundaryImport:
    """Writes every feature's boundary onto its place, or nothing at all (ImportRejected lists why)."""
    require(actor, "import.run")
    require(actor, "core.place.change")
    plans, problems, crs_label = plan_boundaries(path, actor=actor, code_field=code_field, crs=crs)
    if problems:
        raise ImportRejected(problems)
    result = BoundaryImport(crs=crs_label)
    file_name = Path(path).name
    for place, shape in plans:
        set_boundary(place, shape, actor=actor, source=file_name, crs=crs_label, synthetic=synthetic)
        result.updated += 1
        result.places.append(place.code)
    audit.record(
        actor,
        "import",
        object_type="core.place",
        object_repr=f"导入边界：{file_name}"[:200],
        changes={"updated": result.updated, "crs": crs_label, "file": file_name},
    )
    transaction.on_commit(bump_version)
    return result


def boundary_feature(shape, *, source: str, crs: str = "", synthetic=False) -> dict:
    """What `Place.geometry` holds: the CGCS2000 shape, and where it came from."""
    return {
        "type": "Feature",
        "properties": {
            "source": source,
            "crs": crs,
            "synthetic": bool(synthetic),
            "area_m2": round(geometry.area_m2(shape), 1),
        },
        "geometry": geometry.to_geojson(shape),
    }


def set_boundary(place: Place, shape, *, actor, source: str, crs: str = "", synthetic=False):
    """Stores one CGCS2000 shape on a place; a place without a centre gets one inside the shape.

    The caller bumps the maps' cache version once on commit (`bump_version`).
    """
    before = place.geometry
    place.geometry = boundary_feature(shape, source=source, crs=crs, synthetic=synthetic)
    fields = ["geometry"]
    if place.latitude is None or place.longitude is None:
        place.longitude, place.latitude = geometry.label_point(shape)
        fields += ["latitude", "longitude"]
    place.save(update_fields=fields)
    audit.record(actor, "update", place, changes={"geometry": [_summary(before), _summary(place.geometry)]})


def boundaries_version() -> int:
    return cache.get(VERSION_KEY) or 0


def bump_version():
    """Maps read simplified boundaries from the cache under this number; a new import starts afresh."""
    try:
        cache.incr(VERSION_KEY)
    except ValueError:
        cache.set(VERSION_KEY, 1, None)
