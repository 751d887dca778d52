"""Issue 17 bench: importing a farmland layer, and the village map layer.

Same process, same run, same file: a GeoPackage of N polygons (200,000; 20,000 with --quick) drawn in
CGCS2000 Gauss-Krüger zone 37 (EPSG:4525) around one village —
- the bare pipeline: pyogrio read + shapely validity + raw SQL inserts of code and GeoJSON text;
- `farmland.layers.do_import_layer` (every check: fields, CRS detection and transformation to CGCS2000,
  validity, county extent, overlaps within the layer and against the stored layer, areas, versions,
  bulk inserts, audit). Goal: the bare pipeline takes ≥ 30 % of the import's time.
- the monitoring rules over every polygon for one season (a planting each, 1 % non-grain): the rule by SQL
  alone, the season run that opens the findings and cases, and the sweep again (goal ≤ 3× the SQL);
- the village map layer: `GET /api/v1/farmland/parcels/?format=geojson&kind=permanent&village=…` for a
  village of 3,000 polygons through Django's test client, p50/p95 over 30 requests (goal p95 ≤ 300 ms).
"""

import os
import subprocess

from bench.harness import SHUXIANG, manage, scratch_env

SCRIPT = r"""
import json, os, time, sqlite3
import numpy as np, pyogrio.raw, shapely
from pyproj import Transformer
from django.db import connection
from shuxiang.core import services as core
from shuxiang.core.actors import OPERATOR

N = int(os.environ["BENCH_N"])
county = core.do_create_place(actor=OPERATOR, code="430903000000", name="赫山区", level=1, kind="district", latitude=28.55, longitude=112.37)
town = core.do_create_place(actor=OPERATOR, code="430903103000", name="泉交河镇", level=2, kind="town", parent=county, latitude=28.47, longitude=112.60)
village = core.do_create_place(actor=OPERATOR, code="430903103201", name="清水村", level=3, kind="village", parent=town, latitude=28.47, longitude=112.60)
other = core.do_create_place(actor=OPERATOR, code="430903103202", name="桃花村", level=3, kind="village", parent=town, latitude=28.48, longitude=112.61)

def grid(n, size, centre):
    x0, y0 = Transformer.from_crs(4490, 4525, always_xy=True).transform(*centre)
    side = int(np.ceil(np.sqrt(n)))
    i = np.arange(n)
    xs, ys = x0 + (i % side - side / 2) * size, y0 + (i // side - side / 2) * size
    return shapely.box(xs + 1, ys + 1, xs + size - 1, ys + size - 1)

def write(path, shapes, prefix):
    codes = np.array([f"{prefix}{i:07d}" for i in range(len(shapes))], dtype=object)
    pyogrio.raw.write(path, shapely.to_wkb(shapes), [codes, np.array(["水田"] * len(shapes), dtype=object)],
                      ["TBBH", "DLMC"], driver="GPKG", geometry_type="Polygon", crs="EPSG:4525")

tmp = os.environ["SHUXIANG_VAR_DIR"]
big = os.path.join(tmp, "layer.gpkg")
write(big, grid(N, 30.0, (112.60, 28.47)), "JB")

# bare pipeline
t0 = time.perf_counter()
meta, _f, wkb, cols = pyogrio.raw.read(big)
shapes = shapely.from_wkb(wkb)
assert shapely.is_valid(shapes).all()
text = shapely.to_geojson(shapes)
with connection.cursor() as c:
    c.execute("CREATE TABLE bare_parcel (code varchar(40), geometry text)")
    c.executemany("INSERT INTO bare_parcel (code, geometry) VALUES (%s, %s)", list(zip(cols[0].tolist(), text.tolist())))
bare = time.perf_counter() - t0

from shuxiang.farmland.layers import do_import_layer
t0 = time.perf_counter()
done = do_import_layer(big, actor=OPERATOR, kind="permanent", village=village)
ours = time.perf_counter() - t0
assert done.added == N

# the monitoring rules over every polygon for one season: a planting per polygon (1 % vegetables on
# permanent farmland — what JBNT-FL-01 flags), inserted raw; then the same rule by SQL alone
# (rules.matches_sql), the season run that opens the findings and their cases, and the run again
# (the end-of-season sweep when the per-record checks have already opened them: nothing new)
from django.utils import timezone
from shuxiang.farmland import rules
from shuxiang.farmland.models import Finding, Parcel, Planting
ids = list(Parcel.objects.filter(kind="permanent").order_by("pk").values_list("pk", flat=True))
now = timezone.now()
table = connection.ops.quote_name(Planting._meta.db_table)
rows = [(pid, "2026-late", "vegetables" if k % 100 == 0 else "rice", "", 666.7, "", "imported", now)
        for k, pid in enumerate(ids)]
with connection.cursor() as c:
    c.executemany(f"INSERT INTO {table} (parcel_id, season, crop, variety, area_m2, grower_name, source, created_at) "
                  "VALUES (%s, %s, %s, %s, %s, %s, %s, %s)", rows)
t0 = time.perf_counter(); flagged = rules.matches_sql("2026-late"); rule_sql = time.perf_counter() - t0
t0 = time.perf_counter(); first = rules.run_season("2026-late", actor=OPERATOR); rule_first = time.perf_counter() - t0
t0 = time.perf_counter(); again = rules.run_season("2026-late", actor=OPERATOR); rule_sweep = time.perf_counter() - t0
assert first["opened"] == len(flagged) == Finding.objects.count() and again["opened"] == 0
rule_stats = {"rule_sql": rule_sql, "rule_first": rule_first, "rule_sweep": rule_sweep, "flagged": len(flagged), "plantings": len(rows)}

# the village map layer: 3,000 polygons of another village
small = os.path.join(tmp, "village.gpkg")
write(small, grid(3000, 30.0, (112.70, 28.47)), "TH")
do_import_layer(small, actor=OPERATOR, kind="permanent", village=other)
from django.test import Client
from shuxiang.core.models import User
user = core.do_create_user(actor=OPERATOR, username="bench_town", role="township", place=town, password="Bench-pass-2025", display_name="bench")
from shuxiang.core.two_factor import mark_session
client = Client(); client.force_login(user)
s = client.session; mark_session(s, "totp"); s.save()
url = "/api/v1/farmland/parcels/?format=geojson&kind=permanent&village=430903103202"
times = []
for i in range(32):
    t0 = time.perf_counter()
    r = client.get(url, HTTP_HOST="127.0.0.1")
    assert r.status_code == 200, r.status_code
    times.append((time.perf_counter() - t0) * 1000)
times = sorted(times[2:])
size = len(r.content)
print(json.dumps({"bare": bare, "ours": ours, "p50": times[len(times) // 2], "p95": times[int(len(times) * 0.95) - 1], "bytes": size, **rule_stats}))
"""


def run(args):
    n = 20_000 if args.quick else 200_000
    load = os.getloadavg()[0]
    with scratch_env(os.environ.get("BENCH_DATABASE_URL")) as env:
        env["BENCH_N"] = str(n)
        manage(env, "migrate", "--noinput")
        out = subprocess.run(
            [SHUXIANG, "shell", "--no-imports", "-c", SCRIPT],
            env=env,
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    import json

    r = json.loads(out.strip().splitlines()[-1])
    share = r["bare"] / r["ours"] * 100
    return "\n".join(
        [
            f"### Farmland layer import and village map (issue 17) — {n:,} polygons",
            "",
            "Command: `python -m bench farmland"
            + (" --quick`" if args.quick else "`")
            + f"; load average at start {load:.1f}.",
            "",
            "| measure | value | goal |",
            "|---|---|---|",
            f"| bare pipeline (pyogrio read + shapely validity + raw SQL inserts) | {r['bare']:.1f} s | — |",
            f"| `shuxiang farmland import` service (all checks, versions, audit) | {r['ours']:.1f} s | — |",
            f"| bare / import | {share:.0f} % | ≥ 30 % |",
            f"| village layer GeoJSON, 3,000 polygons ({r['bytes'] / 1e6:.1f} MB), p50 / p95 | {r['p50']:.0f} / {r['p95']:.0f} ms | p95 ≤ 300 ms |",
            f"| rule JBNT-FL-01 by SQL alone (`rules.matches_sql`), {r['plantings']:,} plantings → {r['flagged']:,} polygons | {r['rule_sql']:.2f} s | — |",
            f"| season run, first (opens {r['flagged']:,} findings, each with its case and audit entry) | {r['rule_first']:.1f} s | — |",
            f"| season run again (the sweep: every rule evaluated, nothing new) | {r['rule_sweep']:.2f} s | — |",
            f"| sweep / SQL | {r['rule_sweep'] / r['rule_sql']:.1f}× | ≤ 3× |",
            f"| opening a finding with its case | {r['rule_first'] / max(r['flagged'], 1) * 1000:.1f} ms each | — |",
        ]
    )
