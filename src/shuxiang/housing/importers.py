"""House registry import from XLSX or CSV (the county's 农村房屋 tables).

Every row is checked; if any row is bad the report lists every bad row with its reason and nothing is
stored. Owners are found by ID number (encrypted in core.Person; registered if new); a row whose
房屋编码 exists updates that house (audited), any other row registers a new house and gets the
hamlet's next code. One house, one household: an owner already in another monitoring household than
the row's 户编号 is refused, as is one ID number under two names.
"""

from dataclasses import dataclass

from django.apps import apps
from django.db import transaction

from shuxiang.core import pii
from shuxiang.core import services as core_services
from shuxiang.core.errors import ServiceError
from shuxiang.core.importers import ImportRejected, ImportResult, Problem
from shuxiang.core.models import Person, Place
from shuxiang.core.permissions import require
from shuxiang.core.scope import place_in_scope
from shuxiang.housing import choices as c
from shuxiang.housing import services
from shuxiang.housing.models import House

# Chinese header → field. core.importers.read_rows already turns 纬度/经度 into latitude/longitude.
COLUMNS = {
    "房屋编码": "code",
    "村民小组代码": "place",
    "门牌地址": "address",
    "户主姓名": "owner_name",
    "户主身份证号": "owner_id_number",
    "户编号": "household",
    "结构类型": "structure",
    "层数": "floors",
    "建成年份": "year_built",
    "建筑面积": "floor_area",
    "用途": "use",
    "经营类型": "business_kind",
    "经营名称": "business_name",
    "重点对象类别": "key_group",
    "latitude": "latitude",
    "longitude": "longitude",
}
LABELS = {field: header for header, field in COLUMNS.items()} | {"latitude": "纬度", "longitude": "经度"}
CHOICE_WORDS = {
    "structure": {label: value for value, label in c.Structure.choices},
    "use": {label: value for value, label in c.Use.choices},
    "business_kind": {label: value for value, label in c.BusinessKind.choices},
    "key_group": {label: value for value, label in c.KeyGroup.choices},
}
# Short forms people write in the column.
CHOICE_WORDS["structure"].update(
    {"砖混": "brick_concrete", "砖木": "brick_wood", "土木": "earth_wood", "框架": "frame"}
)
CHOICE_WORDS["key_group"].update(
    {"低保": "dibao", "低保边缘": "dibao_edge", "特困": "tekun", "监测户": "monitored", "脱贫户": "lifted"}
)
CHOICE_WORDS["business_kind"].update({"民宿": "homestay", "旅馆": "homestay", "商超": "shop", "零售": "shop"})


@dataclass
class HouseImportResult(ImportResult):
    owners: int = 0


def _row_fields(row: dict) -> dict:
    out = {}
    for header, field in COLUMNS.items():
        if header in row:
            out[field] = row[header].strip()
    for field, words in CHOICE_WORDS.items():
        value = out.get(field)
        if value:
            out[field] = words.get(value, value)
    return out


def _owner(actor, fields, place, number, problems, seen_ids):
    name, raw = fields.get("owner_name", ""), fields.get("owner_id_number", "")
    if not raw:
        if name:
            problems.append(Problem(number, "户主身份证号", "填写户主时须填写身份证号"))
        return None, False
    try:
        id_number = pii.normalize_id_number(raw)
    except pii.PIIError as exc:
        problems.append(Problem(number, "户主身份证号", exc.message))
        return None, False
    if id_number in seen_ids and seen_ids[id_number] != name:
        problems.append(Problem(number, "户主身份证号", "同一身份证号在文件中对应不同姓名"))
        return None, False
    seen_ids[id_number] = name
    person = Person.objects.filter(id_number_digest=pii.digest(id_number)).first()
    if person is not None:
        if name and person.name != name:
            problems.append(Problem(number, "户主姓名", "身份证号已登记为另一姓名，请核对"))
        return person, False
    if not name:
        problems.append(Problem(number, "户主姓名", "新登记的户主须填写姓名"))
        return None, False
    return core_services.do_create_person(actor=actor, name=name, place=place, id_number=id_number), True


def _household(number_text, number, problems):
    if not number_text:
        return None
    if not apps.is_installed("shuxiang.monitoring"):
        problems.append(Problem(number, "户编号", "未启用防返贫监测，不能关联农户"))
        return None
    from shuxiang.monitoring.models import Household

    household = Household.objects.filter(number=number_text).first()
    if household is None:
        problems.append(Problem(number, "户编号", f"农户 {number_text} 不存在"))
    return household


def import_houses(rows, *, actor) -> HouseImportResult:
    """Rows from core.importers.read_rows; all written in one transaction or none."""
    require(actor, "housing.house.add")
    result = HouseImportResult(kind="houses")
    problems: list[Problem] = []
    codes_seen: dict[str, int] = {}
    ids_seen: dict[str, str] = {}
    places = {}
    with transaction.atomic():
        for number, row in rows:
            before = len(problems)
            fields = _row_fields(row)
            code = fields.pop("code", "")
            if code and code in codes_seen:
                problems.append(Problem(number, "房屋编码", f"与第{codes_seen[code]}行重复"))
                continue
            if code:
                codes_seen[code] = number
            place_code = fields.pop("place", "")
            if place_code not in places:
                places[place_code] = Place.objects.filter(code=place_code).first()
            place = places[place_code]
            if place is None or place.level != services.HAMLET or not place_in_scope(actor, place):
                problems.append(Problem(number, "村民小组代码", f"“{place_code}”不是您辖区内的村民小组"))
                continue
            try:
                owner, created = _owner(actor, fields, place, number, problems, ids_seen)
            except ServiceError as exc:
                problems.append(Problem(number, "户主身份证号", exc.message))
                continue
            household = _household(fields.pop("household", ""), number, problems)
            fields.pop("owner_name", None)
            fields.pop("owner_id_number", None)
            if len(problems) > before:
                continue
            fields = {k: v for k, v in fields.items() if v != "" or k in ("business_kind", "key_group")}
            try:
                with transaction.atomic():
                    existing = House.objects.filter(code=code).first() if code else None
                    if existing is not None:
                        if existing.place_id != place.pk:
                            raise ServiceError(
                                "invalid", "房屋编码所在村民小组与文件不一致", {"place": ["不一致"]}
                            )
                        links = {"owner": owner} if owner is not None else {}
                        if household is not None:
                            links["household"] = household
                        services.do_update_house(existing, actor=actor, **links, **fields)
                        result.updated += 1
                    else:
                        services.do_register_house(
                            actor=actor,
                            place=place,
                            owner=owner,
                            household=household,
                            code=code or None,
                            structure=fields.pop("structure", ""),
                            floors=fields.pop("floors", ""),
                            **fields,
                        )
                        result.created += 1
                    result.owners += int(created)
            except ServiceError as exc:
                for field, messages in (exc.fields or {"": [exc.message]}).items():
                    for message in messages:
                        problems.append(Problem(number, LABELS.get(field, ""), message))
        if problems:
            raise ImportRejected(problems)
    return result
