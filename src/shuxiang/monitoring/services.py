"""Every write of return-to-poverty monitoring.

Each `do_*` takes the actor explicitly, checks permission and region, validates,
writes and audits in one transaction. Identity numbers and phones go through
core (Person, pii): this module only ever holds them long enough to find or
create the Person they belong to.
"""

from datetime import timedelta
from decimal import Decimal, InvalidOperation

from django.db import transaction
from django.utils import timezone

from shuxiang.core import audit, pii
from shuxiang.core import services as core_services
from shuxiang.core.actors import as_actor
from shuxiang.core.errors import ServiceError
from shuxiang.core.models import Person, Place
from shuxiang.core.scope import place_in_scope
from shuxiang.monitoring import choices as c
from shuxiang.monitoring import perms
from shuxiang.monitoring.models import (
    AlertBatch,
    Clue,
    Household,
    IncomeRecord,
    Measure,
    Member,
    MonitoringThreshold,
    Rule,
    Visit,
)
from shuxiang.monitoring.perms import carried, require

MIN_YEAR, MAX_YEAR = 2013, 2100


def _choice(value, choices, label, field, errors):
    if value not in choices.values:
        allowed = "、".join(str(lbl) for lbl in choices.labels)
        errors.setdefault(field, []).append(f"{label}无效，可选：{allowed}")
    return value


def _money(value, label, field, errors) -> Decimal:
    if value in (None, ""):
        return Decimal("0")
    try:
        amount = Decimal(str(value)).quantize(Decimal("0.01"))
    except (InvalidOperation, ValueError):
        errors.setdefault(field, []).append(f"{label}“{value}”不是数字")
        return Decimal("0")
    if not amount.is_finite():
        errors.setdefault(field, []).append(f"{label}不是有效数字")
        return Decimal("0")
    if amount < 0:
        errors.setdefault(field, []).append(f"{label}不能为负数")
    if amount >= Decimal("10000000000"):
        errors.setdefault(field, []).append(f"{label}数额过大")
    return amount


def _year(value, errors, field="year") -> int:
    try:
        year = int(value)
    except (TypeError, ValueError):
        errors.setdefault(field, []).append("年度应为4位数字")
        return 0
    if not MIN_YEAR <= year <= MAX_YEAR:
        errors.setdefault(field, []).append(f"年度应在{MIN_YEAR}–{MAX_YEAR}之间")
    return year


def touch(household: Household, now=None):
    """Mark that something a rule reads has changed, for incremental rule runs."""
    household.changed_at = now or timezone.now()
    Household.objects.filter(pk=household.pk).update(changed_at=household.changed_at)


# --- households and members ------------------------------------------------------------------


def clean_member(data: dict, errors: dict, prefix="") -> dict:
    """Validate one member's attributes; ID number and phone are normalised (not stored here)."""
    clean = {}
    name = (data.get("name") or "").strip()
    if not name:
        errors.setdefault(f"{prefix}name", []).append("姓名必填")
    clean["name"] = name
    raw_id = data.get("id_number") or ""
    if not raw_id:
        errors.setdefault(f"{prefix}id_number", []).append("身份证号必填（按身份证号匹配人员）")
    else:
        try:
            clean["id_number"] = pii.normalize_id_number(raw_id)
        except pii.PIIError as exc:
            errors.setdefault(f"{prefix}id_number", []).append(exc.message)
    if data.get("phone"):
        try:
            clean["phone"] = pii.normalize_phone(data["phone"])
        except pii.PIIError as exc:
            errors.setdefault(f"{prefix}phone", []).append(exc.message)
    clean["relation"] = _choice(
        data.get("relation") or c.Relation.OTHER, c.Relation, "与户主关系", f"{prefix}relation", errors
    )
    clean["labour"] = _choice(
        data.get("labour") or c.Labour.NORMAL, c.Labour, "劳动能力", f"{prefix}labour", errors
    )
    clean["health"] = _choice(
        data.get("health") or c.Health.HEALTHY, c.Health, "健康状况", f"{prefix}health", errors
    )
    clean["schooling"] = _choice(
        data.get("schooling") or c.Schooling.NOT_APPLICABLE,
        c.Schooling,
        "在校情况",
        f"{prefix}schooling",
        errors,
    )
    grade = data.get("disability_grade")
    if grade in (None, ""):
        clean["disability_grade"] = None
    else:
        try:
            clean["disability_grade"] = int(grade)
            if not 1 <= clean["disability_grade"] <= 4:
                raise ValueError
        except (TypeError, ValueError):
            errors.setdefault(f"{prefix}disability_grade", []).append("残疾等级应为1–4级")
    insured = data.get("medical_insured", True)
    clean["medical_insured"] = (
        insured if isinstance(insured, bool) else str(insured).strip() in ("1", "true", "是")
    )
    return clean


def _person_for(clean: dict, place, *, actor) -> Person:
    """The registered person with this ID number, or a new one (created through core, audited there)."""
    digest = pii.digest(clean["id_number"])
    person = Person.objects.filter(id_number_digest=digest).first()
    if person is not None:
        return person
    return core_services.do_create_person(
        actor=carried(actor),
        name=clean["name"],
        place=place,
        id_number=clean["id_number"],
        phone=clean.get("phone", ""),
    )


def _check_not_in_other_household(person: Person | None, household: Household | None, field, errors):
    if person is None:
        return
    membership = Member.objects.filter(person=person).select_related("household").first()
    if membership is not None and (household is None or membership.household_id != household.pk):
        errors.setdefault(field, []).append(
            f"此人已是户 {membership.household.number} 的成员，不能同时登记在两户"
        )


def _next_number(place: Place) -> str:
    prefix = place.code
    taken = Household.objects.filter(number__startswith=prefix).count()
    n = taken + 1
    while Household.objects.filter(number=f"{prefix}{n:04d}").exists():
        n += 1
    return f"{prefix}{n:04d}"


def _validate_household_fields(data, errors):
    if "category" in data:
        _choice(data["category"], c.Category, "农户类别", "category", errors)
    if data.get("housing_grade"):
        _choice(data["housing_grade"], c.HousingGrade, "住房安全等级", "housing_grade", errors)
    if data.get("lifted_year") not in (None, ""):
        _year(data["lifted_year"], errors, "lifted_year")


@transaction.atomic
def do_create_household(
    *,
    actor,
    place,
    category,
    members,
    number="",
    lifted_year=None,
    housing_grade="",
    water_safe=True,
) -> Household:
    """A household with its members; exactly one head; nobody already in another household."""
    require(actor, perms.EDIT)
    place = core_services.resolve_place(place)
    require(actor, perms.EDIT, place)
    errors: dict[str, list[str]] = {}
    if place.level != 4:
        errors["place"] = ["农户应登记到村民小组（14位区划代码）"]
    _validate_household_fields(
        {"category": category, "housing_grade": housing_grade, "lifted_year": lifted_year}, errors
    )
    if category == c.Category.LIFTED and not lifted_year:
        errors.setdefault("lifted_year", []).append("脱贫户须填写脱贫年度")
    number = (number or "").strip()
    if number and Household.objects.filter(number=number).exists():
        errors["number"] = [f"户编号 {number} 已存在"]
    if not members:
        errors["members"] = ["至少登记一名家庭成员"]
    cleaned, seen = [], {}
    for i, data in enumerate(members or []):
        clean = clean_member(data, errors, prefix=f"members[{i}].")
        if "id_number" in clean:
            if clean["id_number"] in seen:
                errors.setdefault(f"members[{i}].id_number", []).append(
                    f"与第{seen[clean['id_number']] + 1}名成员身份证号重复"
                )
            seen[clean["id_number"]] = i
            existing = Person.objects.filter(id_number_digest=pii.digest(clean["id_number"])).first()
            _check_not_in_other_household(existing, None, f"members[{i}].id_number", errors)
        cleaned.append(clean)
    heads = sum(1 for m in cleaned if m.get("relation") == c.Relation.HEAD)
    if members and heads != 1:
        errors.setdefault("members", []).append("每户须有且只有一名户主")
    if errors:
        raise ServiceError("invalid", "农户信息有误", errors)
    now = timezone.now()
    household = Household.objects.create(
        number=number or _next_number(place),
        place=place,
        category=category,
        lifted_year=int(lifted_year) if lifted_year else None,
        housing_grade=housing_grade or "",
        water_safe=water_safe,
        changed_at=now,
    )
    audit.record_create(actor, household)
    for clean in cleaned:
        _create_member(household, clean, actor=actor)
    return household


def _create_member(household, clean, *, actor) -> Member:
    person = _person_for(clean, household.place, actor=actor)
    member = Member.objects.create(
        household=household,
        person=person,
        **{
            k: clean[k]
            for k in ("relation", "labour", "health", "disability_grade", "schooling", "medical_insured")
        },
    )
    audit.record_create(actor, member)
    return member


HOUSEHOLD_EDITABLE = {"category", "lifted_year", "housing_grade", "water_safe"}


@transaction.atomic
def do_update_household(household: Household, *, actor, **changes) -> Household:
    require(actor, perms.EDIT, household)
    unknown = set(changes) - HOUSEHOLD_EDITABLE
    if unknown:
        raise ServiceError("readonly_field", "这些字段不能在此修改", {f: ["不可修改"] for f in unknown})
    errors: dict[str, list[str]] = {}
    _validate_household_fields(changes, errors)
    if errors:
        raise ServiceError("invalid", "农户信息有误", errors)
    before = audit.snapshot(household)
    for key, value in changes.items():
        setattr(household, key, value if value != "" or key == "housing_grade" else None)
    household.changed_at = timezone.now()
    household.save(update_fields=[*changes, "changed_at"])
    audit.record_update(actor, household, before)
    return household


@transaction.atomic
def do_add_member(household: Household, *, actor, **data) -> Member:
    require(actor, perms.EDIT, household)
    errors: dict[str, list[str]] = {}
    clean = clean_member(data, errors)
    if "id_number" in clean:
        existing = Person.objects.filter(id_number_digest=pii.digest(clean["id_number"])).first()
        _check_not_in_other_household(existing, None, "id_number", errors)
    if (
        clean.get("relation") == c.Relation.HEAD
        and household.members.filter(relation=c.Relation.HEAD).exists()
    ):
        errors.setdefault("relation", []).append("该户已有户主")
    if errors:
        raise ServiceError("invalid", "成员信息有误", errors)
    member = _create_member(household, clean, actor=actor)
    touch(household)
    return member


MEMBER_EDITABLE = {"relation", "labour", "health", "disability_grade", "schooling", "medical_insured"}


@transaction.atomic
def do_update_member(member: Member, *, actor, **changes) -> Member:
    require(actor, perms.EDIT, member.household)
    unknown = set(changes) - MEMBER_EDITABLE
    if unknown:
        raise ServiceError(
            "readonly_field", "姓名、身份证号和电话请在人员信息中修改", {f: ["不可在此修改"] for f in unknown}
        )
    errors: dict[str, list[str]] = {}
    merged = {k: getattr(member, k) for k in MEMBER_EDITABLE} | changes
    merged["name"], merged["id_number"] = member.person.name, member.person.id_number
    clean = clean_member(merged, errors)
    if (
        clean.get("relation") == c.Relation.HEAD
        and member.household.members.filter(relation=c.Relation.HEAD).exclude(pk=member.pk).exists()
    ):
        errors.setdefault("relation", []).append("该户已有户主")
    if errors:
        raise ServiceError("invalid", "成员信息有误", errors)
    before = audit.snapshot(member)
    for key in changes:
        setattr(member, key, clean[key])
    member.save(update_fields=list(changes))
    audit.record_update(actor, member, before)
    touch(member.household)
    return member


# --- income ------------------------------------------------------------------------------------


INCOME_FIELDS = {
    "wage": "工资性收入",
    "production": "生产经营性收入",
    "property_income": "财产性收入",
    "transfer": "转移性收入",
    "expenses": "合规自付支出",
}


def per_capita_net(amounts: dict, size: int) -> tuple[Decimal, Decimal]:
    """(gross income, per-capita net income) = (sum of the four sources, (gross − eligible expenses) / size)."""
    gross = sum((amounts[k] for k in ("wage", "production", "property_income", "transfer")), Decimal("0"))
    net = ((gross - amounts["expenses"]) / size).quantize(Decimal("0.01"))
    return gross, net


@transaction.atomic
def do_record_income(household: Household, *, actor, year, **amounts) -> IncomeRecord:
    """Records (or corrects) one year's income; per-capita net income is computed from the members."""
    require(actor, perms.EDIT, household)
    errors: dict[str, list[str]] = {}
    unknown = set(amounts) - set(INCOME_FIELDS)
    if unknown:
        raise ServiceError("unknown_field", "未知的收入项", {f: ["未知字段"] for f in unknown})
    year = _year(year, errors)
    clean = {k: _money(amounts.get(k), label, k, errors) for k, label in INCOME_FIELDS.items()}
    size = household.members.count()
    if size == 0:
        errors.setdefault("household", []).append("该户没有登记成员，无法计算人均纯收入")
    if errors:
        raise ServiceError("invalid", "收入记录有误", errors)
    gross, net = per_capita_net(clean, size)
    record = IncomeRecord.objects.filter(household=household, year=year).first()
    if record is None:
        record = IncomeRecord.objects.create(
            household=household, year=year, gross=gross, size=size, per_capita_net=net, **clean
        )
        audit.record_create(actor, record)
    else:
        before = audit.snapshot(record)
        for key, value in clean.items():
            setattr(record, key, value)
        record.gross, record.size, record.per_capita_net = gross, size, net
        record.save()
        audit.record_update(actor, record, before)
    touch(household)
    return record


# --- thresholds and rules ----------------------------------------------------------------------


@transaction.atomic
def do_set_threshold(*, actor, province, province_name, year, amount, document="") -> MonitoringThreshold:
    """Creates or corrects a province's monitoring threshold for a year."""
    require(actor, perms.CONFIGURE)
    errors: dict[str, list[str]] = {}
    province = (province or "").strip()
    if not (len(province) == 2 and province.isdigit()):
        errors["province"] = ["省级区划代码为2位数字（如湖南为43）"]
    if not (province_name or "").strip():
        errors["province_name"] = ["省份名称必填"]
    year = _year(year, errors)
    value = _money(amount, "监测收入标准", "amount", errors)
    if not errors.get("amount") and value <= 0:
        errors["amount"] = ["监测收入标准必须大于0"]
    if errors:
        raise ServiceError("invalid", "监测收入标准有误", errors)
    threshold = MonitoringThreshold.objects.filter(province=province, year=year).first()
    if threshold is None:
        threshold = MonitoringThreshold.objects.create(
            province=province, province_name=province_name.strip(), year=year, amount=value, document=document
        )
        audit.record_create(actor, threshold)
    else:
        before = audit.snapshot(threshold)
        threshold.province_name, threshold.amount, threshold.document = province_name.strip(), value, document
        threshold.save()
        audit.record_update(actor, threshold, before)
    return threshold


def threshold_for(place: Place, year: int) -> MonitoringThreshold | None:
    return MonitoringThreshold.objects.filter(province=place.code[:2], year=year).first()


@transaction.atomic
def do_update_rule(rule: Rule, *, actor, **changes) -> Rule:
    require(actor, perms.CONFIGURE, rule)
    allowed = {"name", "parameter", "valid_from_year", "valid_to_year", "is_active", "description"}
    unknown = set(changes) - allowed
    if unknown:
        raise ServiceError("readonly_field", "规则编号和比较方式不可修改", {f: ["不可修改"] for f in unknown})
    errors: dict[str, list[str]] = {}
    if "parameter" in changes:
        if changes["parameter"] in (None, ""):
            if rule.kind != c.RuleKind.GUARANTEE_FAILING:
                errors["parameter"] = ["该规则需要参数（百分比）"]
            changes["parameter"] = None
        else:
            value = _money(changes["parameter"], "参数", "parameter", errors)
            if not errors.get("parameter") and not (0 < value <= 1000):
                errors["parameter"] = ["参数应为0–1000之间的百分比"]
            changes["parameter"] = value
    if "valid_from_year" in changes:
        changes["valid_from_year"] = _year(changes["valid_from_year"], errors, "valid_from_year")
    if changes.get("valid_to_year") not in (None, ""):
        changes["valid_to_year"] = _year(changes["valid_to_year"], errors, "valid_to_year")
        if not errors and changes["valid_to_year"] < changes.get("valid_from_year", rule.valid_from_year):
            errors["valid_to_year"] = ["截止年度不能早于起始年度"]
    elif "valid_to_year" in changes:
        changes["valid_to_year"] = None
    if errors:
        raise ServiceError("invalid", "规则参数有误", errors)
    before = audit.snapshot(rule)
    for key, value in changes.items():
        setattr(rule, key, value)
    rule.save()
    audit.record_update(actor, rule, before)
    return rule


# --- discovery channels ------------------------------------------------------------------------


def _risk_list(values, errors, field="risk_types"):
    values = [v for v in (values or []) if v]
    bad = [v for v in values if v not in c.RiskType.values]
    if bad:
        errors.setdefault(field, []).append(f"未知的风险类型：{'、'.join(bad)}")
    return list(dict.fromkeys(values))


def household_of(person: Person | None) -> Household | None:
    if person is None:
        return None
    membership = Member.objects.filter(person=person).select_related("household__place").first()
    return membership.household if membership else None


@transaction.atomic
def do_declare(*, actor, name, id_number, place, description, consent, phone="", risk_types=None) -> Clue:
    """农户自主申报: a resident (no account: `Actor.anonymous("public")`) or a cadre on their behalf.

    Consent to verification is required; the ID number finds the registered
    person (or registers them), so a declaration reaches the right household.
    """
    actor = as_actor(actor)
    by_cadre = actor.is_person
    if by_cadre:
        require(actor, perms.SCREEN, message="只有村、乡镇干部和网格员可以代为申报")
    else:
        require(actor, perms.DECLARE)
    errors: dict[str, list[str]] = {}
    if consent is not True:
        errors["consent"] = ["请阅读并同意授权村、乡镇核查家庭收入和困难情况"]
    try:
        place = core_services.resolve_place(place)
    except ServiceError as exc:
        errors.update(exc.fields)
        place = None
    if place is not None and place.level < 3:
        errors["place"] = ["请选择所在的村（社区）或村民小组"]
    if place is not None and by_cadre:
        require(actor, perms.SCREEN, place)
    clean = clean_member({"name": name, "id_number": id_number, "phone": phone}, errors)
    description = (description or "").strip()
    if len(description) < 5:
        errors["description"] = ["请简要说明家庭遇到的困难（至少5个字）"]
    elif len(description) > 2000:
        errors["description"] = ["情况说明不超过2000字"]
    risks = _risk_list(risk_types, errors)
    if errors:
        raise ServiceError("invalid", "申报信息有误", errors)
    person = _person_for(clean, place, actor=actor)
    household = household_of(person)
    now = timezone.now()
    clue = Clue.objects.create(
        place=household.place if household else person.place,
        household=household,
        person=person,
        channel=c.Channel.SELF_DECLARATION,
        source="代为申报" if by_cadre else "农户本人",
        risk_types=risks,
        summary=description,
        consent=True,
        reporter=actor.human,
        created_at=now,
    )
    audit.record_create(actor, clue)
    if household:
        touch(household, now)
    _notify_village(clue)
    return clue


def _notify_village(clue: Clue):
    from shuxiang.core.choices import Role

    village = clue.place if clue.place.level == 3 else clue.place.parent
    recipients = core_services.users_at([village], [Role.VILLAGE, Role.GRID])
    if recipients:
        url = f"/monitoring/clues/{clue.pk}/"
        transaction.on_commit(
            lambda: core_services.notify(
                recipients,
                title=f"新的返贫风险线索（{clue.get_channel_display()}）",
                url=url,
                kind="monitoring",
            )
        )


@transaction.atomic
def do_record_visit(
    household: Household,
    *,
    actor,
    purpose,
    visited_on,
    notes,
    concern=False,
    risk_types=None,
    income_estimate=None,
) -> Visit:
    """干部排查 or a monthly follow-up, on the phone; a concern raised on screening becomes a clue."""
    actor = as_actor(actor)
    require(actor, perms.ASSIST if purpose == c.VisitPurpose.FOLLOW_UP else perms.SCREEN, household)
    if actor.human is None:
        raise ServiceError("visitor_required", "走访记录须由走访的干部本人登记")
    errors: dict[str, list[str]] = {}
    _choice(purpose, c.VisitPurpose, "走访类型", "purpose", errors)
    if visited_on is None:
        errors["visited_on"] = ["请填写走访日期"]
    elif visited_on > timezone.localdate():
        errors["visited_on"] = ["走访日期不能晚于今天"]
    notes = (notes or "").strip()
    if not notes:
        errors["notes"] = ["请填写走访情况"]
    risks = _risk_list(risk_types, errors)
    estimate = None
    if income_estimate not in (None, ""):
        estimate = _money(income_estimate, "人均纯收入测算", "income_estimate", errors)
    if concern and not risks:
        errors.setdefault("risk_types", []).append("发现风险时请选择可能的风险类型")
    if errors:
        raise ServiceError("invalid", "走访记录有误", errors)
    visit = Visit.objects.create(
        household=household,
        purpose=purpose,
        visitor=actor.human,
        visited_on=visited_on,
        notes=notes,
        concern=concern,
        income_estimate=estimate,
    )
    audit.record_create(actor, visit)
    if concern:
        clue = Clue.objects.create(
            place=household.place,
            household=household,
            channel=c.Channel.CADRE_SCREENING,
            source=actor.display_name,
            risk_types=risks,
            summary=notes,
            reporter=actor.human,
            consent=False,
            created_at=timezone.now(),
        )
        audit.record_create(actor, clue)
    return visit


@transaction.atomic
def do_receive_alerts(*, actor, kind, records, source="") -> dict:
    """部门筛查预警: a department's batch keyed by ID number.

    Every record is checked first; one invalid ID number refuses the whole
    batch with each bad row named. Records matching a registered person become
    clues on their household; the rest are reported back (masked), not stored.
    """
    actor = as_actor(actor)
    require(actor, perms.ALERT)
    errors: dict[str, list[str]] = {}
    _choice(kind, c.AlertKind, "预警类型", "kind", errors)
    if not isinstance(records, list) or not records:
        errors["records"] = ["至少需要一条记录"]
        records = []
    if len(records) > 5000:
        errors["records"] = ["每批最多5000条记录"]
    parsed = []
    for i, record in enumerate(records):
        if not isinstance(record, dict):
            errors.setdefault(f"records[{i}]", []).append("记录应为对象")
            continue
        try:
            number = pii.normalize_id_number(str(record.get("id_number") or ""))
        except pii.PIIError as exc:
            errors.setdefault(f"records[{i}].id_number", []).append(exc.message)
            continue
        detail = str(record.get("detail") or "").strip()[:500]
        amount = None
        if record.get("amount") not in (None, ""):
            amount = _money(record.get("amount"), "金额", f"records[{i}].amount", errors)
        parsed.append((i, number, detail, amount))
    if errors:
        raise ServiceError("invalid", "预警数据有误，整批未导入", errors)
    unit = actor.human.unit if actor.human is not None else None
    source = (source or (unit.name if unit is not None else actor.display_name))[:100]
    digests = {pii.digest(n): (i, n, d, a) for i, n, d, a in parsed}
    people = {
        p.id_number_digest: p
        for p in Person.objects.filter(id_number_digest__in=digests).select_related("place")
    }
    memberships = {
        m.person_id: m.household
        for m in Member.objects.filter(person__in=people.values()).select_related("household__place")
    }
    now = timezone.now()
    risk = c.ALERT_RISK[c.AlertKind(kind)]
    label = c.AlertKind(kind).label
    clues, unmatched = [], []
    for dig, (i, number, detail, amount) in digests.items():
        person = people.get(dig)
        if person is None:
            unmatched.append({"index": i, "id_number": pii.mask_id_number(number)})
            continue
        household = memberships.get(person.pk)
        figures = {"amount": str(amount)} if amount is not None else {}
        clues.append(
            Clue(
                place=household.place if household else person.place,
                household=household,
                person=person,
                channel=c.Channel.DEPARTMENT_ALERT,
                source=source,
                risk_types=[risk],
                summary=f"{label}" + (f"：{detail}" if detail else ""),
                figures=figures,
                created_at=now,
            )
        )
    Clue.objects.bulk_create(clues, batch_size=1000)
    district = Place.objects.filter(level=1).order_by("code").first()
    batch = AlertBatch.objects.create(
        place=district, kind=kind, source=source, received=len(records), matched=len(clues)
    )
    audit.record(
        actor,
        "import",
        batch,
        changes={"kind": kind, "received": len(records), "matched": len(clues), "unmatched": len(unmatched)},
    )
    for household in {cl.household.pk: cl.household for cl in clues if cl.household}.values():
        touch(household, now)
    return {"batch": batch.pk, "received": len(records), "matched": len(clues), "unmatched": unmatched}


@transaction.atomic
def do_link_clue(clue: Clue, household: Household, *, actor) -> Clue:
    """Attach a clue about an unregistered or unmatched person to the household it concerns."""
    require(actor, perms.SCREEN, clue)
    require(actor, perms.SCREEN, household)
    if clue.household_id:
        raise ServiceError("already_linked", f"该线索已关联农户 {clue.household.number}")
    before = audit.snapshot(clue)
    clue.household, clue.place = household, household.place
    clue.save(update_fields=["household", "place"])
    audit.record_update(actor, clue, before)
    return clue


@transaction.atomic
def do_dismiss_clue(clue: Clue, *, actor, note) -> Clue:
    """核实排除: the cadre checked and found no risk; the reason is kept."""
    require(actor, perms.SCREEN, clue)
    if clue.status != c.ClueStatus.NEW:
        raise ServiceError(
            "wrong_state", f"线索当前为“{clue.get_status_display()}”，只有待核实的线索可以排除"
        )
    note = (note or "").strip()
    if len(note) < 4:
        raise ServiceError("invalid", "请填写排除理由", {"note": ["请填写排除理由（至少4个字）"]})
    before = audit.snapshot(clue)
    clue.status, clue.note, clue.handled_at = c.ClueStatus.DISMISSED, note, timezone.now()
    clue.save(update_fields=["status", "note", "handled_at"])
    audit.record(actor, "transition", clue, changes=audit.diff(before, audit.snapshot(clue)))
    return clue


# --- assistance ----------------------------------------------------------------------------------


@transaction.atomic
def do_add_measure(
    household: Household, *, actor, kind, description, cadre, unit, start_on, end_on=None, amount=None
) -> Measure:
    require(actor, perms.ASSIST, household)
    errors: dict[str, list[str]] = {}
    _choice(kind, c.MeasureKind, "措施类型", "kind", errors)
    if household.status not in (c.MonitoringStatus.MONITORED, c.MonitoringStatus.ELIMINATING):
        errors.setdefault("household", []).append("只有监测对象可以登记帮扶措施")
    if not (description or "").strip():
        errors["description"] = ["请填写帮扶内容"]
    if cadre is None:
        errors["cadre"] = ["请选择责任干部"]
    elif cadre.place is not None and not place_in_scope(cadre, household.place):
        errors["cadre"] = ["责任干部的管辖范围不包括该户"]
    if unit is None:
        errors["unit"] = ["请选择责任单位"]
    if start_on is None:
        errors["start_on"] = ["请填写开始日期"]
    elif end_on is not None and end_on < start_on:
        errors["end_on"] = ["结束日期不能早于开始日期"]
    money = None
    if amount not in (None, ""):
        money = _money(amount, "金额", "amount", errors)
    if errors:
        raise ServiceError("invalid", "帮扶措施有误", errors)
    measure = Measure.objects.create(
        household=household,
        kind=kind,
        description=description.strip(),
        cadre=cadre,
        unit=unit,
        start_on=start_on,
        end_on=end_on,
        amount=money,
    )
    audit.record_create(actor, measure)
    return measure


def follow_up_due(household: Household, today=None):
    """The date the next monthly follow-up visit is due (None when the household is not monitored)."""
    if household.status not in (c.MonitoringStatus.MONITORED, c.MonitoringStatus.ELIMINATING):
        return None
    last = household.visits.filter(purpose=c.VisitPurpose.FOLLOW_UP).order_by("-visited_on").first()
    base = last.visited_on if last else household.identified_on or timezone.localdate()
    return base + timedelta(days=30)
