"""An alarm reads in Chinese: the sensor by its name and unit, levels to the centimetre (issue 14 §5:
"Z 高于 123.11" showed the SL 651 element code and no unit)."""

from datetime import UTC, datetime

import pytest

from shuxiang.core.actors import OPERATOR, Actor
from shuxiang.iot import services
from shuxiang.iot.models import Alarm

pytestmark = pytest.mark.django_db
T0 = datetime(2026, 7, 1, 2, 0, tzinfo=UTC)


def test_a_level_alarm_names_the_sensor_and_its_unit_with_two_decimals(
    device_factory, django_capture_on_commit_callbacks
):
    sensors = [{"key": "Z", "name": "库水位", "unit": "m", "min_value": 50, "max_value": 200}]
    device, _ = device_factory(protocol="sl651", code="0043090398", name="清水水库遥测站", sensors=sensors)
    services.do_create_rule(
        actor=OPERATOR,
        device=device,
        name="超汛限水位",
        key="Z",
        kind="above",
        threshold=123.11,
        severity="major",
    )
    with django_capture_on_commit_callbacks(execute=True):
        services.do_ingest_one(device.code, [("Z", T0, 123.456)], actor=Actor.device(device.code), now=T0)
    message = Alarm.objects.get().message
    assert "库水位 高于 123.11 m" in message
    assert "当前 123.46 m" in message
    assert "Z 高于" not in message


def test_a_rainfall_alarm_keeps_its_own_unit(device_factory, django_capture_on_commit_callbacks):
    sensors = [{"key": "PJ", "name": "当前降水量", "unit": "mm", "min_value": 0, "max_value": 300}]
    device, _ = device_factory(protocol="sl651", code="0043090397", name="雨量站", sensors=sensors)
    services.do_create_rule(
        actor=OPERATOR, device=device, name="暴雨", key="PJ", kind="above", threshold=50, severity="major"
    )
    with django_capture_on_commit_callbacks(execute=True):
        services.do_ingest_one(device.code, [("PJ", T0, 62.5)], actor=Actor.device(device.code), now=T0)
    assert "当前降水量 高于 50 mm" in Alarm.objects.get().message
