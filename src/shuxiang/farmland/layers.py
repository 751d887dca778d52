"""Importing a farmland layer file: check every polygon, then write the layer in one transaction.

A layer arrives from the natural-resources bureau (耕地, 永久基本农田 from the 国土调查 / 划定 database)
or the agriculture bureau (高标准农田 with its projects) as Shapefile, GeoPackage or GeoJSON, in
CGCS2000 longitude/latitude or Gauss-Krüger metres. Reading, coordinate systems, validity and areas
are core.geometry's; this module adds what a farmland layer needs: a code per polygon, its village,
no overlaps within one layer, and versions — a polygon whose code exists replaces it and the old state
is kept as a ParcelVersion; `replace=True` retires the village's polygons of that kind the file no
longer holds. Any problem refuses the whole file with every bad feature listed; nothing is written.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import shapely
from django.db import connection, models, transaction
from django.utils import timezone

from shuxiang.core import audit, geometry
from shuxiang.core.actors import as_actor
from shuxiang.core.boundaries import (
    FAR_MARGIN_DEGREES,
    FeatureProblem,
    _county_extents,
    _far_from,
    code_of,
    read_layer,
)
from shuxiang.core.boundaries import (
    cell_text as _text,
)
from shuxiang.core.boundaries import (
    json_safe as _json_safe,
)
from shuxiang.core.boundaries import (
    pick_field as _pick,
)
from shuxiang.core.errors import ServiceError
from shuxiang.core.importers import ImportRejected
from shuxiang.core.models import Place
from shuxiang.core.permissions import require
from shuxiang.core.scope import place_in_scope
from shuxiang.farmland.choices import Kind, mu
from shuxiang.farmland.models import LayerImport, Parcel, ParcelVersion, Project

# Field names the bureaus' databases use, tried in this order (case-insensitive).
CODE_FIELDS = ("code", "图斑编号", "TBBH", "BSM", "DKBM", "编号", "JBNTTBBH", "GBZNTBH")
VILLAGE_FIELDS = ("village", "村代码", "ZLDWDM", "QSDWDM", "XZQDM", "区划代码", "行政区划代码")
CLASS_FIELDS = ("land_class", "地类", "DLMC", "地类名称")
PROJECT_FIELDS = ("project", "项目编号", "XMBH", "XMDM")
# Two polygons of one layer may share an edge; sharing more than this much area is an overlap.
OVERLAP_TOLERANCE_M2 = 1.0
# Codes per SQL IN list (SQLite allows 32,766 parameters a statement; a layer file may hold 200,000).
CHUNK = 2000


@dataclass
class LayerResult:
    added: int = 0
    changed: int = 0
    unchanged: int = 0
    retired: int = 0
    crs: str = ""
    record: LayerImport | None = None
    codes: list[str] = field(default_factory=list)


@dataclass
class Planned:
    number: int
    code: str
    place: Place
    shape: object
    area_m2: float
    land_class: str
    project: Project | None
    properties: dict


def plan_layer(path, *, actor, kind, village=None, crs=None, replace=False):
    """(planned polygons, problems, CRS label) for a file — nothing is written."""
    source, moved, source_crs = read_layer(path, crs)
    features = [(f.number, f.properties, shape) for f, shape in zip(source.features, moved, strict=True)]
    plans, problems = plan_features(
        features, fields=source.fields, actor=actor, kind=kind, village=village, replace=replace
    )
    return plans, problems, geometry.crs_label(source_crs)


def plan_features(features, *, fields, actor, kind, village=None, replace=False):
    """(planned polygons, problems) for (number, properties, CGCS2000 shape) features."""
    code_field = _pick(fields, CODE_FIELDS)
    if code_field is None:
        raise ServiceError(
            "bad_file",
            f"找不到图斑编号字段（试过 {'、'.join(CODE_FIELDS)}）；现有字段：{'、'.join(fields) or '（无）'}",
            {},
        )
    village_field = _pick(fields, VILLAGE_FIELDS)
    if village is None and village_field is None:
        raise ServiceError(
            "bad_file",
            f"文件没有村代码字段（试过 {'、'.join(VILLAGE_FIELDS)}），请用 --village 指定所属村",
            {"village": ["请指定村"]},
        )
    class_field = _pick(fields, CLASS_FIELDS)
    project_field = _pick(fields, PROJECT_FIELDS)

    village_codes = {code_of(p.get(village_field))[:12] for _, p, _ in features} if village_field else set()
    places = {p.code: p for p in Place.objects.filter(code__in=village_codes)} if village is None else {}
    project_codes = {_text(p.get(project_field)) for _, p, _ in features} if project_field else set()
    projects = {p.code: p for p in Project.objects.filter(code__in=project_codes - {""})}
    extents = _county_extents([village] if village is not None else list(places.values()))
    far_ok = _within_county(extents, [shape for _, _, shape in features])
    simple = _plainly_valid([shape for _, _, shape in features])

    problems, plans, seen = [], [], {}
    for index, (number, props, shape) in enumerate(features):
        found = []
        code = _text(props.get(code_field))
        if not code:
            found.append(f"没有图斑编号（字段“{code_field}”为空）")
        elif len(code) > 40:
            found.append("图斑编号超过40个字符")
        elif code in seen:
            found.append(f"图斑编号重复（与第{seen[code]}个要素相同）")
        seen.setdefault(code, number)
        place = village
        if place is None:
            vcode = code_of(props.get(village_field))[:12]
            place = places.get(vcode)
            if place is None:
                found.append(f"村代码 {vcode or '（空）'} 不在系统中")
        if place is not None:
            if place.level != 3:
                found.append(f"{place.name}不是村（图斑应落到村）")
            elif not place_in_scope(actor, place):
                found.append(f"{place.name}不在您的管辖范围内")
        reason = None if simple[index] else geometry.polygon_problem(shape)
        if reason:
            found.append(reason)
        elif place is not None and extents and not far_ok[index]:
            far = _far_from(next(iter(extents.values())), shape)
            if far is not None:
                found.append(f"图形远在本区县范围之外（约 {far} 公里），坐标系是否正确？")
        project = None
        project_code = _text(props.get(project_field)) if project_field else ""
        if project_code:
            project = projects.get(project_code)
            if project is None:
                found.append(f"建设项目 {project_code} 未登记")
        problems.extend(FeatureProblem(number, code, m) for m in found)
        if not found:
            plans.append(
                Planned(
                    number=number,
                    code=code,
                    place=place,
                    shape=shape,
                    area_m2=0.0,  # measured for the whole batch below
                    land_class=_text(props.get(class_field))[:20] if class_field else "",
                    project=project,
                    properties=_json_safe(props),
                )
            )
    if plans:
        for plan, area in zip(plans, geometry.areas_m2([p.shape for p in plans]), strict=True):
            plan.area_m2 = round(float(area), 2)
    if not problems:
        problems.extend(_overlaps(plans, kind=kind, village=village, replace=replace))
    return plans, problems


def _plainly_valid(shapes):
    """Which shapes are valid polygons at a glance (vectorised); the rest get polygon_problem's reasons."""
    arr = np.array(shapes, dtype=object)
    present = np.array([s is not None for s in shapes], dtype=bool)
    ok = np.zeros(len(shapes), dtype=bool)
    if present.any():
        some = arr[present]
        ok[present] = (
            np.isin(shapely.get_type_id(some), (3, 6)) & ~shapely.is_empty(some) & shapely.is_valid(some)
        )
    return ok


def _within_county(extents, shapes):
    """Which shapes lie within the county's known extent and margin (the rest are checked one by one)."""
    if not extents or not shapes:
        return np.zeros(len(shapes), dtype=bool)
    minx, miny, maxx, maxy = next(iter(extents.values()))
    area = shapely.box(minx, miny, maxx, maxy).buffer(FAR_MARGIN_DEGREES, join_style="mitre")
    shapely.prepare(area)
    valid = np.array([s is not None for s in shapes])
    inside = np.zeros(len(shapes), dtype=bool)
    inside[valid] = shapely.contains(area, np.array([s for s in shapes if s is not None], dtype=object))
    return inside


def _overlap_m2(a, b) -> float:
    if not a.intersects(b):
        return 0.0
    shared = a.intersection(b)
    return geometry.area_m2(shared) if not shared.is_empty and shared.area > 0 else 0.0


def _overlaps(plans, *, kind, village, replace) -> list[FeatureProblem]:
    """Polygons of one layer must not overlap: within the file, and against the layer's other polygons."""
    if not plans:
        return []
    problems = []
    shapes = np.array([p.shape for p in plans], dtype=object)
    tree = shapely.STRtree(shapes)
    left, right = tree.query(shapes, predicate="intersects")
    for i, j in zip(left, right, strict=True):
        if i >= j:
            continue
        shared = _overlap_m2(shapes[i], shapes[j])
        if shared > OVERLAP_TOLERANCE_M2:
            problems.append(
                FeatureProblem(
                    plans[j].number,
                    plans[j].code,
                    f"与第{plans[i].number}个要素（{plans[i].code}）重叠约 {shared:.0f} m²",
                )
            )
    minx, miny, maxx, maxy = shapely.total_bounds(shapes)
    others = Parcel.objects.filter(
        kind=kind,
        retired_at__isnull=True,
        min_lon__lte=maxx,
        max_lon__gte=minx,
        min_lat__lte=maxy,
        max_lat__gte=miny,
    )
    if replace and village is not None:
        others = others.exclude(place=village)
    # the file's own codes replace their stored polygons: leave those out (in Python — a file's codes
    # are too many for one SQL IN list), then read the shapes of the rest
    codes = {p.code for p in plans}
    keep = [pk for pk, code in others.values_list("pk", "code") if code not in codes]
    existing = []
    for start in range(0, len(keep), CHUNK):
        existing += Parcel.objects.filter(pk__in=keep[start : start + CHUNK]).values_list("code", "geometry")
    if existing:
        other_shapes = np.array([geometry.from_geojson(g) for _, g in existing], dtype=object)
        other_tree = shapely.STRtree(other_shapes)
        new_idx, old_idx = other_tree.query(shapes, predicate="intersects")
        for i, j in zip(new_idx, old_idx, strict=True):
            shared = _overlap_m2(shapes[i], other_shapes[j])
            if shared > OVERLAP_TOLERANCE_M2:
                problems.append(
                    FeatureProblem(
                        plans[i].number,
                        plans[i].code,
                        f"与本图层已有图斑 {existing[j][0]} 重叠约 {shared:.0f} m²",
                    )
                )
    return problems


def _change_text(parcel: Parcel, plan: Planned, geojson: dict) -> str:
    parts = []
    if parcel.retired_at is not None:
        parts.append("重新启用")
    if parcel.geometry != geojson:
        parts.append(f"图形变化，面积 {mu(parcel.area_m2)} → {mu(plan.area_m2)} 亩")
    if parcel.place_id != plan.place.pk:
        parts.append(f"所在村改为{plan.place.name}")
    if parcel.land_class != plan.land_class:
        parts.append(f"地类 {parcel.land_class or '—'} → {plan.land_class or '—'}")
    if parcel.project_id != (plan.project.pk if plan.project else None):
        parts.append(f"建设项目改为{plan.project.code if plan.project else '无'}")
    if not parts and parcel.properties != plan.properties:
        parts.append("属性变化")
    return "；".join(parts)


def _version_of(parcel: Parcel, *, now, user, label, change) -> ParcelVersion:
    return ParcelVersion(
        parcel=parcel,
        version=parcel.version,
        geometry=parcel.geometry,
        area_m2=parcel.area_m2,
        land_class=parcel.land_class,
        properties=parcel.properties,
        source=parcel.source,
        valid_from=parcel.changed_at,
        valid_to=now,
        replaced_by=user,
        replaced_by_label=label,
        change=change[:300],
    )


@transaction.atomic
def do_import_layer(
    path, *, actor, kind, village: Place | None = None, replace=False, crs=None
) -> LayerResult:
    """Adds the file's polygons to the layer of `kind`, or writes nothing (ImportRejected lists why).

    A polygon whose code exists replaces it (the old state kept as a version); `replace` also retires
    the polygons of that kind in `village` the file does not hold.
    """
    actor = as_actor(actor)
    _check_call(actor, kind, village, replace)
    plans, problems, crs_label = plan_layer(
        path, actor=actor, kind=kind, village=village, crs=crs, replace=replace
    )
    if problems:
        raise ImportRejected(problems)
    return _write(
        plans,
        actor=actor,
        kind=kind,
        village=village,
        replace=replace,
        file_name=Path(path).name[:200],
        crs_label=crs_label,
    )


def _check_call(actor, kind, village, replace):
    if kind not in Kind.values:
        raise ServiceError(
            "invalid", "图层类型应为 permanent、high_standard 或 cultivated", {"kind": ["无效"]}
        )
    if replace and village is None:
        raise ServiceError("invalid", "整层替换须指定村（--village）", {"village": ["请指定村"]})
    if village is not None and village.level != 3:
        raise ServiceError("invalid", f"{village.name}不是村", {"village": ["应为村级区划"]})
    require(actor, "farmland.parcel.import", village)


@transaction.atomic
def do_import_features(
    features, *, actor, kind, fields, village=None, replace=False, source="", crs_label="CGCS2000"
) -> LayerResult:
    """The same import for features already in CGCS2000: (number, properties, shapely shape) each."""
    actor = as_actor(actor)
    _check_call(actor, kind, village, replace)
    plans, problems = plan_features(
        features, fields=fields, actor=actor, kind=kind, village=village, replace=replace
    )
    if problems:
        raise ImportRejected(problems)
    return _write(
        plans,
        actor=actor,
        kind=kind,
        village=village,
        replace=replace,
        file_name=source[:200],
        crs_label=crs_label,
    )


def _write(plans, *, actor, kind, village, replace, file_name, crs_label) -> LayerResult:
    now, user, label = timezone.now(), actor.human, actor.display_name[:100]
    result = LayerResult(crs=crs_label)
    codes = [p.code for p in plans]
    existing = {}
    for start in range(0, len(codes), CHUNK):
        chunk = codes[start : start + CHUNK]
        existing.update(
            (p.code, p) for p in Parcel.objects.select_for_update().filter(kind=kind, code__in=chunk)
        )
    new, versions, changed = [], [], []
    # GeoJSON texts straight from GEOS (new rows are inserted as they are: parsing them only to encode
    # them again cost a fifth of a large import), and every bounding box in one call.
    texts = geometry.to_geojson_and_shapes([p.shape for p in plans], parse=False)[0] if plans else []
    boxes = shapely.bounds(np.array([p.shape for p in plans], dtype=object)).tolist() if plans else []
    for plan, text, (minx, miny, maxx, maxy) in zip(plans, texts, boxes, strict=True):
        parcel = existing.get(plan.code)
        result.codes.append(plan.code)
        bbox = {"min_lon": minx, "min_lat": miny, "max_lon": maxx, "max_lat": maxy}
        if parcel is None:
            new.append(
                {
                    "code": plan.code,
                    "kind": kind,
                    "place_id": plan.place.pk,
                    "land_class": plan.land_class,
                    "project_id": plan.project.pk if plan.project else None,
                    "geometry": text,  # encoded already (see _insert)
                    "area_m2": plan.area_m2,
                    "properties": plan.properties,
                    "version": 1,
                    "source": file_name,
                    "crs": crs_label[:120],
                    "changed_at": now,
                    "changed_by_id": user.pk if user else None,
                    "changed_by_label": label,
                    "retired_at": None,
                    **bbox,
                }
            )
            continue
        geojson = json.loads(text)
        change = _change_text(parcel, plan, geojson)
        if not change:
            result.unchanged += 1
            continue
        versions.append(_version_of(parcel, now=now, user=user, label=label, change=change))
        parcel.place, parcel.land_class, parcel.project = plan.place, plan.land_class, plan.project
        parcel.geometry, parcel.area_m2, parcel.properties = geojson, plan.area_m2, plan.properties
        parcel.source, parcel.crs, parcel.retired_at = file_name, crs_label[:120], None
        parcel.changed_at, parcel.changed_by, parcel.changed_by_label = now, user, label
        parcel.version += 1
        for k, v in bbox.items():
            setattr(parcel, k, v)
        changed.append(parcel)
    retired = []
    if replace:
        gone = Parcel.objects.select_for_update().filter(kind=kind, place=village, retired_at__isnull=True)
        kept = set(result.codes)
        for parcel in (p for p in gone if p.code not in kept):
            versions.append(_version_of(parcel, now=now, user=user, label=label, change="整层替换时停用"))
            parcel.retired_at, parcel.changed_at, parcel.changed_by, parcel.changed_by_label = (
                now,
                now,
                user,
                label,
            )
            parcel.version += 1
            retired.append(parcel)
    _insert(new)
    ParcelVersion.objects.bulk_create(versions, batch_size=2000)
    update_fields = [
        "place", "land_class", "project", "geometry", "area_m2", "properties", "source", "crs", "retired_at",
        "changed_at", "changed_by", "changed_by_label", "version", "min_lon", "min_lat", "max_lon", "max_lat",
    ]  # fmt: skip
    Parcel.objects.bulk_update(changed + retired, update_fields, batch_size=2000)
    result.added, result.changed, result.retired = len(new), len(changed), len(retired)
    scope = village or _common_place([p.place for p in plans])
    result.record = LayerImport.objects.create(
        kind=kind,
        place=scope,
        file_name=file_name,
        crs=crs_label[:120],
        replace=replace,
        added=result.added,
        changed=result.changed,
        unchanged=result.unchanged,
        retired=result.retired,
        imported_at=now,
        imported_by=user,
        imported_by_label=label,
    )
    audit.record(
        actor,
        "import",
        result.record,
        changes={
            "file": file_name,
            "kind": kind,
            "crs": crs_label,
            "added": result.added,
            "changed": result.changed,
            "retired": result.retired,
        },
        place=scope,
    )
    return result


def _insert(parcels: list[dict]) -> None:
    """New polygons in plain INSERTs (executemany): the ORM's bulk_create spent about half of a large
    import preparing field values one by one. The values are the model's own, converted as Django would."""
    if not parcels:
        return
    fields = [f for f in Parcel._meta.concrete_fields if not f.primary_key]
    json_fields = {f.attname for f in fields if isinstance(f, models.JSONField)}
    ops = connection.ops
    cast = "::jsonb" if connection.vendor == "postgresql" else ""
    columns = ", ".join(ops.quote_name(f.column) for f in fields)
    marks = ", ".join(f"%s{cast}" if f.attname in json_fields else "%s" for f in fields)
    sql = f"INSERT INTO {ops.quote_name(Parcel._meta.db_table)} ({columns}) VALUES ({marks})"

    adapted = {}

    def when(raw):
        if raw not in adapted:
            adapted[raw] = ops.adapt_datetimefield_value(raw)
        return adapted[raw]

    def dump(raw):
        # a str is GeoJSON text encoded by GEOS (_write): a geometry is never a JSON string itself
        return raw if isinstance(raw, str) else json.dumps(raw, ensure_ascii=False)

    convert = [
        dump if f.attname in json_fields else when if isinstance(f, models.DateTimeField) else None
        for f in fields
    ]
    names = [f.attname for f in fields]
    rows = [[c(p[n]) if c else p[n] for n, c in zip(names, convert, strict=True)] for p in parcels]
    with connection.cursor() as cursor:
        for start in range(0, len(rows), 5000):
            cursor.executemany(sql, rows[start : start + 5000])


def _common_place(places) -> Place:
    """The smallest place holding every village of the file (a village, its township, or the county)."""
    paths = {p.path for p in places}
    if len(paths) == 1:
        return places[0]
    parts = [p.strip("/").split("/") for p in paths]
    common = []
    for level in zip(*parts, strict=False):
        if len(set(level)) != 1:
            break
        common.append(level[0])
    return Place.objects.get(code=common[-1])


def current(qs=None):
    qs = Parcel.objects.all() if qs is None else qs
    return qs.filter(retired_at__isnull=True)


def parcel_at(longitude: float, latitude: float, *, kinds=None, qs=None):
    """The current polygons covering a point (bounding boxes in SQL, the exact test in shapely)."""
    qs = current(qs).filter(
        min_lon__lte=longitude, max_lon__gte=longitude, min_lat__lte=latitude, max_lat__gte=latitude
    )
    if kinds:
        qs = qs.filter(kind__in=kinds)
    point = shapely.Point(longitude, latitude)
    return [p for p in qs if geometry.from_geojson(p.geometry).covers(point)]


def covers(parcel: Parcel, longitude: float, latitude: float) -> bool:
    return geometry.from_geojson(parcel.geometry).covers(shapely.Point(longitude, latitude))
