"""Parcels: create one, import a whole survey file (all or nothing), export without loss.

A 确权 delivery is a Shapefile (with its .prj, usually a CGCS2000 3-degree Gauss-Krüger zone), a
GeoPackage or a GeoJSON, sometimes with the attributes in a separate XLSX sheet keyed by 地块编码.
Every feature is checked before anything is written; the file is refused with every problem listed
(bad or duplicate code, unknown 发包方, parcel outside the village asked for, invalid polygon, parcels
overlapping each other or a parcel already registered, an area grossly different from the polygon).
An area a little off (beyond choices.AREA_TOLERANCE) is not refused but flagged on the parcel.
"""

from __future__ import annotations

import json
import tempfile
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from pathlib import Path

import numpy as np
import shapely
from django.db import transaction
from django.utils import timezone

from shuxiang.core import audit, geometry
from shuxiang.core.errors import ServiceError
from shuxiang.core.importers import Problem, read_rows
from shuxiang.core.permissions import require
from shuxiang.land import codes
from shuxiang.land.choices import AREA_TOLERANCE, MU_M2, LandUse, ParcelKind
from shuxiang.land.models import Parcel

# A registered area more than this far from the polygon's is a wrong unit or wrong polygon: refused.
AREA_REFUSE = Decimal("0.5")
# Intersections smaller than this (survey slivers along shared edges) are not overlaps.
OVERLAP_M2 = 1.0
BATCH = 2000

# Column names as the 确权 database (NY/T 2539) and people's sheets write them → our fields.
ALIASES = {
    "code": ("DKBM", "dkbm", "地块编码", "code"),
    "name": ("DKMC", "dkmc", "地块名称", "name"),
    "issuer": ("FBFBM", "fbfbm", "FBFDM", "发包方编码", "issuer"),
    "kind": ("DKLB", "dklb", "地块类别", "kind"),
    "land_use": ("TDLYLX", "tdlylx", "土地利用类型", "land_use"),
    "basic_farmland": ("SFJBNT", "sfjbnt", "是否基本农田", "basic_farmland"),
    "area_m2": ("SCMJ", "scmj", "HTMJ", "htmj", "实测面积", "登记面积", "registered_area_m2"),
    "area_mu": ("SCMJM", "scmjm", "HTMJM", "htmjm", "实测面积亩", "登记面积亩", "registered_mu"),
    "east": ("DKDZ", "dkdz", "东至", "east"),
    "south": ("DKNZ", "dknz", "南至", "south"),
    "west": ("DKXZ", "dkxz", "西至", "west"),
    "north": ("DKBZ", "dkbz", "北至", "north"),
}
KIND_LABELS = {k.label: k.value for k in ParcelKind}
KINDS = frozenset(ParcelKind.values)
USES = frozenset(LandUse.values)
USE_LABELS = {u.label: u.value for u in LandUse}


@dataclass
class ImportSummary:
    created: int = 0
    updated: int = 0
    flagged: list[str] = field(default_factory=list)
    crs: str = ""

    def as_dict(self):
        return {"created": self.created, "updated": self.updated, "flagged": self.flagged, "crs": self.crs}


def _pick(props: dict, name: str, aliases=ALIASES):
    for key in aliases[name]:
        value = props.get(key)
        if value not in (None, ""):
            return value
    return None


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def _decimal(value) -> Decimal | None:
    if value in (None, ""):
        return None
    try:
        return Decimal(str(value).strip())
    except InvalidOperation:
        raise ValueError(f"「{value}」不是数字") from None


def registered_area(props: dict, aliases=ALIASES) -> Decimal | None:
    """The registered area in m² from SCMJ (m²) or SCMJM (亩)."""
    m2 = _decimal(_pick(props, "area_m2", aliases))
    if m2 is not None:
        return m2.quantize(Decimal("0.01"), ROUND_HALF_UP)
    mu = _decimal(_pick(props, "area_mu", aliases))
    return None if mu is None else (mu * MU_M2).quantize(Decimal("0.01"), ROUND_HALF_UP)


def area_difference(registered: Decimal | None, measured: Decimal | None) -> Decimal | None:
    if registered is None or measured is None or registered == 0:
        return None
    return abs(measured - registered) / registered


def _in_china_all(shapes) -> list[bool]:
    """Whether each shape lies within 73.5°–135.5°E, 3°–54°N (None: False), from one vectorised
    bounds call."""
    arr = np.empty(len(shapes), dtype=object)
    arr[:] = list(shapes)
    b = shapely.bounds(arr)  # NaN for None and empty shapes: every comparison is False
    with np.errstate(invalid="ignore"):
        ok = (b[:, 0] >= 73.5) & (b[:, 0] <= b[:, 2]) & (b[:, 2] <= 135.5)
        ok &= (b[:, 1] >= 3) & (b[:, 1] <= b[:, 3]) & (b[:, 3] <= 54)
    return ok.tolist()


def _kind(value) -> str:
    text = _text(value) or ParcelKind.CONTRACTED
    return KIND_LABELS.get(text, text)


def _use(value) -> str:
    text = _text(value) or LandUse.PADDY
    return USE_LABELS.get(text, text)


def _bool(value) -> bool:
    return _text(value).lower() in ("1", "是", "true", "y", "yes")


@dataclass
class _Planned:
    number: int
    code: str
    issuer: object
    values: dict
    geometry: object  # storage coordinates
    geojson: str | None = None  # GeoJSON text of the stored (rounded) shape
    projected: object = None
    bounds: tuple = ()
    label: tuple = ()


def _plan(features, *, village, crs_hint, problems: list[Problem]) -> list[_Planned]:
    """Check every feature; collect problems; return what would be written."""
    # only the column names this file has, once, instead of trying every alias on every feature
    keys = set().union(*(f.properties.keys() for f in features)) if features else set()
    aliases = {name: tuple(k for k in options if k in keys) for name, options in ALIASES.items()}
    present = [f.geometry for f in features if f.geometry is not None]
    if present:
        bounds = shapely.total_bounds(np.array(present, dtype=object))
        try:
            source = geometry.detect_crs(crs_hint, bounds)
        except geometry.GeometryError as exc:
            raise ServiceError("bad_crs", exc.message, {"file": [exc.message]}) from None
        stored = geometry.to_storage([f.geometry for f in features], source)
    else:
        stored = [None] * len(features)
    usable = _usable(stored)
    inside = _in_china_all(stored)
    issuers: dict[str, object] = {}
    seen: dict[str, int] = {}
    planned = []
    for feature, geom in zip(features, stored, strict=True):
        props = feature.properties
        code = _text(_pick(props, "code", aliases))
        row_problems = []
        problem = codes.parcel_code_problem(code)
        if problem:
            row_problems.append(Problem(feature.number, "地块编码", problem))
        issuer = None
        if not problem:
            if code in seen:
                row_problems.append(
                    Problem(feature.number, "地块编码", f"与第{seen[code]}个要素重复：{code}")
                )
            seen.setdefault(code, feature.number)
            given = _text(_pick(props, "issuer", aliases))
            if given and given != code[:14]:
                row_problems.append(
                    Problem(
                        feature.number,
                        "发包方编码",
                        f"发包方编码 {given} 与地块编码前14位 {code[:14]} 不一致",
                    )
                )
            if code[:14] not in issuers:
                issuers[code[:14]] = codes.find_issuer(code[:14])
            issuer = issuers[code[:14]]
            if issuer is None:
                row_problems.append(
                    Problem(
                        feature.number, "发包方编码", f"未知的发包方 {code[:14]}（不是本区的村或村民小组）"
                    )
                )
            elif village is not None and codes.village_of(issuer).pk != village.pk:
                row_problems.append(
                    Problem(feature.number, "发包方编码", f"发包方 {issuer.name} 不属于 {village.name}")
                )
        shape_problem = None if usable[feature.number - 1] else geometry.polygon_problem(geom)
        if not shape_problem and not inside[feature.number - 1]:
            shape_problem = "坐标不在我国范围内（经度73°–135°、纬度3°–54°），请检查坐标系"
        if shape_problem:
            row_problems.append(Problem(feature.number, "图形", shape_problem))
        values = {}
        try:
            values = {
                "name": _text(_pick(props, "name", aliases))[:60],
                "kind": _kind(_pick(props, "kind", aliases)),
                "land_use": _use(_pick(props, "land_use", aliases)),
                "basic_farmland": _bool(_pick(props, "basic_farmland", aliases)),
                "registered_area_m2": registered_area(props, aliases),
                **{
                    side: _text(_pick(props, side, aliases))[:100]
                    for side in ("east", "south", "west", "north")
                },
            }
        except ValueError as exc:
            row_problems.append(Problem(feature.number, "面积", str(exc)))
        if values and values["kind"] not in KINDS:
            row_problems.append(
                Problem(
                    feature.number, "地块类别", f"地块类别应为 10/21/22/23/99，实际为「{values['kind']}」"
                )
            )
        if values and values["land_use"] not in USES:
            row_problems.append(
                Problem(feature.number, "土地利用类型", f"未知的土地利用类型「{values['land_use']}」")
            )
        if values and values["registered_area_m2"] is not None and values["registered_area_m2"] <= 0:
            row_problems.append(Problem(feature.number, "面积", "登记面积应大于0"))
        problems.extend(row_problems)
        if not row_problems:
            planned.append(_Planned(feature.number, code, issuer, values, geom))
    # measured on the shapes as stored (rounded to ~1 cm), so a re-import measures the same
    # the GeoJSON stays text: the bulk insert writes it as it is (decoding and re-encoding 100,000
    # polygons was a fifth of an import); the ORM paths decode it (_row)
    stored_json, rounded = geometry.to_geojson_and_shapes([p.geometry for p in planned], parse=False)
    for p, as_json, shape in zip(planned, stored_json, rounded, strict=True):
        p.geojson, p.geometry = as_json, shape
    return planned


def _usable(shapes) -> np.ndarray:
    """Which shapes are plainly fine (valid, non-empty polygons with finite coordinates), in one pass;
    the rest go through geometry.polygon_problem, which says why."""
    arr = np.array(shapes, dtype=object)
    present = ~shapely.is_missing(arr)
    out = np.zeros(len(arr), dtype=bool)
    if present.any():
        some = arr[present]
        kinds = shapely.get_type_id(some)
        # NaN or infinite coordinates make a shape invalid; anything odd gets polygon_problem's reason
        out[present] = np.isin(kinds, (3, 6)) & ~shapely.is_empty(some) & shapely.is_valid(some)
    return out


def _measure_and_overlaps(planned: list[_Planned], problems: list[Problem], *, replacing: set[str]):
    """Areas in the Gauss-Krüger plane; overlaps within the file and with parcels already registered."""
    if not planned:
        return
    areas, projected = geometry.gauss_kruger_areas([p.geometry for p in planned])
    for p, area, shape in zip(planned, areas, projected, strict=True):
        p.projected = shape
        measured = Decimal(str(round(area, 2)))
        p.values["measured_area_m2"] = measured
        diff = area_difference(p.values["registered_area_m2"], measured)
        if diff is not None and diff > AREA_REFUSE:
            problems.append(
                Problem(
                    p.number,
                    "面积",
                    f"登记面积 {p.values['registered_area_m2']} m² 与图形面积 {measured} m² 相差 {diff:.0%}，"
                    "请检查面积单位（m²/亩）或图形",
                )
            )
        p.values["area_flagged"] = diff is not None and diff > AREA_TOLERANCE
    shapes = np.array([p.projected for p in planned], dtype=object)
    tree = shapely.STRtree(shapes)
    left, right = tree.query(shapes, predicate="intersects")
    pairs = left < right  # each pair once, not a shape with itself
    for i, j in zip(left[pairs], right[pairs], strict=True):
        overlap = shapely.intersection(shapes[i], shapes[j]).area
        if overlap > OVERLAP_M2:
            problems.append(
                Problem(
                    planned[j].number,
                    "图形",
                    f"与第{planned[i].number}个要素（{planned[i].code}）重叠约 {overlap:.1f} m²",
                )
            )
    _overlaps_with_registered(planned, problems, replacing=replacing)


def _overlaps_with_registered(planned, problems, *, replacing: set[str]):
    minx, miny, maxx, maxy = shapely.total_bounds(np.array([p.geometry for p in planned], dtype=object))
    existing = list(
        Parcel.objects.filter(
            geometry__isnull=False, maxx__gte=minx, minx__lte=maxx, maxy__gte=miny, miny__lte=maxy
        )
        .exclude(code__in=replacing)
        .values_list("code", "geometry")
    )
    if not existing:
        return
    lng = (minx + maxx) / 2
    _, theirs = geometry.gauss_kruger_areas([geometry.from_geojson(g) for _, g in existing], longitude=lng)
    _, ours = geometry.gauss_kruger_areas([p.geometry for p in planned], longitude=lng)
    tree = shapely.STRtree(np.array(theirs, dtype=object))
    left, right = tree.query(np.array(ours, dtype=object), predicate="intersects")
    for i, j in zip(left, right, strict=True):
        overlap = shapely.intersection(ours[i], theirs[j]).area
        if overlap > OVERLAP_M2:
            problems.append(
                Problem(planned[i].number, "图形", f"与已登记地块 {existing[j][0]} 重叠约 {overlap:.1f} m²")
            )


def _locate(planned: list[_Planned]) -> None:
    """Bounds and a label point inside each shape, for all shapes at once."""
    if not planned:
        return
    shapes = np.array([p.geometry for p in planned], dtype=object)
    bounds = shapely.bounds(shapes).tolist()
    points = np.round(shapely.get_coordinates(shapely.point_on_surface(shapes)), 6).tolist()
    for p, box, point in zip(planned, bounds, points, strict=True):
        p.bounds = tuple(box)
        p.label = tuple(point)


def _row(p: _Planned, *, raw=False, village=None) -> dict:
    """The parcel's column values; `raw`: the geometry as GeoJSON text (for _insert), else decoded."""
    minx, miny, maxx, maxy = p.bounds
    lng, lat = p.label
    return {
        **p.values,
        "issuer": p.issuer,
        "village": village or codes.village_of(p.issuer),
        "geometry": p.geojson if raw else json.loads(p.geojson),
        "longitude": lng,
        "latitude": lat,
        "minx": minx,
        "miny": miny,
        "maxx": maxx,
        "maxy": maxy,
    }


def _insert(rows: list[dict]) -> None:
    """INSERT the new parcels in batches with one prepared statement.

    Building a model instance and running the ORM's per-field preparation for 24 fields was four fifths
    of an import's time; here each column's value is adapted the way the field would adapt it (JSON and
    decimals through the field, times once), so the database receives the same values."""
    from django.db import DEFAULT_DB_ALIAS, connections

    if not rows:
        return
    # the connection itself, not the thread-local proxy `django.db.connection` (a lookup per access)
    connection = connections[DEFAULT_DB_ALIAS]
    now = timezone.now()
    fields = [f for f in Parcel._meta.concrete_fields if not f.primary_key]
    columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
    # the geometry arrives as GeoJSON text: PostgreSQL casts it to jsonb, SQLite stores the text
    cast = "%s::jsonb" if connection.vendor == "postgresql" else "%s"
    marks = ", ".join(cast if f.get_internal_type() == "JSONField" else "%s" for f in fields)
    sql = f"INSERT INTO {connection.ops.quote_name(Parcel._meta.db_table)} ({columns}) VALUES ({marks})"
    defaults = {f.name: f.get_default() for f in fields}
    prepare = []
    for f in fields:
        if f.name in ("created_at", "updated_at"):
            value = f.get_db_prep_save(now, connection)
            prepare.append(lambda row, v=value: v)
        elif f.is_relation:
            prepare.append(lambda row, name=f.name: row[name].pk)
        elif f.get_internal_type() == "JSONField":
            prepare.append(lambda row, name=f.name: row[name])  # GeoJSON text (_row raw)
        elif f.get_internal_type() == "DecimalField":
            # what DecimalField.to_python makes of a Decimal, and the backend's adaptation of it
            step = Decimal(1).scaleb(-f.decimal_places)
            prepare.append(
                lambda row, name=f.name, field=f, step=step: (
                    None
                    if row[name] is None
                    else connection.ops.adapt_decimalfield_value(
                        field.context.create_decimal(row[name]).quantize(step, context=field.context),
                        field.max_digits,
                        field.decimal_places,
                    )
                )
            )
        else:
            prepare.append(lambda row, name=f.name: row.get(name, defaults[name]))
    with connection.cursor() as cursor:
        for start in range(0, len(rows), BATCH):
            cursor.executemany(sql, [[p(row) for p in prepare] for row in rows[start : start + BATCH]])


def _merge_attributes(features, attributes: list[tuple[int, dict]]):
    by_code = {}
    for _, row in attributes:
        code = _text(_pick(row, "code"))
        if code:
            by_code[code] = row
    for f in features:
        extra = by_code.get(_text(_pick(f.properties, "code")))
        if extra:
            f.properties = {**f.properties, **{k: v for k, v in extra.items() if v not in (None, "")}}


@transaction.atomic
def do_import_parcels(
    path, *, actor, village=None, attributes=None, crs=None, synthetic=False
) -> ImportSummary:
    """Import every parcel of a vector file (new codes created, known codes replaced), or none.

    `attributes`: an XLSX/CSV path whose rows (keyed by 地块编码) complete the features' attributes.
    `crs`: what the coordinates are in when the file does not say (e.g. "EPSG:4525").
    """
    if village is not None:
        require(actor, "land.parcel.add", village)
    try:
        vector = geometry.read_vector(path)
    except geometry.GeometryError as exc:
        raise ServiceError("bad_file", exc.message, {"file": [exc.message]}) from None
    if not vector.features:
        raise ServiceError("empty_file", "文件里没有要素", {"file": ["没有要素"]})
    if attributes is not None:
        attributes = Path(attributes)
        _merge_attributes(vector.features, read_rows(attributes.read_bytes(), attributes.name))
    declared = vector.crs
    if crs:
        from pyproj import CRS

        try:
            declared = CRS.from_user_input(crs)
        except Exception:
            raise ServiceError("bad_crs", f"无法识别的坐标系：{crs}", {"crs": ["无法识别"]}) from None
    problems: list[Problem] = []
    planned = _plan(vector.features, village=village, crs_hint=declared, problems=problems)
    codes_in_file = {p.code for p in planned}
    known = (
        set(Parcel.objects.filter(code__in=codes_in_file).values_list("code", flat=True))
        if codes_in_file
        else set()
    )
    _measure_and_overlaps(planned, problems, replacing=known)
    if problems:
        from shuxiang.core.importers import ImportRejected

        problems.sort(key=lambda p: p.row)
        rejected = ImportRejected(problems)
        rejected.message = f"导入未执行：共有 {len(problems)} 处错误（第N行即文件中第N个要素），请修改后重新导入（未写入任何数据）"
        raise rejected
    for issuer in {id(p.issuer): p.issuer for p in planned}.values():
        require(actor, "land.parcel.add", issuer)
    _locate(planned)
    summary = ImportSummary(
        crs=geometry.crs_label(declared) if declared is not None else "CGCS2000 经纬度（推断）"
    )
    new_rows, changed = [], []
    existing = {p.code: p for p in Parcel.objects.filter(code__in=known)} if known else {}
    villages = {}  # issuer pk → its village, once per 发包方
    for p in planned:
        if p.issuer.pk not in villages:
            villages[p.issuer.pk] = codes.village_of(p.issuer)
        if p.values["area_flagged"]:
            summary.flagged.append(p.code)
        if p.code in existing:
            parcel = existing[p.code]
            for k, v in _row(p, village=villages[p.issuer.pk]).items():
                setattr(parcel, k, v)
            changed.append(parcel)
        else:
            row = _row(p, raw=True, village=villages[p.issuer.pk])
            row["code"], row["synthetic"] = p.code, synthetic
            new_rows.append(row)
    _insert(new_rows)
    if changed:
        fields = [*_row(planned[0], raw=True).keys()]
        for parcel in changed:
            parcel.updated_at = timezone.now()
        Parcel.objects.bulk_update(changed, [*fields, "updated_at"], batch_size=BATCH)
    summary.created, summary.updated = len(new_rows), len(changed)
    audit.record(
        actor,
        "import",
        object_type="land.parcel",
        object_repr=f"导入地块 {Path(path).name}",
        changes={
            **summary.as_dict(),
            "flagged": summary.flagged[:200],
            "village": getattr(village, "code", ""),
        },
        place=village,
    )
    return summary


@transaction.atomic
def do_create_parcel(*, actor, code, issuer, geometry_json=None, **values) -> Parcel:
    """One parcel (API, forms): the same checks as an import of a one-feature file."""
    code = (code or "").strip()
    if issuer is None:
        issuer = codes.find_issuer(code[:14]) if codes.PARCEL.fullmatch(code) else None
        if issuer is None:
            problem = codes.parcel_code_problem(code) or f"未知的发包方 {code[:14]}（不是本区的村或村民小组）"
            raise ServiceError("invalid_code", problem, {"code": [problem]})
    require(actor, "land.parcel.add", issuer)
    problem = codes.parcel_code_problem(code, issuer)
    if problem:
        raise ServiceError("invalid_code", problem, {"code": [problem]})
    if Parcel.objects.filter(code=code).exists():
        raise ServiceError("duplicate_code", f"地块编码 {code} 已登记", {"code": ["已登记"]})
    try:
        shape = geometry.from_geojson(geometry_json) if geometry_json else None
    except Exception:
        raise ServiceError(
            "invalid_geometry", "图形不是有效的 GeoJSON", {"geometry": ["不是有效的 GeoJSON"]}
        ) from None
    feature = geometry.Feature(number=1, properties={"DKBM": code, **values}, geometry=shape)
    problems: list[Problem] = []
    planned = _plan([feature], village=None, crs_hint=None, problems=problems) if shape is not None else []
    if shape is None:
        raise ServiceError("invalid_geometry", "地块需要图形（Polygon/MultiPolygon）", {"geometry": ["必填"]})
    _measure_and_overlaps(planned, problems, replacing=set())
    if problems:
        fields: dict[str, list[str]] = {}
        for p in problems:
            key = {"地块编码": "code", "图形": "geometry", "面积": "registered_area_m2"}.get(
                p.column, "non_field_errors"
            )
            fields.setdefault(key, []).append(p.message)
        raise ServiceError("invalid", "地块信息有误：" + "；".join(p.message for p in problems), fields)
    _locate(planned)
    parcel = Parcel.objects.create(code=code, **_row(planned[0]))
    audit.record_create(actor, parcel)
    return parcel


# --- export -------------------------------------------------------------------------------------

EXPORT_FIELDS = [
    ("DKBM", "code"),
    ("DKMC", "name"),
    ("FBFBM", None),
    ("DKLB", "kind"),
    ("TDLYLX", "land_use"),
    ("SFJBNT", "basic_farmland"),
    ("SCMJ", "registered_area_m2"),
    ("TXMJ", "measured_area_m2"),
    ("MJCY", "area_flagged"),
    ("DKDZ", "east"),
    ("DKNZ", "south"),
    ("DKXZ", "west"),
    ("DKBZ", "north"),
]


def export_parcels(parcels, fmt: str) -> bytes:
    """A GeoPackage or GeoJSON of the parcels (CGCS2000, EPSG:4490), attributes under their 确权 names."""
    import pyogrio.raw

    if fmt not in ("gpkg", "geojson"):
        raise ServiceError("bad_format", "导出格式应为 gpkg 或 geojson", {"format": ["gpkg 或 geojson"]})
    rows = list(parcels.select_related("issuer"))
    if fmt == "geojson":
        features = [
            {"type": "Feature", "geometry": p.geometry, "properties": _export_properties(p)} for p in rows
        ]
        body = {
            "type": "FeatureCollection",
            "crs": {"type": "name", "properties": {"name": "EPSG:4490"}},
            "features": features,
        }
        return json.dumps(body, ensure_ascii=False, default=str).encode()
    names = [name for name, _ in EXPORT_FIELDS]
    columns = []
    for name, attr in EXPORT_FIELDS:
        values = [_export_properties(p)[name] for p in rows]
        if attr in ("registered_area_m2", "measured_area_m2"):
            columns.append(np.array([float(v) if v is not None else np.nan for v in values], dtype="float64"))
        elif attr in ("basic_farmland", "area_flagged"):
            columns.append(np.array([int(v) for v in values], dtype="int32"))
        else:
            columns.append(np.array(values, dtype=object))
    wkb = np.array([shapely.to_wkb(geometry.from_geojson(p.geometry)) for p in rows], dtype=object)
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "parcels.gpkg"
        pyogrio.raw.write(
            str(out), wkb, columns, names, layer="DK", driver="GPKG", geometry_type="Unknown", crs="EPSG:4490"
        )
        return out.read_bytes()


def _export_properties(p: Parcel) -> dict:
    out = {}
    for name, attr in EXPORT_FIELDS:
        if attr is None:
            out[name] = codes.issuer_code(p.issuer)
        else:
            value = getattr(p, attr)
            out[name] = str(value) if isinstance(value, Decimal) else value
    return out
