"""In-process cost of the needs market's public list (issue 22): bare view, cached page, API list.

Run inside an instance holding postings (e.g. the market scenario's data) with SHUXIANG_BENCH_VIEWS=true:
    shuxiang shell --no-imports -c "$(cat bench/market_profile.py)"
Prints median and p95 of 300 sequential requests each through the Django test client.
"""

import statistics
import time

from django.test import Client

c = Client(HTTP_HOST="localhost")
paths = {
    "bare": "/__bench__/bare",
    "page": "/market/?place=430903103000&kind=job",
    "api": "/api/v1/market/postings/?place=430903103000&kind=job",
}
for name, path in paths.items():
    c.get(path)
    ts = []
    for _ in range(300):
        t = time.perf_counter()
        r = c.get(path)
        ts.append((time.perf_counter() - t) * 1000)
        assert r.status_code == 200, (path, r.status_code)
    ts.sort()
    print(f"{name:5s} median {statistics.median(ts):.2f} ms  p95 {ts[int(len(ts) * 0.95)]:.2f} ms")
