"""Who may do what with telemetry (issue 12): devices report only their own readings, the listener
and the rule engine act with their own narrow grants, client roles see nothing, and no string is an actor."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import resolve
from django.utils import timezone

from shuxiang.core.access import PUBLIC, declaration
from shuxiang.core.actors import OPERATOR, Actor
from shuxiang.core.errors import Forbidden
from shuxiang.core.models import AuditEntry
from shuxiang.core.navigation import pending_for
from shuxiang.iot import services
from shuxiang.iot.models import Alarm, Reading

pytestmark = pytest.mark.django_db

LISTENER = Actor.system("listener")


def values(n=1, start=None):
    start = start or timezone.now() - timedelta(minutes=n)
    return [("Z", start + timedelta(seconds=i), 80.0 + i / 100) for i in range(n)]


@pytest.fixture
def alarm(device_factory, django_capture_on_commit_callbacks):
    """An unacknowledged alarm on a device in 泉交河镇, raised by its rule."""
    device, _ = device_factory()
    services.do_create_rule(
        actor=OPERATOR, device=device, name="超汛限水位", key="Z", kind="above", threshold=85
    )
    with django_capture_on_commit_callbacks(execute=True):
        services.do_ingest_one(device.code, [("Z", timezone.now(), 86.0)], actor=Actor.device(device.code))
    return Alarm.objects.get()


# --- no string is an actor ---------------------------------------------------------------------


def test_ingestion_refuses_a_bare_string_or_none_as_its_actor(device_factory):
    device, _ = device_factory()
    for actor in ("mqtt", f"device:{device.code}", "test", None):
        with pytest.raises(TypeError):
            services.do_ingest([services.Message(device.code, values())], actor=actor)
        with pytest.raises(TypeError):
            services.do_ingest_one(device.code, values(), actor=actor)
        with pytest.raises(TypeError):
            services.do_touch_device(device.code, actor=actor)
    assert not Reading.objects.exists()


def test_device_rule_and_alarm_services_refuse_a_string_actor(device_factory, alarm):
    device, _ = device_factory()
    with pytest.raises(TypeError):
        services.do_set_device_active(device, actor="cli", is_active=False)
    with pytest.raises(TypeError):
        services.do_create_rule(
            actor="iot:rules", device=device, name="x", key="Z", kind="above", threshold=1
        )
    with pytest.raises(TypeError):
        services.do_acknowledge_alarm(alarm, actor="monitoring:t_district")
    with pytest.raises(TypeError):
        services.do_escalate_alarms(actor="task")
    device.refresh_from_db()
    alarm.refresh_from_db()
    assert device.is_active and alarm.acknowledged_at is None


# --- machines: each only what it does ------------------------------------------------------------


def test_a_device_reports_only_its_own_readings(device_factory):
    mine, _ = device_factory()
    other, _ = device_factory()
    with pytest.raises(Forbidden):
        services.do_ingest(
            [services.Message(mine.code, values()), services.Message(other.code, values())],
            actor=Actor.device(mine.code),
        )
    with pytest.raises(Forbidden):
        services.do_touch_device(other.code, actor=Actor.device(mine.code))
    assert not Reading.objects.exists()
    assert services.do_ingest_one(mine.code, values(), actor=Actor.device(mine.code)).stored == 1


def test_people_and_other_machines_may_not_inject_readings(cast, device_factory):
    device, _ = device_factory()
    for actor in (cast.district, Actor.on_behalf(cast.department, via="water"), Actor.system("tasks")):
        with pytest.raises(Forbidden):
            services.do_ingest_one(device.code, values(), actor=actor)
    assert not Reading.objects.exists()


def test_a_batch_is_gated_once_without_a_query_for_permissions(device_factory):
    devices = [device_factory()[0] for _ in range(5)]
    services.do_ingest([services.Message(d.code, values()) for d in devices], actor=LISTENER)  # warm caches
    batch = [services.Message(d.code, values(20, timezone.now() - timedelta(hours=1))) for d in devices]
    with CaptureQueriesContext(connection) as queries:
        outcomes = services.do_ingest(batch, actor=LISTENER)
    assert all(o.ok and o.stored == 20 for o in outcomes)
    sql = " ".join(q["sql"] for q in queries.captured_queries)
    assert "core_grant" not in sql and "core_user" not in sql
    with CaptureQueriesContext(connection) as queries:
        services.do_ingest_one(devices[0].code, values(3), actor=Actor.device(devices[0].code))
    assert "core_grant" not in " ".join(q["sql"] for q in queries.captured_queries)


def test_the_rule_engine_and_the_escalation_check_are_named_in_the_audit(alarm):
    raised = AuditEntry.objects.get(object_type="iot.alarm", action="create")
    assert raised.actor is None and raised.actor_label == "system:rules"
    alarm.rule.escalate_after_minutes = 5
    alarm.rule.save(update_fields=["escalate_after_minutes"])
    later = alarm.started_at + timedelta(minutes=6)
    assert services.do_escalate_alarms(actor=Actor.system("escalation"), now=later) == 1
    escalated = AuditEntry.objects.get(object_type="iot.alarm", action="transition")
    assert escalated.actor_label == "system:escalation"
    with pytest.raises(Forbidden):  # the listener has no business escalating alarms
        services.do_escalate_alarms(actor=LISTENER, now=later)


def test_a_person_acknowledging_is_recorded_by_name(alarm, cast):
    services.do_acknowledge_alarm(alarm, actor=cast.township_a)
    alarm.refresh_from_db()
    assert alarm.acknowledged_by == cast.township_a
    entry = AuditEntry.objects.filter(object_type="iot.alarm", action="transition").latest("pk")
    assert entry.actor == cast.township_a


# --- routes ----------------------------------------------------------------------------------


def test_the_telemetry_endpoint_is_public_and_still_needs_a_device_token(anon_api, cast, client_for):
    match = resolve("/api/v1/iot/telemetry")
    assert declaration(match.func, "POST") == PUBLIC
    assert anon_api.post("/api/v1/iot/telemetry", {"Z": 1}, format="json").status_code == 401
    signed_in = client_for(cast.district).post(
        "/api/v1/iot/telemetry", {"Z": 1}, content_type="application/json"
    )
    assert signed_in.status_code == 401  # a session is not a device credential
    assert not Reading.objects.exists()


def test_the_bank_gets_403_on_the_device_api(cast, api_for, device_factory):
    device_factory()
    response = api_for(cast.bank).get("/api/v1/iot/devices/")
    assert response.status_code == 403 and response.json()["code"] == "permission_denied"


def test_no_client_role_sees_devices_alarms_rules_or_readings(cast, api_for, client_for, alarm):
    code = alarm.sensor.device.code
    api_urls = [
        "/api/v1/iot/devices/",
        f"/api/v1/iot/devices/{code}/",
        f"/api/v1/iot/devices/{code}/latest/",
        "/api/v1/iot/alarms/",
        f"/api/v1/iot/alarms/{alarm.pk}/",
        "/api/v1/iot/rules/",
        f"/api/v1/iot/readings/?device={code}&key=Z",
    ]
    web_urls = [
        "/iot/devices/",
        f"/iot/devices/{code}/",
        "/iot/alarms/",
        f"/iot/alarms/{alarm.pk}/",
        "/iot/rules/",
    ]
    for name, user in cast.clients().items():
        api, web = api_for(user), client_for(user)
        for url in api_urls:
            assert api.get(url).status_code == 403, f"{name} {url}"
        for url in web_urls:
            assert web.get(url).status_code == 403, f"{name} {url}"
        assert api.post(f"/api/v1/iot/alarms/{alarm.pk}/acknowledge/").status_code == 403
    alarm.refresh_from_db()
    assert alarm.acknowledged_at is None


def test_staff_keep_seeing_the_devices_of_their_region(cast, api_for, device_factory, places):
    device, _ = device_factory(place=places.hamlet_a)
    for user in (cast.admin, cast.district, cast.department, cast.township_a, cast.village_a, cast.grid_a):
        listed = api_for(user).get("/api/v1/iot/devices/").json()["results"]
        assert [d["code"] for d in listed] == [device.code], user.username
    assert api_for(cast.township_b).get("/api/v1/iot/devices/").json()["results"] == []
    assert api_for(cast.township_b).get(f"/api/v1/iot/devices/{device.code}/").status_code == 404


# --- pending work --------------------------------------------------------------------------------


def test_unacknowledged_alarms_are_pending_only_for_people_who_may_handle_them(alarm, cast):
    def pending(user):
        return [p for p in pending_for(user) if p.title == "未确认的告警"]

    assert [p.count for p in pending(cast.township_a)] == [1]
    assert [p.count for p in pending(cast.village_a)] == [1]
    assert pending(cast.grid_a) == []  # sees the alarm, may not acknowledge it
    assert pending(cast.township_b) == []  # outside the region
    for user in cast.clients().values():
        assert pending(user) == []
    services.do_acknowledge_alarm(alarm, actor=cast.village_a)
    assert pending(cast.township_a) == []
