"""Issue 2 bench: a scoped, filtered, paginated API list over 200,000 people.

Same server, same run: `GET /api/v1/people/?place=<township>&q=<surname>&page=1&page_size=20` as a township
officer (token auth, region scope, filter, count, masking of ID/phone) against `/__bench__/bare` (a Django
view returning a constant JSON body, no database) and the list's own SQL run raw (the floor the ORM stands on).
"""

import json
import os
import random
import sqlite3
import statistics
import subprocess
import time

from bench.harness import SHUXIANG, ab, manage, scratch_env, server, table

SEED_SCRIPT = r"""
import random, sys, time
from datetime import date
from shuxiang.core import pii
from shuxiang.core.models import Person, Place
from shuxiang.demo.builder import id_number, SURNAMES, GIVEN
n = int(sys.argv[-1])
rng = random.Random(7)
hamlets = list(Place.objects.filter(level=4))
rows, t0 = [], time.monotonic()
for i in range(n):
    birth = date(rng.randint(1940, 2015), rng.randint(1, 12), rng.randint(1, 28))
    number = id_number(rng, birth)
    phone = f"1{rng.choice('3578')}{rng.randint(0, 999999999):09d}"
    rows.append(Person(name=rng.choice(SURNAMES) + rng.choice(GIVEN), id_number=number, id_number_digest=pii.digest(number),
                       phone=phone, phone_digest=pii.digest(phone), birth_date=birth, place=rng.choice(hamlets)))
    if len(rows) == 5000:
        Person.objects.bulk_create(rows, ignore_conflicts=True); rows = []
Person.objects.bulk_create(rows, ignore_conflicts=True)
print(Person.objects.count(), round(time.monotonic() - t0, 1))
"""


def run(args):
    people = 20_000 if args.quick else 200_000
    requests = 300 if args.quick else 2000
    database_url = os.environ.get("BENCH_DATABASE_URL")  # e.g. postgres://postgres@127.0.0.1:5432/sx_bench
    with scratch_env(database_url) as env:
        env["SHUXIANG_BENCH_VIEWS"] = "true"
        manage(env, "migrate", "--noinput")
        manage(env, "demo")
        out = subprocess.run(
            [
                SHUXIANG,
                "shell",
                "--no-imports",
                "-c",
                SEED_SCRIPT.replace("sys.argv[-1]", str(people - 2000)),
            ],
            env=env,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.split()
        total = int(out[0])
        token = manage(env, "token", "quanjiaohe").stdout.strip()
        village = "430903103000"  # the officer's own township: the filter and the scope are both applied
        list_path = f"/api/v1/people/?place={village}&q=%E7%8E%8B&page=1&page_size=20"  # q=王
        headers = {"Authorization": f"Token {token}"}
        with server(env) as base:
            import urllib.request

            req = urllib.request.Request(base + list_path, headers=headers)
            body = json.loads(urllib.request.urlopen(req).read())
            ab(base + "/__bench__/bare", requests=200, concurrency=10)  # warm-up
            ab(base + list_path, requests=100, concurrency=10, headers=headers)
            bare = ab(base + "/__bench__/bare", requests=requests, concurrency=10)
            listed = ab(base + list_path, requests=requests, concurrency=10, headers=headers)
        raw_ms = raw_sql_ms(env, village) if not database_url else None
    rows = [
        ("bare Django view `/__bench__/bare`", f"{bare.rps:.0f}", bare.p50_ms, bare.p95_ms, bare.failed),
        (
            f"people list (scoped, filtered, first page of {body['count']} matches)",
            f"{listed.rps:.0f}",
            listed.p50_ms,
            listed.p95_ms,
            listed.failed,
        ),
    ]
    engine = "PostgreSQL" if database_url else "SQLite"
    text = [
        f"### People API list over {total:,} people ({engine})",
        "",
        f"Command: `make bench BENCH_ARGS=people`{' (with BENCH_DATABASE_URL)' if database_url else ''}; "
        f"server `shuxiang serve --workers 2 --threads 4`; load `ab -k -c 10 -n {requests}` on the same 2-core machine.",
        "",
        table(rows, ["endpoint", "req/s", "p50 ms", "p95 ms", "failed"]),
        "",
        f"Ratio: the scoped list serves **{listed.rps / bare.rps:.2f}×** the bare view's requests per second; "
        f"p95 {listed.p95_ms:.0f} ms vs {bare.p95_ms:.0f} ms.",
    ]
    if raw_ms is not None:
        text.append(
            f"The list's two SQL statements (count + page) run raw through sqlite3: median {raw_ms:.2f} ms "
            "per request — the database floor under the ORM, serializer and HTTP."
        )
    return "\n".join(text) + "\n"


def raw_sql_ms(env, village_code):
    path = os.path.join(env["SHUXIANG_VAR_DIR"], "shuxiang.sqlite3")
    con = sqlite3.connect(path)
    (village_path,) = con.execute("SELECT path FROM core_place WHERE code = ?", [village_code]).fetchone()
    (scope_path,) = con.execute("SELECT path FROM core_place WHERE code = '430903103000'").fetchone()
    count_sql = (
        "SELECT COUNT(*) FROM core_person p JOIN core_place pl ON p.place_id = pl.id "
        "WHERE pl.path LIKE ? AND pl.path LIKE ? AND p.name LIKE ?"
    )
    page_sql = (
        "SELECT p.*, pl.code FROM core_person p JOIN core_place pl ON p.place_id = pl.id "
        "WHERE pl.path LIKE ? AND pl.path LIKE ? AND p.name LIKE ? ORDER BY p.place_id, p.name, p.id LIMIT 20"
    )
    params = [scope_path + "%", village_path + "%", "%王%"]
    con.execute("PRAGMA wal_checkpoint(TRUNCATE)")  # the seeding left a large WAL; the server had it warm
    for _ in range(5):
        con.execute(count_sql, params).fetchone()
        con.execute(page_sql, params).fetchall()
    times = []
    for _ in range(50):
        t0 = time.perf_counter()
        con.execute(count_sql, params).fetchone()
        con.execute(page_sql, params).fetchall()
        times.append((time.perf_counter() - t0) * 1000)
    con.close()
    random.shuffle(times)
    return statistics.median(times)
