"""What an exceedance or an overdue garbage collection sets in motion in the case engine.

These run as `Actor.system("ecology")`, with the grants ecology declares for it (opening cases of its
types, a note on them). One open case per point: a point that exceeds again while its case is being
handled adds a line to that case; a later sample that meets the standard (复测达标) adds the evidence
and closes the 超标告警, and the handlers are told so they can resolve the case. Nothing here runs
when the cases app is not installed.
"""

from django.apps import apps
from django.urls import reverse
from django.utils import timezone

from shuxiang.core.actors import Actor
from shuxiang.core.context import origin

ECOLOGY = Actor.system("ecology")
EXCEEDANCE_TYPE = "ecology.exceedance"
COLLECTION_TYPE = "ecology.collection"
CATEGORIES = {
    "ecology-exceedance": {
        "name": "水质超标",
        "description": "饮用水水源、灌溉用水、排污口、监测断面的样品超出执行标准：核查、处置并复测",
        "group": "生态环境",
        "case_type": EXCEEDANCE_TYPE,
        "is_public": False,
        "is_sensitive": False,
        "deadline_amount": 5,
        "deadline_unit": "calendar_days",
        "accept_hours": 4,
        "order": 91,
    },
    "ecology-collection": {
        "name": "垃圾清运超期",
        "description": "村垃圾收集点超过清运周期未清运：安排清运并记录",
        "group": "生态环境",
        "case_type": COLLECTION_TYPE,
        "is_public": False,
        "is_sensitive": False,
        "deadline_amount": 1,
        "deadline_unit": "calendar_days",
        "accept_hours": 4,
        "order": 92,
    },
}


def _when(moment) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M")


def ensure_case_categories(sender=None, using="default", **kwargs):
    if not apps.is_installed("shuxiang.cases"):
        return
    from shuxiang.cases.models import CaseCategory

    for code, defaults in CATEGORIES.items():
        CaseCategory.objects.using(using).get_or_create(code=code, defaults=defaults)


def _category(code):
    from shuxiang.cases.models import CaseCategory

    return CaseCategory.objects.filter(code=code, is_active=True).first()


def point_ref(point) -> str:
    return f"ecology.point:{point.pk}"


def _open_case(case_type, ref):
    from shuxiang.cases.choices import OPEN_STATES
    from shuxiang.cases.models import Case

    return (
        Case.objects.filter(case_type=case_type, source_ref=ref, state__in=OPEN_STATES)
        .order_by("-created_at", "-pk")
        .first()
    )


def _handlers(case):
    from shuxiang.core.models import User

    people = list(User.objects.filter(unit_id=case.unit_id, is_active=True)) if case.unit_id else []
    for extra in (case.assignee, case.grid_worker):
        if extra is not None and extra not in people:
            people.append(extra)
    return people


def _describe(exceedance) -> str:
    point, sample = exceedance.point, exceedance.sample
    township = point.place.parent.name if point.place.parent_id else ""
    lines = [
        f"{point.name}（{point.get_kind_display()}，{township}{point.place.name}）{_when(sample.taken_at)} 采样超标：",
        f"{exceedance.summary}。",
        f"执行标准：{sample.standard.code}-{sample.standard.edition} {sample.standard.name}"
        + (f"，目标 {point.grade_label}" if point.grade else "")
        + (f"；样品水质类别 {sample.class_label}" if sample.water_class else "")
        + "。",
        f"采样人：{sample.sampler}" + (f"；检测机构：{sample.lab}" if sample.lab else "") + "。",
    ]
    if point.owner_id:
        lines.append(f"排污单位负责人：{point.owner.name}（{point.owner.phone_masked or '未登记电话'}）。")
    lines.append("请责任单位会同属地乡镇核查原因、督促整改，并安排复测；复测达标后办结。")
    return "\n".join(lines)


def open_case(exceedance):
    """A case for the point's responsible unit (routed by the engine when the point names none)."""
    if not apps.is_installed("shuxiang.cases"):
        return None
    from shuxiang.cases import services as cases
    from shuxiang.core.services import notify

    point = exceedance.point
    with origin("task"):
        existing = _open_case(EXCEEDANCE_TYPE, point_ref(point))
        if existing is not None:
            note = f"再次超标：{_when(exceedance.sample.taken_at)} 样品，{exceedance.summary}"
            return cases.do_add_note(
                existing, actor=ECOLOGY, note=note[:1000], data={"exceedance": exceedance.pk}
            )
        case = cases.do_open_case(
            actor=ECOLOGY,
            case_type=EXCEEDANCE_TYPE,
            category=_category("ecology-exceedance"),
            title=f"{point.name}水质超标"[:100],
            description=_describe(exceedance),
            place=point.place,
            unit=point.responsible_unit
            if point.responsible_unit_id and point.responsible_unit.is_active
            else None,
            priority="urgent" if point.kind == "drinking_source" else "normal",
            channel="system",
            is_public=False,
            source_ref=point_ref(point),
            submission_key=f"ecology.exceedance:{exceedance.pk}",
            extra={"exceedance": exceedance.pk, "sample": exceedance.sample_id},
        )
    notify(
        _handlers(case),
        title=f"新事件：{case.title}",
        body=f"受理编号 {case.tracking_number}：{exceedance.summary}"[:300],
        url=f"/cases/{case.pk}/",
        kind="case",
    )
    return case


def _case_of(exceedance):
    if not apps.is_installed("shuxiang.cases"):
        return None
    if exceedance.case_id:
        return exceedance.case
    return _open_case(EXCEEDANCE_TYPE, point_ref(exceedance.point))


def note_repeat(exceedance, sample):
    case = _case_of(exceedance)
    if case is None or not case.is_open:
        return None
    from shuxiang.cases import services as cases

    note = f"再次超标：{_when(sample.taken_at)} 样品（{sample.sampler}），{sample.exceeded or '超标'}"
    with origin("task"):
        return cases.do_add_note(case, actor=ECOLOGY, note=note[:1000], data={"sample": sample.pk})


def note_closed(exceedance, sample):
    """复测达标: the sample is the evidence on the case; its handlers are told to resolve it."""
    case = _case_of(exceedance)
    if case is None:
        return None
    from shuxiang.cases import services as cases
    from shuxiang.core.services import notify

    cls = f"，水质类别 {sample.class_label}" if sample.water_class else ""
    note = (
        f"复测达标：{_when(sample.taken_at)} 样品（采样人 {sample.sampler}"
        f"{'，' + sample.lab if sample.lab else ''}）各因子均符合 {sample.standard.code}-{sample.standard.edition}{cls}。"
        "超标告警已消除。"
    )
    with origin("task"):
        case = cases.do_add_note(case, actor=ECOLOGY, note=note, data={"sample": sample.pk, "cleared": True})
    if case.is_open:
        notify(
            _handlers(case),
            title=f"复测达标：{case.title}",
            body=f"{note}请核实后办结事件。",
            url=f"/cases/{case.pk}/",
            kind="case",
        )
    return case


# --- online stations (iot alarm action) ------------------------------------------------------------


def _point_of_alarm(alarm):
    from shuxiang.ecology.models import MonitoringPoint

    return (
        MonitoringPoint.objects.filter(device_id=alarm.sensor.device_id)
        .select_related("place__parent")
        .first()
    )


def alarm_open_case(alarm, config):
    """`ecology.open_case`: an online value beyond the point's limit — the point's 水质超标 case, opened or
    added to (one open case per point, shared with the samples' exceedances)."""
    from shuxiang.cases import services as cases

    point = _point_of_alarm(alarm)
    if point is None:
        return None
    sensor = alarm.sensor
    what = f"在线监测 {sensor.label} {alarm.last_value:g} {sensor.unit}（{alarm.rule.name}，{_when(alarm.started_at)}）"
    with origin("task"):
        existing = _open_case(EXCEEDANCE_TYPE, point_ref(point))
        if existing is not None:
            return cases.do_add_note(
                existing, actor=ECOLOGY, note=f"再次超标：{what}"[:1000], data={"alarm": alarm.pk}
            )
        township = point.place.parent.name if point.place.parent_id else ""
        return cases.do_open_case(
            actor=ECOLOGY,
            case_type=EXCEEDANCE_TYPE,
            category=_category("ecology-exceedance"),
            title=f"{point.name}水质超标"[:100],
            description=(
                f"{point.name}（{point.get_kind_display()}，{township}{point.place.name}）{what}。"
                "请责任单位核查在线监测数据与现场情况，必要时采样复测；复测达标后办结。"
            ),
            place=point.place,
            unit=point.responsible_unit
            if point.responsible_unit_id and point.responsible_unit.is_active
            else None,
            priority="urgent" if point.kind == "drinking_source" else "normal",
            channel="system",
            is_public=False,
            source_ref=point_ref(point),
            submission_key=f"iot.alarm:{alarm.pk}",
            extra={"alarm": alarm.pk},
        )


def alarm_cleared(alarm, config):
    from shuxiang.cases import services as cases

    point = _point_of_alarm(alarm)
    case = _open_case(EXCEEDANCE_TYPE, point_ref(point)) if point is not None else None
    if case is None:
        return None
    with origin("task"):
        return cases.do_add_note(
            case,
            actor=ECOLOGY,
            note=f"在线监测告警已解除：{alarm.rule.name}",
            data={"alarm": alarm.pk, "cleared": True},
        )


# --- garbage collection ------------------------------------------------------------------------------


def collection_ref(point) -> str:
    return f"ecology.collectionpoint:{point.pk}"


def open_collection_case(point, now):
    """A case for an overdue collection point, unless one is still open. Returns the new case or None."""
    if not apps.is_installed("shuxiang.cases"):
        return None
    from shuxiang.cases import services as cases

    if _open_case(COLLECTION_TYPE, collection_ref(point)) is not None:
        return None
    last = f"最近一次清运 {_when(point.last_collected_at)}" if point.last_collected_at else "尚无清运记录"
    township = point.place.parent.name if point.place.parent_id else ""
    with origin("task"):
        return cases.do_open_case(
            actor=ECOLOGY,
            case_type=COLLECTION_TYPE,
            category=_category("ecology-collection"),
            title=f"{point.name}垃圾清运超期"[:100],
            description=(
                f"{township}{point.place.name}{point.name}（{point.bins} 个垃圾桶）清运周期 {point.interval_days} 天，"
                f"{last}，截至 {_when(now)} 已超期。请安排清运并在平台记录。"
            ),
            place=point.place,
            channel="system",
            is_public=False,
            source_ref=collection_ref(point),
            submission_key=f"ecology.collection:{point.pk}:{timezone.localtime(now):%Y%m%d}",
            extra={"collection_point": point.pk},
        )


def note_collected(point, record):
    if not apps.is_installed("shuxiang.cases"):
        return None
    case = _open_case(COLLECTION_TYPE, collection_ref(point))
    if case is None:
        return None
    from shuxiang.cases import services as cases

    note = f"已清运：{_when(record.collected_at)}，{record.weight_kg:g} kg，运至{record.transfer_station}"
    with origin("task"):
        return cases.do_add_note(case, actor=ECOLOGY, note=note, data={"collection": record.pk})


# --- pages -------------------------------------------------------------------------------------------


def case_links(case):
    from shuxiang.cases.registry import CaseLink
    from shuxiang.ecology.models import CollectionPoint, MonitoringPoint

    kind, _, pk = (case.source_ref or "").partition(":")
    rows = []
    if kind == "ecology.point" and pk.isdigit():
        point = MonitoringPoint.objects.filter(pk=int(pk)).select_related("standard").first()
        if point is not None:
            rows.append(CaseLink("监测点位", point.name, reverse("ecology:point_detail", args=[point.pk])))
            rows.append(
                CaseLink("执行标准", f"{point.standard.code}-{point.standard.edition} {point.grade_label}")
            )
    if kind == "ecology.collectionpoint" and pk.isdigit():
        point = CollectionPoint.objects.filter(pk=int(pk)).first()
        if point is not None:
            rows.append(
                CaseLink("垃圾收集点", point.name, reverse("sanitation:point_detail", args=[point.pk]))
            )
    return rows


def register():
    if not apps.is_installed("shuxiang.cases"):
        return
    from shuxiang.iot.actions import register_alarm_action

    register_alarm_action(
        "ecology.open_case", "生成水质超标处置事件", alarm_open_case, on_clear=alarm_cleared
    )
    from shuxiang.cases.registry import CaseField, CaseType, register_type

    actions = {"accept", "dispatch", "return", "start", "note", "resolve", "close", "escalate"}
    register_type(
        CaseType(
            code=EXCEEDANCE_TYPE,
            label="水质超标",
            actions=actions,
            fields=[
                CaseField("exceedance", "超标告警编号", kind="int"),
                CaseField("sample", "超标样品编号", kind="int"),
                CaseField("alarm", "在线监测告警编号", kind="int"),
            ],
            public=False,
            links=case_links,
        )
    )
    register_type(
        CaseType(
            code=COLLECTION_TYPE,
            label="垃圾清运超期",
            actions=actions,
            fields=[CaseField("collection_point", "收集点编号", kind="int", required=True)],
            public=False,
            links=case_links,
        )
    )
