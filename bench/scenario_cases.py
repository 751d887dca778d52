"""Issue 3 bench: the case engine over 100,000 cases.

Same server, same run, beside `/__bench__/bare` (a Django view returning a constant JSON body):
- the staff queue as a township officer — scoped to the township, filtered (open, one category),
  sorted by deadline, first page — as HTML (`/cases/queue/`, session cookie) and as API
  (`/api/v1/cases/?open=true&category=…&ordering=deadline`, token);
- the public map endpoint (`/public/cases/map.json`, anonymous, latest 1,000 public cases);
- Open311 POST throughput (`POST /open311/v2/requests.json` with an Open311 key; each request opens,
  routes and audits a real case).
"""

import os
import re
import subprocess
import tempfile
import urllib.parse
import urllib.request

from bench.harness import SHUXIANG, LoadResult, ab, manage, scratch_env, server, table

SEED_SCRIPT = r"""
import random, sys, time
from datetime import timedelta
from django.db.models import Q
from django.utils import timezone
from shuxiang.cases.choices import CaseState, Channel
from shuxiang.cases.models import Case, CaseCategory, CaseEvent
from shuxiang.cases.worktime import deadline_for, accept_deadline_for
from shuxiang.core.choices import Role, UnitKind
from shuxiang.core.models import Place, Unit, User
n = int(sys.argv[-1])
rng = random.Random(3)
t0 = time.monotonic()
hamlets = list(Place.objects.filter(level=4).only("id", "path", "latitude", "longitude", "parent_id"))
gov = {u.place.path: u for u in Unit.objects.filter(kind=UnitKind.TOWNSHIP_GOV).select_related("place")}
grids = {u.place_id: u.pk for u in User.objects.filter(role=Role.GRID)}
categories = list(CaseCategory.objects.all())
states = [CaseState.SUBMITTED] * 2 + [CaseState.ACCEPTED, CaseState.DISPATCHED, CaseState.IN_PROGRESS] + [CaseState.RESOLVED] + [CaseState.CLOSED] * 4
now = timezone.now()
rows = []
def flush():
    created = Case.objects.bulk_create(rows)
    CaseEvent.objects.bulk_create([CaseEvent(case=c, action="open", to_state="submitted", actor_label="反映人", at=c.created_at) for c in created])
    rows.clear()
for i in range(n):
    h = rng.choice(hamlets)
    c = rng.choice(categories)
    created = now - timedelta(minutes=rng.randint(1, 365 * 24 * 60))
    state = rng.choice(states)
    township_path = "/".join(h.path.split("/")[:3]) + "/"
    deadline = created + timedelta(days=c.deadline_amount)
    rows.append(Case(
        tracking_number=f"2025{i:010d}", case_type="complaint", category=c, title=c.name + "：群众反映", description="压测数据",
        place_id=h.pk, latitude=h.latitude, longitude=h.longitude, state=state, channel=Channel.WEB,
        is_public=not c.is_sensitive, unit=gov.get(township_path), grid_worker_id=grids.get(h.parent_id),
        accept_deadline=created + timedelta(hours=c.accept_hours), deadline=deadline,
        accepted_at=None if state == CaseState.SUBMITTED else created + timedelta(hours=1),
        resolved_at=created + timedelta(days=1) if state in (CaseState.RESOLVED, CaseState.CLOSED) else None,
        is_overdue=state not in (CaseState.RESOLVED, CaseState.CLOSED) and deadline < now,
        created_at=created,
    ))
    if len(rows) == 5000:
        flush()
flush()
from django.db import connection
if connection.vendor == "postgresql":
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")  # what autovacuum does after a bulk load; the planner needs the statistics
print(Case.objects.count(), round(time.monotonic() - t0, 1))
"""

SESSION_SCRIPT = r"""
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.sessions.backends.db import SessionStore
from shuxiang.core.models import User
user = User.objects.get(username="quanjiaohe")
s = SessionStore()
s[SESSION_KEY] = str(user.pk)
s[BACKEND_SESSION_KEY] = "shuxiang.core.backends.ModelBackend"
s[HASH_SESSION_KEY] = user.get_session_auth_hash()
s.create()
print(s.session_key)
"""

FLOOR_SCRIPT = r"""
import statistics, time
from django.http import QueryDict
from shuxiang.cases.filtersets import CaseFilterSet
from shuxiang.cases.models import Case
from shuxiang.core.models import User
user = User.objects.get(username="quanjiaohe")
def once():
    t = time.perf_counter()
    qs = CaseFilterSet(QueryDict("open=true&category=rubbish&ordering=deadline"), queryset=Case.objects.restrict(user)).qs
    qs.count()
    list(qs.select_related("category", "place", "unit")[:25])
    return (time.perf_counter() - t) * 1000
once()
print(round(statistics.median(once() for _ in range(50)), 2))
"""


def shell(env, script):
    return subprocess.run(
        [SHUXIANG, "shell", "--no-imports", "-c", script], env=env, capture_output=True, text=True, check=True
    ).stdout.split()


def ab_post(url, body: bytes, *, requests, concurrency) -> LoadResult:
    """ApacheBench POSTing the same form body (each request still opens a new case: no Idempotency-Key)."""
    with tempfile.NamedTemporaryFile(suffix=".txt") as f:
        f.write(body)
        f.flush()
        cmd = ["ab", "-q", "-k", "-n", str(requests), "-c", str(concurrency), "-p", f.name]
        cmd += ["-T", "application/x-www-form-urlencoded", url]
        out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    rps = float(re.search(r"Requests per second:\s+([\d.]+)", out).group(1))
    pct = dict(re.findall(r"^\s+(\d+)%\s+(\d+)", out, re.M))
    failed = int(re.search(r"Failed requests:\s+(\d+)", out).group(1))
    non2xx = re.search(r"Non-2xx responses:\s+(\d+)", out)
    return LoadResult(
        rps,
        float(pct["50"]),
        float(pct["95"]),
        float(pct["99"]),
        failed + (int(non2xx.group(1)) if non2xx else 0),
        requests,
    )


def run(args):
    cases = 10_000 if args.quick else 100_000
    requests = 200 if args.quick else 600
    posts = 100 if args.quick else 300
    database_url = os.environ.get(
        "BENCH_DATABASE_URL"
    )  # e.g. postgres://postgres@127.0.0.1:5432/sx_cases_bench
    with scratch_env(database_url) as env:
        env["SHUXIANG_BENCH_VIEWS"] = "true"
        manage(env, "migrate", "--noinput")
        manage(env, "demo")
        total = int(shell(env, SEED_SCRIPT.replace("sys.argv[-1]", str(cases)))[0])
        token = manage(env, "token", "quanjiaohe").stdout.strip()
        open311_key = manage(env, "open311", "key", "bench").stdout.strip().splitlines()[-1]
        session = shell(env, SESSION_SCRIPT)[0]
        queue_html = "/cases/queue/?open=true&category=rubbish&ordering=deadline"
        queue_api = "/api/v1/cases/?open=true&category=rubbish&ordering=deadline&page_size=25"
        map_json = "/public/cases/map.json?state=open"
        token_header = {"Authorization": f"Token {token}"}
        cookie = {"Cookie": f"sessionid={session}"}
        post_body = urllib.parse.urlencode(
            {
                "api_key": open311_key,
                "jurisdiction_id": "430903",
                "service_code": "rubbish",
                "lat": "28.4712",
                "long": "112.6011",
                "description": "压测：村口垃圾堆放无人清理",
            }
        ).encode()
        with server(env) as base:
            request = urllib.request.Request(base + queue_api, headers=token_header)
            import json

            matches = json.loads(urllib.request.urlopen(request).read())["count"]
            features = len(json.loads(urllib.request.urlopen(base + map_json).read())["features"])
            ab(base + "/__bench__/bare", requests=200, concurrency=10)  # warm-up
            ab(base + queue_api, requests=100, concurrency=10, headers=token_header)
            bare = ab(base + "/__bench__/bare", requests=requests, concurrency=10)
            html = ab(base + queue_html, requests=requests, concurrency=10, headers=cookie)
            api = ab(base + queue_api, requests=requests, concurrency=10, headers=token_header)
            public = ab(base + map_json, requests=requests, concurrency=10)
            opened = ab_post(base + "/open311/v2/requests.json", post_body, requests=posts, concurrency=4)
            bare_after = ab(base + "/__bench__/bare", requests=requests, concurrency=10)
        after = int(shell(env, "from shuxiang.cases.models import Case; print(Case.objects.count())")[0])
        floor_ms = float(shell(env, FLOOR_SCRIPT)[0])
    engine = "PostgreSQL" if database_url else "SQLite"
    rows = [
        ("bare Django view `/__bench__/bare`", bare),
        (f"staff queue HTML (township, open, 垃圾堆放, by deadline; {matches:,} matches)", html),
        ("staff queue API, same filter, page of 25", api),
        (f"public map GeoJSON ({features} newest open public cases)", public),
        ("Open311 POST requests.json (opens a case each, c=4)", opened),
        ("bare view again, after the writes", bare_after),
    ]
    text = [
        f"### Case engine over {total:,} cases ({engine})",
        "",
        f"Command: `make bench BENCH_ARGS=cases`{' with BENCH_DATABASE_URL' if database_url else ''}; server "
        f"`shuxiang serve --workers 2 --threads 4`; load `ab -k -c 10 -n {requests}` (Open311 POST: "
        f"`ab -k -c 4 -n {posts} -p form`) on the same 2-core machine.",
        "",
        table(
            [(name, f"{r.rps:.0f}", r.p50_ms, r.p95_ms, r.failed) for name, r in rows],
            ["endpoint", "req/s", "p50 ms", "p95 ms", "failed"],
        ),
        "",
        f"Ratios to the bare view: queue HTML **{html.rps / bare.rps:.2f}×**, queue API "
        f"**{api.rps / bare.rps:.2f}×**, public map **{public.rps / bare.rps:.2f}×**, Open311 POST "
        f"**{opened.rps / bare.rps:.3f}×** ({opened.rps:.0f} cases opened per second, each routed, "
        f"deadlined and audited; {after - total} cases written by the run).",
        "",
        f"Database floor: the queue's two statements (count + first page of 25, scoped and filtered) through "
        f"the ORM take a median **{floor_ms:.1f} ms** in one process, without HTTP or templates.",
    ]
    return "\n".join(text) + "\n"
