"""The forest-resource layer (林业资源数据库): importing the county's stand (小班) file, and its figures.

The forestry bureau keeps the county's stands in its 森林资源管理“一张图” database and updates it once a
year (年度更新); the file arrives as GeoJSON, a zipped Shapefile or a GeoPackage, in CGCS2000 or WGS84
longitude/latitude or Gauss-Krüger metres. Reading, coordinate systems, validity and areas are
core.geometry's (the same as farmland and boundaries); this module maps the bureau's columns (English,
pinyin or Chinese), checks every stand and writes the layer in one transaction — or nothing, with every
bad stand named.

A re-import **updates stands by their code** and is numbered as the layer's next version: a 小班 keeps its
identity (its page, its API id) across annual updates, in which most stands do not change at all. The file
is the layer of every township it touches: a stand of those townships that the file no longer holds (merged,
split, turned to other land) is retired, kept with its last state; townships the file does not touch are
left as they are, so a township's update may come on its own.
"""

from __future__ import annotations

import math
import statistics
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import shapely
from django.db import transaction
from django.db.models import Count, Max, Q, Sum
from django.utils import timezone

from shuxiang.core import audit, geometry
from shuxiang.core.actors import as_actor
from shuxiang.core.boundaries import (
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
from shuxiang.ecology.choices import (
    FOREST_CATEGORY_NAMES,
    FOREST_COLOURS,
    FOREST_ORIGIN_NAMES,
    FOREST_TYPE_CODES,
    FOREST_TYPE_NAMES,
    M2_PER_HECTARE,
    M2_PER_MU,
    ForestType,
    mu,
)
from shuxiang.ecology.models import ForestImport, ForestStand

# Column names, tried in this order (case-insensitive): ours, the forestry database's pinyin ones
# (LIN_BAN, XIAO_BAN, DI_LEI, SEN_LIN_LB, QI_YUAN, YOU_SHI_SZ, MIAN_JI), the land survey's, Chinese.
CODE_FIELDS = ("code", "小班编号", "小班代码", "XBBH", "XBDM", "BSM", "编号")
LIN_BAN_FIELDS = ("林班", "林班号", "LIN_BAN", "LB")
XIAO_BAN_FIELDS = ("小班", "小班号", "XIAO_BAN", "XB")
VILLAGE_FIELDS = (
    "village",
    "村代码",
    "行政村代码",
    "村级区划代码",
    "区划代码",
    "行政区划代码",
    "ZLDWDM",
    "CUN",
)
TOWNSHIP_FIELDS = ("township", "乡镇代码", "乡代码", "XIANG")
COUNTY_FIELDS = ("county", "县代码", "XIAN")
TYPE_FIELDS = ("forest_type", "林地类型", "地类", "地类名称", "DLMC", "DI_LEI")
TYPE_CODE_FIELDS = ("地类编码", "DLBM")  # 三调 codes (0301 …); the forestry DI_LEI codes mean other things
CATEGORY_FIELDS = ("category", "森林类别", "林地类别", "SEN_LIN_LB", "SLLB")
ORIGIN_FIELDS = ("origin", "起源", "QI_YUAN", "QY")
SPECIES_FIELDS = ("species", "优势树种", "树种", "YOU_SHI_SZ", "YSSZ")
# Declared area: the unit from the column's name; a bare 面积 / MJ is read in the unit that fits the
# file's measured areas (a forestry 小班 table gives hectares, a township's table 亩).
AREA_UNITS = {"mu": ("亩", M2_PER_MU), "ha": ("公顷", M2_PER_HECTARE), "m2": ("平方米", 1.0)}
AREA_FIELDS = {
    "mu": ("area_mu", "面积（亩）", "面积(亩)", "面积_亩", "亩数", "MJ_MU"),
    "ha": ("area_ha", "面积（公顷）", "面积(公顷)", "面积_公顷", "公顷", "MIAN_JI"),
    "m2": ("area_m2", "面积（平方米）", "面积(平方米)", "面积_平方米", "TBMJ"),
    None: ("area", "面积", "MJ"),
}
# For the import page and docs/ecology.md: what each column is, and the names it is recognised by.
COLUMN_HELP = [
    ("小班编号（全区唯一）", CODE_FIELDS, "或 林班 + 小班 两列，编号即 村代码-林班-小班"),
    ("林班 / 小班", LIN_BAN_FIELDS + XIAO_BAN_FIELDS, ""),
    ("所在村（12位区划代码）", VILLAGE_FIELDS, "或 县(6位)+乡镇(3位)+村(3位) 分列"),
    ("所在乡镇", TOWNSHIP_FIELDS + COUNTY_FIELDS, "无村代码时小班落到乡镇"),
    (
        "林地类型",
        TYPE_FIELDS + TYPE_CODE_FIELDS,
        "乔木林地、竹林地、灌木林地、其他林地；地类编码列可填三调编码 0301/0302/0305/0307",
    ),
    ("森林类别", CATEGORY_FIELDS, "公益林（含国家级、省级公益林）或 商品林，可空"),
    ("起源", ORIGIN_FIELDS, "天然林 或 人工林（含飞播），可空"),
    ("优势树种", SPECIES_FIELDS, "如 杉木、马尾松、毛竹、油茶，可空"),
    (
        "申报面积",
        sum(AREA_FIELDS.values(), ()),
        "单位按列名（亩、公顷、平方米）；只写“面积”时按与图形面积最接近的单位读取；可空",
    ),
]
# Two stands of one layer may share an edge; sharing more than this much area is an overlap. A 小班 is
# mapped at 1:10 000, where a line is about a metre wide: a few square metres are drawing, not overlap.
OVERLAP_TOLERANCE_M2 = 10.0
# Codes per SQL IN list (SQLite allows 32,766 parameters a statement; a county holds ~50,000 stands).
CHUNK = 2000


@dataclass
class Planned:
    number: int
    code: str
    place: Place
    shape: object
    forest_type: str
    category: str
    origin: str
    species: str
    declared: float | None  # in the file's unit, until the unit is known
    properties: dict
    area_m2: float = 0.0


@dataclass
class ForestResult:
    added: int = 0
    changed: int = 0
    unchanged: int = 0
    retired: int = 0
    crs: str = ""
    area_unit: str = ""
    record: ForestImport | None = None
    codes: list[str] = field(default_factory=list)


# --- reading ------------------------------------------------------------------------------------------


def read_file(path, crs=None):
    """(features as (number, properties, CGCS2000 shape), the file's fields, the source CRS label)."""
    source, moved, source_crs = read_layer(path, crs)
    features = [(f.number, f.properties, shape) for f, shape in zip(source.features, moved, strict=True)]
    return features, source.fields, geometry.crs_label(source_crs)


# --- checking -----------------------------------------------------------------------------------------


class _Columns:
    """Which column of the file holds what; refuses a file that names no stand or no place."""

    def __init__(self, fields, place):
        self.code = _pick(fields, CODE_FIELDS)
        self.lin_ban = _pick(fields, LIN_BAN_FIELDS)
        self.xiao_ban = _pick(fields, XIAO_BAN_FIELDS)
        self.village = _pick(fields, VILLAGE_FIELDS)
        self.township = _pick(fields, TOWNSHIP_FIELDS)
        self.county = _pick(fields, COUNTY_FIELDS)
        self.type = _pick(fields, TYPE_FIELDS)
        self.type_code = _pick(fields, TYPE_CODE_FIELDS)
        self.category = _pick(fields, CATEGORY_FIELDS)
        self.origin = _pick(fields, ORIGIN_FIELDS)
        self.species = _pick(fields, SPECIES_FIELDS)
        self.area, self.area_unit = None, None
        for unit, names in AREA_FIELDS.items():
            found = _pick(fields, names)
            if found:
                self.area, self.area_unit = found, unit
                break
        have = "、".join(fields) or "（无）"
        if self.code is None and not (self.lin_ban and self.xiao_ban):
            raise ServiceError(
                "bad_file",
                f"找不到小班编号字段（试过 {'、'.join(CODE_FIELDS)}，或 林班 + 小班 两列）；现有字段：{have}",
                {},
            )
        if place is None and self.village is None and self.township is None:
            raise ServiceError(
                "bad_file",
                f"文件没有村或乡镇代码字段（试过 {'、'.join(VILLAGE_FIELDS + TOWNSHIP_FIELDS)}），"
                f"请指定所属乡镇或村；现有字段：{have}",
                {"place": ["请指定乡镇或村"]},
            )
        if self.type is None and self.type_code is None:
            raise ServiceError(
                "bad_file",
                f"找不到林地类型字段（试过 {'、'.join(TYPE_FIELDS + TYPE_CODE_FIELDS)}）；现有字段：{have}",
                {},
            )


def _place_code(props, cols, county_code) -> str:
    """The 12-digit code of the stand's village (or township): written whole, or composed as the forestry
    database writes it — county (6 digits) + township (3) + village (3)."""
    village = code_of(props.get(cols.village)) if cols.village else ""
    if len(village) == 12:
        return village
    township = code_of(props.get(cols.township)) if cols.township else ""
    county = code_of(props.get(cols.county))[:6] if cols.county else county_code
    if len(township) == 12:
        return township[:9] + village[-3:] if len(village) == 3 else township
    if len(township) == 3 and len(county) == 6:
        return county + township + (village if len(village) == 3 else "000")
    return village or township


def _stand_code(props, cols, place_code) -> str:
    if cols.code:
        return _text(props.get(cols.code))
    lin_ban, xiao_ban = _text(props.get(cols.lin_ban)), _text(props.get(cols.xiao_ban))
    return f"{place_code}-{lin_ban}-{xiao_ban}" if lin_ban and xiao_ban and place_code else ""


def _forest_type(props, cols):
    """(type value, None) or (None, why) from the 林地类型 column (names) or a 三调 地类编码 column."""
    text = _text(props.get(cols.type)) if cols.type else ""
    if not text and cols.type_code:
        code = _text(props.get(cols.type_code))
        if code in FOREST_TYPE_CODES:
            return FOREST_TYPE_CODES[code], None
        text = code
    if text in FOREST_TYPE_NAMES:
        return FOREST_TYPE_NAMES[text], None
    if text in ForestType.values:
        return text, None
    names = "、".join(label for _, label in ForestType.choices)
    if not text:
        return None, f"没有林地类型（应为 {names}）"
    return None, f"林地类型“{text}”无法识别（应为 {names}，或三调地类编码 0301/0302/0305/0307）"


def _choice(props, column, names, values, label):
    text = _text(props.get(column)) if column else ""
    if not text:
        return "", None
    value = names.get(text) or (text if text in values else None)
    if value is None:
        return None, f"{label}“{text}”无法识别（应为 {'、'.join(dict.fromkeys(names))}）"
    return value, None


def _declared(props, cols):
    if not cols.area:
        return None, None
    raw = props.get(cols.area)
    if raw is None or _text(raw) == "":
        return None, None
    try:
        value = float(raw)
    except (TypeError, ValueError):
        return None, f"面积“{_text(raw)}”不是数字"
    if not math.isfinite(value) or value <= 0:
        return None, f"面积应大于 0（文件中为 {_text(raw)}）"
    return value, None


def _county_code() -> str:
    """The county's code, for files that give township and village as 3-digit codes."""
    counties = list(Place.objects.filter(level=1).values_list("code", flat=True)[:2])
    return counties[0][:6] if len(counties) == 1 else ""


def plan_features(features, *, fields, actor, place=None):
    """(planned stands, problems, the declared areas' unit: "mu", "ha", "m2" or "" without them) for (number, properties, CGCS2000 shape)
    features; nothing is written."""
    cols = _Columns(fields, place)
    county = _county_code()
    place_codes = [_place_code(p, cols, county) for _, p, _ in features] if place is None else []
    places = {p.code: p for p in Place.objects.filter(code__in=set(place_codes) - {""})}
    extents = _county_extents([place] if place is not None else list(places.values()))
    extent = next(iter(extents.values()), None)
    problems, plans, seen = [], [], {}
    for index, (number, props, shape) in enumerate(features):
        found = []
        here = place if place is not None else places.get(place_codes[index])
        if here is None:
            found.append(f"区划代码 {place_codes[index] or '（空）'} 不在系统中")
        elif here.level not in (2, 3):
            found.append(f"{here.name}不是乡镇或村（小班应落到村或乡镇）")
        elif not place_in_scope(actor, here):
            found.append(f"{here.name}不在您的管辖范围内")
        code = _stand_code(props, cols, here.code if here is not None else "")
        if not code:
            found.append(
                "没有小班编号" + (f"（字段“{cols.code}”为空）" if cols.code else "（林班或小班为空）")
            )
        elif len(code) > 40:
            found.append("小班编号超过40个字符")
        elif code in seen:
            found.append(f"小班编号 {code} 重复（与第{seen[code]}个要素相同）")
        seen.setdefault(code, number)
        forest_type, why = _forest_type(props, cols)
        found += [why] if why else []
        category, why = _choice(
            props, cols.category, FOREST_CATEGORY_NAMES, ("public_welfare", "commercial"), "森林类别"
        )
        found += [why] if why else []
        origin, why = _choice(props, cols.origin, FOREST_ORIGIN_NAMES, ("natural", "planted"), "起源")
        found += [why] if why else []
        declared, why = _declared(props, cols)
        found += [why] if why else []
        reason = geometry.polygon_problem(shape)
        if reason:
            found.append(reason)
        elif extent is not None:
            far = _far_from(extent, shape)
            if far is not None:
                found.append(f"图形在本区县范围之外（约 {far} 公里），坐标系是否正确？")
        problems.extend(FeatureProblem(number, code, m) for m in found)
        if not found:
            plans.append(
                Planned(
                    number=number,
                    code=code,
                    place=here,
                    shape=shape,
                    forest_type=forest_type,
                    category=category,
                    origin=origin,
                    species=_text(props.get(cols.species))[:30] if cols.species else "",
                    declared=declared,
                    properties=_json_safe(props),
                )
            )
    if plans:
        for plan, area in zip(plans, geometry.areas_m2([p.shape for p in plans]), strict=True):
            plan.area_m2 = round(float(area), 2)
    unit = _declared_unit(plans, cols.area_unit)
    for plan in plans:
        if plan.declared is not None:
            plan.declared = round(plan.declared * AREA_UNITS[unit][1] / M2_PER_MU, 2)
    if not problems:
        problems.extend(_overlaps(plans))
    return plans, problems, unit if cols.area else ""


def _declared_unit(plans, named) -> str:
    """The unit of the declared areas: the column's, or for a bare 面积 the unit in which the declared
    figures come closest to the measured ones (the median over the file)."""
    if named:
        return named
    ratios = [p.declared / p.area_m2 for p in plans if p.declared and p.area_m2 > 0]
    if not ratios:
        return "mu"
    typical = statistics.median(ratios)  # declared figure per m²
    return min(AREA_UNITS, key=lambda u: abs(math.log(typical * AREA_UNITS[u][1])))


def _overlaps(plans) -> list[FeatureProblem]:
    """Stands of one layer do not overlap (a 小班 is a piece of a partition of the county's forest land)."""
    if len(plans) < 2:
        return []
    shapes = np.array([p.shape for p in plans], dtype=object)
    left, right = shapely.STRtree(shapes).query(shapes, predicate="intersects")
    problems = []
    for i, j in zip(left, right, strict=True):
        if i >= j:
            continue
        shared = shapes[i].intersection(shapes[j])
        area = geometry.area_m2(shared) if not shared.is_empty and shared.area > 0 else 0.0
        if area > OVERLAP_TOLERANCE_M2:
            problems.append(
                FeatureProblem(
                    plans[j].number,
                    plans[j].code,
                    f"与第{plans[i].number}个要素（{plans[i].code}）重叠约 {area:.0f} m²",
                )
            )
    return problems


# --- writing ------------------------------------------------------------------------------------------


def do_import_forests(path, *, actor, crs=None, place=None, source=None) -> ForestResult:
    """Import the forest layer from a GeoJSON, zipped Shapefile or GeoPackage, all or nothing
    (ImportRejected lists every bad stand). `place`: the township or village of every stand, for a file
    without place columns; `source`: the name to record (an upload's own name)."""
    actor = as_actor(actor)
    _check_call(actor, place)
    features, fields, crs_label = read_file(path, crs)
    return do_import_forest_features(
        features,
        actor=actor,
        fields=fields,
        place=place,
        source=source or Path(path).name,
        crs_label=crs_label,
    )


def import_upload(content: bytes, name: str, *, actor, crs=None, place=None) -> ForestResult:
    """The same for an uploaded file's bytes (written to a private temporary folder under its own name,
    so a zipped Shapefile is still read as one)."""
    safe = Path(name or "forests.geojson").name
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / safe
        path.write_bytes(content)
        return do_import_forests(path, actor=actor, crs=crs, place=place, source=safe)


def _check_call(actor, place):
    require(actor, "ecology.foreststand.import", place)
    if place is not None and place.level not in (2, 3):
        raise ServiceError("invalid", f"{place.name}不是乡镇或村", {"place": ["应为乡镇或村"]})


@transaction.atomic
def do_import_forest_features(
    features, *, actor, fields, place=None, source="", crs_label="CGCS2000"
) -> ForestResult:
    """The import for features already in CGCS2000: (number, properties, shapely shape) each."""
    actor = as_actor(actor)
    _check_call(actor, place)
    plans, problems, unit = plan_features(features, fields=fields, actor=actor, place=place)
    if problems:
        raise ImportRejected(problems)
    if not plans:
        raise ServiceError("empty_file", "文件里没有任何小班", {})
    return _write(plans, actor=actor, source=(source or "")[:200], crs_label=crs_label, unit=unit)


def _township_of(place: Place) -> Place:
    return place if place.level == 2 else place.parent


def _state(stand) -> tuple:
    return (
        stand.place_id, stand.forest_type, stand.category, stand.origin, stand.species,
        stand.geometry, stand.declared_area_mu, stand.retired_at is None,
    )  # fmt: skip


def _write(plans, *, actor, source, crs_label, unit) -> ForestResult:
    now, user, label = timezone.now(), actor.human, actor.display_name[:100]
    result = ForestResult(crs=crs_label, area_unit=unit)
    # the unique version number refuses a second import committed meanwhile (SQLite writes one at a time)
    version = (ForestImport.objects.aggregate(v=Max("version"))["v"] or 0) + 1
    codes = [p.code for p in plans]
    existing = {}
    for start in range(0, len(codes), CHUNK):
        chunk = ForestStand.objects.select_for_update().filter(code__in=codes[start : start + CHUNK])
        existing.update((s.code, s) for s in chunk)
    shapes = geometry.to_geojson_many([p.shape for p in plans])
    new, changed = [], []
    for plan, geojson in zip(plans, shapes, strict=True):
        result.codes.append(plan.code)
        minx, miny, maxx, maxy = plan.shape.bounds
        values = {
            "place": plan.place, "forest_type": plan.forest_type, "category": plan.category,
            "origin": plan.origin, "species": plan.species, "geometry": geojson, "area_m2": plan.area_m2,
            "declared_area_mu": plan.declared, "properties": plan.properties,
            "min_lon": minx, "min_lat": miny, "max_lon": maxx, "max_lat": maxy,
        }  # fmt: skip
        stand = existing.get(plan.code)
        if stand is None:
            new.append(ForestStand(code=plan.code, version=version, source=source, changed_at=now, **values))
            continue
        before = _state(stand)
        for key, value in values.items():
            setattr(stand, key, value)
        stand.retired_at = None
        if _state(stand) == before:
            result.unchanged += 1
            continue
        stand.version, stand.source, stand.changed_at = version, source, now
        changed.append(stand)
    townships = {_township_of(p.place) for p in plans}
    kept = set(result.codes)
    within = Q()
    for township in townships:
        within |= Q(place__path__startswith=township.path)
    retired = [
        s
        for s in ForestStand.objects.select_for_update().filter(within, retired_at__isnull=True)
        if s.code not in kept
    ]
    for stand in retired:
        stand.retired_at, stand.version, stand.changed_at = now, version, now
    ForestStand.objects.bulk_create(new, batch_size=1000)
    fields = [
        "place", "forest_type", "category", "origin", "species", "geometry", "area_m2", "declared_area_mu",
        "properties", "min_lon", "min_lat", "max_lon", "max_lat", "version", "source", "changed_at", "retired_at",
    ]  # fmt: skip
    ForestStand.objects.bulk_update(changed + retired, fields, batch_size=1000)
    result.added, result.changed, result.retired = len(new), len(changed), len(retired)
    scope = _common_place(list(townships))
    result.record = ForestImport.objects.create(
        version=version,
        place=scope,
        file_name=source,
        crs=crs_label[:120],
        area_unit=AREA_UNITS[unit][0] if unit and any(p.declared is not None for p in plans) else "",
        townships=sorted(t.name for t in townships),
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
            "file": source,
            "version": version,
            "crs": crs_label,
            "added": result.added,
            "changed": result.changed,
            "retired": result.retired,
            "townships": result.record.townships,
            "area_mu": mu(sum(p.area_m2 for p in plans)),
        },
        place=scope,
    )
    return result


def _common_place(places) -> Place:
    """The smallest place holding every township of the file (one township, or the county)."""
    if len(places) == 1:
        return places[0]
    parts = [p.path.strip("/").split("/") for p in places]
    common = []
    for level in zip(*parts, strict=False):
        if len(set(level)) != 1:
            break
        common.append(level[0])
    return Place.objects.get(code=common[-1])


# --- figures ------------------------------------------------------------------------------------------


def current(qs=None):
    qs = ForestStand.objects.all() if qs is None else qs
    return qs.filter(retired_at__isnull=True)


def totals(qs) -> dict:
    """What the list shows above its table, for the filtered stands: per type and per township, the
    number of stands and their measured area in 亩, with the declared area beside it."""
    by_type = {
        row["forest_type"]: row
        for row in qs.values("forest_type").annotate(n=Count("pk"), area=Sum("area_m2")).order_by()
    }
    types = [
        {
            "value": v,
            "label": label,
            "colour": FOREST_COLOURS[v],
            "n": by_type.get(v, {}).get("n", 0),
            "mu": mu(by_type.get(v, {}).get("area")),
        }
        for v, label in ForestType.choices
    ]
    rows = {}
    for row in (
        qs.values("place__level", "place__parent_id", "place_id", "forest_type")
        .annotate(n=Count("pk"), area=Sum("area_m2"))
        .order_by()
    ):
        township = row["place_id"] if row["place__level"] == 2 else row["place__parent_id"]
        cells = rows.setdefault(township, {v: [0, 0.0] for v in ForestType.values})
        cells[row["forest_type"]][0] += row["n"]
        cells[row["forest_type"]][1] += row["area"] or 0
    names = dict(Place.objects.filter(pk__in=rows).values_list("pk", "name"))
    codes = dict(Place.objects.filter(pk__in=rows).values_list("pk", "code"))
    townships = [
        {
            "name": names.get(pk, ""),
            "code": codes.get(pk, ""),
            "cells": [(cells[v][0], mu(cells[v][1])) for v in ForestType.values],
            "n": sum(c[0] for c in cells.values()),
            "mu": mu(sum(c[1] for c in cells.values())),
        }
        for pk, cells in sorted(rows.items(), key=lambda item: codes.get(item[0], ""))
    ]
    agg = qs.aggregate(n=Count("pk"), area=Sum("area_m2"))
    return {"types": types, "townships": townships, "n": agg["n"], "mu": mu(agg["area"])}
