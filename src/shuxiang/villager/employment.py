"""Employment monitoring of people out of poverty, monitored households' members, migrant workers and
rural youth: one record per person and quarter, written by cadres on the phone or imported from the
human-resources bureau's sheet (keyed by ID number; a person the registry does not hold is refused,
and a sheet with any refused row writes nothing). Training courses and their enrolment."""

from django.db import transaction
from django.db.models import Count, Q
from django.utils import timezone

from shuxiang.core import audit, pii
from shuxiang.core.actors import as_actor
from shuxiang.core.errors import ServiceError
from shuxiang.core.importers import ImportRejected, ImportResult, Problem, read_rows
from shuxiang.core.models import Person
from shuxiang.core.permissions import require
from shuxiang.core.scope import place_in_scope
from shuxiang.villager.choices import EMPLOYED, EmploymentStatus, Group, RecordSource, Sector
from shuxiang.villager.models import EmploymentRecord, Enrollment, TrainingCourse


def _label_map(choices):
    return {c.label: c.value for c in choices} | {c.value: c.value for c in choices}


GROUPS, STATUSES, SECTORS = _label_map(Group), _label_map(EmploymentStatus), _label_map(Sector)
HEADERS = {
    "display_name": "name",
    "身份证号": "id_number",
    "身份证号码": "id_number",
    "群体": "group",
    "监测群体": "group",
    "年度": "year",
    "季度": "quarter",
    "就业状态": "status",
    "行业": "sector",
    "就业单位": "employer",
    "就业地点": "employer",
    "就业单位/地点": "employer",
    "求职意向": "wanted_sector",
}
COLUMNS = {
    "name": "姓名",
    "id_number": "身份证号",
    "group": "群体",
    "year": "年度",
    "quarter": "季度",
    "status": "就业状态",
    "sector": "行业",
    "employer": "就业单位",
    "wanted_sector": "求职意向",
}


def clean_record(values: dict) -> tuple[dict, dict]:
    """Validate a record's fields (labels or codes accepted); (clean values, errors by field)."""
    errors: dict[str, list[str]] = {}
    clean = {}
    clean["group"] = GROUPS.get(str(values.get("group", "")).strip())
    if clean["group"] is None:
        errors["group"] = ["群体应为：" + "、".join(Group.labels)]
    clean["status"] = STATUSES.get(str(values.get("status", "")).strip())
    if clean["status"] is None:
        errors["status"] = ["就业状态应为：" + "、".join(EmploymentStatus.labels)]
    for field in ("sector", "wanted_sector"):
        raw = str(values.get(field) or "").strip()
        clean[field] = SECTORS.get(raw, None) if raw else ""
        if clean[field] is None:
            errors[field] = ["行业应为：" + "、".join(Sector.labels)]
    try:
        clean["year"] = int(str(values.get("year", "")).strip())
        if not 2020 <= clean["year"] <= 2100:
            raise ValueError
    except ValueError:
        errors["year"] = ["年度应为四位数字，如2026"]
    quarter = (
        str(values.get("quarter", ""))
        .strip()
        .upper()
        .removeprefix("Q")
        .removeprefix("第")
        .removesuffix("季度")
    )
    try:
        clean["quarter"] = int(quarter)
        if clean["quarter"] not in (1, 2, 3, 4):
            raise ValueError
    except ValueError:
        errors["quarter"] = ["季度应为1到4"]
    clean["employer"] = str(values.get("employer") or "").strip()[:60]
    if (
        clean.get("status") in EMPLOYED
        and not clean.get("sector")
        and clean["status"] != EmploymentStatus.PUBLIC_POST
    ):
        errors.setdefault("sector", ["就业的请填写行业"])
    if clean.get("status") == EmploymentStatus.PUBLIC_POST and not clean.get("sector"):
        clean["sector"] = Sector.PUBLIC
    if clean.get("status") == EmploymentStatus.NOT_WORKING:
        clean["sector"], clean["employer"] = "", ""
    return clean, errors


def _write(person, clean, *, actor, source) -> tuple[EmploymentRecord, bool]:
    existing = EmploymentRecord.objects.filter(
        person=person, year=clean["year"], quarter=clean["quarter"]
    ).first()
    now = timezone.now()
    recorder = as_actor(actor).human
    if existing is None:
        record = EmploymentRecord.objects.create(
            person=person, place=person.place, source=source, recorded_by=recorder, recorded_at=now, **clean
        )
        audit.record_create(actor, record)
        return record, True
    before = audit.snapshot(existing)
    for key, value in clean.items():
        setattr(existing, key, value)
    existing.source, existing.recorded_by, existing.recorded_at = source, recorder, now
    existing.save()
    audit.record_update(actor, existing, before)
    return existing, False


def person_by_id_number(id_number, *, actor) -> Person:
    """The registered person with this ID number inside the actor's region; refused otherwise (an
    unknown number and one outside the region answer alike)."""
    try:
        number = pii.normalize_id_number(str(id_number or ""))
    except pii.PIIError as exc:
        raise ServiceError("invalid", exc.message, {"id_number": [exc.message]}) from None
    person = Person.objects.filter(id_number_digest=pii.digest(number)).select_related("place").first()
    if person is None or not place_in_scope(actor, person.place):
        raise ServiceError("unknown_person", "人员库中没有此人，请先由村登记", {"id_number": ["人员不存在"]})
    return person


@transaction.atomic
def do_record_employment(*, actor, person, source=RecordSource.CADRE, **values) -> EmploymentRecord:
    """A cadre's update of one person for one quarter (the quarter's record is replaced)."""
    if not isinstance(person, Person):
        raise ServiceError("unknown_person", "人员不存在：请先在人员登记中登记", {"person": ["人员不存在"]})
    require(actor, "villager.employmentrecord.add", person.place)
    clean, errors = clean_record(values)
    if errors:
        raise ServiceError("invalid", "就业信息有误", errors)
    record, _ = _write(person, clean, actor=actor, source=source)
    return record


@transaction.atomic
def do_import_employment(data: bytes, filename: str, *, actor) -> ImportResult:
    """The bureau's sheet: 姓名, 身份证号, 群体, 年度, 季度, 就业状态, 行业, 就业单位, 求职意向.
    Every row must name a person the registry holds (by ID number, with the same name) in the
    actor's region; any problem refuses the whole sheet."""
    actor = as_actor(actor)
    require(actor, "villager.employmentrecord.add")
    require(actor, "villager.employmentrecord.change")
    problems, planned, seen = [], [], set()
    for number, raw in read_rows(data, filename):
        row = {HEADERS.get(k, k): v for k, v in raw.items()}
        try:
            id_number = pii.normalize_id_number(row.get("id_number", ""))
        except pii.PIIError as exc:
            problems.append(Problem(number, "身份证号", exc.message))
            continue
        person = Person.objects.filter(id_number_digest=pii.digest(id_number)).select_related("place").first()
        if person is None:
            problems.append(Problem(number, "身份证号", "人员库中没有此人，请先由村登记"))
            continue
        if row.get("name") and row["name"].strip() != person.name:
            problems.append(Problem(number, "姓名", "姓名与身份证号登记的人员不一致"))
            continue
        if not place_in_scope(actor, person.place):
            problems.append(Problem(number, "身份证号", "此人不在您的管辖范围内"))
            continue
        clean, errors = clean_record(row)
        for field, messages in errors.items():
            problems.extend(Problem(number, COLUMNS.get(field, field), m) for m in messages)
        key = (person.pk, clean.get("year"), clean.get("quarter"))
        if key in seen:
            problems.append(Problem(number, "身份证号", "同一人同一季度重复出现"))
        seen.add(key)
        if not errors:
            planned.append((person, clean))
    if problems:
        raise ImportRejected(problems)
    result = ImportResult("employment")
    for person, clean in planned:
        _, created = _write(person, clean, actor=actor, source=RecordSource.IMPORT)
        if created:
            result.created += 1
        else:
            result.updated += 1
    audit.record(
        actor,
        "import",
        object_type="villager.employmentrecord",
        object_repr=f"导入就业台账 {filename}",
        changes={"created": result.created, "updated": result.updated},
    )
    return result


def statistics(qs, year, quarter):
    """The plan's figures by township and group for one quarter: people, employed, out of county,
    not working, rate."""
    rows = (
        qs.filter(year=year, quarter=quarter)
        .values("place__parent__parent__name", "place__parent__name", "place__level", "group")
        .annotate(
            total=Count("pk"),
            employed=Count("pk", filter=Q(status__in=EMPLOYED)),
            out=Count("pk", filter=Q(status=EmploymentStatus.OUT_OF_COUNTY)),
            idle=Count("pk", filter=Q(status=EmploymentStatus.NOT_WORKING)),
        )
        .order_by()
    )
    table: dict[tuple, dict] = {}
    for r in rows:
        township = r["place__parent__parent__name"] if r["place__level"] == 4 else r["place__parent__name"]
        key = (township, r["group"])
        cell = table.setdefault(
            key,
            {
                "township": township,
                "group": Group(r["group"]).label,
                "total": 0,
                "employed": 0,
                "out": 0,
                "idle": 0,
            },
        )
        for k in ("total", "employed", "out", "idle"):
            cell[k] += r[k]
    result = sorted(table.values(), key=lambda c: (c["township"] or "", c["group"]))
    for cell in result:
        cell["rate"] = round(100 * cell["employed"] / cell["total"], 1) if cell["total"] else None
    return result


# --- training ---------------------------------------------------------------------------------------


@transaction.atomic
def do_create_course(
    *, actor, name, place, sector, organiser, starts_on, ends_on, capacity
) -> TrainingCourse:
    require(actor, "villager.trainingcourse.add", place)
    errors = {}
    if not str(name or "").strip():
        errors["name"] = ["课程名称必填"]
    if sector not in Sector.values:
        errors["sector"] = ["行业无效"]
    if starts_on and ends_on and ends_on < starts_on:
        errors["ends_on"] = ["结业日期不能早于开班日期"]
    if not isinstance(capacity, int) or capacity < 1:
        errors["capacity"] = ["名额应大于0"]
    if errors:
        raise ServiceError("invalid", "培训班信息有误", errors)
    course = TrainingCourse.objects.create(
        name=name.strip(),
        place=place,
        sector=sector,
        organiser=organiser,
        starts_on=starts_on,
        ends_on=ends_on,
        capacity=capacity,
    )
    audit.record_create(actor, course)
    return course


@transaction.atomic
def do_enrol(course: TrainingCourse, *, actor, person) -> Enrollment:
    require(actor, "villager.enrollment.add", course)
    if not isinstance(person, Person):
        raise ServiceError("unknown_person", "人员不存在", {"person": ["人员不存在"]})
    if course.enrollments.filter(person=person).exists():
        raise ServiceError("duplicate", "该人员已报名此课程", {"person": ["已报名"]})
    if course.enrollments.count() >= course.capacity:
        raise ServiceError("full", "名额已满", {})
    enrollment = Enrollment.objects.create(course=course, person=person, enrolled_at=timezone.now())
    audit.record_create(actor, enrollment)
    return enrollment


@transaction.atomic
def do_complete(enrollment: Enrollment, *, actor, completed=True) -> Enrollment:
    require(actor, "villager.enrollment.change", enrollment)
    before = audit.snapshot(enrollment)
    enrollment.completed = bool(completed)
    enrollment.save(update_fields=["completed"])
    audit.record_update(actor, enrollment, before)
    return enrollment


def courses_for(record: EmploymentRecord):
    """Courses starting from today in the person's township matching their wish (or any sector)."""
    from shuxiang.villager.market import township_of

    township = township_of(record.place)
    qs = TrainingCourse.objects.filter(
        starts_on__gte=timezone.localdate(), place__path__startswith=township.path
    )
    if record.wanted_sector:
        qs = qs.filter(sector=record.wanted_sector)
    return qs.order_by("starts_on")
