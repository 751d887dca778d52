"""Household registry import from XLSX/CSV: one row per member, grouped by 户编号.

People are matched on their ID number (through the keyed digest in
core.Person), never on names: an existing person is reused, a person already
in another household is reported, and the same person in two households of
the file is reported with both rows. Every row is checked before anything is
written; one problem and nothing is stored.
"""

from dataclasses import dataclass

from django.db import transaction

from shuxiang.core import audit, pii
from shuxiang.core.errors import ServiceError
from shuxiang.core.importers import ImportRejected, Problem
from shuxiang.core.models import Person, Place
from shuxiang.core.scope import place_in_scope
from shuxiang.monitoring import choices as c
from shuxiang.monitoring import perms, services
from shuxiang.monitoring.models import Household, Member
from shuxiang.monitoring.perms import require

# Chinese header → field; core.importers.read_rows already turns 姓名/电话 into display_name/phone.
COLUMNS = {
    "户编号": "number",
    "村民小组代码": "place",
    "农户类别": "category",
    "脱贫年度": "lifted_year",
    "住房安全等级": "housing_grade",
    "饮水安全": "water_safe",
    "姓名": "name",
    "身份证号": "id_number",
    "电话": "phone",
    "与户主关系": "relation",
    "劳动能力": "labour",
    "健康状况": "health",
    "残疾等级": "disability_grade",
    "在校情况": "schooling",
    "参加医保": "medical_insured",
}
ALIASES = {**COLUMNS, "display_name": "name", "place": "place", "phone": "phone"}
LABELS = {
    "category": {ch.label: ch.value for ch in c.Category},
    "relation": {ch.label: ch.value for ch in c.Relation},
    "labour": {ch.label: ch.value for ch in c.Labour},
    "health": {ch.label: ch.value for ch in c.Health},
    "schooling": {ch.label: ch.value for ch in c.Schooling},
}
YES = ("是", "1", "true", "yes", "y", "达标", "安全")
NO = ("否", "0", "false", "no", "n", "不达标", "不安全")


@dataclass
class HouseholdImportResult:
    created: int = 0
    updated: int = 0
    members: int = 0


def _canonical(row: dict) -> dict:
    out = {}
    for key, value in row.items():
        name = ALIASES.get(key)
        if name:
            out[name] = value
    for field, labels in LABELS.items():
        if field in out:
            out[field] = labels.get(out[field], out[field])
    if "housing_grade" in out:
        out["housing_grade"] = out["housing_grade"][:1].upper()
    return out


def _yes_no(value, default, problems, number, column):
    if value in (None, ""):
        return default
    text = str(value).strip().lower()
    if text in YES:
        return True
    if text in NO:
        return False
    problems.append(Problem(number, column, f"“{value}”应为 是 或 否"))
    return default


def _plan(rows, actor):
    problems: list[Problem] = []
    groups: dict[str, dict] = {}
    seen_ids: dict[str, tuple[int, str]] = {}
    places: dict[str, Place | None] = {}
    for number, raw in rows:
        row = _canonical(raw)
        hh_number = row.get("number", "").strip()
        if not hh_number:
            problems.append(Problem(number, "户编号", "户编号必填"))
            continue
        errors: dict[str, list[str]] = {}
        row["medical_insured"] = _yes_no(row.get("medical_insured"), True, problems, number, "参加医保")
        member = services.clean_member(row, errors)
        for field, messages in errors.items():
            label = next((k for k, v in COLUMNS.items() if v == field), field)
            problems.extend(Problem(number, label, m) for m in messages)
        if "id_number" in member:
            previous = seen_ids.get(member["id_number"])
            if previous:
                prev_row, prev_hh = previous
                where = "同一户" if prev_hh == hh_number else f"户 {prev_hh}"
                problems.append(
                    Problem(
                        number,
                        "身份证号",
                        f"与第{prev_row}行（{where}）是同一人：一人不能登记两次或同时在两户",
                    )
                )
            seen_ids[member["id_number"]] = (number, hh_number)
        group = groups.get(hh_number)
        if group is None:
            code = row.get("place", "").strip()
            if code not in places:
                places[code] = Place.objects.filter(code=code).first()
            place = places[code]
            if place is None:
                problems.append(Problem(number, "村民小组代码", f"区划代码 {code or '（空）'} 不存在"))
            elif place.level != 4:
                problems.append(Problem(number, "村民小组代码", "应为14位的村民小组代码"))
            elif not place_in_scope(actor, place):
                problems.append(Problem(number, "村民小组代码", f"{place.name} 不在您的管辖范围内"))
            fields = {"category": row.get("category", ""), "housing_grade": row.get("housing_grade", "")}
            hh_errors: dict[str, list[str]] = {}
            services._validate_household_fields(fields, hh_errors)
            if row.get("lifted_year"):
                services._year(row["lifted_year"], hh_errors, "lifted_year")
            for field, messages in hh_errors.items():
                label = next((k for k, v in COLUMNS.items() if v == field), field)
                problems.extend(Problem(number, label, m) for m in messages)
            group = groups[hh_number] = {
                "row": number,
                "place": place,
                "fields": {
                    **fields,
                    "lifted_year": int(row["lifted_year"])
                    if str(row.get("lifted_year", "")).isdigit()
                    else None,
                    "water_safe": _yes_no(row.get("water_safe"), True, problems, number, "饮水安全"),
                },
                "members": [],
            }
        elif row.get("place") and group["place"] is not None and row["place"] != group["place"].code:
            problems.append(Problem(number, "村民小组代码", f"与本户第{group['row']}行的村民小组不一致"))
        group["members"].append((number, member))
    # what the database already knows, in three queries whatever the file's size
    digests = {pii.digest(n): n for n in seen_ids}
    people = {p.id_number_digest: p for p in Person.objects.filter(id_number_digest__in=digests)}
    memberships = {
        m.person_id: m for m in Member.objects.filter(person__in=people.values()).select_related("household")
    }
    existing = {h.number: h for h in Household.objects.filter(number__in=groups)}
    for hh_number, group in groups.items():
        household = existing.get(hh_number)
        if household is not None and group["place"] is not None and household.place_id != group["place"].pk:
            problems.append(
                Problem(group["row"], "村民小组代码", f"户 {hh_number} 已登记在 {household.place.name}")
            )
        heads = 0
        for number, member in group["members"]:
            person = people.get(pii.digest(member["id_number"])) if "id_number" in member else None
            membership = memberships.get(person.pk) if person else None
            if membership and membership.household.number != hh_number:
                problems.append(
                    Problem(
                        number,
                        "身份证号",
                        f"此人已是户 {membership.household.number} 的成员，不能同时登记在两户",
                    )
                )
            member["_existing"] = (
                membership if membership and membership.household.number == hh_number else None
            )
            heads += member.get("relation") == c.Relation.HEAD
        if household is not None:
            file_ids = {m["_existing"].pk for _, m in group["members"] if m.get("_existing")}
            heads += household.members.filter(relation=c.Relation.HEAD).exclude(pk__in=file_ids).count()
        if heads != 1:
            problems.append(
                Problem(group["row"], "与户主关系", f"户 {hh_number} 须有且只有一名户主（现为{heads}名）")
            )
        if group["fields"]["category"] == c.Category.LIFTED and not group["fields"]["lifted_year"]:
            problems.append(Problem(group["row"], "脱贫年度", "脱贫户须填写脱贫年度"))
        group["household"] = household
    return groups, problems


def _as_problems(exc: ServiceError, row: int):
    return [Problem(row, k, m) for k, ms in (exc.fields or {"": [exc.message]}).items() for m in ms]


@transaction.atomic
def import_households(rows, *, actor) -> HouseholdImportResult:
    require(actor, perms.EDIT)
    if not rows:
        raise ServiceError("empty_file", "文件中没有数据行")
    groups, problems = _plan(rows, actor)
    if problems:
        raise ImportRejected(sorted(problems, key=lambda p: p.row))
    result = HouseholdImportResult()
    member_keys = ("relation", "labour", "health", "disability_grade", "schooling", "medical_insured")
    for hh_number, group in groups.items():
        try:
            if group["household"] is None:
                services.do_create_household(
                    actor=actor,
                    place=group["place"],
                    number=hh_number,
                    members=[{**m, "id_number": m["id_number"]} for _, m in group["members"]],
                    **group["fields"],
                )
                result.created += 1
                result.members += len(group["members"])
                continue
            household = group["household"]
            services.do_update_household(household, actor=actor, **group["fields"])
            for _row, member in group["members"]:
                existing = member["_existing"]
                if existing is not None:
                    services.do_update_member(existing, actor=actor, **{k: member[k] for k in member_keys})
                else:
                    services.do_add_member(household, actor=actor, **member)
                result.members += 1
            result.updated += 1
        except ServiceError as exc:
            raise ImportRejected(_as_problems(exc, group["row"])) from None
    audit.record(
        actor,
        "import",
        object_type="monitoring.household",
        object_repr="导入农户",
        changes={"created": result.created, "updated": result.updated, "members": result.members},
    )
    return result
