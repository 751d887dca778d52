"""Several nodes against one PostgreSQL and one Redis (issue 23): two web servers (`shuxiang serve`, gunicorn)
and two task workers (`shuxiang worker`), as separate processes with their own data folders, sharing only the
database, Redis and the S3-compatible bucket. A periodic task runs once per minute across both workers; a
session opened on one web node works on the other and ends on both; a photo uploaded through one node is
served by the other. PostgreSQL and Redis only: a SQLite install is one node by definition. About two
minutes: it has to see a periodic slot go by."""

import os
import re
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
import requests
from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.db import connection

from shuxiang.core.tests import s3

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.services]

PASSWORD = "Cluster-Pass-2026"
HEARTBEAT = "shuxiang.core.tasks.worker_heartbeat"  # as huey logs it
HEARTBEAT_NAME = "worker_heartbeat"  # as the claim (core.TaskRun) names it


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _database_url() -> str:
    db = connection.settings_dict
    auth = db.get("USER") or ""
    if db.get("PASSWORD"):
        auth += f":{db['PASSWORD']}"
    return f"postgres://{auth}{'@' if auth else ''}{db.get('HOST') or '127.0.0.1'}:{db.get('PORT') or 5432}/{db['NAME']}"


@pytest.fixture
def cluster(tmp_path):
    if connection.vendor != "postgresql" or not settings.REDIS_URL:
        pytest.skip("several nodes need PostgreSQL and Redis (DATABASE_URL=postgres://…, REDIS_URL)")
    with s3.s3_server() as endpoint:
        bucket = s3.new_bucket(endpoint)
        common = {k: v for k, v in os.environ.items() if not k.startswith(("SHUXIANG_", "PYTEST", "DJANGO"))}
        common.update(
            DATABASE_URL=_database_url(),
            REDIS_URL=settings.REDIS_URL,
            SHUXIANG_HUEY_NAME=f"cluster-{uuid.uuid4().hex[:8]}",  # a queue of this run's own
            SHUXIANG_CACHE_PREFIX=f"cluster-{uuid.uuid4().hex[:8]}",
            SHUXIANG_SECRET_KEY=settings.SECRET_KEY,
            SHUXIANG_FIELD_KEY=settings.FIELD_KEY,
            SHUXIANG_DIGEST_KEY=settings.DIGEST_KEY,
            SHUXIANG_LEDGER_SIGNING_KEY=settings.LEDGER_SIGNING_KEY,
            SHUXIANG_2FA_REQUIRED_ROLES="none",
            SHUXIANG_LOG_LEVEL="INFO",
            SHUXIANG_LOG_FORMAT="text",
            SHUXIANG_WORKERS="1",
            **s3.env(endpoint, bucket),
        )
        procs, nodes = [], {}

        def start(name, *args, port=None):
            var = tmp_path / name
            var.mkdir()
            env = {**common, "SHUXIANG_VAR_DIR": str(var), "SHUXIANG_NODE": name}
            log = open(var / "out.log", "wb")  # noqa: SIM115 — closed with the process
            cmd = [sys.executable, "-m", "shuxiang.cli", *args]
            proc = subprocess.Popen(
                cmd, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
            )
            procs.append((proc, log))
            nodes[name] = {"log": var / "out.log", "url": f"http://127.0.0.1:{port}" if port else None}

        for name in ("web-a", "web-b"):
            port = _free_port()
            start(
                name,
                "serve",
                "--no-migrate",
                "--port",
                str(port),
                "--workers",
                "1",
                "--threads",
                "2",
                port=port,
            )
        for name in ("worker-1", "worker-2"):
            start(name, "worker")
        try:
            for name in ("web-a", "web-b"):
                _wait_ready(nodes[name]["url"], nodes[name]["log"])
            yield {"nodes": nodes, "endpoint": endpoint, "bucket": bucket}
        finally:
            for proc, _log in procs:
                if proc.poll() is None:
                    os.killpg(proc.pid, signal.SIGTERM)
            for proc, log in procs:
                try:
                    proc.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    os.killpg(proc.pid, signal.SIGKILL)
                    proc.wait()
                log.close()


def _wait_ready(url, log: Path, timeout=120):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if requests.get(f"{url}/login/", timeout=5).status_code == 200:
                return
        except requests.RequestException:
            pass
        time.sleep(0.5)
    raise AssertionError(f"{url} did not start:\n{log.read_text(errors='replace')[-3000:]}")


def _sign_in(session: requests.Session, url: str, username: str) -> None:
    page = session.get(f"{url}/login/")
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
    answer = session.post(
        f"{url}/login/",
        data={"username": username, "password": PASSWORD, "csrfmiddlewaretoken": token},
        headers={"Referer": f"{url}/login/"},
        allow_redirects=False,
    )
    assert answer.status_code == 302, answer.text[:500]


def _runs_of(log: Path, task: str) -> tuple[int, int]:
    """(executed, cancelled by the once-per-slot claim) for `task` in one worker's log."""
    text = log.read_text(errors="replace")
    ids = re.findall(rf"Executing {re.escape(task)}: ([0-9a-f-]+)", text)
    executed = sum(1 for i in ids if re.search(rf"{re.escape(task)}: {i} executed in", text))
    cancelled = sum(1 for i in ids if f"Task {task}: {i} cancelled by one_run_per_slot" in text)
    return executed, cancelled


def test_two_web_nodes_and_two_workers_share_sessions_uploads_and_periodic_slots(cluster, places, cast):
    from shuxiang.core.actors import OPERATOR
    from shuxiang.core.models import Heartbeat, TaskRun
    from shuxiang.core.services import do_issue_token

    nodes = cluster["nodes"]
    a, b = nodes["web-a"]["url"], nodes["web-b"]["url"]
    user = cast.township_a
    user.password = make_password(PASSWORD, hasher="argon2")  # what the nodes (not in test mode) verify
    user.save(update_fields=["password"])

    # A session opened on node A is the same session on node B, and signing out on B ends it on A.
    browser = requests.Session()
    _sign_in(browser, a, user.username)
    assert browser.get(f"{b}/", allow_redirects=False).status_code == 200
    on_b = browser.get(f"{b}/cases/", allow_redirects=False)
    assert on_b.status_code == 200, on_b.headers

    # A photo uploaded through node A (API, token) is served by node B (browser session), from the bucket.
    import io

    from PIL import Image

    photo = io.BytesIO()
    Image.new("RGB", (64, 48), (30, 120, 60)).save(photo, format="JPEG")
    token = do_issue_token(user, actor=OPERATOR)
    created = requests.post(
        f"{a}/api/v1/cases/",
        headers={"Authorization": f"Token {token}"},
        data={
            "title": "村道塌陷",
            "description": "村道塌陷约两米，需尽快处理",
            "place": places.hamlet_a.code,
        },
        files={"photos": ("road.jpg", photo.getvalue(), "image/jpeg")},
    )
    assert created.status_code == 201, created.text[:500]
    from shuxiang.core.models import Attachment

    item = Attachment.objects.get(owner_type="cases.case", owner_id=str(created.json()["id"]))
    stored = s3.objects(cluster["endpoint"], cluster["bucket"])
    assert list(stored) == [f"media/{item.file.name}"]
    served = browser.get(f"{b}/attachments/{item.pk}")
    assert served.status_code == 200 and served.content == stored[f"media/{item.file.name}"]

    assert browser.post(
        f"{b}/logout/",
        data={"csrfmiddlewaretoken": browser.cookies.get("csrftoken")},
        headers={"Referer": f"{b}/", "X-CSRFToken": browser.cookies.get("csrftoken", "")},
        allow_redirects=False,
    ).status_code in (200, 302)
    assert browser.get(f"{a}/cases/", allow_redirects=False).status_code == 302  # signed out on A too

    # Periodic slots: both workers enqueue the minute's heartbeat; exactly one runs it per minute.
    deadline = time.monotonic() + 150
    while time.monotonic() < deadline:
        slots = TaskRun.objects.filter(task=HEARTBEAT_NAME).count()
        tried = [_runs_of(nodes[w]["log"], HEARTBEAT) for w in ("worker-1", "worker-2")]
        if slots >= 2 and all(sum(t) >= 2 for t in tried):
            break
        time.sleep(2)
    time.sleep(3)  # a claimed run's "executed" line follows its claim
    runs = list(TaskRun.objects.filter(task=HEARTBEAT_NAME).values_list("slot", "node"))
    tried = [_runs_of(nodes[w]["log"], HEARTBEAT) for w in ("worker-1", "worker-2")]
    executed = sum(t[0] for t in tried)
    cancelled = sum(t[1] for t in tried)
    assert len(runs) >= 2, (runs, tried)
    assert len({slot for slot, _ in runs}) == len(runs)  # one claim per minute
    assert executed == len(runs), (runs, tried)  # …and one run per minute, over both workers
    assert cancelled >= len(runs) - 1  # the other worker's copy was cancelled, not run twice
    assert Heartbeat.objects.filter(component="worker").exists()
