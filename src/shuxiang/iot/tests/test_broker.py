"""Per-device broker accounts, against a real Mosquitto running the dynamic security plugin."""

import json
import queue
import re
import shutil
import tempfile
from io import StringIO
from pathlib import Path

import paho.mqtt.client as mqtt
import pytest
from django.core.management import call_command
from django.utils import timezone
from paho.mqtt.enums import CallbackAPIVersion

from shuxiang.core.actors import OPERATOR
from shuxiang.iot import broker as dynsec_broker
from shuxiang.iot import conf, services, tasks
from shuxiang.iot.choices import BrokerState
from shuxiang.iot.models import BrokerAccount, Device, Reading
from shuxiang.iot.tests.broker import DYNSEC_PLUGIN, Broker
from shuxiang.iot.tests.conftest import unique_code
from shuxiang.iot.tests.test_mqtt import RunningListener, wait_for

pytestmark = [
    pytest.mark.skipif(not DYNSEC_PLUGIN.exists(), reason="Mosquitto dynamic security plugin not installed"),
    pytest.mark.services,
    pytest.mark.django_db(transaction=True),
]

LISTENER_TOPIC = "shuxiang/v1/devices/+/telemetry"


@pytest.fixture
def broker(monkeypatch):
    directory = Path(tempfile.mkdtemp(prefix="shuxiang-dynsec-"))  # not under pytest's 0700 tmp tree
    b = Broker(directory, dynsec=True)
    b.start()
    monkeypatch.setattr(conf, "MQTT_ADMIN_URL", b.admin_url)
    monkeypatch.setattr(conf, "MQTT_ADMIN_TIMEOUT", 3)
    yield b
    b.stop()
    shutil.rmtree(directory, ignore_errors=True)


@pytest.fixture
def listener_account(broker):
    """The ingest listener's own client, created as docs/iot.md says; returns its URL."""
    password = "listener-secret"
    with dynsec_broker.DynSec(broker.admin_url) as dynsec:
        dynsec.run(
            {
                "command": "createRole",
                "rolename": "shuxiang-listener",
                "acls": [
                    {"acltype": "subscribePattern", "topic": LISTENER_TOPIC, "allow": True},
                    {"acltype": "subscribePattern", "topic": f"$share/+/{LISTENER_TOPIC}", "allow": True},
                ],
            },
            {
                "command": "createClient",
                "username": "shuxiang-listener",
                "password": password,
                "roles": [{"rolename": "shuxiang-listener"}],
            },
        )
    return f"mqtt://shuxiang-listener:{password}@127.0.0.1:{broker.port}"


class Client:
    """A device (or any client) logging in with a username and password; MQTT v5, so refusals have reasons."""

    def __init__(self, broker, username, password):
        self.client = mqtt.Client(
            CallbackAPIVersion.VERSION2, client_id=unique_code("c-"), protocol=mqtt.MQTTv5
        )
        self.client.username_pw_set(username, password)
        self.events = queue.Queue()
        self.received = queue.Queue()
        self.client.on_connect = lambda c, u, f, rc, p: self.events.put(("connect", rc))
        self.client.on_disconnect = lambda c, u, f, rc, p: self.events.put(("disconnect", rc))
        self.client.on_subscribe = lambda c, u, mid, rcs, p: self.events.put(("subscribe", rcs[0]))
        self.client.on_publish = lambda c, u, mid, rc, p: self.events.put(("puback", rc))
        self.client.on_message = lambda c, u, m: self.received.put((m.topic, m.payload))
        self.client.connect("127.0.0.1", broker.port)
        self.client.loop_start()
        kind, self.connect_result = self.events.get(timeout=10)

    @property
    def connected(self):
        return not self.connect_result.is_failure

    def expect(self, kind):
        while True:
            got, rc = self.events.get(timeout=10)
            if got == kind:
                return rc

    def publish(self, topic, payload):
        self.client.publish(topic, payload, qos=1)
        return self.expect("puback")

    def subscribe(self, topic):
        self.client.subscribe(topic, qos=1)
        return self.expect("subscribe")

    def close(self):
        self.client.loop_stop()
        self.client.disconnect()


def connects(broker, username, password) -> bool:
    c = Client(broker, username, password)
    c.close()
    return c.connected


@pytest.fixture
def mqtt_device(broker, device_factory):
    device, creds = device_factory(protocol="mqtt")
    return device, creds


@pytest.mark.parametrize("shared_group", [None, "ingest"])
def test_a_registered_device_publishes_to_its_own_topic_and_the_listener_stores_it(
    mqtt_device, broker, listener_account, shared_group
):
    device, creds = mqtt_device
    assert BrokerAccount.objects.get(device=device).state == BrokerState.OK
    device_client = Client(broker, creds["mqtt_username"], creds["mqtt_password"])
    try:
        assert device_client.connected
        with RunningListener(listener_account, shared_group=shared_group):
            assert not device_client.publish(creds["mqtt_topic"], json.dumps({"Z": 12.5})).is_failure
            assert wait_for(lambda: Reading.objects.filter(sensor__device=device).count() == 1, timeout=10)
    finally:
        device_client.close()


def test_a_device_cannot_publish_to_another_devices_topic_nor_subscribe(broker, device_factory):
    device, creds = device_factory(protocol="mqtt")
    other, other_creds = device_factory(protocol="mqtt")
    watcher = Client(broker, "admin", broker.admin_password)
    try:
        assert not watcher.subscribe(LISTENER_TOPIC).is_failure
        # One connection per attempt: Mosquitto 2.0.11 drops a connection that publishes again after a
        # refused QoS 1 publish.
        forger = Client(broker, creds["mqtt_username"], creds["mqtt_password"])
        assert forger.publish(other_creds["mqtt_topic"], b'{"Z": 1}').is_failure  # PUBACK: not authorised
        forger.close()
        snooper = Client(broker, creds["mqtt_username"], creds["mqtt_password"])
        assert snooper.subscribe("#").is_failure
        snooper.close()
        honest = Client(broker, creds["mqtt_username"], creds["mqtt_password"])
        assert not honest.publish(creds["mqtt_topic"], b'{"Z": 2}').is_failure
        honest.close()
        assert watcher.received.get(timeout=5) == (creds["mqtt_topic"], b'{"Z": 2}')
        assert watcher.received.empty()  # the forged message, sent first, never arrived
    finally:
        watcher.close()


def test_a_wrong_password_is_refused(mqtt_device, broker):
    device, creds = mqtt_device
    assert not connects(broker, device.code, creds["mqtt_password"] + "x")
    assert not connects(broker, device.code, creds["token"])  # the HTTP token is not a broker password


def test_a_deactivated_device_is_refused_and_disconnected_and_may_come_back(mqtt_device, broker):
    device, creds = mqtt_device
    connected = Client(broker, device.code, creds["mqtt_password"])
    try:
        assert connected.connected
        services.do_set_device_active(device, actor=OPERATOR, is_active=False)
        assert connected.expect("disconnect") is not None
    finally:
        connected.close()
    assert BrokerAccount.objects.get(device=device).state == BrokerState.OK
    assert not connects(broker, device.code, creds["mqtt_password"])
    services.do_set_device_active(device, actor=OPERATOR, is_active=True)
    assert connects(broker, device.code, creds["mqtt_password"])


def test_a_rotated_password_works_and_the_old_one_is_refused(mqtt_device, broker):
    device, creds = mqtt_device
    out = StringIO()
    call_command("device", "rotate", device.code, stdout=out)
    new_password = re.search(r"mqtt_password: (\S+)", out.getvalue()).group(1)
    assert "已写入 MQTT 代理" in out.getvalue() and "mosquitto_ctrl" not in out.getvalue()
    assert new_password != creds["mqtt_password"]
    assert connects(broker, device.code, new_password)
    assert not connects(broker, device.code, creds["mqtt_password"])
    device.refresh_from_db()
    assert services.check_mqtt_password(device, new_password)
    account = BrokerAccount.objects.get(device=device)
    assert account.pending_password == "" and account.state == BrokerState.OK


def test_rotation_is_audited_without_the_password(mqtt_device):
    from shuxiang.core.models import AuditEntry

    device, _ = mqtt_device
    creds = services.do_rotate_mqtt_password(device, actor=OPERATOR)
    entry = AuditEntry.objects.filter(object_id=str(device.pk), action="update").latest("pk")
    assert "mqtt_password" in entry.changes
    assert creds["mqtt_password"] not in json.dumps(entry.changes)


def test_registration_with_the_broker_down_is_recorded_and_the_periodic_task_provisions_it_later(
    broker, places
):
    broker.stop()
    code = unique_code("D")
    out = StringIO()
    call_command("device", "add", code, "--protocol", "mqtt", "--place", places.hamlet_a.code, stdout=out)
    password = re.search(r"mqtt_password: (\S+)", out.getvalue()).group(1)
    account = BrokerAccount.objects.get(device__code=code)
    assert account.state == BrokerState.FAILED and "无法连接 MQTT 代理" in account.message
    assert "自动重试" in out.getvalue()
    assert account.pending_password == password  # kept (encrypted) until the broker has it

    tasks.retry_broker_accounts.call_local()  # still down: still failed, tried again
    assert BrokerAccount.objects.get(device__code=code).attempts == 2

    broker.start()
    tasks.retry_broker_accounts.call_local()
    account = BrokerAccount.objects.get(device__code=code)
    assert account.state == BrokerState.OK and account.message == "" and account.pending_password == ""
    assert connects(broker, code, password)


def test_a_device_page_shows_the_broker_account_state_in_chinese(broker, device_factory, cast, client_for):
    device, _ = device_factory(protocol="mqtt")
    broker.stop()
    services.do_set_device_active(device, actor=OPERATOR, is_active=False)
    page = client_for(cast.township_a).get(f"/iot/devices/{device.code}/").content.decode()
    assert "MQTT 代理账号" in page and "写入失败，每分钟自动重试" in page and "无法连接 MQTT 代理" in page


def test_an_account_another_process_is_pushing_is_left_to_it(mqtt_device):
    device, _ = mqtt_device
    BrokerAccount.objects.filter(pk=device.pk).update(state=BrokerState.PENDING)
    assert dynsec_broker._claim(device.pk, timezone.now())
    dynsec_broker.provision(device.pk)
    assert BrokerAccount.objects.get(pk=device.pk).state == BrokerState.PENDING
    BrokerAccount.objects.filter(pk=device.pk).update(lease_until=None)
    dynsec_broker.retry_pending()
    assert BrokerAccount.objects.get(pk=device.pk).state == BrokerState.OK


def test_a_push_overtaken_by_a_newer_change_is_not_recorded_as_done(mqtt_device):
    device, _ = mqtt_device
    account = BrokerAccount.objects.get(pk=device.pk)
    BrokerAccount.objects.filter(pk=device.pk).update(version=account.version + 1, state=BrokerState.PENDING)
    assert not dynsec_broker._finish(account, "")
    assert BrokerAccount.objects.get(pk=device.pk).state == BrokerState.PENDING


def test_a_deleted_device_account_can_no_longer_log_in(mqtt_device, broker):
    device, creds = mqtt_device
    with dynsec_broker.DynSec(broker.admin_url) as dynsec:
        dynsec_broker.delete_device(dynsec, device.code)
        dynsec_broker.delete_device(dynsec, device.code)  # idempotent
    assert not connects(broker, device.code, creds["mqtt_password"])


def test_a_wrong_admin_password_is_reported_clearly(broker, monkeypatch, device_factory):
    monkeypatch.setattr(conf, "MQTT_ADMIN_URL", f"mqtt://admin:wrong@127.0.0.1:{broker.port}")
    device, _ = device_factory(protocol="mqtt")
    account = BrokerAccount.objects.get(device=device)
    assert account.state == BrokerState.FAILED and "拒绝管理账号登录" in account.message


def test_without_an_admin_url_nothing_is_provisioned_and_the_commands_are_printed(places, monkeypatch):
    monkeypatch.setattr(conf, "MQTT_ADMIN_URL", "")
    code = unique_code("M")
    out = StringIO()
    call_command("device", "add", code, "--protocol", "mqtt", "--place", places.hamlet_a.code, stdout=out)
    assert f"mosquitto_ctrl dynsec createClient {code}" in out.getvalue()
    device = Device.objects.get(code=code)
    assert not BrokerAccount.objects.filter(device=device).exists()
    out = StringIO()
    call_command("device", "rotate", code, stdout=out)
    assert f"mosquitto_ctrl dynsec setClientPassword {code}" in out.getvalue()
    assert not BrokerAccount.objects.filter(device=device).exists()


def test_a_device_registered_before_provisioning_is_taken_over_by_rotating_its_password(
    broker, places, monkeypatch
):
    monkeypatch.setattr(conf, "MQTT_ADMIN_URL", "")
    device, creds = services.do_register_device(
        actor=OPERATOR, code=unique_code("OLD"), protocol="mqtt", place=places.hamlet_a
    )
    monkeypatch.setattr(conf, "MQTT_ADMIN_URL", broker.admin_url)
    services.do_set_device_active(device, actor=OPERATOR, is_active=True)
    account = BrokerAccount.objects.get(device=device)
    assert account.state == BrokerState.FAILED and "请轮换 MQTT 密码" in account.message
    new = services.do_rotate_mqtt_password(device, actor=OPERATOR)
    assert BrokerAccount.objects.get(device=device).state == BrokerState.OK
    assert connects(broker, device.code, new["mqtt_password"])


def test_staff_rotate_a_password_over_the_api_and_officers_may_not(
    mqtt_device, broker, cast, api_for, places, device_factory
):
    device, creds = mqtt_device
    url = f"/api/v1/iot/devices/{device.code}/rotate-mqtt-password/"
    response = api_for(cast.district).post(url)
    assert response.status_code == 200, response.content
    assert response["Cache-Control"].startswith("no-store")
    body = response.json()
    assert body["broker_state"] == BrokerState.OK and body["mqtt_topic"].endswith(f"/{device.code}/telemetry")
    assert connects(broker, device.code, body["mqtt_password"])
    assert not connects(broker, device.code, creds["mqtt_password"])
    assert api_for(cast.township_a).post(url).status_code == 403
    assert api_for(cast.township_b).post(url).status_code == 403  # no grant: refused before the lookup
    http_device, _ = device_factory(protocol="http")
    refused = api_for(cast.district).post(f"/api/v1/iot/devices/{http_device.code}/rotate-mqtt-password/")
    assert refused.status_code == 400 and refused.json()["code"] == "not_mqtt"
