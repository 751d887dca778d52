"""Operation and maintenance of high-standard farmland (高标准农田建后管护).

A project's facilities are registered one by one (code, kind, position, caretaker). Anybody working
in the field who finds one broken — a village cadre, a grid worker, the caretaker — reports it on a
phone: the report opens a case of type `farmland.facility` in the category 高标准农田管护, routed by
the case table (by default to the township), and the facility shows 损坏待修 with its case. When the
case is resolved or closed, the facility is back to 正常 (the handler's notes are the repair record).
A second report while a case is open adds to that case instead of opening another one.

Field sensors (soil moisture, water level in the field) are facilities of kind `sensor` with an iot
device of kind `field_sensor`: readings arrive by any protocol through `do_ingest` and the rules below
raise alarms on the alarm board like every other device.
"""

from django.apps import apps
from django.db import transaction
from django.urls import reverse

from shuxiang.core import audit
from shuxiang.core.actors import Actor, as_actor
from shuxiang.core.choices import PlaceLevel
from shuxiang.core.errors import ServiceError
from shuxiang.core.permissions import require
from shuxiang.farmland.choices import FacilityKind, FacilityStatus
from shuxiang.farmland.models import Facility, Project

CASE_TYPE = "farmland.facility"
CATEGORY = "farmland-facility"
CATEGORY_DEFAULTS = {
    "name": "高标准农田管护",
    "description": "高标准农田泵站、渠道、机耕路、涵闸、监测设施损坏：属地乡镇组织维修，办结时说明维修情况",
    "group": "农业农村",
    "case_type": CASE_TYPE,
    "is_public": False,
    "is_sensitive": False,
    "deadline_amount": 15,
    "deadline_unit": "calendar_days",
    "accept_hours": 24,
    "order": 96,
}
DEVICE_KIND = "field_sensor"
FIELD_SENSORS = [
    {"key": "SM", "name": "土壤含水量", "unit": "%", "min_value": 0, "max_value": 100},
    {"key": "WL", "name": "田间水位", "unit": "mm", "min_value": -300, "max_value": 500},
]
# Paddy water management: above 150 mm the seedlings drown (淹苗) and the bunds fail; a soil moisture
# under 15 % (volumetric) in dry-land fields is drought stress (缺墒). A silent sensor is a repair job too.
FIELD_RULES = [
    {
        "name": "田间水位过高（淹苗风险）",
        "key": "WL",
        "kind": "above",
        "threshold": 150,
        "severity": "major",
        "duration_minutes": 60,
    },
    {
        "name": "土壤缺墒",
        "key": "SM",
        "kind": "below",
        "threshold": 15,
        "severity": "minor",
        "duration_minutes": 360,
    },
    {"name": "田间监测中断", "key": "SM", "kind": "no_data", "duration_minutes": 720, "severity": "warning"},
]
FARMLAND = Actor.system("farmland")


def ensure_case_category(sender=None, using="default", **kwargs):
    """高标准农田管护 exists among the case categories after every migrate (an administrator's edits stay)."""
    from shuxiang.cases.models import CaseCategory

    CaseCategory.objects.using(using).get_or_create(code=CATEGORY, defaults=CATEGORY_DEFAULTS)


def _by(actor) -> Actor:
    """Cases and devices are opened on behalf of the person, through the farmland system grant."""
    actor = as_actor(actor)
    return Actor.on_behalf(actor.person, via="farmland") if actor.is_person else actor


@transaction.atomic
def do_register_facility(
    *,
    actor,
    project: Project,
    code,
    kind,
    name,
    place,
    latitude,
    longitude,
    size="",
    caretaker="",
    device_code=None,
) -> Facility:
    """A project's facility; a sensor with `device_code` gets its iot device and rules in the same step."""
    from shuxiang.cases.geo import check_in_county

    require(actor, "farmland.facility.add", place)
    errors = {}
    code = str(code or "").strip()
    if not code:
        errors["code"] = ["设施编号必填"]
    elif len(code) > 40:
        errors["code"] = ["设施编号不超过40个字符"]
    elif Facility.objects.filter(code=code).exists():
        errors["code"] = [f"设施编号 {code} 已存在"]
    if kind not in FacilityKind.values:
        errors["kind"] = ["请选择设施类型：" + "、".join(FacilityKind.labels)]
    if not str(name or "").strip():
        errors["name"] = ["名称必填"]
    if place is None or place.level != PlaceLevel.VILLAGE:
        errors["place"] = ["请选择设施所在的村"]
    elif project.place_id not in (place.pk, place.parent_id):
        errors["place"] = [f"{place.name}不在项目区（{project.place.name}）内"]
    try:
        check_in_county(latitude, longitude)
    except ServiceError as exc:
        errors["latitude"] = [exc.message]
    if device_code and kind != FacilityKind.SENSOR:
        errors["device_code"] = ["只有田间监测设施可以绑定监测设备"]
    if errors:
        raise ServiceError("invalid", "设施信息有误", errors)
    facility = Facility(
        project=project,
        code=code,
        kind=kind,
        name=str(name).strip()[:60],
        place=place,
        latitude=float(latitude),
        longitude=float(longitude),
        size=str(size or "")[:60],
        caretaker=str(caretaker or "")[:60],
    )
    if device_code:
        from shuxiang.iot import services as iot

        device, _ = iot.do_register_device(
            actor=_by(actor),
            code=device_code,
            protocol="mqtt",
            place=place,
            name=f"{facility.name}",
            kind=DEVICE_KIND,
            sensors=FIELD_SENSORS,
        )
        facility.device = device
        for rule in FIELD_RULES:
            iot.do_create_rule(actor=_by(actor), device=device, **rule)
    facility.save()
    audit.record_create(actor, facility)
    return facility


@transaction.atomic
def do_report_damage(facility: Facility, *, actor, description, photos=(), submission_key=None):
    """A damage report: the facility's open repair case (a new one unless one is open), 损坏待修."""
    from shuxiang.cases import services as cases
    from shuxiang.cases.choices import FINISHED_STATES

    actor = as_actor(actor)
    require(actor, "farmland.facility.report", facility)
    description = str(description or "").strip()
    if len(description) < 5:
        raise ServiceError("invalid", "请描述损坏情况", {"description": ["至少5个字，如：渠道垮塌约3米"]})
    if len(description) > 1000:
        raise ServiceError("invalid", "描述过长", {"description": ["不超过1000字"]})
    if submission_key:
        from shuxiang.cases.models import Case

        repeated = Case.objects.filter(submission_key=submission_key).first()
        if repeated is not None:  # a phone resending the same report after a lost answer
            return repeated
    facility = Facility.objects.select_for_update().get(pk=facility.pk)
    open_case = facility.case if facility.case_id and facility.case.state not in FINISHED_STATES else None
    if open_case is not None:
        # The reporter need not be the case's handler: the note is added by the farmland system, naming them.
        who = actor.person.display_name or actor.person.username if actor.is_person else actor.label
        cases.do_add_note(open_case, actor=FARMLAND, note=f"再次报修：{description}（{who}）", photos=photos)
        return open_case
    project = facility.project
    case = cases.do_open_case(
        actor=_by(actor),
        case_type=CASE_TYPE,
        category=CATEGORY,
        title=f"{facility.place.name}{facility.get_kind_display()}损坏：{facility.name}"[:100],
        description=(
            f"{project.name}（{project.year}年）{facility.get_kind_display()}“{facility.name}”"
            f"（{facility.code}）：{description}"
            + (f"\n管护责任人：{facility.caretaker}" if facility.caretaker else "")
        ),
        place=facility.place,
        latitude=facility.latitude,
        longitude=facility.longitude,
        photos=photos,
        channel="staff",
        is_public=False,
        source_ref=f"farmland.facility:{facility.pk}",
        submission_key=submission_key,
        extra={"facility": facility.pk},
    )
    before = audit.snapshot(facility, ["status", "case", "repairs"])
    facility.status = FacilityStatus.DAMAGED
    facility.case = case
    facility.repairs += 1
    facility.save(update_fields=["status", "case", "repairs"])
    audit.record_update(actor, facility, before)
    return case


def on_case_change(case, event=None):
    """A resolved or closed repair case puts its facility back to 正常."""
    from shuxiang.cases.choices import FINISHED_STATES

    if case.state not in FINISHED_STATES:
        return
    facility = Facility.objects.filter(case=case, status=FacilityStatus.DAMAGED).first()
    if facility is None:
        return
    facility.status = FacilityStatus.NORMAL
    facility.save(update_fields=["status"])
    audit.record(FARMLAND, "update", facility, changes={"status": ["damaged", "normal"]})


def case_links(case):
    from shuxiang.cases.registry import CaseLink

    facility = Facility.objects.filter(pk=case.extra.get("facility")).select_related("project").first()
    if facility is None:
        return []
    return [
        CaseLink("设施", f"{facility.get_kind_display()} {facility.name}", facility.get_absolute_url()),
        CaseLink("建设项目", f"{facility.project.name}（{facility.project.year}年）"),
        CaseLink("管护责任人", facility.caretaker or "—"),
        CaseLink(
            "位置", f"{facility.longitude:.5f}, {facility.latitude:.5f}", reverse("farmland:facility_list")
        ),
    ]


def register():
    from shuxiang.iot.kinds import register_device_kind

    register_device_kind(DEVICE_KIND, "高标准农田田间监测站")
    if not apps.is_installed("shuxiang.cases"):
        return
    from shuxiang.cases.registry import CaseField, CaseType, register_type

    register_type(
        CaseType(
            code=CASE_TYPE,
            label="高标准农田设施报修",
            actions={"accept", "dispatch", "return", "start", "note", "resolve", "close", "escalate"},
            fields=[CaseField("facility", "设施编号", kind="int", required=True)],
            public=False,
            on_change=on_case_change,
            links=case_links,
        )
    )
