"""The JT/T 808 listener across a real loss of PostgreSQL (issue 16: "a location acknowledged with 0x8001
is stored; test with the database restarted mid-stream like the MQTT path").

The shared server cannot be restarted under other suites, so the outage is made on the test database
alone: the listener's backends are terminated (pg_terminate_backend) and the database refuses new
connections (ALLOW_CONNECTIONS false, set from the maintenance database `postgres`) for a while, as during a restart; then it comes back. Runs only
when DATABASE_URL is PostgreSQL."""

import struct
import time
from datetime import timedelta

import pytest
from django.db import connection

from shuxiang.core.actors import OPERATOR
from shuxiang.iot import jt808
from shuxiang.iot import services as iot
from shuxiang.iot.models import Reading
from shuxiang.iot.tests.test_jt808 import Terminal, _recent, jt808_server  # noqa: F401  (the fixture)
from shuxiang.machinery.tests.conftest import phone

pytestmark = pytest.mark.services


def _ack(terminal, serial, timeout):
    """True when the platform answered this location 0x8001 result 0 within `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            terminal.sock.settimeout(max(0.05, deadline - time.monotonic()))
            frame = terminal.receive(timeout=max(0.05, deadline - time.monotonic()))
        except (TimeoutError, AssertionError, OSError):
            return False
        if frame.msg_id == jt808.PLATFORM_REPLY:
            acked, msg_id, result = struct.unpack(">HHB", frame.body)
            if (acked, msg_id) == (serial, jt808.LOCATION):
                return result == jt808.OK
    return False


def _outage(on: bool):
    """From the maintenance database (a database cannot close itself): the test database refuses new
    connections and every backend on it but this test's own is terminated — or it is opened again."""
    import psycopg

    s = connection.settings_dict
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        mine = cursor.fetchone()[0]
    with psycopg.connect(
        host=s["HOST"] or "127.0.0.1",
        port=s["PORT"] or 5432,
        user=s["USER"] or "postgres",
        password=s["PASSWORD"] or None,
        dbname="postgres",
        autocommit=True,
    ) as admin:
        admin.execute(f'ALTER DATABASE "{s["NAME"]}" ALLOW_CONNECTIONS {"false" if on else "true"}')
        if on:
            admin.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s AND pid <> %s",
                [s["NAME"], mine],
            )


def test_a_lost_database_loses_no_acknowledged_location_and_acknowledges_nothing_while_away(
    jt808_server,  # noqa: F811
    places,
):
    if connection.vendor != "postgresql":
        pytest.skip("a PostgreSQL outage (DATABASE_URL=postgres://…)")
    device, _ = iot.do_register_device(actor=OPERATOR, code=phone(), protocol="jt808", place=places.village_a)
    t = Terminal(jt808_server.port, device.code)
    t.login()
    base = _recent(30)
    bodies = [
        jt808.location_body(lat=28.4 + i * 1e-5, lon=112.6, time=base + timedelta(seconds=i))
        for i in range(45)
    ]
    acked, during_outage = set(), []
    try:
        for i, body in enumerate(bodies):
            if i == 15:
                _outage(True)  # the server goes away under the listener
            if i == 25:
                _outage(False)  # and comes back
            serial = t.send(jt808.LOCATION, body)
            if _ack(t, serial, timeout=1.5):
                acked.add(i)
            elif 15 <= i < 25:
                during_outage.append(i)
    finally:
        _outage(False)
    # while the database refused connections nothing was acknowledged
    assert during_outage == list(range(15, 25)), sorted(set(range(45)) - acked)
    assert acked >= set(range(15)) | set(range(26, 45))  # before, and once it was back (a first
    # frame after the outage may meet the dead connection: it is simply not acknowledged)
    # the terminal sends what was not acknowledged again (JT/T 808 terminals retry)
    for i in sorted(set(range(45)) - acked):
        for _attempt in range(3):
            if _ack(t, t.send(jt808.LOCATION, bodies[i]), timeout=3):
                acked.add(i)
                break
    t.close()
    assert acked == set(range(45))
    stored = {
        round((r.value - 28.4) * 1e5)
        for r in Reading.objects.filter(sensor__device=device, sensor__key="lat")
    }
    assert stored == acked  # every acknowledged location is in the database, each once
    assert Reading.objects.filter(sensor__device=device, sensor__key="lat").count() == 45
