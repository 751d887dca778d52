"""Shapes on the county's map: reading vector files, coordinate systems, validity, areas, display.

Boundaries, land parcels, farmland layers and machinery tracks all arrive the same way: a GeoJSON,
Shapefile or GeoPackage from a surveying company or a bureau, in CGCS2000 longitude/latitude, WGS84
or a Gauss-Krüger projection. They are stored one way only — CGCS2000 (EPSG:4490) longitude/latitude
as GeoJSON — so every map, area and point-in-boundary test works on the same coordinates. This module
is the one place that knows how to get there; apps import it rather than calling shapely, pyproj or
pyogrio themselves. Every message meant for a person is Chinese.

The three libraries come as wheels with GEOS, PROJ and GDAL inside, so nothing but Python is needed.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import shapely
from pyproj import CRS, Transformer
from shapely.geometry import mapping, shape
from shapely.geometry.polygon import orient

STORAGE_EPSG = 4490  # CGCS2000 geographic; WGS84 (4326) differs from it by centimetres

# What a person can hand in; a Shapefile may also come zipped with its .dbf/.shx/.prj/.cpg.
SUFFIXES = {
    ".geojson": "GeoJSON",
    ".json": "GeoJSON",
    ".shp": "Shapefile",
    ".zip": "Shapefile",
    ".gpkg": "GeoPackage",
}

# CGCS2000 Gauss-Krüger systems whose false easting carries the zone number (e.g. 37 500 000 m).
GK3_ZONE_EPSG = {zone: 4513 + zone - 25 for zone in range(25, 46)}  # 3-degree zones 25–45: EPSG:4513–4533
GK6_ZONE_EPSG = {zone: 4491 + zone - 13 for zone in range(13, 24)}  # 6-degree zones 13–23: EPSG:4491–4501

# Datums that need a county's own seven-parameter set to reach CGCS2000; PROJ would silently use a
# "ballpark" transformation tens of metres off, so such files are refused with the reason.
OLD_DATUMS = {"Beijing 1954": "北京54", "Xian 1980": "西安80", "New Beijing": "新北京54"}

VALIDITY_REASONS = {
    "Self-intersection": "边界自相交",
    "Ring Self-intersection": "环自相交",
    "Too few points": "顶点太少",
    "Hole lies outside shell": "内环（洞）在外环之外",
    "Nested shells": "外环相互嵌套",
    "Nested holes": "内环相互嵌套",
    "Interior is disconnected": "内部不连通",
    "Duplicate Rings": "环重复",
    "Invalid Coordinate": "坐标无效",
    "Ring is not closed": "环未闭合",
}


class GeometryError(ValueError):
    """A file or shape that cannot be used as it is; `message` says why in Chinese."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


@dataclass
class Feature:
    number: int  # 1-based, as a person counts the features of the file
    properties: dict
    geometry: object  # shapely geometry in the file's coordinates (None when the feature has none)


@dataclass
class VectorFile:
    features: list[Feature]
    crs: CRS | None  # as the file declares it (None: no .prj / no CRS)
    fields: list[str] = field(default_factory=list)


# --- reading --------------------------------------------------------------------------------


def read_vector(path, *, layer=None) -> VectorFile:
    """Every feature of a GeoJSON, Shapefile (or zipped Shapefile) or GeoPackage, with its declared CRS."""
    import pyogrio.raw
    from pyogrio.errors import DataLayerError, DataSourceError

    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in SUFFIXES:
        raise GeometryError(
            "只支持 GeoJSON（.geojson/.json）、Shapefile（.shp 或打包的 .zip）和 GeoPackage（.gpkg）"
        )
    if not path.exists():
        raise GeometryError(f"文件不存在：{path.name}")
    source = str(path)
    if suffix == ".zip":
        inner = [p for p in pyogrio.vsi_listtree(f"/vsizip/{path}") if p.lower().endswith(".shp")]
        if len(inner) != 1:
            raise GeometryError("压缩包里应当正好有一个 .shp 文件（连同 .dbf、.shx、.prj）")
        source = inner[0] if inner[0].startswith("/vsi") else f"/vsizip/{path}/{inner[0].lstrip('/')}"
    elif suffix == ".shp":
        for sidecar in (".dbf", ".shx"):
            if not path.with_suffix(sidecar).exists() and not path.with_suffix(sidecar.upper()).exists():
                raise GeometryError(f"Shapefile 缺少同名的 {sidecar} 文件")
    try:
        meta, _fids, wkb, columns = pyogrio.raw.read(source, layer=layer, force_2d=True)
    except (DataSourceError, DataLayerError) as exc:
        raise GeometryError(f"无法读取文件：{exc}") from None
    names = list(meta["fields"])
    geometries = shapely.from_wkb(wkb, on_invalid="ignore") if wkb is not None else [None] * len(_fids or [])
    count = len(geometries) if wkb is not None else (len(columns[0]) if columns else 0)
    features = []
    # columns as Python lists once (numpy scalars one by one cost a microsecond each)
    values = [column.tolist() if hasattr(column, "tolist") else list(column) for column in columns or []]
    for i in range(count):
        props = {name: _plain(values[j][i]) for j, name in enumerate(names)}
        geom = geometries[i] if wkb is not None else None
        features.append(Feature(number=i + 1, properties=props, geometry=geom))
    crs = CRS.from_user_input(meta["crs"]) if meta.get("crs") else None
    return VectorFile(features=features, crs=crs, fields=names)


def _plain(value):
    if value is None:
        return None
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and math.isnan(value):
        return None
    return value


# --- coordinate systems ---------------------------------------------------------------------


def _looks_geographic(bounds) -> bool:
    minx, miny, maxx, maxy = bounds
    return -180 <= minx <= maxx <= 180 and -90 <= miny <= maxy <= 90


def crs_label(crs: CRS) -> str:
    epsg = crs.to_epsg(min_confidence=70)
    return f"{crs.name}（EPSG:{epsg}）" if epsg else crs.name


def detect_crs(declared: CRS | None, bounds) -> CRS:
    """The coordinate system the coordinates are really in, or GeometryError saying what to do.

    A declared CRS must agree with the numbers (degrees for a geographic one, metres for a projected
    one). Without one, degrees are taken as CGCS2000, and Gauss-Krüger metres are recognised when the
    false easting carries the zone number (a 3-degree zone 25–45 or 6-degree zone 13–23). Metres
    without a zone number could belong to any central meridian: the caller must say which.
    """
    if declared is not None:
        datum = declared.geodetic_crs.datum.name if declared.geodetic_crs else ""
        for known, label in OLD_DATUMS.items():
            if known.lower() in datum.lower():
                raise GeometryError(
                    f"坐标系为{label}（{crs_label(declared)}），需先用本地七参数转换为 CGCS2000 再导入"
                )
        geographic = _looks_geographic(bounds)
        if declared.is_geographic and not geographic:
            raise GeometryError(
                f"文件声明的坐标系是经纬度（{crs_label(declared)}），但坐标值是米制的投影坐标："
                "请检查 .prj，或用 --crs 指定（如 EPSG:4525、EPSG:4546）"
            )
        if declared.is_projected and geographic:
            raise GeometryError(
                f"文件声明的坐标系是投影坐标（{crs_label(declared)}），但坐标值像经纬度：请检查 .prj"
            )
        return declared
    if _looks_geographic(bounds):
        return CRS.from_epsg(STORAGE_EPSG)
    minx, _, maxx, _ = bounds
    zone, zone_max = int(minx // 1_000_000), int(maxx // 1_000_000)
    if zone == zone_max:
        if zone in GK3_ZONE_EPSG:
            return CRS.from_epsg(GK3_ZONE_EPSG[zone])
        if zone in GK6_ZONE_EPSG:
            return CRS.from_epsg(GK6_ZONE_EPSG[zone])
    raise GeometryError(
        "文件没有坐标系说明（缺少 .prj），坐标也不是经纬度或带带号的高斯-克吕格坐标："
        "请用 --crs 指定，例如 3度带中央经线111°用 EPSG:4546"
    )


def transformer_to_storage(source: CRS) -> Transformer | None:
    """None when the source already is CGCS2000/WGS84 longitude/latitude (no change needed)."""
    if source.is_geographic and source.to_epsg(min_confidence=70) in (STORAGE_EPSG, 4326):
        return None
    return Transformer.from_crs(source, CRS.from_epsg(STORAGE_EPSG), always_xy=True)


def to_storage(geometries, source: CRS) -> list:
    """The geometries in CGCS2000 longitude/latitude (None stays None)."""
    transformer = transformer_to_storage(source)
    if transformer is None:
        return list(geometries)

    def move(coords):
        x, y = transformer.transform(coords[:, 0], coords[:, 1])
        return np.column_stack([x, y])

    # one call for the whole file: PROJ transforms every coordinate of every shape in one pass
    shapes = np.empty(len(geometries), dtype=object)
    shapes[:] = list(geometries)
    present = np.array([g is not None for g in shapes], dtype=bool)
    if present.any():
        shapes[present] = shapely.transform(shapes[present], move)
    return list(shapes)


def gauss_kruger_crs(longitude: float, *, zone_prefix: bool = True, width: int = 3) -> CRS:
    """The CGCS2000 Gauss-Krüger system a county at `longitude` uses (3-degree zones by default).

    A 3-degree zone n is centred on 3n° and spans 3n ± 1.5°: 112.4°E is zone 37 (central meridian 111°,
    EPSG:4525 with the zone number in the easting, EPSG:4546 without).
    """
    if width == 3:
        zone = int(math.floor((longitude + 1.5) / 3))
        return CRS.from_epsg(GK3_ZONE_EPSG[zone] if zone_prefix else 4534 + zone - 25)
    zone = int(math.floor(longitude / 6)) + 1
    return CRS.from_epsg(GK6_ZONE_EPSG[zone] if zone_prefix else 4502 + zone - 13)


# --- validity -------------------------------------------------------------------------------


def polygon_problem(geometry) -> str | None:
    """Why a geometry cannot be an area (a boundary, a parcel), in Chinese; None when it can."""
    if geometry is None or shapely.is_empty(geometry):
        return "没有图形"
    if geometry.geom_type not in ("Polygon", "MultiPolygon"):
        return f"应为面（Polygon/MultiPolygon），实际是 {geometry.geom_type}"
    if not np.isfinite(shapely.get_coordinates(geometry)).all():
        return "坐标无效（含空值或无穷大）"
    if not shapely.is_valid(geometry):
        reason = shapely.is_valid_reason(geometry)
        text, _, where = reason.partition("[")
        chinese = VALIDITY_REASONS.get(text.strip(), text.strip())
        where = where.rstrip("]").split()
        place = f"（位置 {float(where[0]):.6g}, {float(where[1]):.6g}）" if len(where) >= 2 else ""
        return f"图形无效：{chinese}{place}"
    return None


# --- measures -------------------------------------------------------------------------------


def area_m2(geometry) -> float:
    """Area in square metres of a CGCS2000 longitude/latitude shape.

    Measured in a Lambert azimuthal equal-area projection on the CGCS2000 ellipsoid centred on the
    shape itself: an equal-area projection keeps areas exact (to rounding) wherever its centre is, so
    the figure matches the ellipsoidal area (椭球面积) the land surveys report.
    """
    if geometry is None or shapely.is_empty(geometry):
        return 0.0
    centre = geometry.centroid
    # A bare PROJ pipeline: CGCS2000 longitude/latitude are on the GRS80 ellipsoid, so no datum step is
    # needed, and building it skips the CRS database lookup (under a millisecond instead of ~60 ms).
    transformer = Transformer.from_pipeline(
        "+proj=pipeline +step +proj=unitconvert +xy_in=deg +xy_out=rad "
        f"+step +proj=laea +lat_0={centre.y:.8f} +lon_0={centre.x:.8f} +ellps=GRS80"
    )

    def move(coords):
        x, y = transformer.transform(coords[:, 0], coords[:, 1])
        return np.column_stack([x, y])

    return float(shapely.transform(geometry, move).area)


def areas_m2(geometries) -> np.ndarray:
    """Areas in square metres of many CGCS2000 longitude/latitude shapes at once (a layer import).

    One Lambert azimuthal equal-area projection centred on the whole batch: equal-area projections keep
    areas wherever their centre lies, so this equals `area_m2` shape by shape (to ~10⁻⁹ for shapes of
    one county) at a small fraction of the cost of a projection per shape.
    """
    shapes = np.asarray(geometries, dtype=object)
    if not len(shapes):
        return np.zeros(0)
    minx, miny, maxx, maxy = shapely.total_bounds(shapes)
    transformer = Transformer.from_pipeline(
        "+proj=pipeline +step +proj=unitconvert +xy_in=deg +xy_out=rad "
        f"+step +proj=laea +lat_0={(miny + maxy) / 2:.8f} +lon_0={(minx + maxx) / 2:.8f} +ellps=GRS80"
    )

    def move(coords):
        x, y = transformer.transform(coords[:, 0], coords[:, 1])
        return np.column_stack([x, y])

    return shapely.area(shapely.transform(shapes, move))


def label_point(geometry) -> tuple[float, float]:
    """(longitude, latitude) well inside the shape (its largest part's pole of inaccessibility)."""
    from shapely.ops import polylabel

    part = geometry
    if geometry.geom_type == "MultiPolygon":
        part = max(geometry.geoms, key=lambda g: g.area)
    if part.geom_type != "Polygon":
        point = geometry.representative_point()
    else:
        minx, miny, maxx, maxy = part.bounds
        point = polylabel(part, tolerance=max(maxx - minx, maxy - miny) / 100 or 1e-6)
    return round(point.x, 6), round(point.y, 6)


# --- GeoJSON --------------------------------------------------------------------------------


def from_geojson(value):
    """A shapely geometry from a GeoJSON geometry or Feature dict (None when there is none)."""
    if not value:
        return None
    if value.get("type") == "Feature":
        value = value.get("geometry")
        if not value:
            return None
    return shape(value)


def to_geojson(geometry, *, decimals: int = 7) -> dict:
    """A GeoJSON geometry dict, exterior rings counter-clockwise (RFC 7946), rounded to ~1 cm."""
    rounded = shapely.set_precision(geometry, 10**-decimals)
    if shapely.is_empty(rounded):
        rounded = geometry
    if rounded.geom_type == "Polygon":
        rounded = orient(rounded, 1.0)
    elif rounded.geom_type == "MultiPolygon":
        rounded = shapely.MultiPolygon([orient(p, 1.0) for p in rounded.geoms])
    return _lists(mapping(rounded))


def to_geojson_many(geometries, *, decimals: int = 7) -> list[dict]:
    """`to_geojson` for many shapes at once (rounding and ring orientation vectorised)."""
    import json

    shapes = np.asarray(geometries, dtype=object)
    rounded = shapely.set_precision(shapes, 10**-decimals)
    empty = shapely.is_empty(rounded)
    rounded[empty] = shapes[empty]
    oriented = shapely.orient_polygons(rounded, exterior_cw=False)
    return [json.loads(text) for text in shapely.to_geojson(oriented)]


def _lists(value):
    """mapping() gives tuples; JSON fields compare and serialise more predictably with lists."""
    if isinstance(value, dict):
        return {k: _lists(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_lists(v) for v in value]
    return value


def contains(geojson, longitude: float, latitude: float) -> bool:
    """Whether a stored boundary holds a point (on the edge counts as inside)."""
    geometry = from_geojson(geojson)
    return geometry is not None and geometry.covers(shapely.Point(longitude, latitude))


# --- display --------------------------------------------------------------------------------


def simplify_for_display(geometries, tolerance: float) -> list:
    """Lighter shapes for a map; neighbours keep one shared edge (coverage simplification).

    `tolerance` is in degrees (0.0005° ≈ 50 m). A shape that would vanish keeps its original form.
    """
    geometries = list(geometries)
    if not geometries:
        return []
    try:
        simplified = list(shapely.coverage_simplify(np.array(geometries, dtype=object), tolerance))
    except shapely.errors.GEOSException:
        simplified = [shapely.simplify(g, tolerance, preserve_topology=True) for g in geometries]
    return [
        s if s is not None and not shapely.is_empty(s) and s.is_valid else g
        for s, g in zip(simplified, geometries, strict=True)
    ]


def display_tolerance(geometries) -> float:
    """A simplification tolerance for shapes shown together: about 1/800 of their extent."""
    bounds = shapely.total_bounds(np.array(geometries, dtype=object))
    extent = max(bounds[2] - bounds[0], bounds[3] - bounds[1])
    return max(extent / 800, 0.00002) if math.isfinite(extent) else 0.0001


# --- synthetic shapes (demo) ----------------------------------------------------------------


def voronoi_cells(points, clip) -> list:
    """One cell per (longitude, latitude) point, clipped to `clip`, in the points' order.

    Used to draw plausible stand-in boundaries around place centres where no survey exists (the demo).
    Repeated points share one cell.
    """
    unique = list(dict.fromkeys((round(x, 7), round(y, 7)) for x, y in points))
    cells = shapely.voronoi_polygons(shapely.MultiPoint(unique), extend_to=clip, ordered=True)
    by_point = {pt: cell.intersection(clip) for pt, cell in zip(unique, cells.geoms, strict=True)}
    return [by_point[(round(x, 7), round(y, 7))] for x, y in points]


def gauss_kruger_areas(geometries, *, longitude: float | None = None) -> tuple[list[float], list]:
    """Areas (m²) of many CGCS2000 longitude/latitude shapes in the county's Gauss-Krüger 3-degree zone,
    and the shapes in that plane (metres), in one vectorised transformation.

    Land registers (确权) measure parcels in the CGCS2000 3-degree Gauss-Krüger plane; near the central
    meridian its scale factor is 1 and areas agree with the ellipsoidal ones to a few parts in ten
    thousand. `longitude` picks the zone (default: the middle of the shapes).
    """
    present = [g for g in geometries if g is not None]
    if not present:
        return [0.0 for _ in geometries], [None for _ in geometries]
    if longitude is None:
        bounds = shapely.total_bounds(np.array(present, dtype=object))
        longitude = (bounds[0] + bounds[2]) / 2
    transformer = Transformer.from_crs(
        CRS.from_epsg(STORAGE_EPSG), gauss_kruger_crs(longitude), always_xy=True
    )

    def move(coords):
        x, y = transformer.transform(coords[:, 0], coords[:, 1])
        return np.column_stack([x, y])

    projected = shapely.transform(np.array(geometries, dtype=object), move)
    areas = shapely.area(projected)
    return [float(a) if g is not None else 0.0 for a, g in zip(areas, geometries, strict=True)], list(
        projected
    )


def to_geojson_and_shapes(geometries, *, decimals: int = 7, parse: bool = True) -> tuple[list, list]:
    """`to_geojson` of many shapes at once (vectorised: ~50× faster for a survey file of parcels), and
    the rounded, oriented shapes themselves (what the dicts describe). `parse=False` gives the GeoJSON
    texts instead of dicts (for a bulk insert that would only encode them again)."""
    shapes = np.array(list(geometries), dtype=object)
    # Rounding the coordinates keeps almost every shape valid; GEOS's snap rounding (set_precision,
    # ~0.4 ms a shape) is kept for the few that rounding would break.
    rounded = shapely.transform(shapes, lambda coords: np.round(coords, decimals))
    broken = ~shapely.is_valid(rounded) & shapely.is_valid(shapes)
    if broken.any():
        rounded[broken] = shapely.set_precision(shapes[broken], 10**-decimals)
    emptied = shapely.is_empty(rounded)
    rounded[emptied] = shapes[emptied]
    oriented = shapely.orient_polygons(rounded, exterior_cw=False)
    texts = shapely.to_geojson(oriented)
    return ([json.loads(text) for text in texts] if parse else texts.tolist()), list(oriented)
