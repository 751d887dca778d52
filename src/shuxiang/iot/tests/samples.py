from shuxiang.core.actors import OPERATOR
from shuxiang.iot import services
from shuxiang.iot.models import Alarm, AlarmRule, Device
from shuxiang.testing import sample

_n = [0]


def _code(prefix):
    _n[0] += 1
    return f"{prefix}{_n[0]:04d}"


@sample(Device)
def make_device(place, marker):
    device, _ = services.do_register_device(
        actor=OPERATOR, code=_code("SAMPLE-D"), protocol="http", place=place, name=marker
    )
    return device


@sample(AlarmRule)
def make_rule(place, marker):
    return services.do_create_rule(
        actor=OPERATOR, place=place, name=marker, key="Z", kind="above", threshold=1
    )


@sample(Alarm)
def make_alarm(place, marker):
    from django.utils import timezone

    device = make_device(place, f"{marker}设备")
    rule = services.do_create_rule(
        actor=OPERATOR, device=device, name="水位", key="Z", kind="above", threshold=1
    )
    sensor = services.do_define_sensor(device, actor=OPERATOR, key="Z")
    now = timezone.now()
    return Alarm.objects.create(
        rule=rule, sensor=sensor, severity="major", message=marker, started_at=now, last_at=now, last_value=2
    )
