"""Schemathesis against a live server, as three roles: no input answers 5xx, and every answer is the one
the published schema describes (issue 13).

Each role gets a fresh database with the test cast and one sample object of every model in each
township, a live server on a free loopback port (pytest-django's `live_server`, on whichever database
the suite runs on: SQLite in `make test`, PostgreSQL in `make test-postgres`), and a bounded
Schemathesis run with every check and the examples, fuzzing and stateful phases. The run fails on any
5xx, on an answer outside its schema (status code, content type, headers, body), on a route that
answers without a token where the schema asks for one, and on schema-violating input that is accepted.

One check is left out: `positive_data_acceptance` expects every schema-valid request to succeed, but
the schema cannot express the rules a service enforces once the types are right (a unique username,
a ledger already submitted, a place of the wrong level, a division code that does not exist). Those
answers are 400 in the documented error shape, and the status-code and response-schema checks still
hold them to it.

Bounds (about a minute per role on a quiet 2-core machine; several under load):
- SHUXIANG_SCHEMATHESIS_EXAMPLES: examples per operation and phase (default 5);
- SHUXIANG_SCHEMATHESIS_SEED: fixed by default so CI is repeatable; set another to explore;
- SHUXIANG_SCHEMATHESIS_PHASES: default "examples,fuzzing,stateful". The coverage phase (boundary
  values of every parameter) takes ten times as long; run it by hand before a release:
  `SHUXIANG_SCHEMATHESIS_PHASES=examples,coverage,fuzzing,stateful pytest -m schemathesis`.
Run one role: `pytest -m schemathesis -k grid`. Each failing request is printed as a curl command.
"""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from shuxiang import testing
from shuxiang.core.actors import OPERATOR

pytestmark = [pytest.mark.schemathesis, pytest.mark.django_db(transaction=True)]

EXAMPLES = int(os.environ.get("SHUXIANG_SCHEMATHESIS_EXAMPLES", "5"))
SEED = int(os.environ.get("SHUXIANG_SCHEMATHESIS_SEED", "20261207"))
TIMEOUT = int(os.environ.get("SHUXIANG_SCHEMATHESIS_TIMEOUT", "900"))
PHASES = os.environ.get("SHUXIANG_SCHEMATHESIS_PHASES", "examples,fuzzing,stateful")
EXCLUDED_CHECKS = ["positive_data_acceptance"]  # see the module docstring


def schemathesis_command() -> list[str]:
    script = Path(sys.executable).parent / "schemathesis"
    if script.exists():
        return [str(script)]
    found = shutil.which("schemathesis")
    if found:
        return [found]
    return [sys.executable, "-c", "from schemathesis.cli import schemathesis; schemathesis()"]


def build_world():
    """The test cast, and one sample of every URL-reachable model in each township (as the scope walk)."""
    from shuxiang.core.tests.test_scope_walk import load_samples

    places = testing.build_places()
    cast = testing.build_cast(places)
    for model, factory in load_samples().items():
        for hamlet, tag in ((places.hamlet_a, "甲"), (places.hamlet_b, "乙")):
            factory(hamlet, f"样本{model.__name__}{tag}")
    return cast


def run_schemathesis(base_url: str, token: str, report_dir: Path) -> subprocess.CompletedProcess:
    command = [
        *schemathesis_command(),
        "run",
        f"{base_url}/api/schema/",
        "--checks",
        "all",
        "--exclude-checks",
        ",".join(EXCLUDED_CHECKS),
        "--phases",
        PHASES,
        "--max-examples",
        str(EXAMPLES),
        "--seed",
        str(SEED),
        "--workers",
        "1",  # the live server shares the test database connection: one request at a time
        "--header",
        f"Authorization: Token {token}",
        "--generation-database",
        "none",
        "--request-timeout",
        "60",
        "--no-color",
        "--report",
        "junit",
        "--report-dir",
        str(report_dir),
    ]
    env = {**os.environ, "NO_COLOR": "1", "SCHEMATHESIS_HOOKS": ""}
    try:
        return subprocess.run(
            command, capture_output=True, text=True, timeout=TIMEOUT, env=env, cwd=report_dir, check=False
        )
    except subprocess.TimeoutExpired as exc:
        partial = (exc.stdout or b"").decode() if isinstance(exc.stdout, bytes) else (exc.stdout or "")
        pytest.fail(f"Schemathesis ran past {TIMEOUT} s (SHUXIANG_SCHEMATHESIS_TIMEOUT):\n{partial[-4000:]}")


@pytest.mark.parametrize("role", ["grid_a", "township_a", "admin"])
def test_no_request_answers_5xx_or_outside_the_schema(role, live_server, tmp_path):
    from shuxiang.core.services import do_issue_token

    cast = build_world()
    token = do_issue_token(getattr(cast, role), actor=OPERATOR)
    result = run_schemathesis(live_server.url, token, tmp_path)
    output = result.stdout + result.stderr
    summary = output[output.rfind("=== SUMMARY") - 200 :] if "=== SUMMARY" in output else output[-4000:]
    print(output)  # shown by pytest on failure: every failing request as a curl command
    assert result.returncode == 0, f"Schemathesis ({role}) found problems:\n{summary}"
