"""What a reservoir or pump alarm can set in motion in other modules (registered with iot.actions).

Alarms are raised by the rule engine, not by a person, so these run as `Actor.system("water")`,
with the narrow grants cases and warnings declare for it (opening a case, writing a warning) and
the one water declares for itself (a note on its own cases).

- `water.open_case`: a case of the category 水利设施告警 (type `water.alarm`, deadline from the
  category on the working-hours calendar), for the station's owner unit (区水利局), in the
  station's village — so its township dispatches and sees it — urgent for critical/major alarms,
  with the reservoir's responsible person on it. One open case per station: an alarm raised
  again while the case is still being handled adds a line to that case instead of a second
  case. Clearing the alarm adds a line too, so the case is not left open in silence.
- `water.issue_warning`: a 水库险情 warning for the reservoir's downstream villages — a draft
  in the approval queue by default, issued at once when the rule's `action_config` says
  `{"immediate": true}`; colour from `action_config["colour"]` (default yellow).

Everything a person reads is written here in Chinese from the station's and the sensor's names and
units, never from codes ("4309000001", "Z").
"""

from datetime import timedelta

from django.apps import apps
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from shuxiang.core.actors import Actor
from shuxiang.core.context import origin

WATER = Actor.system("water")
CASE_TYPE = "water.alarm"
# The case category this app adds to the cases engine (created after every migrate, see ensure_case_category).
CATEGORY = "water-alarm"
CATEGORY_DEFAULTS = {
    "name": "水利设施告警",
    "description": "小型水库、泵站遥测告警生成的处置事件：到场核查、处置并反馈",
    "group": "水利",
    "case_type": CASE_TYPE,
    "is_public": False,
    "is_sensitive": False,
    "deadline_amount": 4,
    "deadline_unit": "work_hours",
    "accept_hours": 1,
    "order": 90,
}
KIND_WORDS = {"above": "高于", "below": "低于", "rate": "每分钟变化超过"}


# --- words ----------------------------------------------------------------------------------


def _amount(value, unit) -> str:
    """A reading as people write it: levels in metres to the centimetre, other quantities as measured."""
    if value is None:
        return "—"
    text = f"{value:.2f}" if unit == "m" else f"{value:g}"
    return f"{text} {unit}" if unit else text


def _when(moment) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M")


def _severity(alarm) -> str:
    from shuxiang.iot.choices import Severity

    return Severity(alarm.severity).label


def condition_text(alarm) -> str:
    """ "库水位 85.00 m，高于告警阈值 84.50 m" — the sensor by its Chinese name and unit."""
    rule, sensor = alarm.rule, alarm.sensor
    if rule.kind == "no_data":
        return f"{sensor.label}已连续 {rule.duration_minutes} 分钟无数据"
    word = KIND_WORDS.get(rule.kind, "超过")
    threshold = _amount(rule.threshold, sensor.unit if rule.kind != "rate" else "")
    return f"{sensor.label} {_amount(alarm.last_value, sensor.unit)}，{word}告警阈值 {threshold}"


def alarm_title(alarm) -> str:
    """ "超汛限水位（严重，12-07 10:03）": how the alarm is named on a case or a link."""
    return f"{alarm.rule.name}（{_severity(alarm)}告警，{_when(alarm.started_at)}）"


# --- stations -------------------------------------------------------------------------------


def _station(alarm):
    from shuxiang.water.models import PumpStation, Reservoir

    device = alarm.sensor.device
    return (
        Reservoir.objects.filter(device=device)
        .select_related("place__parent", "responsible", "owner_unit")
        .first()
        or PumpStation.objects.filter(device=device).select_related("place__parent", "owner_unit").first()
    )


def station_ref(station) -> str:
    """The case's `source_ref`: the station, so a later alarm of the same station finds its case."""
    return f"water.{station._meta.model_name}:{station.pk}"


def station_of_ref(ref: str):
    from shuxiang.water.models import PumpStation, Reservoir

    kind, _, pk = (ref or "").partition(":")
    model = {"water.reservoir": Reservoir, "water.pumpstation": PumpStation}.get(kind)
    if model is None or not pk.isdigit():
        return None
    return model.objects.filter(pk=int(pk)).select_related("place__parent", "owner_unit").first()


def station_url(station) -> str:
    name = "water:reservoir_detail" if station._meta.model_name == "reservoir" else "water:pump_detail"
    return reverse(name, args=[station.pk])


def _water_bureau(station, place):
    """The station's owner unit, else the county's bureau responsible for water (domains name "water")."""
    from shuxiang.core.models import Unit

    if station is not None and station.owner_unit_id and station.owner_unit.is_active:
        return station.owner_unit
    county = [c for c in place.path.split("/") if c][:1]
    bureaus = Unit.objects.filter(place__level=1, place__code__in=county, is_active=True).order_by("pk")
    return next((u for u in bureaus if "water" in (u.domains or [])), None)


def _category():
    from shuxiang.cases.models import CaseCategory

    return CaseCategory.objects.filter(code=CATEGORY, is_active=True).first()


def ensure_case_category(sender=None, using="default", **kwargs):
    """水利设施告警 exists among the case categories after every migrate and flush (demo --reset, tests).
    An existing row — and what an administrator changed in it (deadline, accept hours) — stays."""
    if not apps.is_installed("shuxiang.cases"):
        return
    from shuxiang.cases.models import CaseCategory

    CaseCategory.objects.using(using).get_or_create(code=CATEGORY, defaults=CATEGORY_DEFAULTS)


def _open_case_of(station):
    from shuxiang.cases.choices import OPEN_STATES
    from shuxiang.cases.models import Case

    return (
        Case.objects.filter(case_type=CASE_TYPE, source_ref=station_ref(station), state__in=OPEN_STATES)
        .order_by("-created_at", "-pk")
        .first()
    )


def cases_of_alarm(alarm_id):
    """The cases an alarm opened or was added to (first alarm in `extra`, later ones on the timeline)."""
    from shuxiang.cases.models import Case

    return (
        Case.objects.filter(case_type=CASE_TYPE)
        .filter(Q(extra__alarm=alarm_id) | Q(events__data__alarm=alarm_id))
        .distinct()
        .order_by("-created_at")
    )


def _people_to_tell(case, place):
    """The township's officers and the village's cadres (the unit's staff and the grid worker are
    told by the case engine itself)."""
    from shuxiang.cases.routing import township_of, village_of
    from shuxiang.core.choices import Role
    from shuxiang.core.services import users_at

    township, village = township_of(place), village_of(place)
    people = users_at([township], [Role.TOWNSHIP]) if township is not None else []
    return people + (users_at([village], [Role.VILLAGE]) if village is not None else [])


def _handlers(case):
    from shuxiang.core.models import User

    people = list(User.objects.filter(unit_id=case.unit_id, is_active=True)) if case.unit_id else []
    for extra in (case.assignee, case.grid_worker):
        if extra is not None and extra not in people:
            people.append(extra)
    return people


# --- actions --------------------------------------------------------------------------------


def _description(alarm, station) -> str:
    where = ""
    if station is not None:
        village = station.place
        township = village.parent.name if village.parent_id else ""
        where = f"{station.name}（{township}{village.name}）"
    else:
        where = alarm.sensor.device.name
    lines = [
        f"{where}{alarm.rule.name}：{condition_text(alarm)}。",
        f"告警级别：{_severity(alarm)}；开始时间：{_when(alarm.started_at)}。",
    ]
    responsible = getattr(station, "responsible", None)
    if responsible is not None:
        lines.append(f"安全责任人：{responsible.name}（{responsible.phone_masked or '未登记电话'}）。")
    lines.append("请主管单位会同属地乡镇、安全责任人到场核查处置，办结时说明处置结果。")
    return "\n".join(lines)


def open_case(alarm, config):
    """A case for the alarm's station, or a line on the station's case that is still being handled."""
    from shuxiang.cases import services as cases
    from shuxiang.core.services import notify

    station = _station(alarm)
    device = alarm.sensor.device
    place = station.place if station else device.place
    with origin("task"):
        existing = _open_case_of(station) if station is not None else None
        if existing is not None:
            note = f"再次告警：{alarm_title(alarm)}，{condition_text(alarm)}"
            case = cases.do_add_note(existing, actor=WATER, note=note, data={"alarm": alarm.pk})
            notify(
                _handlers(case),
                title=f"事件再次告警：{case.title}",
                body=note,
                url=f"/cases/{case.pk}/",
                kind="case",
            )
            return case
        case = cases.do_open_case(
            actor=WATER,
            case_type=CASE_TYPE,
            category=_category(),
            title=f"{station.name if station else device.name}{alarm.rule.name}"[:100],
            description=_description(alarm, station),
            place=place,
            unit=_water_bureau(station, place),
            priority="urgent" if alarm.severity in ("critical", "major") else "normal",
            channel="system",
            is_public=False,
            source_ref=station_ref(station) if station else f"iot.device:{device.pk}",
            submission_key=f"iot.alarm:{alarm.pk}",
            extra={"alarm": alarm.pk},
        )
    notify(
        _people_to_tell(case, place),
        title=f"新事件：{case.title}",
        body=f"受理编号 {case.tracking_number}，{case.unit.name if case.unit else '待派单'}牵头处置",
        url=f"/cases/{case.pk}/",
        kind="case",
    )
    return case


def note_cleared(alarm, config):
    """The alarm is over: its case hears it (who cleared it, why), and its handlers are told."""
    from shuxiang.cases import services as cases
    from shuxiang.core.services import notify

    case = cases_of_alarm(alarm.pk).first()
    if case is None:
        return None
    person = alarm.cleared_by
    who = (person.display_name or person.username) if person is not None else "系统"
    how = f"（{alarm.clear_note}）" if alarm.clear_note else ""
    note = f"告警已解除：{alarm_title(alarm)}，{who}于 {_when(alarm.cleared_at or timezone.now())} 解除{how}"
    with origin("task"):
        case = cases.do_add_note(case, actor=WATER, note=note, data={"alarm": alarm.pk, "cleared": True})
    if case.is_open:
        notify(
            _handlers(case),
            title=f"告警已解除：{case.title}",
            body=f"{note}。请核实现场情况后办结事件。",
            url=f"/cases/{case.pk}/",
            kind="case",
        )
    return case


def issue_warning(alarm, config):
    from shuxiang.warnings import services as warnings
    from shuxiang.water.models import Reservoir

    reservoir = Reservoir.objects.filter(device=alarm.sensor.device).select_related("place").first()
    if reservoir is None:
        return None
    areas = list(reservoir.downstream.all()) or [reservoir.place]
    immediate = bool(config.get("immediate"))
    colour = config.get("colour", "yellow")
    with origin("task"):
        return warnings.do_create_warning(
            actor=WATER,
            signal_type="reservoir",
            colour=colour,
            headline=f"{reservoir.name}{alarm.rule.name}"[:100],
            description=(
                f"{reservoir.name}{alarm.rule.name}：{condition_text(alarm)}"
                f"（{_when(alarm.started_at)}）。汛限水位 {_amount(reservoir.flood_limit_level, 'm')}，"
                f"坝顶高程 {_amount(reservoir.crest_elevation, 'm')}。请下游村组做好防范。"
            ),
            areas=areas,
            expires=timezone.now() + timedelta(hours=int(config.get("hours", 12))),
            source=f"{reservoir.name}遥测告警",
            submit=not immediate,
            immediate=immediate,
        )


# --- pages ----------------------------------------------------------------------------------


def case_links(case):
    """What a water.alarm case page shows: the station, its responsible person, the township, the
    alarms — by name, linked (cases.registry.CaseType.links)."""
    from shuxiang.cases.registry import CaseLink
    from shuxiang.cases.routing import township_of
    from shuxiang.iot.models import Alarm

    rows = []
    station = station_of_ref(case.source_ref)
    if station is not None:
        label = "水库" if station._meta.model_name == "reservoir" else "泵站"
        rows.append(CaseLink(label, station.name, station_url(station)))
        responsible = getattr(station, "responsible", None)
        if responsible is not None:
            rows.append(CaseLink("安全责任人", f"{responsible.name} {responsible.phone_masked}".strip()))
    township = township_of(case.place)
    if township is not None:
        rows.append(CaseLink("属地乡镇", township.name))
    ids = [case.extra.get("alarm")] + [e.data.get("alarm") for e in case.events.all()]
    ids = list(dict.fromkeys(i for i in ids if i))
    alarms = Alarm.objects.filter(pk__in=ids).select_related("rule").order_by("started_at")
    for alarm in alarms:
        state = "已解除" if alarm.status == "cleared" else "告警中"
        rows.append(
            CaseLink(
                "关联告警", f"{alarm_title(alarm)} · {state}", reverse("iot:alarm_detail", args=[alarm.pk])
            )
        )
    return rows


def alarm_links(alarm, user):
    """What the alarm page shows of water: its station and the case handling it (as the user may see)."""
    from shuxiang.cases.models import Case
    from shuxiang.iot.actions import AlarmLink

    links = []
    station = _station(alarm)
    if station is not None and type(station).objects.restrict(user).filter(pk=station.pk).exists():
        label = "水库" if station._meta.model_name == "reservoir" else "泵站"
        links.append(AlarmLink(label, station.name, station_url(station)))
    if apps.is_installed("shuxiang.cases"):
        visible = Case.objects.restrict(user).filter(pk__in=cases_of_alarm(alarm.pk).values("pk"))
        for case in visible.order_by("-created_at")[:3]:
            text = f"{case.tracking_number} {case.title}（{case.get_state_display()}）"
            links.append(AlarmLink("处置事件", text, reverse("cases:detail", args=[case.pk])))
    return links


def register():
    from shuxiang.iot.actions import register_alarm_action, register_alarm_links

    if apps.is_installed("shuxiang.cases"):
        from shuxiang.cases.registry import CaseField, CaseType, register_type

        register_type(
            CaseType(
                code=CASE_TYPE,
                label="水利设施告警",
                actions={"accept", "dispatch", "return", "start", "note", "resolve", "close", "escalate"},
                fields=[CaseField("alarm", "告警编号", kind="int", required=True)],
                public=False,
                links=case_links,
            )
        )
        register_alarm_action("water.open_case", "生成处置事件", open_case, on_clear=note_cleared)
    if apps.is_installed("shuxiang.warnings"):
        register_alarm_action("water.issue_warning", "向下游村组发布水库险情预警", issue_warning)
    register_alarm_links(alarm_links)
