"""The deploy/ folder (issue 23) is what the code is: the environment file is the generated template, the
systemd units start commands that exist, the alert rules and dashboard use metrics /metrics exports."""

import json
import re
import shlex
import subprocess
import sys
from pathlib import Path

import yaml

from shuxiang.core.envvars import env_template

DEPLOY = Path(__file__).resolve().parents[4] / "deploy"
EXPORTED = {
    "shuxiang_http_request_duration_seconds",
    "shuxiang_readings_ingested_total",
    "shuxiang_readings_refused",
    "shuxiang_tasks_total",
    "shuxiang_heartbeat_age_seconds",
    "shuxiang_task_queue_depth",
    "shuxiang_task_last_run_age_seconds",
    "shuxiang_database_size_bytes",
    "shuxiang_alarms_active",
    "shuxiang_warning_deliveries",
    "shuxiang_ledger_verified",
    "shuxiang_ledger_entries",
}


def test_the_committed_environment_file_is_the_generated_template():
    assert (DEPLOY / "shuxiang.env").read_text() == env_template(), (
        "regenerate: shuxiang config --env-template > deploy/shuxiang.env"
    )


def test_every_systemd_unit_starts_a_command_that_exists():
    units = sorted((DEPLOY / "systemd").glob("*.service"))
    assert {u.name for u in units} >= {
        "shuxiang-web.service",
        "shuxiang-worker.service",
        "shuxiang-mqtt@.service",
    }
    for unit in units:
        start = re.search(r"^ExecStart=(.+)$", unit.read_text(), re.M).group(1)
        args = shlex.split(start)[1:]  # after .venv/bin/shuxiang
        command = args[:2] if len(args) > 1 and not args[1].startswith("-") else args[:1]
        done = subprocess.run(
            [sys.executable, "-m", "shuxiang.cli", *command, "--help"],
            capture_output=True,
            text=True,
            env={
                "SHUXIANG_TESTING": "true",
                "PATH": "/usr/bin:/bin",
                "SHUXIANG_VAR_DIR": "/tmp/shuxiang-deploy-test",
            },
        )
        assert done.returncode == 0, f"{unit.name}: {' '.join(command)} — {done.stderr[-300:]}"


def _metric_names(expr: str) -> set[str]:
    names = set(re.findall(r"\b(shuxiang_[a-z_]+)", expr))
    return {re.sub(r"_(bucket|count|sum)$", "", n) if "duration" in n else n for n in names}


def test_alert_rules_and_the_dashboard_use_only_exported_metrics():
    rules = yaml.safe_load((DEPLOY / "prometheus" / "shuxiang-alerts.yml").read_text())
    exprs = [r["expr"] for g in rules["groups"] for r in g["rules"]]
    dashboard = json.loads((DEPLOY / "grafana" / "shuxiang-dashboard.json").read_text())
    exprs += [t["expr"] for p in dashboard["panels"] for t in p["targets"]]
    used = set().union(*(_metric_names(e) for e in exprs))
    assert used <= EXPORTED, used - EXPORTED
