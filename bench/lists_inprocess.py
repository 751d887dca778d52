"""Issue 14 §6, in-process: what each staff list costs the Python side of one request, beside its SQL.

No HTTP server and no load generator: each list's first page (unfiltered, the district officer's session
with the second factor passed — the page `python -m bench lists` loads) goes through Django's test client
with the whole middleware stack, and for each page this prints

- CPU ms/request: process time (user + system) of the request, median over `--rounds` requests;
- statements and their time as the ORM saw it (`CaptureQueriesContext`), and the **SQL floor**: the same
  statements run raw on the driver's connection (no ORM), median — what `bench lists` calls the floor;
- `resolve()` calls in one request (URL resolving is not free; the menu used to do it ~50 times);
- with `--profile PAGE`: cProfile of `--rounds` requests of that page, by own time and by cumulative time.

Run against a scratch instance (not the 25-minute `bench lists` database), e.g. on PostgreSQL:

    createdb -h 127.0.0.1 -U postgres lists_scratch
    export DATABASE_URL=postgres://postgres@127.0.0.1:5432/lists_scratch SHUXIANG_VAR_DIR=/tmp/var-lists
    unset SHUXIANG_TESTING
    shuxiang migrate --noinput && shuxiang demo
    python bench/lists_inprocess.py --seed 30000            # once: tops every list up to 30,000 rows
    python bench/lists_inprocess.py --rounds 50 [--profile queue]

`--seed N` reuses the seeding of `bench/scenario_lists.py` and `bench/scenario_cases.py` (households with
their people, devices, lots, cases), then ANALYZE. Beyond 5,000 rows a list counts by the planner's estimate
(core.generic.ListPaginator), so 30,000 rows exercise the same code path as 200,000.
"""

import argparse
import cProfile
import io
import json
import os
import pstats
import re
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # `bench` importable when run as a file

PAGES = {
    "people": "/people/",
    "households": "/monitoring/households/",
    "queue": "/cases/queue/",
    "devices": "/iot/devices/",
    "lots": "/trace/lots/",
}


# What every signed-in page costs before its own work: the list's own cost is what it adds to this.
FRAME = "/__bench__/frame"


def setup():
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "shuxiang.settings")
    os.environ["SHUXIANG_BENCH_VIEWS"] = "true"  # /__bench__/bare and /frame, the references
    import django

    django.setup()


def seed(n: int):
    from django.db import connection

    from bench.scenario_cases import SEED_SCRIPT as CASES_SEED
    from bench.scenario_lists import SEED_SCRIPT
    from shuxiang.cases.models import Case

    exec(SEED_SCRIPT.replace("sys.argv[-1]", repr(str(n))), {"__name__": "seed"})
    missing = n - Case.objects.count()
    if missing > 0:
        exec(CASES_SEED.replace("sys.argv[-1]", repr(str(missing))), {"__name__": "seed"})
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")


def client_for(username: str):
    """A test client holding a signed-in session of `username` that has passed the second factor."""
    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore
    from django.test import Client

    from shuxiang.core import two_factor
    from shuxiang.core.models import User

    user = User.objects.get(username=username)
    session = SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = "shuxiang.core.backends.ModelBackend"
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    two_factor.mark_session(session, "totp")
    session.create()
    client = Client(HTTP_HOST="127.0.0.1")
    client.cookies[settings.SESSION_COOKIE_NAME] = session.session_key
    return client


DECLARE = re.compile(r'^DECLARE "[^"]+" (?:NO SCROLL )?CURSOR (?:WITH(?:OUT)? HOLD )?FOR ')


def raw_floor(statements, rounds: int) -> float:
    """Median ms to run `statements` on the driver's own connection, no ORM (as `bench lists` does)."""
    from django.db import connection

    raw = connection.connection

    def once():
        t = time.perf_counter()
        cursor = raw.cursor()
        for sql in statements:
            cursor.execute(sql)
            if cursor.description:
                cursor.fetchall()
        cursor.close()
        raw.commit()
        return (time.perf_counter() - t) * 1000

    for _ in range(3):
        once()
    return statistics.median(once() for _ in range(rounds))


def resolve_calls(client, path) -> int:
    """How many URLs one request of `path` resolves: calls of URLResolver.resolve from outside the
    resolver tree (the request's own resolving is one; each further one is a menu entry, a check …)."""
    profile = cProfile.Profile()
    profile.enable()
    client.get(path)
    profile.disable()
    resolvers = os.path.join("django", "urls", "resolvers.py")
    calls = 0
    for (filename, _line, name), (_cc, _nc, _tt, _ct, callers) in pstats.Stats(profile).stats.items():
        if name == "resolve" and filename.endswith(resolvers):
            calls += sum(c[1] for (f, _l, _n), c in callers.items() if not f.endswith(resolvers))
    return calls


def measure(client, path, rounds: int) -> dict:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    for _ in range(3):
        response = client.get(path)
        assert response.status_code == 200, (path, response.status_code)
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(path)
    statements = [DECLARE.sub("", q["sql"]) for q in ctx.captured_queries]
    orm_ms = sum(float(q["time"]) for q in ctx.captured_queries) * 1000
    count = re.search(r"共\s*([^<]*?)\s*(?:条|件)", response.content.decode())
    cpu = []
    for _ in range(rounds):
        c0 = time.process_time()
        client.get(path)
        cpu.append((time.process_time() - c0) * 1000)
    return {
        "cpu_ms": statistics.median(cpu),
        "statements": len(statements),
        "orm_sql_ms": orm_ms,
        "floor_ms": raw_floor(statements, rounds),
        "resolve_calls": resolve_calls(client, path),
        "matches": count.group(1) if count else "—",
        "bytes": len(response.content),
        "sql": statements,
    }


def profile(client, path, rounds: int, limit: int = 45) -> str:
    for _ in range(3):
        client.get(path)
    prof = cProfile.Profile(time.process_time)
    prof.enable()
    for _ in range(rounds):
        client.get(path)
    prof.disable()
    out = io.StringIO()
    stats = pstats.Stats(prof, stream=out)
    stats.sort_stats("tottime").print_stats(limit)
    stats.sort_stats("cumulative").print_stats(limit)
    return out.getvalue()


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seed", type=int, help="top every list up to this many rows first")
    parser.add_argument("--rounds", type=int, default=50)
    parser.add_argument("--pages", default=",".join(PAGES), help="comma-separated: " + ",".join(PAGES))
    parser.add_argument("--profile", help="a page name: print its cProfile (process time)")
    parser.add_argument("--user", default="district")
    parser.add_argument("--json", help="write the figures (and every page's statements) to this file")
    args = parser.parse_args(argv)
    setup()
    if args.seed:
        seed(args.seed)
    from django.db import connection

    from shuxiang.cases.models import Case
    from shuxiang.core.models import Person
    from shuxiang.iot.models import Device
    from shuxiang.monitoring.models import Household
    from shuxiang.trace.models import Lot

    rows = {
        "people": Person.objects.count(),
        "households": Household.objects.count(),
        "queue": Case.objects.count(),
        "devices": Device.objects.count(),
        "lots": Lot.objects.count(),
    }
    client = client_for(args.user)
    if args.profile:
        print(profile(client, PAGES[args.profile], args.rounds))
        return
    results = {}
    bare = client_for(args.user)
    for _ in range(3):
        bare.get("/__bench__/bare")
    cpu = []
    for _ in range(args.rounds):
        c0 = time.process_time()
        bare.get("/__bench__/bare")
        cpu.append((time.process_time() - c0) * 1000)
    bare_ms = statistics.median(cpu)
    lines = [
        f"{connection.vendor}, {args.rounds} rounds, load {os.getloadavg()[0]:.1f}; bare view {bare_ms:.2f} ms CPU",
        "",
        "| page | rows / listed | CPU ms/req | statements | SQL ms (ORM) | SQL floor ms (raw) | CPU / floor | resolve() |",
        "|---|---|---|---|---|---|---|---|",
    ]
    frame = results["frame"] = measure(client, FRAME, args.rounds)
    lines.append(
        f"| empty staff page `{FRAME}` (session, user, second factor, menu, base template) | — "
        f"| {frame['cpu_ms']:.1f} | {frame['statements']} | {frame['orm_sql_ms']:.1f} | {frame['floor_ms']:.1f} "
        f"| {frame['cpu_ms'] / frame['floor_ms']:.1f}× | {frame['resolve_calls']} |"
    )
    for name in args.pages.split(","):
        m = results[name] = measure(client, PAGES[name], args.rounds)
        lines.append(
            f"| {name} `{PAGES[name]}` | {rows[name]:,} / {m['matches']} | {m['cpu_ms']:.1f} | {m['statements']} "
            f"| {m['orm_sql_ms']:.1f} | {m['floor_ms']:.1f} | {m['cpu_ms'] / m['floor_ms']:.1f}× "
            f"| {m['resolve_calls']} |"
        )
    print("\n".join(lines))
    if args.json:
        Path(args.json).write_text(
            json.dumps({"bare_ms": bare_ms, "pages": results}, ensure_ascii=False, indent=1)
        )


if __name__ == "__main__":
    main()
