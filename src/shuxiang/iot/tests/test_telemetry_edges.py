"""Telemetry edge cases (issue 13 §3): true/false is not a number, a device reports only what is known
to it (its sensors, its protocol's own keys, or — in learning mode — pending sensors for review), and a
deactivation made in one process is in effect for the next batch of every other."""

import itertools
import json
import os
from datetime import timedelta

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from shuxiang.core.actors import OPERATOR, Actor
from shuxiang.core.errors import ServiceError
from shuxiang.core.models import AuditEntry
from shuxiang.iot import keys, services, sl651, sl651_server
from shuxiang.iot.models import Alarm, Device, Reading, Rejection, Sensor
from shuxiang.iot.mqtt import Listener, topic_for
from shuxiang.iot.tests.conftest import unique_code
from shuxiang.iot.tests.test_sl651 import report_frame

pytestmark = pytest.mark.django_db

TELEMETRY = "/api/v1/iot/telemetry"
LISTENER = Actor.system("listener")
_stations = itertools.count(1)


def post(client, token, body):
    return client.post(
        TELEMETRY, data=json.dumps(body), content_type="application/json", HTTP_AUTHORIZATION=f"Token {token}"
    )


def listener():
    """The MQTT front end's batch path, without a broker (QoS 0 items: nothing to acknowledge)."""
    return Listener("mqtt://127.0.0.1:1", client_id=unique_code("edge-"))


def sl651_device(device_factory):
    """An SL 651 station with no sensors registered (its address: 10 digits, unique across parallel runs)."""
    code = f"{os.getpid() % 100000:05d}{next(_stations):05d}"
    return device_factory(protocol="sl651", code=code, sensors=())[0]


def rejections(device, reason):
    row = Rejection.objects.filter(device=device, reason=reason).first()
    return row.count if row else 0


# --- true/false is not a number --------------------------------------------------------------------


def test_a_boolean_posted_over_http_is_refused_whole_with_a_chinese_reason_and_counted(
    anon_api, device_factory
):
    device, creds = device_factory()
    r = post(anon_api, creds["token"], {"Z": 85.2, "PJ": True})
    assert r.status_code == 400
    body = r.json()
    assert body["code"] == "boolean" and "布尔值" in body["message"] and "PJ" in body["fields"]
    assert not Reading.objects.exists()  # not even the good Z value
    assert rejections(device, "boolean") == 1
    assert post(anon_api, creds["token"], {"Z": False}).json()["code"] == "boolean"
    assert rejections(device, "boolean") == 2


def test_a_boolean_published_over_mqtt_is_refused_and_the_rest_of_the_batch_is_stored(device_factory):
    good, _ = device_factory()
    bad, _ = device_factory()
    consumer = listener()
    consumer.process(
        [
            (topic_for(bad.code), b'{"Z": true}', 1, 0),
            (topic_for(good.code), b'{"Z": 85.0}', 2, 0),
        ]
    )
    assert consumer.stats.rejected_messages == 1 and consumer.stats.stored_messages == 1
    assert list(Reading.objects.values_list("sensor__device__code", flat=True)) == [good.code]
    assert Rejection.objects.get(device=bad).reason == "boolean"


def test_the_ingestion_service_behind_the_sl651_server_refuses_a_boolean_too(device_factory):
    """The SL 651 decoder yields only decimals; the service it hands them to refuses true/false for every
    front end, an SL 651 station's included."""
    station = sl651_device(device_factory)
    with pytest.raises(ServiceError) as refused:
        services.do_ingest_one(station.code, [("Z", timezone.now(), True)], actor=Actor.device(station.code))
    assert refused.value.code == "boolean"
    assert rejections(station, "boolean") == 1 and not Reading.objects.exists()


def test_text_true_is_not_a_number_either_but_a_numeric_string_still_is(anon_api, device_factory):
    _, creds = device_factory()
    assert post(anon_api, creds["token"], {"Z": "true"}).json()["code"] == "not_numeric"
    assert post(anon_api, creds["token"], {"Z": "85.2"}).json() == {"stored": 1, "duplicates": 0}


# --- only known keys -------------------------------------------------------------------------------


def test_a_key_the_device_has_no_sensor_for_refuses_the_whole_message_and_creates_nothing(
    anon_api, device_factory
):
    device, creds = device_factory(sensors=[{"key": "Z"}])
    r = post(anon_api, creds["token"], {"Z": 85.2, "ph": 7.1})
    assert r.status_code == 400
    body = r.json()
    assert body["code"] == "unknown_key" and "ph" in body["message"] and "ph" in body["fields"]
    assert not Reading.objects.exists()
    assert list(Sensor.objects.filter(device=device).values_list("key", flat=True)) == ["Z"]
    assert rejections(device, "unknown_key") == 1
    assert Rejection.objects.get(device=device).get_reason_display() == "要素未登记"


def test_in_a_batch_only_the_message_with_the_unknown_key_is_refused(device_factory):
    a, _ = device_factory()
    b, _ = device_factory()
    now = timezone.now()
    outcomes = services.do_ingest(
        [
            services.Message(a.code, [("Z", now, 1.0), ("stray", now, 2.0)]),
            services.Message(b.code, [("Z", now, 3.0)]),
        ],
        actor=LISTENER,
    )
    assert outcomes[0].error.code == "unknown_key" and outcomes[1].stored == 1
    assert list(Reading.objects.values_list("value", flat=True)) == [3.0]


def test_an_sl651_station_reports_any_sl651_element_without_registering_it(device_factory):
    station = sl651_device(device_factory)
    observed = timezone.now().replace(second=0, microsecond=0) - timedelta(minutes=1)
    elements = sl651.encode_element("PT", 1234.5, 3, 1) + sl651.encode_element("VT", 12.4, 2, 2)
    frame, _ = sl651.read_frame(report_frame(address=station.code, elements=elements, observed=observed))
    handled = sl651_server.handle_frame(frame)
    assert handled.known and handled.replies  # stored, hence confirmed
    sensors = {s.key: s for s in Sensor.objects.filter(device=station)}
    assert set(sensors) == {"PT", "VT"}
    assert sensors["PT"].name == "降水量累计值" and sensors["VT"].unit == "V"
    assert all(not s.is_pending for s in sensors.values())
    assert Reading.objects.filter(sensor__device=station).count() == 2


def test_an_sl651_station_is_still_refused_a_key_outside_its_protocol(device_factory):
    station = sl651_device(device_factory)
    with pytest.raises(ServiceError) as refused:
        services.do_ingest_one(
            station.code, [("soil", timezone.now(), 1.0)], actor=Actor.device(station.code)
        )
    assert refused.value.code == "unknown_key"
    assert not Sensor.objects.filter(device=station).exists()


def test_jt808_and_hj212_keys_are_declared_ahead_of_their_front_ends():
    jt808 = keys.protocol_keys("jt808")
    assert {"lat", "lon", "speed", "direction", "altitude", "alarm", "status"} <= set(jt808)
    assert jt808["speed"].unit == "km/h"
    hj212 = keys.protocol_keys("hj212")
    assert {"w01018", "w21003", "w01001"} <= set(hj212)
    assert hj212["w21003"].name == "氨氮"
    assert "Z" in keys.protocol_keys("sl651") and "DRZ8" in keys.protocol_keys("sl651")
    assert not keys.protocol_keys("http") and not keys.protocol_keys("mqtt")


def test_an_app_registers_its_protocols_keys_and_every_device_of_it_accepts_them(
    monkeypatch, anon_api, device_factory
):
    monkeypatch.setattr(keys, "_REGISTRY", {k: dict(v) for k, v in keys._REGISTRY.items()})
    keys.register_protocol_keys("http", {"soil_moisture": ("土壤含水量", "%")})
    device, creds = device_factory(sensors=())
    assert post(anon_api, creds["token"], {"soil_moisture": 23.5}).json() == {"stored": 1, "duplicates": 0}
    sensor = Sensor.objects.get(device=device)
    assert (sensor.key, sensor.name, sensor.unit, sensor.is_pending) == (
        "soil_moisture",
        "土壤含水量",
        "%",
        False,
    )
    with pytest.raises(ImproperlyConfigured):
        keys.register_protocol_keys("hj212", ["w01018-Rtd"])  # not a sensor key: the front end maps it
    with pytest.raises(ImproperlyConfigured):
        keys.register_protocol_keys("JT/T808", ["lat"])


# --- learning mode -------------------------------------------------------------------------------


def test_an_admin_turns_learning_mode_on_by_api_and_it_is_audited(api_for, cast, device_factory):
    device, _ = device_factory()
    url = f"/api/v1/iot/devices/{device.code}/learning/"
    r = api_for(cast.admin).post(url, {"learning": True}, format="json")
    assert r.status_code == 200, r.content
    assert r.json()["learning"] is True
    device.refresh_from_db()
    assert device.learning
    entry = AuditEntry.objects.get(object_type="iot.device", action="update", actor=cast.admin)
    assert entry.changes["learning"] == [False, True]
    assert api_for(cast.admin).post(url, {"learning": "maybe"}, format="json").status_code == 400


def test_staff_without_the_learning_grant_get_403_and_change_nothing(
    api_for, client_for, cast, device_factory
):
    device, _ = device_factory()
    for user in (cast.district, cast.department, cast.township_a):
        r = api_for(user).post(
            f"/api/v1/iot/devices/{device.code}/learning/", {"learning": True}, format="json"
        )
        assert r.status_code == 403
        page = client_for(user).post(f"/iot/devices/{device.code}/learning/", {"learning": "true"})
        assert page.status_code == 403
    device.refresh_from_db()
    assert not device.learning
    assert (
        'id="learning-form"'
        not in client_for(cast.district).get(f"/iot/devices/{device.code}/").content.decode()
    )


def test_learning_mode_services_refuse_a_bare_string_actor(device_factory):
    device, _ = device_factory()
    with pytest.raises(TypeError):
        services.do_set_device_learning(device, actor="admin", learning=True)
    with pytest.raises(TypeError):
        services.do_approve_sensor(device, actor="admin", key="Z")
    with pytest.raises(TypeError):
        services.do_reject_sensor(device, actor="admin", key="Z")


def test_a_learning_device_proposes_pending_sensors_stored_but_not_evaluated_until_approved(
    anon_api, client_for, cast, device_factory, places, django_capture_on_commit_callbacks
):
    device, creds = device_factory(sensors=[{"key": "Z"}])
    services.do_create_rule(
        actor=OPERATOR, place=places.township_a, name="含水量过高", key="soil", kind="above", threshold=30
    )
    client = client_for(cast.admin)
    client.post(f"/iot/devices/{device.code}/learning/", {"learning": "true"})
    assert post(anon_api, creds["token"], {"Z": 85.0, "soil": 40.0}).json() == {"stored": 2, "duplicates": 0}
    soil = Sensor.objects.get(device=device, key="soil")
    assert soil.is_pending and soil.last_value == 40.0
    assert not Alarm.objects.exists()  # above the threshold, but nobody has approved the key yet
    page = client.get(f"/iot/devices/{device.code}/").content.decode()
    assert "待审核要素" in page and "关闭学习模式" in page

    response = client.post(f"/iot/devices/{device.code}/sensors/approve/", {"key": "soil"})
    assert response.status_code == 302
    soil.refresh_from_db()
    assert not soil.is_pending
    approved = AuditEntry.objects.get(object_type="iot.sensor", action="transition")
    assert approved.actor == cast.admin and approved.changes["status"] == ["pending", "active"]
    later = int((timezone.now() + timedelta(seconds=1)).timestamp() * 1000)
    with django_capture_on_commit_callbacks(execute=True):
        assert post(anon_api, creds["token"], {"ts": later, "values": {"soil": 41.0}}).status_code == 200
    assert Alarm.objects.get().sensor == soil


def test_a_rejected_pending_sensor_goes_with_its_readings_and_the_key_is_refused_once_learning_is_off(
    anon_api, api_for, cast, device_factory
):
    device, creds = device_factory(sensors=[{"key": "Z"}])
    admin = api_for(cast.admin)
    admin.post(f"/api/v1/iot/devices/{device.code}/learning/", {"learning": True}, format="json")
    post(anon_api, creds["token"], {"debug_counter": 17})
    assert Sensor.objects.get(device=device, key="debug_counter").is_pending
    r = admin.post(
        f"/api/v1/iot/devices/{device.code}/reject-sensor/", {"key": "debug_counter"}, format="json"
    )
    assert r.status_code == 204
    assert not Sensor.objects.filter(device=device, key="debug_counter").exists()
    assert not Reading.objects.exists()
    gone = AuditEntry.objects.get(object_type="iot.sensor", action="delete")
    assert gone.actor == cast.admin and "debug_counter" in gone.object_repr
    # only pending sensors are reviewed: a registered one is neither approved nor rejected
    r = admin.post(f"/api/v1/iot/devices/{device.code}/reject-sensor/", {"key": "Z"}, format="json")
    assert r.status_code == 400 and r.json()["code"] == "not_pending"
    admin.post(f"/api/v1/iot/devices/{device.code}/learning/", {"learning": False}, format="json")
    assert post(anon_api, creds["token"], {"debug_counter": 18}).json()["code"] == "unknown_key"


def test_a_learning_device_proposes_nothing_from_a_message_refused_for_another_value(
    anon_api, device_factory
):
    device, creds = device_factory(sensors=[{"key": "Z", "min_value": 0, "max_value": 100}])
    services.do_set_device_learning(device, actor=OPERATOR, learning=True)
    assert post(anon_api, creds["token"], {"newkey": 1.0, "Z": 500}).json()["code"] == "out_of_range"
    assert post(anon_api, creds["token"], {"newkey": 1.0, "Z": True}).json()["code"] == "boolean"
    assert list(Sensor.objects.filter(device=device).values_list("key", flat=True)) == ["Z"]
    assert not Reading.objects.exists()


def test_a_pending_sensor_is_approved_by_api_and_listed_with_its_status(api_for, cast, device_factory):
    device, _ = device_factory(sensors=[{"key": "Z"}])
    services.do_set_device_learning(device, actor=OPERATOR, learning=True)
    services.do_ingest_one(device.code, [("flow", timezone.now(), 1.5)], actor=Actor.device(device.code))
    listed = api_for(cast.district).get(f"/api/v1/iot/devices/{device.code}/").json()
    assert {s["key"]: s["status"] for s in listed["sensors"]} == {"Z": "active", "flow": "pending"}
    assert listed["learning"] is True
    r = api_for(cast.admin).post(
        f"/api/v1/iot/devices/{device.code}/approve-sensor/", {"key": "flow"}, format="json"
    )
    assert r.status_code == 200 and r.json()["status"] == "active"
    r = api_for(cast.district).post(
        f"/api/v1/iot/devices/{device.code}/approve-sensor/", {"key": "flow"}, format="json"
    )
    assert r.status_code == 403


def test_no_data_rules_ignore_pending_sensors(device_factory, places):
    device, _ = device_factory(sensors=())
    services.do_set_device_learning(device, actor=OPERATOR, learning=True)
    past = timezone.now() - timedelta(hours=2)
    Device.objects.filter(pk=device.pk).update(created_at=past)
    services.do_ingest_one(device.code, [("probe", past, 1.0)], actor=Actor.device(device.code))
    services.do_create_rule(
        actor=OPERATOR,
        place=places.township_a,
        name="探头无数据",
        key="probe",
        kind="no_data",
        duration_minutes=30,
    )
    assert services.do_check_no_data(actor=Actor.system("rules")) == 0
    services.do_approve_sensor(device, actor=OPERATOR, key="probe")
    assert services.do_check_no_data(actor=Actor.system("rules")) == 1


# --- a registry change is in effect for every process's next batch --------------------------------


class Process:
    """What one ingestion process holds in memory: its own device cache. `run` makes the module's cache
    this process's for one call, as if the call were made in that process."""

    def __init__(self, monkeypatch):
        self.caches = services.Caches()
        self.monkeypatch = monkeypatch

    def ingest(self, messages):
        with self.monkeypatch.context() as m:
            m.setattr(services, "caches", self.caches)
            return services.do_ingest(messages, actor=LISTENER)


def message(device, key="Z", value=1.0, seconds=0):
    return services.Message(device.code, [(key, timezone.now() - timedelta(seconds=60 - seconds), value)])


def test_a_device_deactivated_elsewhere_is_refused_by_two_running_listeners_on_their_next_batch(
    monkeypatch, api_for, cast, device_factory
):
    device, _ = device_factory()
    first, second = Process(monkeypatch), Process(monkeypatch)
    assert first.ingest([message(device, seconds=1)])[0].ok
    assert second.ingest([message(device, seconds=2)])[0].ok
    assert first.caches.devices[device.code].is_active  # both hold the device in memory, active

    # the web process takes it out of service; neither listener's cache is touched by it
    r = api_for(cast.district).post(f"/api/v1/iot/devices/{device.code}/deactivate/")
    assert r.status_code == 200

    assert first.ingest([message(device, seconds=3)])[0].error.code == "inactive"
    assert second.ingest([message(device, seconds=4)])[0].error.code == "inactive"
    assert rejections(device, "inactive") == 2
    assert Reading.objects.filter(sensor__device=device).count() == 2

    services.do_set_device_active(device, actor=OPERATOR, is_active=True)
    assert (
        first.ingest([message(device, seconds=5)])[0].ok and second.ingest([message(device, seconds=6)])[0].ok
    )


def test_a_sensor_registered_elsewhere_is_accepted_by_a_running_listener_on_its_next_batch(
    monkeypatch, device_factory
):
    device, _ = device_factory(sensors=[{"key": "Z"}])
    running = Process(monkeypatch)
    assert running.ingest([message(device, key="Q", seconds=1)])[0].error.code == "unknown_key"
    services.do_define_sensor(device, actor=OPERATOR, key="Q", name="流量", min_value=0, max_value=100)
    assert running.ingest([message(device, key="Q", seconds=2)])[0].ok
    assert running.ingest([message(device, key="Q", value=500, seconds=3)])[0].error.code == "out_of_range"


def test_registering_rotating_and_switching_bump_the_registry_version(device_factory):
    versions = [services.registry_version()]
    device, _ = device_factory()
    versions.append(services.registry_version())
    services.do_rotate_device_token(device, actor=OPERATOR)
    versions.append(services.registry_version())
    services.do_set_device_active(device, actor=OPERATOR, is_active=False)
    versions.append(services.registry_version())
    services.do_set_device_learning(device, actor=OPERATOR, learning=True)
    versions.append(services.registry_version())
    assert versions == sorted(set(versions))  # strictly increasing: each change bumped it


def test_the_registry_is_checked_once_per_batch_whatever_its_size(monkeypatch, device_factory):
    devices = [device_factory()[0] for _ in range(4)]
    running = Process(monkeypatch)
    running.ingest([message(d) for d in devices])  # warm
    for size in (1, 400):
        batch = [message(devices[i % 4], seconds=1 + i // 4) for i in range(size)]
        with CaptureQueriesContext(connection) as queries:
            running.ingest(batch)
        polls = [q for q in queries.captured_queries if "iot_registryversion" in q["sql"]]
        assert len(polls) == 1, f"batch of {size}: {len(polls)} registry reads"
