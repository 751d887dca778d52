from datetime import UTC, datetime, timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from shuxiang.core.actors import OPERATOR, Actor
from shuxiang.iot import rollups, services, storage
from shuxiang.iot.models import Device, Reading, Rollup, Sensor


def test_a_large_batch_is_stored_once_and_resending_it_adds_nothing(device_factory):
    device, _ = device_factory()
    base = timezone.now().replace(microsecond=0) - timedelta(hours=5)
    values = [("Z", base + timedelta(seconds=i), float(i)) for i in range(2000)]
    first = services.do_ingest_one(device.code, values, actor=Actor.device(device.code))
    again = services.do_ingest_one(device.code, values, actor=Actor.device(device.code))
    assert (first.stored, first.duplicates) == (2000, 0)
    assert (again.stored, again.duplicates) == (0, 2000)
    assert Reading.objects.count() == 2000
    assert Sensor.objects.get(device=device, key="Z").last_value == 1999.0


@pytest.mark.parametrize("size", [10, 500], ids=["arrays", "copy"])
def test_a_partly_resent_batch_stores_only_the_new_readings_and_counts_the_rest(device_factory, size):
    device, _ = device_factory()
    base = timezone.now().replace(microsecond=0) - timedelta(hours=5)
    values = [("Z", base + timedelta(seconds=i), float(i)) for i in range(size)]
    services.do_ingest_one(device.code, values[::2], actor=Actor.device(device.code))
    outcome = services.do_ingest_one(device.code, values, actor=Actor.device(device.code))
    assert (outcome.stored, outcome.duplicates) == (size // 2, size // 2)
    assert Reading.objects.count() == size
    assert sorted(Reading.objects.values_list("value", flat=True)) == [float(i) for i in range(size)]


def test_the_same_instant_twice_in_one_message_is_stored_once(device_factory):
    device, _ = device_factory()
    now = timezone.now()
    outcome = services.do_ingest_one(
        device.code, [("Z", now, 1.0), ("Z", now, 2.0)], actor=Actor.device(device.code)
    )
    assert (outcome.stored, outcome.duplicates) == (1, 1)
    assert list(Reading.objects.values_list("value", flat=True)) == [1.0]


def test_an_integer_too_large_for_a_float_is_refused_not_crashed(device_factory):
    device, _ = device_factory()
    with pytest.raises(services.ServiceError) as refused:
        services.do_ingest_one(device.code, [("Z", timezone.now(), 10**400)], actor=Actor.device(device.code))
    assert refused.value.code == "not_numeric"
    assert Reading.objects.count() == 0


def test_a_late_reading_does_not_replace_the_latest_value(device_factory):
    device, _ = device_factory()
    now = timezone.now()
    services.do_ingest_one(device.code, [("Z", now, 2.0)], actor=Actor.device(device.code))
    services.do_ingest_one(
        device.code, [("Z", now - timedelta(hours=1), 1.0)], actor=Actor.device(device.code)
    )
    assert Sensor.objects.get(device=device, key="Z").last_value == 2.0


def test_hourly_and_daily_rollups_summarise_the_readings(device_factory):
    device, _ = device_factory()
    start = datetime(2026, 6, 1, 2, 0, tzinfo=UTC)  # 10:00 Beijing
    values = [("Z", start + timedelta(minutes=10 * i), float(i)) for i in range(12)]  # two hours
    services.do_ingest_one(
        device.code, values, actor=Actor.device(device.code), now=start + timedelta(hours=3)
    )
    rollups.rollup_range(start, start + timedelta(hours=2))
    hours = Rollup.objects.filter(period="hour").order_by("start")
    assert [(h.count, h.min, h.max, h.avg) for h in hours] == [(6, 0, 5, 2.5), (6, 6, 11, 8.5)]
    day = Rollup.objects.get(period="day")
    assert (day.count, day.min, day.max) == (12, 0, 11)
    rollups.rollup_range(start, start + timedelta(hours=2))  # rerunning rewrites, never doubles
    assert Rollup.objects.get(period="day").count == 12


def test_retention_deletes_old_raw_readings_and_keeps_recent_ones(device_factory, settings):
    device, _ = device_factory()
    now = timezone.now()
    sensor = services.do_define_sensor(device, actor=OPERATOR, key="Z")
    storage.insert_readings(
        [(sensor.pk, now - timedelta(days=800), 1.0), (sensor.pk, now - timedelta(days=1), 2.0)]
    )
    assert rollups.purge_old_readings(now=now) == 1
    assert list(Reading.objects.values_list("value", flat=True)) == [2.0]


def test_device_add_prints_the_credentials_and_keeps_only_a_digest(places):
    out = StringIO()
    call_command(
        "device",
        "add",
        "PUMP-QJH-01",
        "--protocol",
        "mqtt",
        "--place",
        places.village_a.code,
        "--name",
        "一号泵站",
        stdout=out,
    )
    text = out.getvalue()
    token = next(line.split(": ", 1)[1] for line in text.splitlines() if line.startswith("token: "))
    password = next(
        line.split(": ", 1)[1] for line in text.splitlines() if line.startswith("mqtt_password: ")
    )
    assert "shuxiang/v1/devices/PUMP-QJH-01/telemetry" in text
    device = Device.objects.get(code="PUMP-QJH-01")
    assert token not in device.token_digest and services.authenticate_device(token) == device
    assert services.check_mqtt_password(device, password)


def test_device_add_refuses_a_bad_sl651_address_in_chinese(places):
    with pytest.raises(CommandError, match="10 位数字"):
        call_command("device", "add", "ABC", "--protocol", "sl651", "--place", places.village_a.code)
    assert not Device.objects.exists()


def test_device_add_refuses_an_unknown_place(places):
    with pytest.raises(CommandError, match="不存在"):
        call_command("device", "add", "X-01", "--protocol", "http", "--place", "430903999999")


def test_device_and_alarm_pages_render_for_an_officer_in_scope(device_factory, cast, client_for, places):
    device, _ = device_factory(name="清水水库遥测站")
    services.do_ingest_one(device.code, [("Z", timezone.now(), 3.0)], actor=Actor.device(device.code))
    client = client_for(cast.township_a)
    assert "清水水库遥测站" in client.get("/iot/devices/").content.decode()
    page = client.get(f"/iot/devices/{device.code}/").content.decode()
    assert "最新数据" in page and "3" in page
    series = client.get(f"/iot/devices/{device.code}/series.json", {"key": "Z"}).json()
    assert series["points"][0][1] == 3.0
    assert client_for(cast.township_b).get(f"/iot/devices/{device.code}/").status_code == 404
    assert client.get("/iot/alarms/").status_code == 200
    assert client.get("/iot/rules/").status_code == 200


def test_the_mqtt_command_starts_and_stops_when_idle(settings):
    import shutil
    import tempfile
    from pathlib import Path

    from shuxiang.iot.tests.broker import Broker

    directory = Path(tempfile.mkdtemp(prefix="shuxiang-mosquitto-"))
    broker = Broker(directory)
    broker.start()
    try:
        out = StringIO()
        call_command(
            "mqtt",
            "--url",
            broker.url,
            "--client-id",
            f"cmd-{directory.name}",
            "--idle-exit",
            "0.5",
            "--workers",
            "2",
            stdout=out,
        )
        assert "MQTT 接入已启动" in out.getvalue() and "已退出" in out.getvalue()
    finally:
        broker.stop()
        shutil.rmtree(directory, ignore_errors=True)


def test_the_mqtt_command_can_run_several_processes_on_a_shared_subscription(tmp_path):
    import shutil
    import subprocess
    import sys
    import tempfile
    from pathlib import Path

    from shuxiang.iot.tests.broker import Broker

    directory = Path(tempfile.mkdtemp(prefix="shuxiang-mosquitto-"))
    broker = Broker(directory)
    broker.start()
    try:
        stats = tmp_path / "stats.json"
        out = subprocess.run(
            [
                sys.executable,
                "-m",
                "shuxiang.cli",
                "mqtt",
                "--url",
                broker.url,
                "--client-id",
                f"proc-{directory.name}",
                "--processes",
                "2",
                "--idle-exit",
                "0.5",
                "--stats",
                str(stats),
            ],
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert out.returncode == 0, out.stderr[-2000:]
        assert "已启动 2 个进程" in out.stdout
        assert Path(f"{stats}.0").exists() and Path(f"{stats}.1").exists()
    finally:
        broker.stop()
        shutil.rmtree(directory, ignore_errors=True)


@pytest.mark.django_db(transaction=True)
def test_a_batch_rolled_back_on_a_fresh_connection_does_not_break_the_next_one(device_factory):
    """The first large batch creates the session's staging table; when its transaction rolls back,
    the table goes with it, and the next batch must create it again rather than fail for ever."""
    from django.db import connection, transaction

    device, _ = device_factory()
    base = timezone.now().replace(microsecond=0) - timedelta(hours=5)
    values = [("Z", base + timedelta(seconds=i), float(i)) for i in range(200)]
    connection.close()  # a new database session, without the staging table
    with pytest.raises(RuntimeError), transaction.atomic():
        services.do_ingest_one(device.code, values, actor=Actor.device(device.code))
        raise RuntimeError("the database went away before the commit")
    assert Reading.objects.count() == 0
    assert services.do_ingest_one(device.code, values, actor=Actor.device(device.code)).stored == 200
    assert services.do_ingest_one(device.code, values, actor=Actor.device(device.code)).duplicates == 200


def test_a_listener_process_that_dies_is_started_again_by_its_supervisor(tmp_path):
    import os
    import re
    import shutil
    import signal
    import subprocess
    import sys
    import tempfile
    import threading
    import time
    from pathlib import Path

    from shuxiang.iot.tests.broker import Broker

    directory = Path(tempfile.mkdtemp(prefix="shuxiang-mosquitto-"))
    broker = Broker(directory)
    broker.start()
    lines = []
    supervisor = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "shuxiang.cli",
            "mqtt",
            "--url",
            broker.url,
            "--client-id",
            "sup",
            "--processes",
            "2",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    threading.Thread(target=lambda: lines.extend(supervisor.stdout), daemon=True).start()

    def wait_line(pattern, timeout=60):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for line in lines:
                if match := re.search(pattern, line):
                    return match
            time.sleep(0.1)
        raise AssertionError(f"no line matching {pattern!r} in {lines}")

    try:
        first, second = wait_line(r"pid (\d+) (\d+)").groups()
        os.kill(int(first), signal.SIGKILL)  # as the OOM killer would
        restarted = wait_line(rf"进程 {first} 异常退出.*已重启为 (\d+)").group(1)
        os.kill(int(restarted), 0)  # alive
        supervisor.send_signal(signal.SIGTERM)
        assert supervisor.wait(timeout=30) == 0
        assert "重启 1 次" in wait_line(r"已退出：各进程返回码").string
        for pid in (restarted, second):
            with pytest.raises(ProcessLookupError):
                os.kill(int(pid), 0)
    finally:
        if supervisor.poll() is None:
            supervisor.kill()
        broker.stop()
        shutil.rmtree(directory, ignore_errors=True)
