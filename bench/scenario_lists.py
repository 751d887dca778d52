"""Issue 14 §6 bench: the staff lists at county scale (people, households, case queue, devices, lots).

Every table holds over 200,000 rows. The district officer (区网信办, whole county in scope, second factor
passed) opens each list's first page, unfiltered — the page staff land on, counting the whole table —
through the production server (`shuxiang serve`, session cookie, HTML). Measured in the same run:

- `ab -k -c 10` per list and for `/__bench__/bare`: requests/s, p50, p95;
- the server's CPU per request: user + system time of the gunicorn processes over the `ab` run / requests
  (read from /proc; the machine is shared, CPU time is what the server itself spent);
- the SQL floor: every statement one request of the list issues (captured in-process with Django's
  `CaptureQueriesContext`: session, user, grants, count, page, notifications …) executed raw on one
  psycopg connection, no ORM, no Python around it: median of the whole set per request;
- the same request in-process through Django's test client: process CPU per request, a figure unaffected
  by the load generator sharing the cores.

The goal (issue 14 §6): server CPU per request ≤ 2 × the SQL floor, p95 ≤ 150 ms at 10 concurrent.

PostgreSQL only: `BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench_lists python -m bench lists`
(the database is created if missing). Seeding 200,000 rows per list takes several minutes; a database that
already holds them is reused (set `BENCH_LISTS_RESEED=true` to rebuild it). `BENCH_LISTS_STATEMENTS=FILE`
keeps every list's statements (JSON) for a look at their plans.
"""

import json
import os
import re
import subprocess
import time
import urllib.parse
import urllib.request
from pathlib import Path

from bench.harness import (
    SHUXIANG,
    LoadResult,
    ab,
    cpu_seconds,
    manage,
    scratch_env,
    server,
    server_processes,
    table,
)

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/bench_lists"
# Every signed-in page's cost before its own work (the lists' reference beside the bare view).
FRAME = "/__bench__/frame"

LISTS = [
    ("people", "人员 `/people/`", "/people/"),
    ("households", "农户 `/monitoring/households/`", "/monitoring/households/"),
    ("queue", "事件待办 `/cases/queue/`", "/cases/queue/"),
    ("devices", "设备 `/iot/devices/`", "/iot/devices/"),
    ("lots", "批次 `/trace/lots/`", "/trace/lots/"),
]

SEED_SCRIPT = r"""
import random, sys, time
from datetime import date, timedelta
from decimal import Decimal
from django.db import connection
from django.utils import timezone
from shuxiang.core import pii
from shuxiang.core.choices import UnitKind
from shuxiang.core.models import Person, Place, Unit
from shuxiang.demo.builder import GIVEN, SURNAMES
from shuxiang.iot.models import Device
from shuxiang.monitoring import choices as mc
from shuxiang.monitoring.models import Household, Member
from shuxiang.trace.models import Lot, Plot, Product

n = int(sys.argv[-1])
rng = random.Random(14)
now = timezone.now()
hamlets = list(Place.objects.filter(level=4).only("id", "path", "name"))
gov = {u.place.path: u.pk for u in Unit.objects.filter(kind=UnitKind.TOWNSHIP_GOV).select_related("place")}
timings = {}

# households, each with its head (and every third with a spouse): the people list grows with them
t0 = time.monotonic()
seen = set(Person.objects.values_list("id_number_digest", flat=True))
def new_person(place):
    while True:
        birth = date(rng.randint(1940, 2010), rng.randint(1, 12), rng.randint(1, 28))
        first17 = f"430903{birth:%Y%m%d}{rng.randint(0, 999):03d}"
        number = first17 + pii.id_check_char(first17)
        d = pii.digest(number)
        if d not in seen:
            seen.add(d)
            break
    phone = f"1{rng.choice('3578')}{rng.randint(0, 999999999):09d}"
    return Person(name=rng.choice(SURNAMES) + rng.choice(GIVEN) + rng.choice(GIVEN)[:rng.randint(0, 1)],
                  id_number=number, id_number_digest=d, phone=phone, phone_digest=pii.digest(phone),
                  gender=rng.choice(["male", "female"]), birth_date=birth, place_id=place.pk)
statuses = [mc.MonitoringStatus.NONE] * 8 + [mc.MonitoringStatus.MONITORED, mc.MonitoringStatus.ELIMINATED]
households, people, links = [], [], []
def flush_households():
    Household.objects.bulk_create(households)
    Person.objects.bulk_create(people)
    Member.objects.bulk_create([Member(household=households[h], person=people[p], relation=r) for h, p, r in links])
    households.clear(); people.clear(); links.clear()
for i in range(n if Household.objects.count() < n else 0):
    h = rng.choice(hamlets)
    status = rng.choice(statuses)
    households.append(Household(
        number=f"43090399{i:08d}", place_id=h.pk, category=rng.choice(mc.Category.values), status=status,
        monitored_type=rng.choice(mc.MonitoredType.values) if status == mc.MonitoringStatus.MONITORED else "",
        changed_at=now - timedelta(days=rng.randint(0, 700)),
    ))
    people.append(new_person(h)); links.append((len(households) - 1, len(people) - 1, mc.Relation.HEAD))
    if i % 3 == 0:
        people.append(new_person(h)); links.append((len(households) - 1, len(people) - 1, mc.Relation.SPOUSE))
    if len(households) == 5000:
        flush_households()
if households:
    flush_households()
timings["households"] = round(time.monotonic() - t0, 1)

# devices
t0 = time.monotonic()
kinds = ["reservoir_rtu", "pump", "soil", "weather", "barn"]
rows = []
for i in range(n if Device.objects.count() < n else 0):
    h = rng.choice(hamlets)
    rows.append(Device(
        code=f"B{i:09d}", name=f"{h.name}{rng.choice(['水位站', '泵站', '墒情站', '气象站', '猪舍环控'])}{i % 100:02d}",
        protocol=rng.choice(["http", "mqtt", "sl651"]), place_id=h.pk,
        owner_unit_id=gov.get("/".join(h.path.split("/")[:3]) + "/"), kind=rng.choice(kinds),
        token_digest=pii.digest(f"bench-device-{i}"),
        last_seen_at=now - timedelta(minutes=rng.randint(0, 3 * 24 * 60)),
    ))
    if len(rows) == 5000:
        Device.objects.bulk_create(rows); rows = []
Device.objects.bulk_create(rows)
rows = []
timings["devices"] = round(time.monotonic() - t0, 1)

# lots: spread over the demo's products, each grown on a plot of its own producer
t0 = time.monotonic()
plots = {}
for plot in Plot.objects.select_related("base"):
    plots.setdefault(plot.base.producer_id, []).append(plot.pk)
products = [p for p in Product.objects.all() if p.producer_id in plots]
stages = ["growing", "harvested", "packed", "shipped"]
rows = []
for i in range(n if Lot.objects.count() < n else 0):
    product = rng.choice(products)
    rows.append(Lot(
        product=product, lot_number=f"B{i:08d}", origin_id=rng.choice(plots[product.producer_id]),
        quantity=Decimal(rng.randint(50, 50000)) / 10, short_code=f"Z{i:08d}", stage=rng.choice(stages),
        scan_count=rng.randint(0, 300), suspicious=rng.random() < 0.001,
    ))
    if len(rows) == 5000:
        Lot.objects.bulk_create(rows); rows = []
Lot.objects.bulk_create(rows)
with connection.cursor() as cursor:  # lots were made over a year, not in this minute
    cursor.execute(
        "UPDATE trace_lot SET created_at = now() - mod(hashtext(short_code)::bigint + 2147483648, 525600) "
        "* interval '1 minute' WHERE left(short_code, 1) = 'Z'"
    )
timings["lots"] = round(time.monotonic() - t0, 1)
print(timings)
"""

SESSION_SCRIPT = r"""
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.sessions.backends.db import SessionStore
from shuxiang.core import two_factor
from shuxiang.core.models import User
user = User.objects.get(username="district")
s = SessionStore()
s[SESSION_KEY] = str(user.pk)
s[BACKEND_SESSION_KEY] = "shuxiang.core.backends.ModelBackend"
s[HASH_SESSION_KEY] = user.get_session_auth_hash()
two_factor.mark_session(s, "totp")  # a district officer's session has passed the second factor
s.create()
print(s.session_key)
"""

COUNTS_SCRIPT = r"""
import json
from shuxiang.cases.models import Case
from shuxiang.core.models import Person, User
from shuxiang.iot.models import Device
from shuxiang.monitoring.models import Household
from shuxiang.trace.models import Lot
print(json.dumps({"people": Person.objects.count(), "households": Household.objects.count(),
                  "queue": Case.objects.count(), "devices": Device.objects.count(), "lots": Lot.objects.count(),
                  "users": User.objects.filter(username="district").count()}))
"""

# In-process: each list's request through the test client (full middleware stack, same session), its
# statements captured, then run raw; and the process CPU of the request itself.
MEASURE_SCRIPT = r"""
import json, re, statistics, sys, time
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.conf import settings

session, paths, rounds = json.loads(sys.argv[-1])
client = Client(HTTP_HOST="127.0.0.1")
client.cookies[settings.SESSION_COOKIE_NAME] = session
out = {}
for name, path in paths.items():
    for _ in range(3):
        response = client.get(path)
        assert response.status_code == 200, (path, response.status_code)
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(path)
    # a server-side cursor (a form's choices iterated) is declared once; its SELECT is what it costs
    declare = re.compile(r'^DECLARE "[^"]+" (?:NO SCROLL )?CURSOR (?:WITH(?:OUT)? HOLD )?FOR ')
    statements = [declare.sub("", q["sql"]) for q in ctx.captured_queries]
    text = response.content.decode()
    count = re.search(r"共\s*([^<]*?)\s*(?:条|件)", text)  # "206257" or "约 20.6 万" (an estimate)
    cpu, wall = [], []
    for _ in range(rounds):
        c0, w0 = time.process_time(), time.perf_counter()
        client.get(path)
        cpu.append((time.process_time() - c0) * 1000)
        wall.append((time.perf_counter() - w0) * 1000)
    raw = connection.connection  # the driver's own connection: no ORM, no Django cursor wrapper
    def run_raw():
        t = time.perf_counter()
        with raw.cursor() as cursor:
            for sql in statements:
                cursor.execute(sql)
                if cursor.description:
                    cursor.fetchall()
        raw.commit()
        return (time.perf_counter() - t) * 1000
    for _ in range(3):
        run_raw()
    floor = [run_raw() for _ in range(rounds)]
    out[name] = {
        "statements": len(statements),
        "sql": statements,
        "matches": count.group(1) if count else "?",
        "cpu_ms": statistics.median(cpu),
        "wall_ms": statistics.median(wall),
        "floor_ms": statistics.median(floor),
    }
print(json.dumps(out, ensure_ascii=False))
"""


def shell(env, script, argument=None):
    """Run `script` in `shuxiang shell`; `sys.argv[-1]` in it is replaced by `argument` (a Python literal)."""
    if argument is not None:
        script = script.replace("sys.argv[-1]", repr(argument))
    proc = subprocess.run(
        [SHUXIANG, "shell", "--no-imports", "-c", script], env=env, capture_output=True, text=True
    )
    if proc.returncode:
        raise RuntimeError(proc.stderr[-3000:])
    return proc.stdout.strip().splitlines()[-1]


def ensure_database(url):
    import psycopg

    parts = urllib.parse.urlsplit(url)
    name = parts.path.lstrip("/")
    if name in ("test", "postgres", ""):
        raise SystemExit(f"refusing to use the database {name!r}: give the bench a database of its own")
    admin = urllib.parse.urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(admin, autocommit=True) as con:
        exists = con.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if exists and os.environ.get("BENCH_LISTS_RESEED") == "true":
            con.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
            exists = None
        if not exists:
            con.execute(f'CREATE DATABASE "{name}"')


def ab_timed(url, *, requests, seconds, headers=None) -> LoadResult:
    """`ab -k -c 10` for `requests` requests or `seconds` seconds, whichever ends first (a list that
    serves 2 requests a second would otherwise hold the run for ten minutes)."""
    cmd = ["ab", "-q", "-k", "-c", "10", "-t", str(seconds), "-n", str(requests)]
    for name, value in (headers or {}).items():
        cmd += ["-H", f"{name}: {value}"]
    for _attempt in range(3):
        proc = subprocess.run([*cmd, url], capture_output=True, text=True)
        if proc.returncode == 0 and "Requests per second" in proc.stdout:
            break
    else:
        raise RuntimeError(f"ab failed: {proc.stderr.strip()[:300]}")
    out = proc.stdout
    pct = dict(re.findall(r"^\s+(\d+)%\s+(\d+)", out, re.M))
    non2xx = re.search(r"Non-2xx responses:\s+(\d+)", out)
    return LoadResult(
        float(re.search(r"Requests per second:\s+([\d.]+)", out).group(1)),
        float(pct["50"]),
        float(pct["95"]),
        float(pct["99"]),
        int(re.search(r"Failed requests:\s+(\d+)", out).group(1)) + (int(non2xx.group(1)) if non2xx else 0),
        int(re.search(r"Complete requests:\s+(\d+)", out).group(1)),
    )


def measured_ab(base, path, pids, *, requests, seconds=90, headers=None):
    """The load run and the server's CPU per completed request during it."""
    before = cpu_seconds(pids)
    result = ab_timed(base + path, requests=requests, seconds=seconds, headers=headers)
    return result, (cpu_seconds(pids) - before) * 1000 / result.requests


def run(args):
    database_url = os.environ.get("BENCH_DATABASE_URL", DEFAULT_URL)
    if not database_url.startswith("postgres"):
        raise SystemExit("the lists bench runs on PostgreSQL (BENCH_DATABASE_URL=postgres://…)")
    rows_per_list = 20_000 if args.quick else 200_000
    requests = 200 if args.quick else 1000
    rounds = 10 if args.quick else 40
    ensure_database(database_url)
    with scratch_env(database_url) as env:
        env["SHUXIANG_BENCH_VIEWS"] = "true"
        env["SHUXIANG_ALLOWED_HOSTS"] = "127.0.0.1,localhost"
        manage(env, "migrate", "--noinput")
        counts = json.loads(shell(env, COUNTS_SCRIPT))
        seeded = None
        if min(counts[k] for k, _, _ in LISTS) < rows_per_list:
            t0 = time.monotonic()
            if not counts["users"]:
                manage(env, "demo")
            shell(env, SEED_SCRIPT, str(rows_per_list))  # households (+ people), devices, lots
            if counts["queue"] < rows_per_list:
                from bench.scenario_cases import SEED_SCRIPT as CASES_SEED

                shell(env, CASES_SEED, str(rows_per_list))
            seeded = time.monotonic() - t0
            counts = json.loads(shell(env, COUNTS_SCRIPT))
        shell(
            env,
            "from django.db import connection\nconnection.cursor().execute('VACUUM ANALYZE')\nprint('ok')",
        )
        session = shell(env, SESSION_SCRIPT)
        cookie = {"Cookie": f"sessionid={session}"}
        inproc = json.loads(
            shell(
                env,
                MEASURE_SCRIPT,
                json.dumps([session, {"frame": FRAME, **{k: p for k, _, p in LISTS}}, rounds]),
            )
        )
        with server(env) as base:
            for path in (FRAME, *(path for _, _, path in LISTS)):  # warm every worker and the buffers
                ab(base + path, requests=40, concurrency=10, headers=cookie)
            ab(base + "/__bench__/bare", requests=200, concurrency=10)
            # after the warm-up: gunicorn forks its workers while the first answers go out
            pids = server_processes(urllib.parse.urlsplit(base).port)
            bare, bare_cpu = measured_ab(base, "/__bench__/bare", pids, requests=requests * 2)
            loads = {"frame": measured_ab(base, FRAME, pids, requests=requests, headers=cookie)}
            for key, _, path in LISTS:
                loads[key] = measured_ab(base, path, pids, requests=requests, headers=cookie)
            bare_after, bare_after_cpu = measured_ab(base, "/__bench__/bare", pids, requests=requests * 2)
    return report(args, counts, seeded, requests, bare, bare_cpu, bare_after, bare_after_cpu, loads, inproc)


def report(args, counts, seeded, requests, bare, bare_cpu, bare_after, bare_after_cpu, loads, inproc):
    rows = [
        ("bare Django view `/__bench__/bare`", "—", bare, bare_cpu, None),
        (
            f"empty staff page `{FRAME}`: session, user, second factor, menu, base template",
            "—",
            *loads["frame"],
            inproc["frame"],
        ),
    ]
    for key, label, _ in LISTS:
        result, cpu = loads[key]
        rows.append((label, f"{counts[key]:,} / {inproc[key]['matches']}", result, cpu, inproc[key]))
    rows.append(("bare view again", "—", bare_after, bare_after_cpu, None))
    lines = []
    for label, size, r, cpu, m in rows:
        floor = f"{m['floor_ms']:.1f} ({m['statements']})" if m else "—"
        ratio = f"**{cpu / m['floor_ms']:.1f}×**" if m else "—"
        inproc_cpu = f"{m['cpu_ms']:.1f}" if m else "—"
        lines.append(
            (
                label,
                size,
                f"{r.rps:.0f}",
                f"{r.p50_ms:.0f}",
                f"{r.p95_ms:.0f}",
                r.failed,
                f"{cpu:.1f}",
                floor,
                ratio,
                inproc_cpu,
            )
        )
    load = os.getloadavg()
    text = [
        f"#### Staff lists over {min(counts[k] for k, _, _ in LISTS):,}+ rows each (PostgreSQL, {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, load {load[0]:.1f})",
        "",
        "Command: `BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench_lists .venv/bin/python -m bench lists`"
        f"{' --quick' if args.quick else ''}; server `shuxiang serve --workers 2 --threads 4`; "
        f"`ab -k -c 10 -n {requests}` per list (bare view: `-n {requests * 2}`); the district officer's session "
        "(whole county), first page, no filter.",
        "",
        table(
            lines,
            [
                "page",
                "rows in table / listed",
                "req/s",
                "p50 ms",
                "p95 ms",
                "failed",
                "server CPU ms/req",
                "SQL floor ms (statements)",
                "CPU / floor",
                "in-process CPU ms/req",
            ],
        ),
        "",
        "Server CPU = gunicorn master + workers' user+system time over the `ab` run ÷ requests. SQL floor = every "
        "statement one request issues, run raw on one psycopg connection (median). In-process = the same "
        "request through Django's test client, process CPU (median), no HTTP server, no competing load.",
    ]
    if seeded:
        text.append(
            f"\nSeeding (demo + {min(counts[k] for k, _, _ in LISTS):,}+ rows per list) took {seeded:.0f} s."
        )
    if os.environ.get("BENCH_LISTS_STATEMENTS"):  # a file to keep each list's statements in, for EXPLAIN
        statements = {key: inproc[key]["sql"] for key, _, _ in LISTS}
        Path(os.environ["BENCH_LISTS_STATEMENTS"]).write_text(
            json.dumps(statements, ensure_ascii=False, indent=1)
        )
    return "\n".join(text) + "\n"
