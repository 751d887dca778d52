"""Bulk import of places, units and users from XLSX or CSV.

Every row is checked before anything is written; if any row is bad the
report lists every bad row with its reason in Chinese and nothing is stored.
The writes then go through the same services as the UI, in one transaction.
"""

import csv
import io
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

from django.db import transaction

from shuxiang.core import audit, services
from shuxiang.core.choices import KINDS_BY_LEVEL, LEVEL_BY_NAME, PlaceKind, Role, UnitKind
from shuxiang.core.errors import ServiceError
from shuxiang.core.models import Place, Unit, User

HEADER_ALIASES = {
    "区划代码": "code",
    "代码": "code",
    "名称": "name",
    "层级": "level",
    "类型": "kind",
    "上级代码": "parent",
    "上级区划代码": "parent",
    "启用日期": "valid_from",
    "停用日期": "valid_to",
    "纬度": "latitude",
    "经度": "longitude",
    "合成": "synthetic",
    "简称": "short_name",
    "所在区划": "place",
    "区划": "place",
    "统一社会信用代码": "code",
    "电话": "phone",
    "负责领域": "domains",
    "用户名": "username",
    "姓名": "display_name",
    "角色": "role",
    "所属区划": "place",
    "单位": "unit",
    "所属单位": "unit",
    "密码": "password",
    "可查看敏感信息": "can_reveal_pii",
}
LEVEL_LABELS = {
    "区县": 1,
    "区": 1,
    "县": 1,
    "乡镇": 2,
    "街道": 2,
    "村": 3,
    "社区": 3,
    "村民小组": 4,
    "组": 4,
    "自然村": 4,
}
KIND_LABELS = {k.label: k.value for k in PlaceKind}
UNIT_KIND_LABELS = {k.label: k.value for k in UnitKind}
ROLE_LABELS = {r.label: r.value for r in Role}


class ImportRejected(ServiceError):
    def __init__(self, problems):
        self.problems = problems
        super().__init__(
            "import_rejected",
            f"导入未执行：共有 {len(problems)} 处错误，请修改后重新导入（未写入任何数据）",
            {"rows": [p.as_text() for p in problems]},
        )


@dataclass
class Problem:
    row: int
    column: str
    message: str

    def as_text(self):
        where = f"第{self.row}行" + (f"「{self.column}」" if self.column else "")
        return f"{where}：{self.message}"


@dataclass
class ImportResult:
    kind: str
    created: int = 0
    updated: int = 0
    problems: list = field(default_factory=list)


def read_rows(data: bytes, filename: str) -> list[tuple[int, dict]]:
    """(row number as the user sees it, {canonical column: text}) for each non-empty row."""
    suffix = Path(filename).suffix.lower()
    if suffix in (".xlsx", ".xlsm"):
        from openpyxl import load_workbook

        try:
            wb = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        except Exception as exc:
            raise ServiceError("bad_file", "无法读取 XLSX 文件，请确认文件未损坏") from exc
        raw_rows = list(wb.worksheets[0].iter_rows(values_only=True))
    elif suffix == ".csv":
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            try:
                text = data.decode("gb18030")
            except UnicodeDecodeError as exc:
                raise ServiceError("bad_file", "CSV 文件编码无法识别（请用 UTF-8 或 GBK）") from exc
        raw_rows = list(csv.reader(io.StringIO(text)))
    else:
        raise ServiceError("bad_file", "只支持 .xlsx 或 .csv 文件")
    if not raw_rows:
        raise ServiceError("empty_file", "文件是空的")
    headers = [
        HEADER_ALIASES.get(str(h).strip(), str(h).strip()) if h is not None else "" for h in raw_rows[0]
    ]
    rows = []
    for number, values in enumerate(raw_rows[1:], start=2):
        if values is None or all(v is None or str(v).strip() == "" for v in values):
            continue
        rows.append((number, {h: _text(v) for h, v in zip(headers, values, strict=False) if h}))
    return rows


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _date(value, problems, row, column):
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        problems.append(Problem(row, column, f"日期“{value}”格式应为 YYYY-MM-DD"))
        return None


def _float(value, problems, row, column):
    if not value:
        return None
    try:
        return float(value)
    except ValueError:
        problems.append(Problem(row, column, f"“{value}”不是数字"))
        return None


def _bool(value):
    return value.lower() in ("1", "true", "是", "yes", "y")


# --- places -------------------------------------------------------------------------------


def _plan_places(rows):
    problems, plans = [], []
    seen: dict[str, dict] = {}
    for number, row in rows:
        code = row.get("code", "")
        level_raw = row.get("level", "")
        level = (
            LEVEL_BY_NAME.get(level_raw)
            or LEVEL_LABELS.get(level_raw)
            or (int(level_raw) if level_raw.isdigit() else None)
        )
        if level is None:
            problems.append(
                Problem(number, "层级", f"无法识别层级“{level_raw}”（区县/乡镇/村/村民小组 或 1–4）")
            )
            continue
        kind_raw = row.get("kind", "")
        kind = KIND_LABELS.get(kind_raw, kind_raw)
        if not kind and len(KINDS_BY_LEVEL[level]) == 1:
            kind = next(iter(KINDS_BY_LEVEL[level])).value
        parent_code = row.get("parent", "")
        parent = None
        if level > 1:
            if not parent_code and level == 4 and len(code) == 14:
                parent_code = code[:12]
            parent = seen.get(parent_code) or Place.objects.filter(code=parent_code).first()
            if parent is None:
                problems.append(
                    Problem(
                        number, "上级代码", f"上级区划 {parent_code or '（空）'} 既不在文件中也不在系统中"
                    )
                )
                continue
        parent_place = parent if isinstance(parent, Place) else None
        parent_stub = (
            parent if isinstance(parent, Place) else Place(code=parent["code"], level=parent["level"])
        )
        errors = services.validate_place_fields(
            code=code,
            name=row.get("name", ""),
            level=level,
            kind=kind,
            parent=parent_stub if level > 1 else None,
        )
        for column, messages in errors.items():
            problems.extend(Problem(number, column, m) for m in messages)
        if code in seen:
            problems.append(Problem(number, "区划代码", f"{code} 在文件中重复（第{seen[code]['row']}行）"))
        plan = {
            "row": number,
            "code": code,
            "name": row.get("name", "").strip(),
            "level": level,
            "kind": kind,
            "parent_code": parent_code if level > 1 else None,
            "parent_place": parent_place,
            "valid_from": _date(row.get("valid_from"), problems, number, "启用日期"),
            "valid_to": _date(row.get("valid_to"), problems, number, "停用日期"),
            "latitude": _float(row.get("latitude"), problems, number, "纬度"),
            "longitude": _float(row.get("longitude"), problems, number, "经度"),
            "synthetic": _bool(row.get("synthetic", "")),
        }
        seen[code] = plan
        plans.append(plan)
    return plans, problems


@transaction.atomic
def import_places(rows, *, actor) -> ImportResult:
    """Creates new places and updates names/kinds/validity of existing ones (matched by code)."""
    plans, problems = _plan_places(rows)
    if problems:
        raise ImportRejected(problems)
    result = ImportResult("places")
    by_code: dict[str, Place] = {}
    for plan in sorted(plans, key=lambda p: p["level"]):
        existing = Place.objects.filter(code=plan["code"]).first()
        fields = {k: plan[k] for k in ("name", "kind", "valid_from", "valid_to", "latitude", "longitude")}
        try:
            if existing:
                services.do_update_place(existing, actor=actor, **fields)
                by_code[plan["code"]] = existing
                result.updated += 1
            else:
                parent = (
                    plan["parent_place"]
                    or by_code.get(plan["parent_code"])
                    or (Place.objects.get(code=plan["parent_code"]) if plan["parent_code"] else None)
                )
                by_code[plan["code"]] = services.do_create_place(
                    actor=actor,
                    code=plan["code"],
                    level=plan["level"],
                    parent=parent,
                    synthetic=plan["synthetic"],
                    **fields,
                )
                result.created += 1
        except ServiceError as exc:
            raise ImportRejected(
                [
                    Problem(plan["row"], k, m)
                    for k, ms in (exc.fields or {"": [exc.message]}).items()
                    for m in ms
                ]
            ) from None
    audit.record(
        actor,
        "import",
        object_type="core.place",
        object_repr="导入区划",
        changes={"created": result.created, "updated": result.updated},
    )
    return result


# --- units ---------------------------------------------------------------------------------


@transaction.atomic
def import_units(rows, *, actor) -> ImportResult:
    problems, plans = [], []
    for number, row in rows:
        kind = UNIT_KIND_LABELS.get(row.get("kind", ""), row.get("kind", ""))
        if kind not in UnitKind.values:
            problems.append(Problem(number, "类型", f"单位类型“{row.get('kind', '')}”无效"))
        place = Place.objects.filter(code=row.get("place", "")).first()
        if place is None:
            problems.append(Problem(number, "所在区划", f"区划代码 {row.get('place', '（空）')} 不存在"))
        if not row.get("name"):
            problems.append(Problem(number, "名称", "名称必填"))
        plans.append((number, row, kind, place))
    if problems:
        raise ImportRejected(problems)
    result = ImportResult("units")
    for number, row, kind, place in plans:
        domains = [d.strip() for d in row.get("domains", "").split(",") if d.strip()]
        existing = Unit.objects.filter(place=place, name=row["name"]).first()
        try:
            if existing:
                services.do_update_unit(
                    existing,
                    actor=actor,
                    kind=kind,
                    short_name=row.get("short_name", ""),
                    phone=row.get("phone", ""),
                    domains=domains,
                )
                result.updated += 1
            else:
                services.do_create_unit(
                    actor=actor,
                    name=row["name"],
                    kind=kind,
                    place=place,
                    short_name=row.get("short_name", ""),
                    code=row.get("code", ""),
                    domains=domains,
                    phone=row.get("phone", ""),
                )
                result.created += 1
        except ServiceError as exc:
            raise ImportRejected(
                [Problem(number, k, m) for k, ms in (exc.fields or {"": [exc.message]}).items() for m in ms]
            ) from None
    audit.record(
        actor,
        "import",
        object_type="core.unit",
        object_repr="导入单位",
        changes={"created": result.created, "updated": result.updated},
    )
    return result


# --- users ---------------------------------------------------------------------------------


@transaction.atomic
def import_users(rows, *, actor) -> ImportResult:
    problems, plans = [], []
    usernames = set()
    for number, row in rows:
        role = ROLE_LABELS.get(row.get("role", ""), row.get("role", ""))
        place = Place.objects.filter(code=row.get("place", "")).first()
        unit = None
        if row.get("unit"):
            unit = Unit.objects.filter(name=row["unit"]).order_by("place__level").first()
            if unit is None:
                problems.append(Problem(number, "单位", f"单位“{row['unit']}”不存在"))
        username = row.get("username", "")
        if username in usernames:
            problems.append(Problem(number, "用户名", f"{username} 在文件中重复"))
        usernames.add(username)
        errors = services._validate_user(
            role=role, place=place, unit=unit, username=username, password=row.get("password", "")
        )
        if place is None:
            errors["place"] = [f"区划代码 {row.get('place', '（空）')} 不存在"]
        for column, messages in errors.items():
            problems.extend(Problem(number, column, m) for m in messages)
        plans.append((number, row, role, place, unit))
    if problems:
        raise ImportRejected(problems)
    result = ImportResult("users")
    for number, row, role, place, unit in plans:
        try:
            services.do_create_user(
                actor=actor,
                username=row["username"],
                role=role,
                place=place,
                unit=unit,
                password=row["password"],
                display_name=row.get("display_name", ""),
                can_reveal_pii=_bool(row.get("can_reveal_pii", "")),
            )
        except ServiceError as exc:
            raise ImportRejected(
                [Problem(number, k, m) for k, ms in (exc.fields or {"": [exc.message]}).items() for m in ms]
            ) from None
        result.created += 1
    audit.record(
        actor, "import", object_type="core.user", object_repr="导入用户", changes={"created": result.created}
    )
    return result


IMPORTERS = {"places": import_places, "units": import_units, "users": import_users}


def run_import(kind: str, data: bytes, filename: str, *, actor) -> ImportResult:
    if kind not in IMPORTERS:
        raise ServiceError("invalid", f"不支持导入“{kind}”，可选：places、units、users")
    if actor is not None and not isinstance(actor, str):
        services._require(actor, "import.run")
    return IMPORTERS[kind](read_rows(data, filename), actor=actor)


__all__ = ["run_import", "read_rows", "ImportRejected", "ImportResult", "User"]
