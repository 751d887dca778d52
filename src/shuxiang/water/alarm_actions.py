"""What a reservoir or pump alarm can set in motion in other modules (registered with iot.actions).

- `water.open_case`: a case (type `water.alarm`) for the unit that must go and look, in the
  station's village, urgent for critical/major alarms; one case per alarm.
- `water.issue_warning`: a 水库险情 warning for the reservoir's downstream villages — a draft
  in the approval queue by default, issued at once when the rule's `action_config` says
  `{"immediate": true}`; colour from `action_config["colour"]` (default yellow).
"""

from datetime import timedelta

from django.apps import apps
from django.utils import timezone

from shuxiang.core.context import origin


def _station(alarm):
    from shuxiang.water.models import PumpStation, Reservoir

    device = alarm.sensor.device
    return (
        Reservoir.objects.filter(device=device).select_related("place").first()
        or PumpStation.objects.filter(device=device).select_related("place").first()
    )


def open_case(alarm, config):
    from shuxiang.cases import services as cases

    station = _station(alarm)
    place = station.place if station else alarm.sensor.device.place
    with origin("task"):
        return cases.do_open_case(
            actor="iot",
            case_type="water.alarm",
            title=f"{station or alarm.sensor.device.name}：{alarm.rule.name}"[:100],
            description=alarm.message,
            place=place,
            unit=station.owner_unit if station and station.owner_unit_id else None,
            priority="urgent" if alarm.severity in ("critical", "major") else "normal",
            channel="system",
            source_ref=f"iot.alarm:{alarm.pk}",
            submission_key=f"iot.alarm:{alarm.pk}",
            extra={"alarm": alarm.pk, "device": alarm.sensor.device.code},
        )


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
            actor=f"alarm:reservoir-{reservoir.pk}",
            signal_type="reservoir",
            colour=colour,
            headline=f"{reservoir.name}{alarm.rule.name}"[:100],
            description=(
                f"{alarm.message}。汛限水位 {reservoir.flood_limit_level:g} m，"
                f"坝顶高程 {reservoir.crest_elevation:g} m。请下游村组做好防范。"
            ),
            areas=areas,
            expires=timezone.now() + timedelta(hours=int(config.get("hours", 12))),
            source=f"{reservoir.name}遥测告警",
            submit=not immediate,
            immediate=immediate,
        )


def register():
    from shuxiang.iot.actions import register_alarm_action

    if apps.is_installed("shuxiang.cases"):
        from shuxiang.cases.registry import CaseField, CaseType, register_type

        register_type(
            CaseType(
                code="water.alarm",
                label="水利设施告警",
                actions={"accept", "dispatch", "return", "start", "note", "resolve", "close", "escalate"},
                fields=[
                    CaseField("alarm", "告警编号", kind="int", required=True),
                    CaseField("device", "设备编码", required=True),
                ],
                public=False,
            )
        )
        register_alarm_action("water.open_case", "生成处置事件", open_case)
    if apps.is_installed("shuxiang.warnings"):
        register_alarm_action("water.issue_warning", "向下游村组发布水库险情预警", issue_warning)
