"""A real huey consumer, killed in the middle of a fan-out, resumes on restart and loses nothing.

Runs the platform in subprocesses against a scratch SQLite database and a scratch SQLite huey
file (the embedded set-up), so the consumer is a separate process that can be SIGKILLed.
"""

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from shuxiang.warnings.tests.receivers import Gateways

SHUXIANG = str(Path(sys.executable).parent / "shuxiang")
ENDPOINTS = 200

SETUP = """
from datetime import timedelta
from django.utils import timezone
from shuxiang import testing
from shuxiang.core.actors import OPERATOR, Actor
from shuxiang.warnings import services
places = testing.build_places()
for i in range({n}):
    services.do_create_endpoint(actor=OPERATOR, name=f"大喇叭{{i:03d}}", place=places.village_a, adapter="http",
                                url=f"{base}/ep/{{i:03d}}")
services.do_create_warning(actor=Actor.system("water"), signal_type="rainstorm", colour="red", headline="红色暴雨",
    description="强降雨", areas=[places.village_a.code], expires=timezone.now() + timedelta(hours=2), immediate=True)
"""


def counts(db: Path) -> dict:
    with sqlite3.connect(db) as conn:
        return dict(conn.execute("select status, count(*) from warnings_delivery group by status").fetchall())


def wait_for(condition, timeout, what):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.05)
    pytest.fail(f"timed out waiting for {what}")


def test_worker_killed_mid_fan_out_resumes_on_restart_with_no_lost_delivery(tmp_path):
    var = tmp_path / "var"
    db = tmp_path / "platform.sqlite3"
    env = {k: v for k, v in os.environ.items() if k not in ("SHUXIANG_TESTING", "REDIS_URL", "MQTT_URL")}
    env.update(
        SHUXIANG_VAR_DIR=str(var),
        DATABASE_URL=f"sqlite:///{db}",
        SHUXIANG_SECRET_KEY="k" * 50,
        SHUXIANG_FIELD_KEY="f" * 50,
        SHUXIANG_WARNING_BATCH="10",
        SHUXIANG_WARNING_CONCURRENCY="4",
        SHUXIANG_WARNING_SPEECH="false",
        SHUXIANG_LOG_LEVEL="WARNING",
    )
    run = {"env": env, "check": True, "capture_output": True, "text": True, "timeout": 300}
    subprocess.run([SHUXIANG, "migrate", "--noinput"], **run)
    with Gateways(delay=0.03) as gateways:
        subprocess.run(
            [SHUXIANG, "shell", "-c", SETUP.format(n=ENDPOINTS, base=gateways.url("").rstrip("/"))], **run
        )
        assert counts(db) == {"pending": ENDPOINTS}  # queued in the huey file, no consumer yet

        worker = subprocess.Popen(
            [SHUXIANG, "worker"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        try:
            wait_for(lambda: len(gateways.received) >= 40, 60, "the fan-out to start")
            os.kill(worker.pid, signal.SIGKILL)
            worker.wait(10)
        finally:
            if worker.poll() is None:
                worker.kill()
        time.sleep(0.3)
        interrupted = counts(db)
        assert 0 < interrupted.get("delivered", 0) < ENDPOINTS, interrupted

        worker = subprocess.Popen(
            [SHUXIANG, "worker"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        try:
            wait_for(lambda: counts(db) == {"delivered": ENDPOINTS}, 90, "every delivery after restart")
        finally:
            worker.send_signal(signal.SIGINT)
            try:
                worker.wait(15)
            except subprocess.TimeoutExpired:
                worker.kill()
        assert gateways.paths() == {f"ep/{i:03d}" for i in range(ENDPOINTS)}
        # at-least-once: only batches in flight at the kill (one per consumer thread, 2 × 10) go twice
        assert len(gateways.received) - ENDPOINTS <= 20
