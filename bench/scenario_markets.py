"""Issue 20 bench: price warnings recomputed for 200 products × 300 points × 5 years of weekly prices.

The arithmetic of `markets.monitor` (product × township means with np.bincount, then week-on-week,
year-on-year, ALPS, IFPA and the 猪粮比, then the levels from each method's bands) over 15.6 million
synthetic observations held in memory, beside the same arithmetic written as the leanest numpy in
the same run (ALPS as one batched least-squares over every complete series, IFPA with the calendar
months standardised along one axis). Reading the prices from the database and writing the levels
are not in this figure (see docs/markets.md). Goal: ≤ 10 s and ≤ 3× the numpy floor.
"""

import subprocess
import sys

from bench.harness import scratch_env

SCRIPT = r"""
import sys, time, types
import numpy as np
import django
django.setup()
from shuxiang.markets import early_warning as ew, monitor
from shuxiang.markets.choices import MethodKind

products, points, townships, weeks = [int(x) for x in sys.argv[1:5]]
rng = np.random.default_rng(7)
n = products * points * weeks
t0 = time.perf_counter()
product = np.repeat(np.arange(1, products + 1), points * weeks)
point = np.tile(np.repeat(np.arange(points), weeks), products)
township = point % townships + 1000
start = monitor.EPOCH.toordinal() + 7 * 1000
ordinal = np.tile(np.arange(weeks) * 7 + start, products * points)
season = 1 + 0.1 * np.cos(2 * np.pi * (np.arange(weeks) % 52) / 52)
base = rng.uniform(2, 40, products + 1)
price = base[product] * np.tile(season, products * points) * (1 + rng.normal(0, 0.02, n))
made = time.perf_counter() - t0
bands = {
    "wow": [{"from": 30, "level": "crisis"}, {"from": 20, "to": 30, "level": "alert"}, {"from": 10, "to": 20, "level": "stress"}],
    "alps": [{"from": 2, "level": "crisis"}, {"from": 1, "to": 2, "level": "alert"}, {"from": 0.25, "to": 1, "level": "stress"}],
    "hog": [{"to": 5, "level": "crisis"}, {"from": 5, "to": 6, "weeks": 3, "level": "alert"}, {"to": 6, "level": "stress"}],
}
methods = [
    types.SimpleNamespace(kind=MethodKind.WOW, params={"lag": 1}, frequency="week", bands=bands["wow"]),
    types.SimpleNamespace(kind=MethodKind.YOY, params={"lag": 52}, frequency="week", bands=bands["wow"]),
    types.SimpleNamespace(kind=MethodKind.ALPS, params={}, frequency="month", bands=bands["alps"]),
    types.SimpleNamespace(kind=MethodKind.IFPA, params={}, frequency="month", bands=bands["alps"]),
    types.SimpleNamespace(kind=MethodKind.HOG_GRAIN, params={"numerator": "hog", "denominator": "maize"}, frequency="week", bands=bands["hog"]),
]
codes = {"hog": types.SimpleNamespace(pk=1), "maize": types.SimpleNamespace(pk=2)}

def ours():
    obs = (product, township, ordinal, price)
    series = {f: monitor.build_series(obs, f, district_id=1) for f in ("week", "month")}
    levels = 0
    for m in methods:
        keys, values = monitor.method_values(m, series[m.frequency], codes)
        levels += int((ew.level_codes(values, m.bands) >= 0).sum())
    return levels

def floor():
    # the same means, then each method as whole-matrix numpy
    def means(period):
        first = period.min(); periods = period.max() - first + 1
        group = (product - 1) * townships + (township - 1000)
        flat = group * periods + (period - first)
        s = np.bincount(flat, weights=price, minlength=products * townships * periods)
        c = np.bincount(flat, minlength=products * townships * periods)
        with np.errstate(invalid="ignore", divide="ignore"):
            return (s / c).reshape(products * townships, periods)
    week = means((ordinal - monitor.EPOCH.toordinal()) // 7)
    low = ordinal.min()
    days = np.datetime64("0001-01-01") + (np.arange(low, ordinal.max() + 1) - 1).astype("timedelta64[D]")
    month = means(days.astype("datetime64[M]").astype(np.int64)[ordinal - low])
    wow = (week[:, 1:] / week[:, :-1] - 1) * 100
    yoy = (week[:, 52:] / week[:, :-52] - 1) * 100
    m = month.shape[1]
    cal = np.arange(m) % 12
    X = np.column_stack([np.ones(m), np.arange(m)] + [(cal == k).astype(float) for k in range(1, 12)])
    coef, *_ = np.linalg.lstsq(X, month.T, rcond=None)
    resid = month.T - X @ coef
    alps = resid / np.sqrt((resid ** 2).sum(axis=0) / (m - 13))
    cq = np.power(month[:, 3:] / month[:, :-3], 1 / 3) - 1
    ca = np.power(month[:, 12:] / month[:, :-12], 1 / 12) - 1
    def z(r, offset):
        out = np.empty_like(r)
        for k in range(12):
            cols = np.arange(r.shape[1])[(np.arange(r.shape[1]) + offset) % 12 == k]
            x = r[:, cols]; out[:, cols] = (x - x.mean(axis=1, keepdims=True)) / x.std(axis=1, keepdims=True)
        return out
    ifpa = 0.4 * z(cq[:, 9:], 12) + 0.6 * z(ca, 12)
    hog = week[0:townships] / week[townships:2 * townships]
    total = 0
    for values, b in ((wow, bands["wow"]), (yoy, bands["wow"]), (alps.T, bands["alps"]), (ifpa, bands["alps"]), (hog, bands["hog"])):
        total += int((ew.level_codes(values, b) >= 0).sum())
    return total

t = time.perf_counter(); a = ours(); ours_s = time.perf_counter() - t
t = time.perf_counter(); b = floor(); floor_s = time.perf_counter() - t
print(f"{n} {made:.2f} {ours_s:.2f} {floor_s:.2f} {a} {b}")
"""


def run(args):
    products, points, townships, weeks = (20, 60, 18, 260) if args.quick else (200, 300, 18, 260)
    with scratch_env() as env:
        env["DJANGO_SETTINGS_MODULE"] = "shuxiang.settings"
        out = subprocess.run(
            [sys.executable, "-c", SCRIPT, str(products), str(points), str(townships), str(weeks)],
            env=env,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.split()
    n, made, ours, floor, levels, floor_levels = out
    ratio = float(ours) / float(floor)
    return "\n".join(
        [
            "## Price warnings recomputed (issue 20)",
            "",
            f"`python -m bench markets{' --quick' if args.quick else ''}` — {int(n):,} weekly prices "
            f"({products} products × {points} points in {townships} townships × {weeks} weeks), in memory.",
            "",
            "| step | seconds |",
            "|---|---|",
            f"| markets.monitor: means, five methods, levels ({int(levels):,} levels) | {ours} |",
            f"| numpy floor, same arithmetic ({int(floor_levels):,} levels) | {floor} |",
            f"| ratio | {ratio:.1f}× (goal ≤ 3×; goal ≤ 10 s) |",
            "",
            f"(building the synthetic prices: {made} s, not counted)",
        ]
    )
