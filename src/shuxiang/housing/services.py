"""Every write of the housing app: houses, appraisals, renovations, business-house inspections.

Each service takes the actor explicitly, checks it with `require`, runs in one transaction and
writes its own audit entry; photos are checked and stored inside the same transaction (a refused
photo leaves nothing written).
"""

import re
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation

from django.apps import apps
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from shuxiang.core import audit
from shuxiang.core.actors import as_actor
from shuxiang.core.errors import ServiceError
from shuxiang.core.files import store_attachment
from shuxiang.core.permissions import require
from shuxiang.housing import casework
from shuxiang.housing import choices as c
from shuxiang.housing.models import Appraisal, AppraisalFinding, BusinessInspection, House, Renovation

MAX_PHOTOS = 9
HAMLET = 4


# --- houses -----------------------------------------------------------------------------------


def household_of(person):
    """The monitoring household a person belongs to, or None (monitoring not installed or not a member)."""
    if person is None or not apps.is_installed("shuxiang.monitoring"):
        return None
    from shuxiang.monitoring.models import Member

    member = Member.objects.filter(person=person).select_related("household").first()
    return member.household if member else None


def key_group_of(household) -> str:
    """Which low-income group a monitoring household counts in, from the monitoring registry."""
    if household is None:
        return ""
    from shuxiang.monitoring.models import Measure

    if household.status in ("identifying", "monitored", "eliminating"):
        return c.KeyGroup.SUDDEN if household.monitored_type == "sudden" else c.KeyGroup.MONITORED
    today = timezone.localdate()
    active = Measure.objects.filter(household=household, start_on__lte=today).exclude(end_on__lt=today)
    kinds = set(active.values_list("kind", flat=True))
    if "tekun" in kinds:
        return c.KeyGroup.TEKUN
    if "dibao" in kinds:
        return c.KeyGroup.DIBAO
    if household.category == "lifted":
        return c.KeyGroup.LIFTED
    return ""


def next_code(place) -> str:
    """The next free house code of a hamlet: its 14-digit division code, a hyphen and four digits.

    The hyphen keeps the code from reading as an 18-digit ID number (one in eleven would pass the
    ID check digit), for people and for the platform's own personal-data scans alike."""
    last = House.objects.filter(code__startswith=place.code, code__regex=r"^\d{14}-\d{4}$").aggregate(
        m=Max("code")
    )["m"]
    number = int(last[-4:]) + 1 if last else 1
    if number > 9999:
        raise ServiceError("code_exhausted", f"{place.name}的房屋编码已用完", {"code": ["编码已满"]})
    return f"{place.code}-{number:04d}"


def _clean_house(f: dict, errors: dict) -> dict:
    """Validated house fields (only those given); messages in `errors`."""
    out = {}
    if "structure" in f:
        if f["structure"] not in c.Structure.values:
            errors["structure"] = ["结构类型无效"]
        out["structure"] = f["structure"]
    if "floors" in f:
        try:
            floors = int(f["floors"])
        except (TypeError, ValueError):
            floors = 0
        if not 1 <= floors <= 12:
            errors["floors"] = ["层数应为1–12的整数"]
        out["floors"] = floors
    if f.get("year_built") not in (None, ""):
        try:
            year = int(f["year_built"])
        except (TypeError, ValueError):
            year = 0
        if not 1900 <= year <= timezone.localdate().year:
            errors["year_built"] = ["建成年份应在1900年至今年之间"]
        out["year_built"] = year
    elif "year_built" in f:
        out["year_built"] = None
    if f.get("floor_area") not in (None, ""):
        try:
            area = Decimal(str(f["floor_area"])).quantize(Decimal("0.1"))
        except (InvalidOperation, ValueError):
            area = Decimal(0)
        if not Decimal(5) <= area <= Decimal(5000):
            errors["floor_area"] = ["建筑面积应为5–5000平方米"]
        out["floor_area"] = area
    elif "floor_area" in f:
        out["floor_area"] = None
    if "use" in f:
        if f["use"] not in c.Use.values:
            errors["use"] = ["用途应为自住、经营或自住兼经营"]
        out["use"] = f["use"]
    if "business_kind" in f:
        kind = f["business_kind"] or ""
        if kind and kind not in c.BusinessKind.values:
            errors["business_kind"] = ["经营类型无效"]
        out["business_kind"] = kind
    if "key_group" in f:
        group = f["key_group"] or ""
        if group and group not in c.KeyGroup.values:
            errors["key_group"] = ["重点对象类别无效"]
        out["key_group"] = group
    for name, limit in (("address", 120), ("business_name", 60)):
        if name in f:
            value = (f[name] or "").strip()
            if len(value) > limit:
                errors[name] = [f"不能超过{limit}个字"]
            out[name] = value
    for name, low, high in (("latitude", 18, 54), ("longitude", 73, 136)):
        if f.get(name) not in (None, ""):
            try:
                value = float(f[name])
            except (TypeError, ValueError):
                value = None
            if value is None or not low <= value <= high:
                errors[name] = ["坐标不在中国境内"]
            out[name] = value
        elif name in f:
            out[name] = None
    return out


def _check_business(fields: dict, errors: dict):
    use = fields.get("use", c.Use.LIVING)
    if use == c.Use.LIVING and fields.get("business_kind"):
        errors.setdefault("business_kind", []).append("自住房屋不填经营类型")
    if use in c.BUSINESS_USES and not fields.get("business_kind"):
        errors.setdefault("business_kind", []).append("经营性自建房须填写经营类型")


def _check_household(owner, household, errors: dict):
    """A house belongs to one household: its owner's. Naming another one is refused."""
    owners_household = household_of(owner)
    if household is not None and owners_household is not None and owners_household.pk != household.pk:
        errors["household"] = [f"户主已属于农户 {owners_household.number}，一处房屋不能登记在两户名下"]
    if household is not None and owner is None:
        errors["owner"] = ["关联农户时须填写户主"]
    return household or owners_household


def _store_photos(photos, *, owner, place, actor) -> list[int]:
    photos = [p for p in (photos or []) if p]
    if len(photos) > MAX_PHOTOS:
        raise ServiceError(
            "too_many_photos", f"最多上传{MAX_PHOTOS}张照片", {"photos": [f"最多{MAX_PHOTOS}张"]}
        )
    return [store_attachment(p, owner=owner, place=place, actor=actor).pk for p in photos]


def _owner_by_id(actor, name, id_number, place, errors):
    """The owner as core.Person, found by ID number or registered (inside the caller's transaction)."""
    from shuxiang.core import pii
    from shuxiang.core import services as core_services
    from shuxiang.core.models import Person

    name = (name or "").strip()
    try:
        number = pii.normalize_id_number(id_number)
    except pii.PIIError as exc:
        errors["owner_id_number"] = [exc.message]
        return None
    person = Person.objects.filter(id_number_digest=pii.digest(number)).first()
    if person is not None:
        if name and person.name != name:
            errors["owner_name"] = ["该身份证号已登记为另一姓名，请核对"]
        return person
    if not name:
        errors["owner_name"] = ["新登记的户主须填写姓名"]
        return None
    if place is None or place.level != HAMLET:
        return None
    return core_services.do_create_person(actor=actor, name=name, place=place, id_number=number)


@transaction.atomic
def do_register_house(
    *,
    actor,
    place,
    structure,
    floors,
    owner=None,
    owner_name="",
    owner_id_number="",
    household=None,
    code=None,
    photos=(),
    **fields,
) -> House:
    """Register a house in a hamlet; its code is the hamlet's next one unless given (an imported plate).

    The owner is a core.Person, or found/registered from `owner_name` and `owner_id_number`.
    """
    require(actor, "housing.house.add", place)
    errors: dict[str, list[str]] = {}
    if place is None or place.level != HAMLET:
        errors["place"] = ["房屋须登记到村民小组（自然村）"]
    if owner is None and owner_id_number:
        owner = _owner_by_id(actor, owner_name, owner_id_number, place, errors)
    elif owner is None and (owner_name or "").strip():
        errors["owner_id_number"] = ["填写户主时须填写身份证号"]
    clean = _clean_house({"structure": structure, "floors": floors, **fields}, errors)
    clean.setdefault("use", c.Use.LIVING)
    _check_business(clean, errors)
    household = _check_household(owner, household, errors)
    if code:
        code = str(code).strip()
        if place is not None and not re.fullmatch(re.escape(place.code) + r"-\d{4}", code):
            errors["code"] = [f"房屋编码应为所在村民小组代码加“-”和4位序号，如 {place.code}-0001"]
        elif House.objects.filter(code=code).exists():
            errors["code"] = [f"房屋编码 {code} 已存在"]
    if errors:
        raise ServiceError("invalid", "房屋信息有误：" + next(iter(errors.values()))[0], errors)
    if not clean.get("key_group"):
        clean["key_group"] = key_group_of(household)
    house = House(code=code or next_code(place), place=place, owner=owner, household=household, **clean)
    if house.latitude is None:
        house.latitude, house.longitude = place.latitude, place.longitude
    house.save()
    _store_photos(photos, owner=house, place=place, actor=actor)
    audit.record_create(actor, house)
    return house


HOUSE_EDITABLE = {
    "address",
    "structure",
    "floors",
    "year_built",
    "floor_area",
    "use",
    "business_kind",
    "business_name",
    "latitude",
    "longitude",
    "key_group",
    "owner",
    "household",
}


@transaction.atomic
def do_update_house(house: House, *, actor, photos=(), **changes) -> House:
    require(actor, "housing.house.change", house)
    unknown = set(changes) - HOUSE_EDITABLE
    if unknown:
        raise ServiceError("readonly_field", "这些字段不能修改", {f: ["不可修改"] for f in unknown})
    errors: dict[str, list[str]] = {}
    clean = _clean_house({k: v for k, v in changes.items() if k not in ("owner", "household")}, errors)
    merged = {"use": house.use, "business_kind": house.business_kind, **clean}
    _check_business(merged, errors)
    if "owner" in changes or "household" in changes:
        owner = changes.get("owner", house.owner)
        household = _check_household(owner, changes.get("household", house.household), errors)
        clean.update(owner=owner, household=household)
    if errors:
        raise ServiceError("invalid", "房屋信息有误：" + next(iter(errors.values()))[0], errors)
    before = audit.snapshot(house)
    for key, value in clean.items():
        setattr(house, key, value)
    house.save()
    _store_photos(photos, owner=house, place=house.place, actor=actor)
    audit.record_update(actor, house, before)
    return house


# --- appraisals -------------------------------------------------------------------------------


def _clean_findings(findings, grade, errors: dict) -> list[dict]:
    clean, seen = [], set()
    for i, f in enumerate(findings or []):
        part, level = (f.get("part") or ""), (f.get("level") or "")
        if part not in c.Part.values:
            errors.setdefault("findings", []).append(f"第{i + 1}条：部位无效")
            continue
        if level not in c.Finding.values:
            errors.setdefault("findings", []).append(f"第{i + 1}条（{c.Part(part).label}）：危险程度无效")
            continue
        if part in seen:
            errors.setdefault("findings", []).append(f"{c.Part(part).label}重复填写")
            continue
        seen.add(part)
        note = (f.get("note") or "").strip()
        if len(note) > 300:
            errors.setdefault("findings", []).append(f"{c.Part(part).label}的说明不能超过300字")
        clean.append({"part": part, "level": level, "note": note[:300]})
    missing = [c.Part(p).label for p in c.REQUIRED_PARTS if p not in seen]
    if missing:
        errors.setdefault("findings", []).append("须分别填写" + "、".join(missing) + "的鉴定结果")
    if grade in c.DANGEROUS and clean and all(f["level"] == c.Finding.NONE for f in clean):
        errors.setdefault("findings", []).append(f"{grade}级须写明危险部位：各部位不能都是“未见危险”")
    if grade in ("A", "B") and any(f["level"] in (c.Finding.LOCAL, c.Finding.WHOLE) for f in clean):
        errors.setdefault("grade", []).append("有部位局部或整体危险，不能评为A级或B级")
    if grade == "A" and any(f["level"] == c.Finding.POINT for f in clean):
        errors.setdefault("grade", []).append("有危险构件的房屋不能评为A级")
    return clean


def _apply_latest(house: House, appraisal: Appraisal):
    """The house takes the grade of its latest appraisal (by date, then entry)."""
    latest = house.appraisals.order_by("-appraised_on", "-pk").first()
    if latest is None or latest.pk != appraisal.pk:
        return False
    before = audit.snapshot(house, ["grade", "appraised_on", "dangerous_since"])
    house.grade, house.appraised_on = appraisal.grade, appraisal.appraised_on
    if appraisal.grade in c.DANGEROUS:
        house.dangerous_since = house.dangerous_since or appraisal.appraised_on
    else:
        house.dangerous_since = None
    house.save(update_fields=["grade", "appraised_on", "dangerous_since", "updated_at"])
    audit.record_update(casework.HOUSING, house, before)
    return True


def _follow_household(house: House):
    """The monitoring household's 住房安全 grade follows the house (its 三保障 check reads it)."""
    if house.household_id is None:
        return
    from shuxiang.monitoring import services as monitoring

    household = house.household
    if household.housing_grade != house.grade:
        monitoring.do_update_household(household, actor=casework.HOUSING, housing_grade=house.grade)


def _write_appraisal(house, *, actor, kind, grade, appraised_on, appraiser_name, findings, photos, **extra):
    errors: dict[str, list[str]] = {}
    if grade not in c.Grade.values:
        errors["grade"] = ["鉴定等级应为A、B、C、D之一"]
    if not isinstance(appraised_on, date):
        errors["appraised_on"] = ["请填写鉴定日期"]
    elif appraised_on > timezone.localdate():
        errors["appraised_on"] = ["鉴定日期不能晚于今天"]
    appraiser_name = (appraiser_name or "").strip()
    if not appraiser_name:
        errors["appraiser_name"] = ["请填写鉴定人"]
    elif len(appraiser_name) > 50:
        errors["appraiser_name"] = ["鉴定人不能超过50字"]
    clean_findings = _clean_findings(findings, grade, errors)
    photos = [p for p in (photos or []) if p]
    if grade in c.DANGEROUS and not photos:
        errors["photos"] = [f"{grade}级鉴定须上传危险部位照片"]
    for name, low, high in (("latitude", 18, 54), ("longitude", 73, 136)):
        value = extra.get(name)
        if value not in (None, ""):
            try:
                extra[name] = float(value)
            except (TypeError, ValueError):
                extra[name] = None
            if extra[name] is None or not low <= extra[name] <= high:
                errors[name] = ["现场坐标无效"]
        else:
            extra[name] = None
    extra["appraiser_org"] = (extra.get("appraiser_org") or "").strip()[:80]
    extra["conclusion"] = (extra.get("conclusion") or "").strip()[:2000]
    if errors:
        raise ServiceError("invalid", "鉴定信息有误：" + next(iter(errors.values()))[0], errors)
    appraisal = Appraisal.objects.create(
        house=house,
        kind=kind,
        grade=grade,
        appraised_on=appraised_on,
        appraiser=as_actor(actor).human,
        appraiser_name=appraiser_name,
        **extra,
    )
    AppraisalFinding.objects.bulk_create(AppraisalFinding(appraisal=appraisal, **f) for f in clean_findings)
    _store_photos(photos, owner=appraisal, place=house.place, actor=actor)
    audit.record_create(actor, appraisal)
    if _apply_latest(house, appraisal):
        _follow_household(house)
    return appraisal


@transaction.atomic
def do_record_appraisal(
    house: House,
    *,
    actor,
    grade,
    appraised_on,
    appraiser_name,
    findings,
    photos=(),
    appraiser_org="",
    conclusion="",
    latitude=None,
    longitude=None,
    submission_key=None,
) -> Appraisal:
    """A safety appraisal from the phone. A C/D grade of a key household opens its renovation.

    A repeated `submission_key` (the phone resending) returns the first appraisal, nothing twice.
    """
    require(actor, "housing.appraisal.add", house)
    if submission_key:
        existing = Appraisal.objects.filter(submission_key=submission_key).first()
        if existing is not None:
            if existing.house_id != house.pk:
                raise ServiceError("duplicate_submission", "该提交编号已用于另一处房屋", status=409)
            return existing
    appraisal = _write_appraisal(
        house,
        actor=actor,
        kind=c.AppraisalKind.SURVEY,
        grade=grade,
        appraised_on=appraised_on,
        appraiser_name=appraiser_name,
        findings=findings,
        photos=photos,
        appraiser_org=appraiser_org,
        conclusion=conclusion,
        latitude=latitude,
        longitude=longitude,
        submission_key=submission_key or None,
    )
    house.refresh_from_db()
    if house.is_dangerous and house.key_group and not house.renovations.exclude(status="accepted").exists():
        open_renovation(house, appraisal)
    return appraisal


# --- renovation -------------------------------------------------------------------------------


def open_renovation(house: House, appraisal: Appraisal) -> Renovation:
    """A key household's C/D house becomes a renovation project and a case (the housing system acts)."""
    require(casework.HOUSING, "housing.renovation.add", house)
    kind = c.RenovationKind.REBUILD if appraisal.grade == c.Grade.D else c.RenovationKind.REINFORCE
    deadline = appraisal.appraised_on + timedelta(days=c.RENOVATION_DAYS[kind])
    renovation = Renovation.objects.create(house=house, appraisal=appraisal, kind=kind, deadline=deadline)
    owner = house.owner.name if house.owner_id else "（户主未登记）"
    renovation.case = casework.open_case(
        casework.RENOVATION,
        house=house,
        title=f"危房改造：{house.place.name} {owner} {appraisal.grade}级",
        description=(
            f"{house.get_key_group_display()}{owner}的住房（{house.code}）于{appraisal.appraised_on:%Y-%m-%d}"
            f"鉴定为{appraisal.get_grade_display()}，须纳入危房改造，"
            f"{deadline:%Y-%m-%d}前完成并竣工验收（动态清零）。"
        ),
        deadline=deadline,
        source_ref=f"housing.house:{house.code}",
        submission_key=f"housing.renovation:{renovation.pk}",
    )
    if renovation.case is not None:
        renovation.save(update_fields=["case"])
    audit.record_create(casework.HOUSING, renovation)
    return renovation


RENOVATION_EDITABLE = {"kind", "subsidy", "contractor", "started_on", "deadline", "note"}


@transaction.atomic
def do_update_renovation(renovation: Renovation, *, actor, **changes) -> Renovation:
    """Plan and start the works: kind, subsidy, contractor, start date, deadline."""
    require(actor, "housing.renovation.change", renovation)
    unknown = set(changes) - RENOVATION_EDITABLE
    if unknown:
        raise ServiceError("readonly_field", "这些字段不能在此修改", {f: ["不可修改"] for f in unknown})
    if not renovation.is_open:
        raise ServiceError("renovation_closed", "该改造项目已验收，不能再修改", status=409)
    errors: dict[str, list[str]] = {}
    if "kind" in changes and changes["kind"] not in c.RenovationKind.values:
        errors["kind"] = ["改造方式应为拆除重建、维修改造或加固改造"]
    if changes.get("subsidy") not in (None, ""):
        try:
            changes["subsidy"] = Decimal(str(changes["subsidy"])).quantize(Decimal("0.01"))
            if not Decimal(0) <= changes["subsidy"] <= Decimal(500000):
                errors["subsidy"] = ["补助资金应为0–500000元"]
        except (InvalidOperation, ValueError):
            errors["subsidy"] = ["补助资金应为数字"]
    elif "subsidy" in changes:
        changes["subsidy"] = None
    today = timezone.localdate()
    started = changes.get("started_on")
    if started not in (None, "") and (not isinstance(started, date) or started > today):
        errors["started_on"] = ["开工日期不能晚于今天"]
    deadline = changes.get("deadline")
    if "deadline" in changes and not isinstance(deadline, date):
        errors["deadline"] = ["请填写完成时限"]
    if "contractor" in changes:
        changes["contractor"] = (changes["contractor"] or "").strip()[:80]
    if "note" in changes:
        changes["note"] = (changes["note"] or "").strip()[:300]
    if errors:
        raise ServiceError("invalid", "改造信息有误：" + next(iter(errors.values()))[0], errors)
    before = audit.snapshot(renovation)
    for key, value in changes.items():
        setattr(renovation, key, value or None if key == "started_on" else value)
    starting = renovation.started_on and renovation.status == c.RenovationStatus.PLANNED
    if starting:
        renovation.status = c.RenovationStatus.IN_PROGRESS
    renovation.save()
    audit.record_update(actor, renovation, before)
    if starting:
        casework.start_case(
            renovation.case,
            f"已开工（{renovation.started_on:%Y-%m-%d}），施工：{renovation.contractor or '未填'}",
        )
    return renovation


@transaction.atomic
def do_accept_renovation(
    renovation: Renovation,
    *,
    actor,
    accepted_on,
    grade,
    appraiser_name,
    findings,
    photos,
    conclusion="",
) -> Renovation:
    """竣工验收: the works are accepted with photos and a safe grade; the house leaves the "zero" count
    and the case is closed. Nothing else finishes a renovation."""
    require(actor, "housing.renovation.approve", renovation)
    if not renovation.is_open:
        raise ServiceError("renovation_closed", "该改造项目已验收", status=409)
    errors = {}
    if grade not in ("A", "B"):
        errors["grade"] = ["验收后房屋须达到A级或B级"]
    if not [p for p in (photos or []) if p]:
        errors["photos"] = ["竣工验收须上传改造后照片"]
    if renovation.started_on is None:
        errors["started_on"] = ["尚未登记开工，不能验收"]
    if isinstance(accepted_on, date) and renovation.started_on and accepted_on < renovation.started_on:
        errors["accepted_on"] = ["验收日期不能早于开工日期"]
    if errors:
        raise ServiceError("invalid", "不能验收：" + next(iter(errors.values()))[0], errors)
    house = renovation.house
    acceptance = _write_appraisal(
        house,
        actor=actor,
        kind=c.AppraisalKind.ACCEPTANCE,
        grade=grade,
        appraised_on=accepted_on,
        appraiser_name=appraiser_name,
        findings=findings,
        photos=photos,
        conclusion=conclusion,
    )
    before = audit.snapshot(renovation)
    renovation.status = c.RenovationStatus.ACCEPTED
    renovation.accepted_on, renovation.acceptance = accepted_on, acceptance
    renovation.save(update_fields=["status", "accepted_on", "acceptance"])
    audit.record_update(actor, renovation, before)
    casework.finish_case(
        renovation.case,
        f"{accepted_on:%Y-%m-%d}竣工验收，房屋鉴定为{acceptance.get_grade_display()}（验收人：{acceptance.appraiser_name}）",
    )
    return renovation


# --- self-built business houses ---------------------------------------------------------------

RECTIFY_DAYS = 30


@transaction.atomic
def do_record_inspection(
    house: House, *, actor, inspected_on, hazards=(), note="", deadline=None, photos=()
) -> BusinessInspection:
    """One inspection of a business house. Hazards open a rectification case with a deadline."""
    require(actor, "housing.businessinspection.add", house)
    errors: dict[str, list[str]] = {}
    if not house.is_business:
        errors["house"] = ["该房屋不是经营性自建房，请先将用途改为经营或自住兼经营"]
    if not isinstance(inspected_on, date):
        errors["inspected_on"] = ["请填写排查日期"]
    elif inspected_on > timezone.localdate():
        errors["inspected_on"] = ["排查日期不能晚于今天"]
    hazards = list(dict.fromkeys(hazards or []))
    bad = [h for h in hazards if h not in c.Hazard.values]
    if bad:
        errors["hazards"] = ["未知的隐患类型：" + "、".join(map(str, bad))]
    if hazards:
        if deadline is None and isinstance(inspected_on, date):
            deadline = inspected_on + timedelta(days=RECTIFY_DAYS)
        if isinstance(deadline, date) and isinstance(inspected_on, date) and deadline <= inspected_on:
            errors["deadline"] = ["整改时限应晚于排查日期"]
        if not [p for p in (photos or []) if p]:
            errors["photos"] = ["发现隐患须上传现场照片"]
    note = (note or "").strip()
    if len(note) > 500:
        errors["note"] = ["说明不能超过500字"]
    if errors:
        raise ServiceError("invalid", "排查信息有误：" + next(iter(errors.values()))[0], errors)
    inspection = BusinessInspection.objects.create(
        house=house,
        inspected_on=inspected_on,
        inspector=as_actor(actor).human,
        hazards=hazards,
        result=c.InspectionResult.HAZARD if hazards else c.InspectionResult.SAFE,
        note=note,
        deadline=deadline if hazards else None,
    )
    _store_photos(photos, owner=inspection, place=house.place, actor=actor)
    if hazards:
        labels = dict(c.Hazard.choices)
        inspection.case = casework.open_case(
            casework.RECTIFICATION,
            house=house,
            title=f"经营性自建房隐患：{house.business_name or house.code}",
            description=(
                f"{house.place.name}{house.business_name or ''}（{house.code}，{house.get_business_kind_display()}）"
                f"{inspected_on:%Y-%m-%d}排查发现隐患："
                + "；".join(labels[h] for h in hazards)
                + f"。须于{deadline:%Y-%m-%d}前整改，凭整改照片销号。"
            ),
            deadline=deadline,
            source_ref=f"housing.house:{house.code}",
            submission_key=f"housing.inspection:{inspection.pk}",
        )
        inspection.save(update_fields=["case"])
    audit.record_create(actor, inspection)
    return inspection


@transaction.atomic
def do_rectify_inspection(
    inspection: BusinessInspection, *, actor, rectified_on, note, photos
) -> BusinessInspection:
    """销号: hazards rectified, proved with photos and a description; the case is closed."""
    require(actor, "housing.businessinspection.change", inspection)
    if inspection.result != c.InspectionResult.HAZARD:
        raise ServiceError("not_open", "该排查没有待整改的隐患", status=409)
    errors = {}
    note = (note or "").strip()
    if len(note) < 4:
        errors["note"] = ["请说明整改情况（至少4个字）"]
    if not [p for p in (photos or []) if p]:
        errors["photos"] = ["销号须上传整改后照片"]
    if not isinstance(rectified_on, date):
        errors["rectified_on"] = ["请填写销号日期"]
    elif rectified_on > timezone.localdate() or rectified_on < inspection.inspected_on:
        errors["rectified_on"] = ["销号日期应在排查日期至今天之间"]
    if errors:
        raise ServiceError("invalid", "不能销号：" + next(iter(errors.values()))[0], errors)
    before = audit.snapshot(inspection)
    inspection.result = c.InspectionResult.RECTIFIED
    inspection.rectified_on, inspection.rectification_note = rectified_on, note[:500]
    inspection.save(update_fields=["result", "rectified_on", "rectification_note"])
    _store_photos(photos, owner=inspection, place=inspection.house.place, actor=actor)
    audit.record_update(actor, inspection, before)
    casework.finish_case(inspection.case, f"{rectified_on:%Y-%m-%d}整改完成：{note}")
    return inspection
