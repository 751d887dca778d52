from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from shuxiang.core.actors import OPERATOR, Actor
from shuxiang.core.models import AuditEntry, Notification
from shuxiang.iot import actions, services
from shuxiang.iot.models import Alarm, AlarmRule

T0 = datetime(2026, 7, 1, 2, 0, tzinfo=UTC)


def feed(device, key, value, at):
    return services.do_ingest_one(device.code, [(key, at, value)], actor=Actor.device(device.code), now=at)


@pytest.fixture
def reservoir(device_factory, places, cast):
    with time_machine.travel(T0 - timedelta(days=1), tick=False):
        device, _ = device_factory(
            protocol="sl651", code="0043090399", name="清水水库", owner_unit=cast.department.unit
        )
    return device


def flood_rule(device, **kwargs):
    fields = {"name": "超汛限水位", "key": "Z", "kind": "above", "threshold": 85.0, "severity": "major"}
    fields.update(kwargs)
    return services.do_create_rule(actor=OPERATOR, device=device, **fields)


def test_crossing_the_threshold_raises_one_alarm_and_repeats_update_it(
    reservoir, django_capture_on_commit_callbacks
):
    flood_rule(reservoir)
    with django_capture_on_commit_callbacks(execute=True):
        feed(reservoir, "Z", 84.0, T0)
        feed(reservoir, "Z", 85.5, T0 + timedelta(minutes=5))
        feed(reservoir, "Z", 85.8, T0 + timedelta(minutes=10))
    alarm = Alarm.objects.get()
    assert alarm.status == "active" and alarm.repeat_count == 2 and alarm.last_value == 85.8
    assert "清水水库" in alarm.message and "85.5" in alarm.message
    assert AuditEntry.objects.filter(object_type="iot.alarm", action="create").count() == 1


def test_the_responsible_people_are_notified_and_see_the_alarm_on_their_home_page(
    reservoir, cast, client_for, django_capture_on_commit_callbacks
):
    flood_rule(reservoir)
    with django_capture_on_commit_callbacks(execute=True):
        feed(reservoir, "Z", 86.0, T0)
    recipients = set(Notification.objects.filter(kind="alarm").values_list("recipient__username", flat=True))
    assert cast.department.username in recipients  # the owner unit
    assert cast.township_a.username in recipients  # the township the reservoir is in
    assert cast.township_b.username not in recipients
    page = client_for(cast.township_a).get("/").content.decode()
    assert "未确认的告警" in page
    assert "未确认的告警" not in client_for(cast.township_b).get("/").content.decode()


def test_returning_to_normal_clears_the_alarm_by_itself(reservoir):
    flood_rule(reservoir)
    feed(reservoir, "Z", 86.0, T0)
    feed(reservoir, "Z", 84.0, T0 + timedelta(minutes=5))
    alarm = Alarm.objects.get()
    assert alarm.status == "cleared" and alarm.cleared_by is None and alarm.clear_note == "已恢复正常"
    feed(reservoir, "Z", 86.0, T0 + timedelta(minutes=10))
    assert Alarm.objects.filter(status="active").count() == 1 and Alarm.objects.count() == 2


def test_a_duration_rule_waits_until_the_condition_has_held_long_enough(reservoir):
    flood_rule(reservoir, duration_minutes=30)
    feed(reservoir, "Z", 86.0, T0)
    feed(reservoir, "Z", 86.1, T0 + timedelta(minutes=20))
    assert not Alarm.objects.exists()
    feed(reservoir, "Z", 86.2, T0 + timedelta(minutes=31))
    assert Alarm.objects.get().started_at == T0 + timedelta(minutes=31)


def test_a_dip_below_the_threshold_restarts_the_duration(reservoir):
    flood_rule(reservoir, duration_minutes=30)
    feed(reservoir, "Z", 86.0, T0)
    feed(reservoir, "Z", 84.0, T0 + timedelta(minutes=20))
    feed(reservoir, "Z", 86.0, T0 + timedelta(minutes=25))
    feed(reservoir, "Z", 86.0, T0 + timedelta(minutes=40))
    assert not Alarm.objects.exists()


def test_a_rate_of_change_rule_catches_a_fast_rise(reservoir):
    flood_rule(reservoir, name="水位陡涨", kind="rate", threshold=0.05)
    feed(reservoir, "Z", 80.0, T0)
    feed(reservoir, "Z", 80.1, T0 + timedelta(minutes=10))
    assert not Alarm.objects.exists()
    feed(reservoir, "Z", 81.1, T0 + timedelta(minutes=20))
    assert Alarm.objects.get().rule.name == "水位陡涨"


def test_no_data_for_n_minutes_raises_an_offline_alarm_that_data_clears(reservoir):
    services.do_create_rule(
        actor=OPERATOR,
        device=reservoir,
        name="遥测中断",
        key="Z",
        kind="no_data",
        duration_minutes=60,
        severity="warning",
    )
    feed(reservoir, "Z", 80.0, T0)
    assert services.do_check_no_data(actor=Actor.system("rules"), now=T0 + timedelta(minutes=30)) == 0
    assert services.do_check_no_data(actor=Actor.system("rules"), now=T0 + timedelta(minutes=61)) == 1
    assert (
        services.do_check_no_data(actor=Actor.system("rules"), now=T0 + timedelta(minutes=70)) == 0
    )  # still the same one alarm
    assert Alarm.objects.get().status == "active"
    feed(reservoir, "Z", 80.0, T0 + timedelta(minutes=75))
    assert Alarm.objects.get().status == "cleared"


def test_an_unacknowledged_alarm_escalates_to_the_district_once(
    reservoir, cast, django_capture_on_commit_callbacks
):
    flood_rule(reservoir, escalate_after_minutes=15)
    feed(reservoir, "Z", 86.0, T0)
    with django_capture_on_commit_callbacks(execute=True):
        assert (
            services.do_escalate_alarms(actor=Actor.system("escalation"), now=T0 + timedelta(minutes=10)) == 0
        )
        assert (
            services.do_escalate_alarms(actor=Actor.system("escalation"), now=T0 + timedelta(minutes=16)) == 1
        )
        assert (
            services.do_escalate_alarms(actor=Actor.system("escalation"), now=T0 + timedelta(minutes=30)) == 0
        )
    escalated = Notification.objects.filter(title__startswith="【告警升级】")
    assert list(escalated.values_list("recipient__username", flat=True)) == [cast.district.username]


def test_an_acknowledged_alarm_does_not_escalate(reservoir, cast):
    flood_rule(reservoir, escalate_after_minutes=15)
    feed(reservoir, "Z", 86.0, T0)
    services.do_acknowledge_alarm(Alarm.objects.get(), actor=cast.township_a)
    assert services.do_escalate_alarms(actor=Actor.system("escalation"), now=T0 + timedelta(minutes=60)) == 0


def test_officers_acknowledge_and_clear_through_the_api_with_who_and_when(reservoir, cast, api_for):
    flood_rule(reservoir, auto_clear=False)
    feed(reservoir, "Z", 86.0, T0)
    alarm = Alarm.objects.get()
    api = api_for(cast.township_a)
    active = api.get("/api/v1/iot/alarms/", {"status": "active"}).json()["results"]
    assert [a["id"] for a in active] == [alarm.pk] and active[0]["device"] == reservoir.code
    r = api.post(f"/api/v1/iot/alarms/{alarm.pk}/acknowledge/")
    assert r.status_code == 200 and r.json()["acknowledged_by"] == cast.township_a.username
    assert api.post(f"/api/v1/iot/alarms/{alarm.pk}/acknowledge/").json()["code"] == "already_acknowledged"
    r = api.post(f"/api/v1/iot/alarms/{alarm.pk}/clear/", {"note": "现场核实，已开闸泄洪"}, format="json")
    assert (
        r.status_code == 200
        and r.json()["status"] == "cleared"
        and r.json()["cleared_by"] == cast.township_a.username
    )
    assert api.get("/api/v1/iot/alarms/", {"status": "active"}).json()["results"] == []
    assert (
        AuditEntry.objects.filter(object_type="iot.alarm", action="transition", actor=cast.township_a).count()
        == 2
    )


def test_an_officer_of_another_township_gets_404_for_the_alarm(reservoir, cast, api_for, client_for):
    flood_rule(reservoir)
    feed(reservoir, "Z", 86.0, T0)
    alarm = Alarm.objects.get()
    assert api_for(cast.township_b).post(f"/api/v1/iot/alarms/{alarm.pk}/acknowledge/").status_code == 404
    assert client_for(cast.township_b).get(f"/iot/alarms/{alarm.pk}/").status_code == 404
    assert Alarm.objects.get().acknowledged_at is None


def test_a_grid_worker_may_see_but_not_acknowledge(reservoir, cast, api_for):
    flood_rule(reservoir)
    feed(reservoir, "Z", 86.0, T0)
    alarm = Alarm.objects.get()
    assert api_for(cast.grid_a).post(f"/api/v1/iot/alarms/{alarm.pk}/acknowledge/").status_code == 403


def test_a_rule_runs_the_actions_other_modules_registered(reservoir, django_capture_on_commit_callbacks):
    seen = []
    actions.register_alarm_action("test_log", "记录", lambda alarm, config: seen.append((alarm.pk, config)))
    try:
        flood_rule(reservoir, actions=["test_log"], action_config={"level": "orange"})
        with django_capture_on_commit_callbacks(execute=True):
            feed(reservoir, "Z", 86.0, T0)
        assert seen == [(Alarm.objects.get().pk, {"level": "orange"})]
    finally:
        actions.unregister_alarm_action("test_log")


def test_a_rule_naming_an_unregistered_action_is_refused_and_nothing_is_saved(reservoir):
    from shuxiang.core.errors import ServiceError

    with pytest.raises(ServiceError) as exc:
        flood_rule(reservoir, actions=["launch_rockets"])
    assert "actions" in exc.value.fields
    assert not AlarmRule.objects.exists()


def test_a_rule_without_threshold_is_refused_through_the_api(api_for, cast, reservoir):
    r = api_for(cast.department).post(
        "/api/v1/iot/rules/",
        {"name": "水位", "device": reservoir.code, "key": "Z", "kind": "above", "severity": "major"},
        format="json",
    )
    assert r.status_code == 400 and r.json()["fields"]["threshold"]
    assert not AlarmRule.objects.exists()


def test_place_wide_rules_apply_to_every_device_under_the_place(device_factory, places):
    services.do_create_rule(
        actor=OPERATOR, place=places.township_a, name="低电压", key="VT", kind="below", threshold=11
    )
    inside, _ = device_factory(place=places.hamlet_a)
    outside, _ = device_factory(place=places.hamlet_b)
    now = datetime.now(UTC)
    feed(inside, "VT", 10.5, now)
    feed(outside, "VT", 10.5, now)
    assert [a.sensor.device_id for a in Alarm.objects.all()] == [inside.pk]


def test_staff_create_a_rule_in_the_web_form_and_bad_input_saves_nothing(reservoir, cast, client_for):
    client = client_for(cast.department)
    bad = client.post(
        "/iot/rules/add/",
        {
            "name": "水位超限",
            "device": reservoir.code,
            "key": "Z",
            "kind": "above",
            "duration_minutes": 0,
            "severity": "major",
        },
    )
    assert bad.status_code == 400 and "请填写阈值" in bad.content.decode()
    assert not AlarmRule.objects.exists()
    ok = client.post(
        "/iot/rules/add/",
        {
            "name": "水位超限",
            "device": reservoir.code,
            "key": "Z",
            "kind": "above",
            "threshold": "85",
            "duration_minutes": 10,
            "severity": "critical",
            "auto_clear": "on",
            "is_active": "on",
        },
    )
    assert ok.status_code == 302
    rule = AlarmRule.objects.get()
    assert (rule.device, rule.threshold, rule.duration_minutes, rule.severity) == (
        reservoir,
        85.0,
        10,
        "critical",
    )
    edit = client.post(
        f"/iot/rules/{rule.pk}/edit/",
        {
            "name": "水位超限",
            "key": "Z",
            "kind": "above",
            "threshold": "86",
            "duration_minutes": 0,
            "severity": "major",
            "action_config": "not json",
            "is_active": "on",
        },
    )
    assert "联动参数应为 JSON 对象" in edit.content.decode()
    rule.refresh_from_db()
    assert rule.threshold == 85.0


def test_a_township_officer_cannot_edit_rules_and_gets_404_outside_scope(
    reservoir, cast, client_for, places, device_factory
):
    from shuxiang.core.grants import do_create_grant

    rule = flood_rule(reservoir)
    assert client_for(cast.township_a).get(f"/iot/rules/{rule.pk}/edit/").status_code == 403
    assert client_for(cast.township_b).get(f"/iot/rules/{rule.pk}/edit/").status_code == 403
    # A county that lets townships keep their own rules: outside the township it is as if absent.
    do_create_grant(actor=OPERATOR, role="township", object_type="iot.alarmrule", actions=["change"])
    assert client_for(cast.township_a).get(f"/iot/rules/{rule.pk}/edit/").status_code == 200
    assert client_for(cast.township_b).get(f"/iot/rules/{rule.pk}/edit/").status_code == 404
