"""XLSX/CSV import of the coverage registries. Every row is checked first; one bad row
means nothing is written and every bad row is reported with its reason."""

from datetime import date

from django.db import transaction

from shuxiang.core import audit
from shuxiang.core.actors import as_actor
from shuxiang.core.errors import ServiceError
from shuxiang.core.importers import ImportRejected, ImportResult, Problem, read_rows
from shuxiang.core.models import Place
from shuxiang.core.permissions import require
from shuxiang.core.scope import place_in_scope
from shuxiang.plan import services
from shuxiang.plan.choices import ServicePointKind
from shuxiang.plan.models import NetworkCoverage, ServicePoint

COVERAGE_HEADERS = {
    "code": "code",
    "4G": "has_4g",
    "4G覆盖": "has_4g",
    "5G": "has_5g",
    "5G覆盖": "has_5g",
    "光纤": "has_fibre",
    "光纤通达": "has_fibre",
    "有线电视": "has_cable_tv",
    "有线电视连通": "has_cable_tv",
    "带宽": "bandwidth_mbps",
    "带宽(Mbps)": "bandwidth_mbps",
    "带宽（Mbps）": "bandwidth_mbps",
    "调查日期": "surveyed_on",
    "备注": "note",
}
POINT_HEADERS = {
    "code": "code",
    "place": "code",
    "kind": "kind",
    "name": "name",
    "地址": "address",
    "建成日期": "opened_on",
}
COLUMN_LABELS = {
    "has_4g": "4G",
    "has_5g": "5G",
    "has_fibre": "光纤",
    "has_cable_tv": "有线电视",
    "bandwidth_mbps": "带宽(Mbps)",
    "surveyed_on": "调查日期",
}
KIND_LABELS = {k.label: k.value for k in ServicePointKind} | {k.value: k.value for k in ServicePointKind}


def _canonical(row: dict, headers: dict) -> dict:
    return {headers[k]: v for k, v in row.items() if k in headers}


def _place(code, problems, number, actor):
    place = Place.objects.filter(code=code).first() if code else None
    if place is None:
        problems.append(Problem(number, "区划代码", f"区划代码“{code}”不存在" if code else "区划代码必填"))
        return None
    if not place_in_scope(actor, place):
        problems.append(Problem(number, "区划代码", f"{place.name}不在您的管辖范围内"))
        return None
    return place


@transaction.atomic
def import_coverage(data: bytes, filename: str, *, actor) -> ImportResult:
    """Columns: 区划代码, 4G, 5G, 光纤, 有线电视, 带宽(Mbps), 调查日期, 备注 (是/否 for the yes/no columns)."""
    actor = as_actor(actor)
    require(actor, "plan.networkcoverage.add")
    require(actor, "plan.networkcoverage.change")
    rows = read_rows(data, filename)
    problems, planned = [], []
    for number, raw in rows:
        row = _canonical(raw, COVERAGE_HEADERS)
        place = _place(row.pop("code", ""), problems, number, actor)
        if place is None:
            continue
        try:
            services.clean_coverage(place, row)
        except ServiceError as exc:
            for field, messages in (exc.fields or {"": [exc.message]}).items():
                problems.extend(Problem(number, COLUMN_LABELS.get(field, field), m) for m in messages)
            continue
        planned.append((place, row))
    if problems:
        raise ImportRejected(problems)
    result = ImportResult("coverage")
    existing = set(
        NetworkCoverage.objects.filter(place__in=[p for p, _ in planned]).values_list("place_id", flat=True)
    )
    for place, row in planned:
        services.do_save_coverage(place, actor=actor, **row)
        if place.pk in existing:
            result.updated += 1
        else:
            result.created += 1
    audit.record(
        actor,
        "import",
        object_type="plan.networkcoverage",
        object_repr=f"导入网络覆盖登记 {filename}",
        changes={"created": result.created, "updated": result.updated},
    )
    return result


@transaction.atomic
def import_service_points(data: bytes, filename: str, *, actor) -> ImportResult:
    """Columns: 区划代码, 类型 (村级电商物流服务点 / 区文化馆分馆 / 区图书馆分馆 / 远程医疗点), 名称, 地址, 建成日期."""
    actor = as_actor(actor)
    require(actor, "plan.servicepoint.add")
    require(actor, "plan.servicepoint.change")
    rows = read_rows(data, filename)
    problems, planned = [], []
    for number, raw in rows:
        row = _canonical(raw, POINT_HEADERS)
        place = _place(row.pop("code", ""), problems, number, actor)
        kind = KIND_LABELS.get(row.get("kind", ""))
        if kind is None:
            problems.append(
                Problem(
                    number, "类型", f"类型“{row.get('kind', '')}”应为：{'、'.join(ServicePointKind.labels)}"
                )
            )
        if not row.get("name"):
            problems.append(Problem(number, "名称", "名称必填"))
        if place is not None and place.level not in (2, 3):
            problems.append(Problem(number, "区划代码", "服务网点登记在乡镇或村"))
        try:
            row["opened_on"] = date.fromisoformat(row["opened_on"]) if row.get("opened_on") else None
        except ValueError:
            problems.append(Problem(number, "建成日期", f"日期“{row['opened_on']}”格式应为 2024-05-01"))
            continue
        if place is None or kind is None or not row.get("name") or place.level not in (2, 3):
            continue
        planned.append((place, kind, row))
    if problems:
        raise ImportRejected(problems)
    result = ImportResult("service_points")
    for place, kind, row in planned:
        point = ServicePoint.objects.filter(place=place, kind=kind, name=row["name"]).first()
        opened = row["opened_on"]
        try:
            services.do_save_service_point(
                actor=actor,
                place=place,
                kind=kind,
                name=row["name"],
                address=row.get("address", ""),
                opened_on=opened,
                point=point,
            )
        except ServiceError as exc:
            raise ImportRejected([Problem(0, "", exc.message)]) from None
        if point:
            result.updated += 1
        else:
            result.created += 1
    return result
