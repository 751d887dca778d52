"""Issue 20 bench: the bank directory (`/api/v1/directory/entities/`) under 50 concurrent clients.

Demo data (trace's producers, most with consent; the demo bank's client row with its field set).
The bank's rate is raised for the run (the demo's 120/m would answer most requests 429, which
measures the limiter, not the lookup; the limiter's counting still runs on every request).
Same server, same run: a page of the list (25 entities, each one a recorded lookup) and one
entity (one recorded lookup) with the bank's token, against `/__bench__/bare` (no database).
Beside each load run: the server's CPU per request (user + system time of the gunicorn processes over
the run ÷ requests, from /proc). `BENCH_REDIS_URL` gives the server Redis for its cache (the rate
counter; production's setting), otherwise the embedded file cache.
Goal (issue 20): p95 ≤ 50 ms at 50 concurrent.
"""

import os
import statistics
import subprocess

from bench.harness import SHUXIANG, ab, cpu_seconds, manage, scratch_env, server, server_processes, table

PREPARE = r"""
from shuxiang.core.actors import OPERATOR
from shuxiang.core.models import User
from shuxiang.core.services import do_issue_token
from shuxiang.markets.models import DirectoryClient, DirectoryConsent
bank = User.objects.get(username="bank")
DirectoryClient.objects.filter(user=bank).update(rate="1000000/m")
consent = DirectoryConsent.objects.filter(status="given").order_by("producer_id").first()
print(do_issue_token(bank, actor=OPERATOR), consent.producer_id, DirectoryConsent.objects.filter(status="given").count())
"""


def _shell(env, script):
    return subprocess.run(
        [SHUXIANG, "shell", "--no-imports", "-c", script], env=env, capture_output=True, text=True, check=True
    ).stdout.split()


def _median(results, attr):
    return statistics.median(getattr(r, attr) for r in results)


def run(args):
    requests = 1000 if args.quick else 3000
    rounds = 1 if args.quick else 3
    concurrency = 50
    database_url = os.environ.get("BENCH_DATABASE_URL")
    redis_url = os.environ.get("BENCH_REDIS_URL")
    with scratch_env(database_url) as env:
        env["SHUXIANG_BENCH_VIEWS"] = "true"
        if redis_url:
            env.update(
                REDIS_URL=redis_url, SHUXIANG_CACHE_PREFIX="bench-directory", SHUXIANG_HUEY_NAME="bench"
            )
        manage(env, "migrate", "--noinput")
        manage(env, "demo")
        token, entity, consenting = _shell(env, PREPARE)
        with server(env) as base:
            urls = {
                "bare": (base + "/__bench__/bare", {}),
                "list": (base + "/api/v1/directory/entities/", {"Authorization": f"Token {token}"}),
                "one": (base + f"/api/v1/directory/entities/{entity}/", {"Authorization": f"Token {token}"}),
            }
            for url, headers in urls.values():  # warm-up
                ab(url, requests=200, concurrency=concurrency, headers=headers)
            pids = server_processes(int(base.rsplit(":", 1)[1]))
            runs = {name: [] for name in urls}
            cpu = {name: [] for name in urls}
            for _ in range(rounds):
                for name, (url, headers) in urls.items():
                    before = cpu_seconds(pids)
                    result = ab(url, requests=requests, concurrency=concurrency, headers=headers)
                    runs[name].append(result)
                    cpu[name].append((cpu_seconds(pids) - before) * 1000 / result.requests)
    labels = {
        "bare": "bare Django view `/__bench__/bare`",
        "list": "bank: list page (25 entities, 25 lookups recorded)",
        "one": "bank: one entity (1 lookup recorded)",
    }
    rows = [
        (
            labels[name],
            f"{_median(results, 'rps'):.0f}",
            f"{_median(results, 'p50_ms'):.0f}",
            f"{_median(results, 'p95_ms'):.0f}",
            f"{statistics.median(cpu[name]):.1f}",
            sum(r.failed for r in results),
            " / ".join(f"{r.p95_ms:.0f}" for r in results),
        )
        for name, results in runs.items()
    ]
    engine = ("PostgreSQL" if database_url else "SQLite") + (", Redis cache" if redis_url else ", file cache")
    return "\n".join(
        [
            "## Markets — the bank directory under 50 concurrent clients (issue 20)",
            "",
            f"`python -m bench directory{' --quick' if args.quick else ''}` — demo data on {engine} "
            f"({consenting} entities with consent), `shuxiang serve` (gunicorn, 2 workers × 4 threads), "
            f"ApacheBench `-k -c {concurrency} -n {requests}` with the demo bank's token from the same "
            f"machine; {rounds} interleaved round(s), medians shown. Load average at start: "
            f"{os.getloadavg()[0]:.1f} (the machine is shared).",
            "",
            table(
                rows, ["request", "rps", "p50 ms", "p95 ms", "server CPU ms/req", "failed", "p95 per round"]
            ),
            "",
            "Goal: p95 ≤ 50 ms at 50 concurrent.",
            "",
        ]
    )
