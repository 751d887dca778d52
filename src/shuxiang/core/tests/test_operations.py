"""Running it for a county (issue 23): /metrics for a monitoring server, /healthz per part, the environment
file with every variable explained, `check --deploy` refusing unsafe settings, one run of a periodic task
across several task workers, and the request id in every answer."""

import re
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from django.core.management import call_command
from django.test import override_settings
from django.utils import timezone
from huey.api import PeriodicTask
from huey.exceptions import CancelExecution
from prometheus_client.parser import text_string_to_metric_families

from shuxiang.core import heartbeats
from shuxiang.core.envvars import BY_NAME, NOT_SETTINGS, env_template
from shuxiang.core.models import Heartbeat, TaskRun

pytestmark = pytest.mark.django_db

SRC = Path(__file__).resolve().parents[2]
TOKEN = "m" * 40


def families(body: bytes) -> dict:
    return {f.name: f for f in text_string_to_metric_families(body.decode())}


@override_settings(METRICS_TOKEN=TOKEN, METRICS_ALLOW=[])
def test_metrics_answer_a_monitoring_server_with_the_token_and_nobody_else(client):
    client.get("/healthz")  # one request counted by route
    heartbeats.beat("worker")
    answer = client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}")
    assert answer.status_code == 200 and answer["Content-Type"].startswith("text/plain")
    found = families(answer.content)
    requests = found["shuxiang_http_request_duration_seconds"]
    routes = {s.labels.get("route") for s in requests.samples}
    assert "/healthz" in routes
    beats = found["shuxiang_heartbeat_age_seconds"].samples
    assert any(s.labels["component"] == "worker" and s.value < 60 for s in beats)
    assert "shuxiang_task_queue_depth" in found and "shuxiang_database_size_bytes" in found
    assert found["shuxiang_database_size_bytes"].samples[0].value > 0

    missing = client.get("/metrics")
    assert missing.status_code == 401 and missing["WWW-Authenticate"].startswith("Bearer")
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer wrong").status_code == 403
    assert client.get("/metrics", HTTP_AUTHORIZATION=f"Basic {TOKEN}").status_code == 403


@override_settings(METRICS_TOKEN="", METRICS_ALLOW=["127.0.0.1"])
def test_metrics_are_open_to_a_listed_address_but_a_wrong_token_is_refused_even_there(client):
    assert client.get("/metrics", REMOTE_ADDR="127.0.0.1").status_code == 200
    assert client.get("/metrics", REMOTE_ADDR="10.1.2.3").status_code == 401
    assert client.get("/metrics", REMOTE_ADDR="127.0.0.1", HTTP_AUTHORIZATION="Bearer x").status_code == 403


@override_settings(METRICS_TOKEN="", METRICS_ALLOW=[])
def test_metrics_are_closed_by_default(client):
    assert client.get("/metrics").status_code == 401


@override_settings(METRICS_TOKEN=TOKEN)
def test_metrics_count_readings_alarms_and_refusals_per_protocol(
    client, places, django_capture_on_commit_callbacks
):
    from shuxiang.core.actors import OPERATOR, Actor
    from shuxiang.iot import services as iot

    iot.caches.clear()
    device, _ = iot.do_register_device(
        actor=OPERATOR,
        code="M-1",
        protocol="http",
        place=places.hamlet_a,
        sensors=[{"key": "Z", "name": "水位", "unit": "m", "min_value": 0, "max_value": 100}],
    )
    iot.do_create_rule(actor=OPERATOR, device=device, name="高水位", key="Z", kind="above", threshold=5)
    with django_capture_on_commit_callbacks(execute=True):
        iot.do_ingest_one("M-1", [("Z", timezone.now(), 9.0)], actor=Actor.device("M-1"))
    with pytest.raises(Exception):  # noqa: B017 — any refusal; counted below
        iot.do_ingest_one("M-1", [("Q", timezone.now(), 1.0)], actor=Actor.device("M-1"))
    found = families(client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}").content)
    ingested = {
        s.labels["protocol"]: s.value
        for s in found["shuxiang_readings_ingested"].samples
        if s.name.endswith("_total")
    }
    assert ingested.get("http", 0) >= 1
    refused = found["shuxiang_readings_refused"].samples
    assert any(s.labels == {"protocol": "http", "reason": "unknown_key"} and s.value == 1 for s in refused)
    assert sum(s.value for s in found["shuxiang_alarms_active"].samples) == 1


def test_healthz_names_each_part_and_a_stale_worker_never_makes_it_fail(client):
    answer = client.get("/healthz")
    body = answer.json()
    assert answer.status_code == 200 and body["status"] == "ok"
    assert body["database"]["status"] == "ok" and body["worker"]["status"] == "unknown"
    Heartbeat.objects.create(component="worker", node="n1", seen_at=timezone.now() - timedelta(minutes=20))
    Heartbeat.objects.create(component="mqtt", node="n2", seen_at=timezone.now())
    answer = client.get("/healthz")
    body = answer.json()
    assert answer.status_code == 200
    assert body["worker"]["status"] == "stale" and body["worker"]["age_seconds"] >= 1200
    assert body["mqtt@n2"]["status"] == "ok"
    assert answer["X-Request-Id"]


def test_every_answer_carries_its_request_id(client):
    first, second = client.get("/healthz"), client.get("/login/")
    assert re.fullmatch(r"[0-9a-f-]{36}", first["X-Request-Id"])
    assert first["X-Request-Id"] != second["X-Request-Id"]


def test_every_environment_variable_the_code_reads_is_explained_in_the_template():
    pattern = re.compile(r"\"((?:SHUXIANG_[A-Z0-9_]+)|DATABASE_URL|REDIS_URL|MQTT_URL)\"")
    used = set()
    for path in SRC.rglob("*.py"):
        if "/tests/" in str(path) or path.name == "envvars.py":
            continue
        used |= set(pattern.findall(path.read_text()))
    undocumented = sorted(name for name in used - NOT_SETTINGS if name not in BY_NAME)
    assert not undocumented, f"add these to core/envvars.py: {undocumented}"
    template = env_template()
    for name, var in BY_NAME.items():
        if var.group != "测试":
            assert re.search(rf"^#?{name}=", template, re.M), name
    assert "DATABASE_URL=postgres://" in template  # production values uncommented
    assert re.search(r"^#SHUXIANG_FIELD_KEY=$", template, re.M)  # secrets never filled in


def test_config_command_prints_the_template():
    out = subprocess.run(
        [sys.executable, "-m", "shuxiang.cli", "config", "--env-template"],
        capture_output=True,
        text=True,
        check=True,
        env={
            "SHUXIANG_TESTING": "true",
            "PATH": "/usr/bin:/bin",
            "SHUXIANG_VAR_DIR": "/tmp/shuxiang-config-test",
        },
    ).stdout
    assert out.startswith("# 数乡 Shuxiang") and "SHUXIANG_METRICS_TOKEN" in out


def _deploy_errors():
    from django.core import checks

    return {m.id for m in checks.run_checks(include_deployment_checks=True, tags=["shuxiang"])}


@override_settings(REDIS_URL="")
def test_check_deploy_refuses_a_laptop_setup():
    from django.db import connection

    ids = _deploy_errors()
    # no Redis, no TLS proxy, no https public URL, no worker seen; and SQLite where the suite runs on it
    assert {"shuxiang.E104", "shuxiang.E105", "shuxiang.E106", "shuxiang.E108"} <= ids
    assert ("shuxiang.E103" in ids) == (connection.vendor == "sqlite")


@override_settings(
    DEBUG=True,
    AUDIT_RETENTION_DAYS=30,
    REDIS_URL="redis://127.0.0.1:6379/15",
    TLS=True,
    TRUSTED_PROXIES=["127.0.0.1"],
    PUBLIC_URL="https://shuxiang.example.gov.cn",
)
def test_check_deploy_names_debug_short_retention_and_a_silent_worker():
    ids = _deploy_errors()
    assert {"shuxiang.E101", "shuxiang.E107", "shuxiang.E108"} <= ids
    assert "shuxiang.E104" not in ids and "shuxiang.E105" not in ids and "shuxiang.E106" not in ids
    heartbeats.beat("worker")
    assert "shuxiang.E108" not in _deploy_errors()


@override_settings(REDIS_URL="")
def test_the_check_deploy_command_fails_loudly():
    with pytest.raises(Exception, match="shuxiang.E104"):
        call_command("check", "--deploy", "--fail-level", "ERROR")


class _Periodic(PeriodicTask):
    name = "demo_task"

    def __init__(self):
        pass


def test_a_periodic_task_enqueued_by_two_workers_runs_once_a_minute(settings):
    from huey.contrib.djhuey import HUEY

    from shuxiang.core.tasks import one_run_per_slot

    HUEY.immediate = False
    try:
        task = _Periodic()
        one_run_per_slot(task)  # the first worker claims this minute
        settings.NODE = "node-b"
        with pytest.raises(CancelExecution):
            one_run_per_slot(task)  # the second worker's copy is cancelled
    finally:
        HUEY.immediate = True
    assert list(TaskRun.objects.values_list("task", flat=True)) == ["demo_task"]
