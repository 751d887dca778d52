import json
import shutil
import tempfile
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

import paho.mqtt.client as mqtt
import pytest
from django import db
from django.db import connection
from paho.mqtt.enums import CallbackAPIVersion

from shuxiang.iot.models import Reading, Rejection
from shuxiang.iot.mqtt import Listener, topic_for
from shuxiang.iot.tests.broker import Broker
from shuxiang.iot.tests.conftest import unique_code

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def broker():
    directory = Path(tempfile.mkdtemp(prefix="shuxiang-mosquitto-"))  # not under pytest's 0700 tmp tree
    b = Broker(directory)
    b.start()
    yield b
    b.stop()
    shutil.rmtree(directory, ignore_errors=True)


class RunningListener:
    def __init__(self, url, **kwargs):
        self.listener = Listener(url, client_id=unique_code("listener-"), **kwargs)
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.error = None

    def _run(self):
        try:
            self.listener.run()
        except Exception as exc:  # surfaced by the test
            self.error = exc
        finally:
            db.connection.close()

    def __enter__(self):
        self.thread.start()
        assert self.listener.connected.wait(10), "listener did not connect"
        return self.listener

    def __exit__(self, *exc):
        self.listener.stop_event.set()
        self.thread.join(15)
        assert self.error is None, self.error


class Publisher:
    """A device-side client counting the messages the broker acknowledged (PUBACK)."""

    def __init__(self, broker):
        self.acked = set()
        self.client = mqtt.Client(
            callback_api_version=CallbackAPIVersion.VERSION2,
            client_id=unique_code("pub-"),
            clean_session=False,
        )
        self.client.on_publish = lambda c, u, mid, rc, props: self.acked.add(mid)
        self.client.reconnect_delay_set(0.2, 1)
        self.client.max_queued_messages_set(0)
        self.client.connect("127.0.0.1", broker.port)
        self.client.loop_start()

    def publish(self, topic, payload):
        return self.client.publish(topic, payload, qos=1)

    def close(self):
        self.client.loop_stop()
        self.client.disconnect()


def wait_for(predicate, timeout=30.0):
    """Poll; on SQLite's shared in-memory test database a read can hit the writer's table lock: poll again."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if predicate():
                return True
        except db.OperationalError:
            pass
        time.sleep(0.1)
    return predicate()


def _ms(i=0):
    return int(datetime.now(UTC).timestamp() * 1000) - 600_000 + i * 10


def test_mqtt_telemetry_is_stored_and_bad_messages_are_counted_without_stopping_the_listener(
    broker, places, device_factory
):
    device, _ = device_factory(protocol="mqtt")
    pub = Publisher(broker)
    try:
        with RunningListener(broker.url):
            pub.publish(
                topic_for(device.code), json.dumps({"ts": _ms(), "values": {"Z": 1.5, "VT": 12, "PJ": 0}})
            )
            pub.publish(topic_for(device.code), b"{broken")
            pub.publish(topic_for("NOPE-" + device.code), json.dumps({"Z": 1}))
            pub.publish(topic_for(device.code), json.dumps({"Z": 2.5}))
            assert wait_for(lambda: Reading.objects.filter(sensor__device=device).count() == 4)
            assert wait_for(lambda: Rejection.objects.count() == 2)
        assert Rejection.objects.get(device=device, reason="bad_json").count == 1
        assert Rejection.objects.get(device_code="NOPE-" + device.code, reason="unknown_device").count == 1
    finally:
        pub.close()


def test_every_message_the_broker_acknowledged_is_stored_across_a_broker_restart(
    broker, places, device_factory
):
    device, _ = device_factory(protocol="mqtt")
    pub = Publisher(broker)
    sent = {}
    try:
        with RunningListener(broker.url):
            for i in range(600):
                info = pub.publish(topic_for(device.code), json.dumps({"ts": _ms(i), "values": {"Z": i}}))
                sent[info.mid] = i
                if i == 300:
                    broker.restart()
                time.sleep(0.002)
            assert wait_for(lambda: len(pub.acked) >= 600, timeout=40), f"broker acked {len(pub.acked)}"
            acked_values = {float(sent[mid]) for mid in pub.acked if mid in sent}

            def stored():
                return set(Reading.objects.filter(sensor__device=device).values_list("value", flat=True))

            wait_for(lambda: stored() >= acked_values, timeout=40)
            missing = sorted(acked_values - stored())
            assert missing == [], (len(missing), missing[:3], missing[-3:], len(stored()))
    finally:
        pub.close()


def test_memory_stays_bounded_when_offered_far_more_than_the_listener_keeps(broker, places, device_factory):
    device, _ = device_factory(protocol="mqtt")
    pub = Publisher(broker)
    try:
        with RunningListener(broker.url, queue_size=50, batch_size=20) as listener:
            for i in range(3000):
                pub.publish(topic_for(device.code), json.dumps({"ts": _ms(i), "values": {"Z": i}}))
            assert wait_for(lambda: Reading.objects.filter(sensor__device=device).count() == 3000, timeout=60)
            assert listener.stats.max_queue <= 50
            assert listener.receive_maximum == 50
    finally:
        pub.close()


def test_a_dropped_database_connection_loses_no_acknowledged_message(broker, places, device_factory):
    if connection.vendor != "postgresql":
        pytest.skip("terminating a backend is a PostgreSQL test")
    device, _ = device_factory(protocol="mqtt")
    pub = Publisher(broker)
    try:
        with RunningListener(broker.url, batch_size=10) as listener:
            for i in range(400):
                pub.publish(topic_for(device.code), json.dumps({"ts": _ms(i), "values": {"Z": i}}))
                if i in (100, 250):
                    with connection.cursor() as cursor:
                        cursor.execute(
                            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
                        )
                time.sleep(0.003)
            assert wait_for(lambda: Reading.objects.filter(sensor__device=device).count() == 400, timeout=60)
            assert wait_for(lambda: listener.stats.stored_messages >= 400)  # counted just after the commit
    finally:
        pub.close()


def test_the_simulator_publishes_realistic_readings_that_the_listener_stores(broker, places, device_factory):
    from shuxiang.iot.models import Sensor
    from shuxiang.iot.simulator import Simulator

    device, _ = device_factory(
        protocol="mqtt",
        kind=unique_code("sim-"),
        sensors=[
            {"key": "Z", "min_value": 50, "max_value": 90},
            {"key": "PJ", "min_value": 0, "max_value": 300},
            {"key": "VT", "min_value": 0, "max_value": 30},
        ],
    )
    with RunningListener(broker.url):
        sim = Simulator(broker.url, kind=device.kind, storm=True)
        sim.connect()
        try:
            assert sim.round() == 1
        finally:
            time.sleep(0.5)
            sim.close()
        assert wait_for(lambda: Reading.objects.filter(sensor__device=device).count() == 3)
    z = Sensor.objects.get(device=device, key="Z").last_value
    assert 50 <= z <= 90


def test_a_restarted_database_server_loses_no_acknowledged_message(broker, places, device_factory):
    """The database server itself goes down mid-stream (a private one: the shared server cannot be
    restarted under other suites) and comes back; the listener waits, retries and stores everything."""
    import os
    import subprocess
    import sys

    import psycopg

    from shuxiang.iot.tests import pgserver

    if connection.vendor != "postgresql" or not pgserver.available():
        pytest.skip("needs PostgreSQL's server programs")
    device, _ = device_factory(protocol="mqtt")
    s = connection.settings_dict
    server = pgserver.PrivatePostgres()
    pub = None
    listener = None
    try:
        server.init()
        server.copy_from(
            f"postgres://{s['USER'] or 'postgres'}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"
        )
        env = {**os.environ, "DATABASE_URL": server.url(), "SHUXIANG_LOG_LEVEL": "WARNING"}
        command = [
            sys.executable,
            "-m",
            "shuxiang.cli",
            "mqtt",
            "--url",
            broker.url,
            "--client-id",
            "restart-test",
        ]
        # the persistent session first, so that nothing published before the listener is up is missed
        subprocess.run([*command, "--idle-exit", "1"], env=env, check=True, capture_output=True, timeout=60)
        stats_file = server.dir / "stats.json"
        listener = subprocess.Popen(
            [*command, "--idle-exit", "8", "--stats", str(stats_file)],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        pub = Publisher(broker)

        def stored():
            with psycopg.connect(server.url()) as conn:
                return conn.execute(
                    "SELECT count(*) FROM iot_reading r JOIN iot_sensor s ON s.id = r.sensor_id "
                    "WHERE s.device_id = %s",
                    [device.pk],
                ).fetchone()[0]

        for i in range(100):
            pub.publish(topic_for(device.code), json.dumps({"ts": _ms(i), "values": {"Z": i}}))
        # The listener must be consuming (connected to the database) before the server goes away; on a
        # loaded machine its start can take longer than the whole publish loop.
        assert wait_for(lambda: stored() == 100, timeout=60), f"{stored()} of the first 100 stored"
        # The server goes down in the background while messages keep arriving, so that the listener
        # meets the outage with messages in hand.
        restart = threading.Thread(target=server.restart, kwargs={"down_seconds": 2.0})
        restart.start()
        for i in range(100, 300):
            pub.publish(topic_for(device.code), json.dumps({"ts": _ms(i), "values": {"Z": i}}))
            time.sleep(0.01)
        restart.join(timeout=60)
        assert wait_for(lambda: len(pub.acked) == 300), "the broker did not acknowledge every publish"

        assert wait_for(lambda: stored() == 300, timeout=60), f"{stored()} of 300 stored"
        listener.wait(timeout=60)
        assert listener.returncode == 0, listener.stderr.read().decode()[-2000:]
        stats = json.loads(stats_file.read_text())
        assert stats["db_retries"] >= 1  # the outage was felt, and waited out
        assert stats["stored_messages"] >= 300  # a batch whose commit outlived its connection comes again
    finally:
        if pub is not None:
            pub.close()
        if listener is not None and listener.poll() is None:
            listener.kill()
        server.destroy()
