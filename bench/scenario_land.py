"""Issue 15 bench: dividends over 50,000 members, importing 100,000 parcels, the parcel map page.

All three are measured in-process in one scratch instance (the county's places from the demo builder, no
other app's demo), each beside its floor in the same run:
1. a dividend run (register query + exact largest-remainder arithmetic in Python) vs the same arithmetic
   in one SQL statement (floor by integer division, leftover fen by a window rank) — goal ≤ 2×;
2. `do_import_parcels` of a GeoPackage in CGCS2000 Gauss-Krüger vs a bare pipeline over the same file
   (pyogrio read + shapely validity + raw SQL inserts) — goal ≥ 2,000 parcels/s and ≥ 30 % of the bare rate;
3. the parcel list page and its map layer for a village of 3,000 parcels (township officer) — goal p95 ≤ 300 ms.
"""

import os
import subprocess

from bench.harness import SHUXIANG, manage, scratch_env, table

SETUP = r"""
from shuxiang.demo import builder
builder.build(with_apps=False, log=lambda *a: None)
"""

DIVIDENDS = r"""
import time, random
from decimal import Decimal
from datetime import date
from django.db import connection
from shuxiang.core.models import Person, Place
from shuxiang.land.models import Cooperative, Member, Holding
from shuxiang.land import coop
N = __N__
village = Place.objects.filter(level=3, kind="village").order_by("code").first()
c = Cooperative.objects.create(village=village, name="bench", cutoff_date=date(2020, 12, 31))
people = Person.objects.bulk_create([Person(name=f"成员{i}", place=village) for i in range(N)], batch_size=5000)
members = Member.objects.bulk_create([Member(cooperative=c, code=f"{village.code}{i:06d}", person=p, basis="hukou", status="confirmed") for i, p in enumerate(people)], batch_size=5000)
rng = random.Random(1)
rows = []
for m in members:
    rows.append(Holding(cooperative=c, member=m, kind="population", shares=Decimal(1)))
    rows.append(Holding(cooperative=c, member=m, kind="labour", shares=Decimal(rng.randint(0, 40)) / 10))
    if rng.random() < 0.3:
        rows.append(Holding(cooperative=c, member=m, kind="land", shares=Decimal(rng.randint(1, 80)) / 10))
Holding.objects.bulk_create(rows, batch_size=5000)
Holding.objects.create(cooperative=c, member=None, kind="collective", shares=Decimal(500))
del people, members, rows  # the set-up's 250,000 model instances would make every GC pass of the run slow
import gc
gc.collect()
amount = Decimal("1234567.89")
SQL = '''
WITH t AS (
  SELECT h.member_id AS mid, m.code AS code, CAST(ROUND(SUM(h.shares) * 10000) AS INTEGER) AS u
  FROM land_holding h JOIN land_member m ON m.id = h.member_id
  WHERE h.cooperative_id = %s AND m.status = 'confirmed' AND h.shares > 0 GROUP BY h.member_id, m.code
  UNION ALL SELECT NULL, 'collective', CAST(ROUND(shares * 10000) AS INTEGER) FROM land_holding WHERE cooperative_id = %s AND member_id IS NULL
), tot AS (SELECT SUM(u) AS T FROM t),
f AS (SELECT mid, code, (%s * u) / T AS fl, (%s * u) %% T AS rem FROM t, tot),
left_ AS (SELECT %s - SUM(fl) AS n FROM f),
r AS (SELECT mid, fl, ROW_NUMBER() OVER (ORDER BY rem DESC, code) AS rn FROM f)
SELECT mid, fl + CASE WHEN rn <= (SELECT n FROM left_) THEN 1 ELSE 0 END FROM r
'''
fen = int(amount * 100)
def ours():
    return coop.compute(c, period="2025", amount=amount)
def floor_sql():
    with connection.cursor() as cur:
        cur.execute(SQL, [c.pk, c.pk, fen, fen, fen])
        return cur.fetchall()
ours(); floor_sql()
t_ours, t_sql = [], []
for _ in range(5):
    t0 = time.perf_counter(); run = ours(); t_ours.append(time.perf_counter() - t0)
    t0 = time.perf_counter(); rows = floor_sql(); t_sql.append(time.perf_counter() - t0)
assert sum(f for _, _, f in run.lines) == fen and sum(r[1] for r in rows) == fen
mine = {(m.pk if m else None): f for m, _, f in run.lines}
assert mine == {r[0]: r[1] for r in rows}, "SQL and Python disagree"
t_ours.sort(); t_sql.sort()
print(len(run.lines), round(t_ours[2] * 1000, 1), round(t_sql[2] * 1000, 1))
"""

IMPORT = r"""
import time, tempfile, json, sqlite3
from pathlib import Path
import numpy as np, shapely, pyogrio, pyogrio.raw
from pyproj import Transformer
from django.db import connection
from shuxiang.core.actors import OPERATOR
from shuxiang.core.models import Place
from shuxiang.land import parcels
N = __N__
PER = 3000  # parcels per village: the map page is measured at a village of this size
first = list(Place.objects.filter(level=3, kind="village", parent__name="泉交河镇").order_by("code"))
villages = first + list(Place.objects.filter(level=3, kind="village").exclude(parent__name="泉交河镇").order_by("code")[1:])
assert len(villages) * PER >= N
to_gk = Transformer.from_crs(4490, 4526, always_xy=True)
x0, y0 = to_gk.transform(112.5, 28.5)
cols = 60
shapes, codes = [], []
for i in range(N):
    k, j = divmod(i, PER)
    x, y = x0 + (j % cols) * 25, y0 + k * 1100 + (j // cols) * 20
    shapes.append(shapely.box(x, y, x + 22, y + 17))
    codes.append(f"{villages[k].code}00{j + 1:05d}")
tmp = Path(tempfile.mkdtemp())
path = tmp / "dk.gpkg"
pyogrio.raw.write(str(path), np.array(shapely.to_wkb(shapes), dtype=object), [np.array(codes, dtype=object), np.array([374.0] * N)], ["DKBM", "SCMJ"], driver="GPKG", geometry_type="Polygon", crs="EPSG:4526")
def bare():
    meta, _, wkb, columns = pyogrio.raw.read(str(path))
    geoms = shapely.from_wkb(wkb)
    assert shapely.is_valid(geoms).all()
    with connection.cursor() as cur:
        cur.execute("CREATE TABLE IF NOT EXISTS bench_bare (code TEXT, geometry TEXT)")
        cur.execute("DELETE FROM bench_bare")
        cur.executemany("INSERT INTO bench_bare VALUES (%s, %s)", [(c, shapely.to_geojson(g)) for c, g in zip(columns[0], geoms)])
t0 = time.perf_counter(); bare(); t_bare = time.perf_counter() - t0
t0 = time.perf_counter(); s = parcels.do_import_parcels(path, actor=OPERATOR); t_ours = time.perf_counter() - t0
assert s.created == N
print(N, round(t_ours, 2), round(N / t_ours), round(t_bare, 2), round(N / t_bare))
"""

MAP = r"""
import time
from django.test import Client
from shuxiang.core.models import Place, User
from shuxiang.land.models import Parcel
from shuxiang.core.two_factor import mark_session
village = Place.objects.filter(level=3, kind="village", parent__name="泉交河镇").order_by("code").first()
assert Parcel.objects.filter(village=village).count() == 3000
user = User.objects.get(username="quanjiaohe")
client = Client()
client.force_login(user)
session = client.session
mark_session(session, "totp")
session.save()
def timed(url, n=30):
    assert client.get(url, HTTP_HOST="127.0.0.1").status_code == 200
    ts = []
    for _ in range(n):
        t0 = time.perf_counter(); r = client.get(url, HTTP_HOST="127.0.0.1"); ts.append((time.perf_counter() - t0) * 1000)
        assert r.status_code == 200
    ts.sort()
    return round(ts[len(ts) // 2], 1), round(ts[int(len(ts) * 0.95) - 1], 1)
page = timed(f"/land/parcels/?village={village.code}")
layer = timed(f"/land/parcels/map.geojson?village={village.code}")
print(*page, *layer)
"""


def _shell(env, script):
    out = subprocess.run(
        [SHUXIANG, "shell", "--no-imports", "-c", script], env=env, capture_output=True, text=True
    )
    if out.returncode:
        raise RuntimeError(out.stderr[-3000:])
    return out.stdout.split()


def run(args):
    members = 10_000 if args.quick else 50_000
    parcels = 3_000 if args.quick else 100_000
    load = os.getloadavg()[0]
    with scratch_env(os.environ.get("BENCH_DATABASE_URL")) as env:
        manage(env, "migrate", "--noinput")
        _shell(env, SETUP)
        lines, ours_ms, sql_ms = _shell(env, DIVIDENDS.replace("__N__", str(members)))
        n, t_imp, rate, t_bare, bare_rate = _shell(env, IMPORT.replace("__N__", str(parcels)))
        p50, p95, m50, m95 = _shell(env, MAP)
    ratio = float(ours_ms) / float(sql_ms)
    share = int(rate) / int(bare_rate)
    return "\n\n".join(
        [
            f"Land (issue 15), load at start {load:.1f}",
            table(
                [
                    [
                        f"dividend run, {lines} lines",
                        f"{ours_ms} ms",
                        f"one SQL statement {sql_ms} ms",
                        f"{ratio:.2f}× (goal ≤ 2×)",
                    ],
                    [
                        f"import {n} parcels (GeoPackage, GK)",
                        f"{t_imp} s, {rate}/s",
                        f"bare {t_bare} s, {bare_rate}/s",
                        f"{share:.0%} of bare (goal ≥ 30 %, ≥ 2,000/s)",
                    ],
                    ["parcel list page (village)", f"p50 {p50} ms", f"p95 {p95} ms", "goal p95 ≤ 300 ms"],
                    ["parcel map layer (GeoJSON)", f"p50 {m50} ms", f"p95 {m95} ms", "goal p95 ≤ 300 ms"],
                ],
                ["measure", "ours", "floor", "result"],
            ),
        ]
    )
