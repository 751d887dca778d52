"""What another module started from an alarm hears of its end, and the alarm page points at it."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from shuxiang.core.actors import OPERATOR, Actor
from shuxiang.iot import actions, services
from shuxiang.iot.models import Alarm

T0 = datetime(2026, 7, 1, 2, 0, tzinfo=UTC)


def feed(device, value, at):
    return services.do_ingest_one(device.code, [("Z", at, value)], actor=Actor.device(device.code), now=at)


@pytest.fixture
def followed():
    raised, cleared = [], []
    actions.register_alarm_action(
        "test_follow",
        "跟踪",
        lambda alarm, config: raised.append(alarm.pk),
        on_clear=lambda alarm, config: cleared.append((alarm.pk, alarm.status, config)),
    )
    yield raised, cleared
    actions.unregister_alarm_action("test_follow")


@pytest.fixture
def station(device_factory, cast, followed):
    with time_machine.travel(T0 - timedelta(days=1), tick=False):
        device, _ = device_factory(
            protocol="sl651", code="0043090398", name="清水水库遥测站", owner_unit=cast.department.unit
        )
    services.do_create_rule(
        actor=OPERATOR,
        device=device,
        name="超汛限水位",
        key="Z",
        kind="above",
        threshold=85.0,
        actions=["test_follow"],
        action_config={"colour": "orange"},
    )
    return device


def test_an_action_hears_when_the_rule_clears_its_alarm(
    station, followed, django_capture_on_commit_callbacks
):
    raised, cleared = followed
    with django_capture_on_commit_callbacks(execute=True):
        feed(station, 85.4, T0)
    assert raised == [Alarm.objects.get().pk] and cleared == []
    with django_capture_on_commit_callbacks(execute=True):
        feed(station, 84.6, T0 + timedelta(minutes=5))
    assert cleared == [(raised[0], "cleared", {"colour": "orange"})]


def test_an_action_hears_when_a_person_clears_its_alarm(
    station, followed, cast, django_capture_on_commit_callbacks
):
    raised, cleared = followed
    with django_capture_on_commit_callbacks(execute=True):
        feed(station, 85.4, T0)
    with django_capture_on_commit_callbacks(execute=True):
        services.do_clear_alarm(Alarm.objects.get(), actor=cast.township_a, note="现场核实")
    assert [c[0] for c in cleared] == raised


def test_a_failing_clear_action_does_not_undo_the_clearing(station, django_capture_on_commit_callbacks):
    def broken(alarm, config):
        raise RuntimeError("boom")

    actions.register_alarm_action("test_follow", "跟踪", lambda a, c: None, on_clear=broken)
    with django_capture_on_commit_callbacks(execute=True):
        feed(station, 85.4, T0)
        feed(station, 84.0, T0 + timedelta(minutes=5))
    assert Alarm.objects.get().status == "cleared"


def test_the_alarm_page_shows_what_other_modules_registered_for_it(
    station, followed, cast, client_for, django_capture_on_commit_callbacks
):
    def provider(alarm, user):
        return [actions.AlarmLink("处置事件", f"事件 {alarm.pk} 给 {user.username}", "/cases/1/")]

    actions.register_alarm_links(provider)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            feed(station, 85.4, T0)
        alarm = Alarm.objects.get()
        page = client_for(cast.township_a).get(f"/iot/alarms/{alarm.pk}/").content.decode()
    finally:
        actions._link_providers.remove(provider)
    assert f'<a href="/cases/1/">事件 {alarm.pk} 给 {cast.township_a.username}</a>' in page
