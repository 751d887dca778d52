"""An HJ 212 station linked to a point: rules from the point's limits; a value beyond one over TCP-less
ingestion raises an iot alarm whose action opens the point's 水质超标 case (one per point)."""

from datetime import timedelta

import pytest
from django.utils import timezone

from shuxiang.cases.models import Case
from shuxiang.core.actors import OPERATOR, Actor
from shuxiang.core.errors import ServiceError
from shuxiang.ecology import services
from shuxiang.iot import services as iot
from shuxiang.iot.models import Alarm, AlarmRule


@pytest.fixture
def station(places):
    iot.caches.clear()
    device, _ = iot.do_register_device(
        actor=OPERATOR, code="HS0000DM01", protocol="hj212", place=places.village_a, hj212_password="123456"
    )
    yield device
    iot.caches.clear()


def test_a_linked_station_gets_rules_from_the_limits_and_an_exceedance_opens_the_points_case(
    section, station, django_capture_on_commit_callbacks
):
    services.do_link_station(section, actor=OPERATOR, device=station)
    rules = {
        r.key: (r.kind, r.threshold)
        for r in AlarmRule.objects.filter(device=station)
        if r.key in ("w21003", "w01009")
    }
    assert rules == {"w21003": ("above", 1.0), "w01009": ("below", 5.0)}
    at = timezone.now() - timedelta(minutes=5)
    with django_capture_on_commit_callbacks(execute=True):
        iot.do_ingest([iot.Message(station.code, [("w21003", at, 2.2)])], actor=Actor.system("listener"))
    alarm = Alarm.objects.get()
    case = Case.objects.get()
    assert case.case_type == "ecology.exceedance" and case.extra["alarm"] == alarm.pk
    assert "氨氮" in case.description and "2.2" in case.description
    iot.do_ingest(
        [iot.Message(station.code, [("w01009", at + timedelta(minutes=1), 3.1)])],
        actor=Actor.system("listener"),
    )
    assert Case.objects.count() == 1  # a second alarm at the point is a line on the same case


def test_only_an_hj212_device_can_be_a_points_station(section, places):
    device, _ = iot.do_register_device(actor=OPERATOR, code="HTTP01", protocol="http", place=places.village_a)
    with pytest.raises(ServiceError):
        services.do_link_station(section, actor=OPERATOR, device=device)
    section.refresh_from_db()
    assert section.device_id is None
