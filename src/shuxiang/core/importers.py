"""Bulk import of places, units and users from XLSX or CSV.

Every row is checked before anything is written; if any row is bad the
report lists every bad row with its reason in Chinese and nothing is stored.
The writes then go through the same services as the UI, in one transaction.
"""

import csv
import io
import re
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

from django.db import transaction

from shuxiang.core import audit, services
from shuxiang.core.actors import as_actor
from shuxiang.core.choices import KINDS_BY_LEVEL, LEVEL_BY_NAME, PlaceKind, PlaceLevel, Role, UnitKind
from shuxiang.core.errors import ServiceError
from shuxiang.core.models import Place, Unit, User

HEADER_ALIASES = {
    # The statistics bureau's table as published (统计用区划代码和城乡划分代码).
    "统计用区划代码": "code",
    "城乡分类代码": "urban_rural",
    "城乡分类": "urban_rural",
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
    skipped: int = 0  # rows above the county (省, 地级市) in a published division table


# Service error fields → the column a person sees in the file.
COLUMN_LABELS = {
    "code": "区划代码",
    "name": "名称",
    "level": "层级",
    "kind": "类型",
    "parent": "上级代码",
    "valid_from": "启用日期",
    "valid_to": "停用日期",
}


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

# 城乡分类代码: 1xx urban (主城区, 城乡结合区, 镇中心区, 镇乡结合区, 特殊区域), 2xx rural (乡中心区, 村庄).
URBAN_RURAL_CODES = {"111", "112", "121", "122", "123", "210", "220"}
# Village-level rows are published under their committee's name; the place is the village itself.
COMMITTEE_SUFFIXES = (
    ("居民委员会", "社区"),
    ("社区居委会", "社区"),
    ("村民委员会", "村"),
    ("村委会", "村"),
    ("街道办事处", "街道"),
)
PARK_WORDS = ("开发区", "园区", "管理区", "示范区", "农场", "林场", "渔场", "新区")


def published_name(name: str) -> str:
    """The place's own name from the table's: 新桥村委会 → 新桥村, 城西社区居委会 → 城西社区,
    桃花仑街道办事处 → 桃花仑街道."""
    for suffix, word in COMMITTEE_SUFFIXES:
        if name.endswith(suffix) and len(name) > len(suffix):
            stem = name[: -len(suffix)]  # 新桥村村民委员会 → 新桥村, 新桥村委会 → 新桥 → 新桥村
            return stem if stem.endswith(word) else stem + word
    return name


def infer_kind(level: int, name: str, urban_rural: str = "") -> str | None:
    """The kind a published name implies (县 → county, 镇 → town, 村 → village …), None if unclear."""
    if level == PlaceLevel.DISTRICT:
        for suffix, kind in (
            ("县", PlaceKind.COUNTY),
            ("市", PlaceKind.COUNTY_CITY),
            ("区", PlaceKind.DISTRICT),
        ):
            if name.endswith(suffix):
                return kind.value
        return None
    if level == PlaceLevel.TOWNSHIP:
        if "街道" in name:
            return PlaceKind.SUBDISTRICT.value
        if any(word in name for word in PARK_WORDS):
            return PlaceKind.PARK.value
        if name.endswith("镇"):
            return PlaceKind.TOWN.value
        if name.endswith("乡"):
            return PlaceKind.TOWNSHIP.value
        return None
    if level == PlaceLevel.VILLAGE:
        if name.endswith(("社区", "居委会")):
            return PlaceKind.COMMUNITY.value
        if name.endswith("村"):
            return PlaceKind.VILLAGE.value
        if urban_rural[:1] == "1":
            return PlaceKind.COMMUNITY.value
        if urban_rural[:1] == "2":
            return PlaceKind.VILLAGE.value
        return None
    return PlaceKind.HAMLET.value


def _level(row, code, number, problems):
    """The level from the 层级 column when given, else from the code's digits."""
    level_raw = row.get("level", "")
    if level_raw:
        level = (
            LEVEL_BY_NAME.get(level_raw)
            or LEVEL_LABELS.get(level_raw)
            or (int(level_raw) if level_raw.isdigit() else None)
        )
        if level not in (1, 2, 3, 4):
            problems.append(
                Problem(number, "层级", f"无法识别层级“{level_raw}”（可填：区县、乡镇、村、村民小组）")
            )
            return None
        return level
    level = services.level_of_code(code)
    if level is None:
        problems.append(
            Problem(
                number, "区划代码", f"“{code or '（空）'}”不是区县、乡镇、村的12位代码或村民小组的14位代码"
            )
        )
    return level


def _plan_places(rows, actor):
    """Every row checked against the file and the database before anything is written.

    Rows may come in any order; a row's parent is its 上级代码 when given, else the one its code
    implies, found in the file or in the database. Existing places (matched by code) keep their
    parent (moves are a separate, audited act). Rows above the county (省, 地级市) are skipped.
    """
    from shuxiang.core.scope import user_scope_path

    problems, plans, skipped = [], [], 0
    seen: dict[str, dict] = {}
    for number, row in rows:
        code = row.get("code", "").strip()
        if not row.get("level") and re.fullmatch(r"\d{12}", code) and code[4:] == "00000000":
            skipped += 1  # a province's or prefecture's own row in the published table
            continue
        level = _level(row, code, number, problems)
        if level is None:
            continue
        urban_rural = row.get("urban_rural", "")
        if urban_rural and urban_rural not in URBAN_RURAL_CODES:
            problems.append(
                Problem(number, "城乡分类代码", f"“{urban_rural}”不是城乡分类代码（111–123、210、220）")
            )
        existing = Place.objects.filter(code=code).select_related("parent").first()
        name = published_name(row.get("name", "").strip())
        kind_raw = row.get("kind", "")
        kind = KIND_LABELS.get(kind_raw, kind_raw) or infer_kind(level, name, urban_rural)
        if not kind and existing is not None:
            kind = existing.kind
        if not kind:
            allowed = "、".join(k.label for k in KINDS_BY_LEVEL[level])
            problems.append(
                Problem(number, "类型", f"无法从名称“{name}”判断类型，请在「类型」列填写：{allowed}")
            )
        parent_code = row.get("parent", "").strip()
        if existing is not None and existing.parent and parent_code and parent_code != existing.parent.code:
            problems.append(
                Problem(
                    number,
                    "上级代码",
                    f"{existing.name}在系统中属于{existing.parent.name}（{existing.parent.code}）："
                    "调整隶属请在区划页面用“迁移”，导入不改上级",
                )
            )
        if code in seen:
            problems.append(Problem(number, "区划代码", f"{code} 在文件中重复（第{seen[code]['row']}行）"))
            continue
        plan = {
            "row": number,
            "code": code,
            "name": name,
            "level": level,
            "kind": kind,
            "existing": existing,
            "parent_code": (
                (existing.parent.code if existing.parent else None)
                if existing is not None
                else (parent_code or services.parent_code_of(code, level))
            ),
            "valid_from": _date(row.get("valid_from"), problems, number, "启用日期"),
            "valid_to": _date(row.get("valid_to"), problems, number, "停用日期"),
            "latitude": _float(row.get("latitude"), problems, number, "纬度"),
            "longitude": _float(row.get("longitude"), problems, number, "经度"),
            "synthetic": _bool(row.get("synthetic", "")),
        }
        seen[code] = plan
        plans.append(plan)

    # Parents and paths, top down, so every row is checked against the tree it will join.
    scope = user_scope_path(as_actor(actor))
    for plan in sorted(plans, key=lambda p: p["level"]):
        number, code, level = plan["row"], plan["code"], plan["level"]
        parent = None
        if plan["existing"] is not None:
            parent = plan["existing"].parent
            plan["path"] = plan["existing"].path
        elif level > 1:
            parent_code = plan["parent_code"]
            in_file = seen.get(parent_code)
            if in_file is not None and ("path" not in in_file or in_file["row"] in {p.row for p in problems}):
                problems.append(
                    Problem(number, "上级代码", f"上级区划 {parent_code} 所在行（第{in_file['row']}行）有误")
                )
                continue
            if in_file is not None:
                parent = Place(code=parent_code, level=in_file["level"], name=in_file["name"])
                parent.path = in_file["path"]
            else:
                parent = Place.objects.filter(code=parent_code).first()
            if parent is None:
                problems.append(
                    Problem(
                        number, "上级代码", f"上级区划 {parent_code or '（空）'} 既不在文件中也不在系统中"
                    )
                )
                continue
            plan["path"] = f"{parent.path}{code}/"
        else:
            plan["path"] = f"/{code}/"
        plan["parent_place"] = parent if parent is not None and parent.pk else None
        errors = services.validate_place_fields(
            code=code, name=plan["name"], level=level, kind=plan["kind"], parent=parent
        )
        if not plan["kind"]:
            errors.pop("kind", None)  # already reported with what to write
        if plan["valid_from"] and plan["valid_to"] and plan["valid_to"] < plan["valid_from"]:
            errors.setdefault("valid_to", []).append("停用日期不能早于启用日期")
        for column, messages in errors.items():
            problems.extend(Problem(number, COLUMN_LABELS.get(column, column), m) for m in messages)
        if scope is None or not plan["path"].startswith(scope):
            problems.append(Problem(number, "区划代码", f"{code} 不在您的管辖范围内"))
        elif level == 1 and plan["existing"] is None and scope != "":
            problems.append(Problem(number, "区划代码", services.COUNTY_LEVEL_HINT))
    problems.sort(key=lambda p: p.row)
    return plans, problems, skipped


@transaction.atomic
def import_places(rows, *, actor) -> ImportResult:
    """Creates new places and updates names/kinds/validity of existing ones (matched by code)."""
    plans, problems, skipped = _plan_places(rows, actor)
    if problems:
        raise ImportRejected(problems)
    result = ImportResult("places", skipped=skipped)
    by_code: dict[str, Place] = {}
    for plan in sorted(plans, key=lambda p: p["level"]):
        existing = plan["existing"]
        fields = {k: plan[k] for k in ("name", "kind", "valid_from", "valid_to", "latitude", "longitude")}
        if existing is not None:
            # Blank optional columns keep what is stored; the table as published has none of them.
            fields = {k: v for k, v in fields.items() if v not in (None, "")}
        try:
            if existing:
                before = audit.snapshot(existing)
                services.do_update_place(existing, actor=actor, **fields)
                by_code[plan["code"]] = existing
                if audit.snapshot(existing) != before:
                    result.updated += 1
            else:
                parent = plan["parent_place"] or by_code.get(plan["parent_code"])
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
                    Problem(plan["row"], COLUMN_LABELS.get(k, k), m)
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
            # Unit names repeat from county to county (县农业农村局): look in the user's own county.
            units = Unit.objects.filter(name=row["unit"])
            if place is not None:
                units = units.filter(place__path__startswith=f"/{place.path.split('/')[1]}/")
            unit = units.order_by("place__level", "pk").first()
            if unit is None:
                where = f"{services.county_of(place).name}" if place is not None else ""
                problems.append(Problem(number, "单位", f"{where}单位“{row['unit']}”不存在"))
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
    services._require(actor, "import.run")
    return IMPORTERS[kind](read_rows(data, filename), actor=actor)


__all__ = ["run_import", "read_rows", "ImportRejected", "ImportResult", "User"]


def import_upload(request, form, run):
    """The upload half of every import page, in one place: on a valid POST, `run(content, name)` with the
    bytes and name of the form's `file`. A refused file puts its message on the form and returns every bad
    row as text for the page; nothing is written then (the importers are all or nothing).

    Returns (the importer's result or None, the problems as text)."""
    from shuxiang.core.errors import ServiceError

    if request.method != "POST" or not form.is_valid():
        return None, []
    upload = form.cleaned_data["file"]
    try:
        return run(upload.read(), upload.name), []
    except ImportRejected as exc:
        form.add_error(None, exc.message)
        return None, [p.as_text() for p in exc.problems]
    except ServiceError as exc:
        form.add_error("file", exc.message)
        return None, []


def import_file(path, run):
    """The same for a command: `run(content, name)` with the bytes and name of the file at `path`; a
    refused file becomes a CommandError listing every bad row."""
    from django.core.management.base import CommandError

    from shuxiang.core.errors import ServiceError

    path = Path(path)
    if not path.is_file():
        raise CommandError(f"文件不存在：{path}")
    try:
        return run(path.read_bytes(), path.name)
    except ImportRejected as exc:
        raise CommandError("\n".join([exc.message, *(p.as_text() for p in exc.problems)])) from None
    except ServiceError as exc:
        raise CommandError(exc.message) from None
