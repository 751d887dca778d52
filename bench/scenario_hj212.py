"""HJ 212 minute data from 500 stations through `shuxiang hj212 serve`, beside `do_ingest` alone.

A scratch SQLite instance (or a scratch PostgreSQL database with BENCH_PG=postgres://postgres@127.0.0.1:5432), 500 stations registered with
protocol hj212 and a password. The production listener (`shuxiang hj212 serve`, one process) on a loopback
port; in this process an asyncio client opens one TCP connection per station and each station sends its
minute uploads (CN 2051, Flag=5, 10 factors, each -Min/-Avg/-Max, the average stored) one after another, waiting
for the 9014 before the next — as a station does. Measured: packets/s stored and answered (goal ≥ 2,000),
values/s, p50/p99 packet→9014. Baseline in the same run: the same messages (same keys, same batch size)
through `services.do_ingest` in one process, no sockets, no parsing.
"""

import asyncio
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bench.harness import ROOT, SHUXIANG, free_port, scratch_database, scratch_env, table

sys.path.insert(0, str(ROOT / "src"))

STATIONS = 500
ANSWER_TIMEOUT = 30  # seconds a bench station waits for its 9014 before it counts the upload as unanswered
WORKERS = os.environ.get("BENCH_HJ212_WORKERS", "1")  # SQLite has one writer: a second worker only waits
FACTORS = ["w00000", "w01001", "w01009", "w01010", "w01014", "w01018", "w01019", "w21001", "w21003", "w21011"]

SETUP = """
from shuxiang.core.actors import OPERATOR
from shuxiang.core.models import Place
from shuxiang.core.services import do_create_place
from shuxiang.iot import services
t = Place.objects.filter(code="430903103000").first()
if t is None:
    d = do_create_place(actor=OPERATOR, code="430903000000", name="赫山区", level=1, kind="district")
    t = do_create_place(actor=OPERATOR, code="430903103000", name="泉交河镇", level=2, kind="town", parent=d)
for i in range({n}):
    services.do_register_device(actor=OPERATOR, code=f"{prefix}{{i:04d}}", protocol="hj212", place=t,
        hj212_password="123456")
print("ok")
"""

BASELINE = """
import json, time
from datetime import UTC, datetime, timedelta
from shuxiang.core.actors import Actor
from shuxiang.iot import services
factors = {factors!r}
base = datetime(2026, 6, 1, tzinfo=UTC) + timedelta(days=2)
messages = []
for m in range({per}):
    at = base + timedelta(minutes=m)
    for i in range({n}):
        values = [(f, at, float((i * 7 + j + m) % 90 + 1)) for j, f in enumerate(factors)]
        messages.append(services.Message(f"BASE{{i:04d}}", values))
now = base + timedelta(days=1)
# not timed, as for the listener: each station's first upload, which makes its sensors (once in its life)
services.do_ingest([services.Message(f"BASE{{i:04d}}", [(f, base - timedelta(minutes=1), 1.0) for f in factors])
                    for i in range({n})], actor=Actor.system("listener"), now=now)
started = time.perf_counter()
for s in range(0, len(messages), 500):
    services.do_ingest(messages[s:s + 500], actor=Actor.system("listener"), now=now)
print(json.dumps({{"seconds": time.perf_counter() - started, "messages": len(messages)}}))
"""


def _sh(env, code):
    out = subprocess.run([SHUXIANG, "shell", "-c", code], env=env, capture_output=True, text=True)
    if out.returncode:
        raise RuntimeError(out.stderr[-3000:])
    return out.stdout.strip().splitlines()[-1]


async def _station(port, mn, per, base, latencies, counts, warmed, go):
    """One station: a first upload (not timed: its sensors are made on a station's first upload, once
    in its life), then, once every station has sent its first, `per` minute uploads one after another,
    each waiting for its 9014."""
    from shuxiang.iot import hj212

    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    buffer = b""
    # Built before the clock starts: the client shares the two cores with the listener, and building a
    # packet (numbers, CRC) is the station's work, not the platform's.
    seed = sum(mn.encode())  # not hash(): the same values in every run
    packets = {
        m: hj212.build_upload(
            mn=mn,
            pw="123456",
            cn=hj212.MINUTE,
            at=base + timedelta(minutes=m),
            values={f: float((seed + j + m) % 90 + 1) for j, f in enumerate(FACTORS)},
            flag=5,
        )
        for m in range(-1, per)
    }

    async def upload(m):
        nonlocal buffer
        packet = packets[m]
        sent = time.perf_counter()
        writer.write(packet)
        await writer.drain()
        while True:
            data, used = hj212.read_packet(buffer)
            if data is not None:
                buffer = buffer[used:]
                break
            try:  # a station gives up on an answer after a while (the listener's idle timeout is 10 min)
                async with asyncio.timeout(ANSWER_TIMEOUT):
                    chunk = await reader.read(4096)
            except TimeoutError:
                return None
            if not chunk:
                return None
            buffer += chunk
        return time.perf_counter() - sent, data

    try:
        await upload(-1)
        warmed.append(mn)
        await go.wait()
        for m in range(per):
            answer = await upload(m)
            if answer is None:
                return
            latencies.append(answer[0])
            if b"CN=9014" in answer[1]:
                counts["answered"] += 1
    finally:
        writer.close()


async def _load(port, per, stations):
    base = datetime.now(UTC).replace(second=0, microsecond=0) - timedelta(minutes=per + 5)
    latencies, counts, warmed, go = [], {"answered": 0}, [], asyncio.Event()
    tasks = [
        asyncio.create_task(_station(port, f"ST{i:04d}", per, base, latencies, counts, warmed, go))
        for i in range(stations)
    ]
    while len(warmed) < stations:
        await asyncio.sleep(0.05)
        failed = [t for t in tasks if t.done() and t.exception()]
        if failed:
            raise failed[0].exception()
    started = time.perf_counter()
    go.set()
    await asyncio.gather(*tasks)
    return time.perf_counter() - started, latencies, counts


def run(args):
    per = 4 if args.quick else 12
    stations = 100 if args.quick else STATIONS
    with (
        scratch_database(os.environ.get("BENCH_PG"), "sx_bench_hj212") as database_url,
        scratch_env(database_url) as env,
    ):
        subprocess.run([SHUXIANG, "migrate", "-v0"], env=env, check=True)
        _sh(env, SETUP.format(n=stations, prefix="ST"))
        _sh(env, SETUP.format(n=stations, prefix="BASE"))
        port = free_port()
        listener_log = Path(env["SHUXIANG_VAR_DIR"]) / "hj212-serve.log"
        listener = subprocess.Popen(
            [SHUXIANG, "hj212", "serve", "--host", "127.0.0.1", "--port", str(port), "--workers", WORKERS],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=listener_log.open("w"),
        )
        try:
            for _ in range(100):
                try:
                    import socket

                    socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                    break
                except OSError:
                    time.sleep(0.2)
            seconds, latencies, counts = asyncio.run(_load(port, per, stations))
        finally:
            listener.terminate()
            listener.wait(10)
        errors = [
            line
            for line in listener_log.read_text().splitlines()
            # the listener's own reports (a refused or failed batch, an unexpected error), not the
            # connections cancelled by its shutdown at the end
            if line.startswith("hj212") and any(word in line for word in ("failed", "refused", "unexpected"))
        ]
        if errors:  # the scratch folder goes away: keep the listener's log where it can be read
            kept = Path(tempfile.gettempdir()) / "shuxiang-bench-hj212-serve.log"
            shutil.copy(listener_log, kept)
            errors.append(f"(the whole log: {kept})")
        stored = int(
            _sh(
                env,
                'from shuxiang.iot.models import Reading\nprint(Reading.objects.filter(sensor__device__code__startswith="ST").count())',
            )
        )
        baseline = json.loads(_sh(env, BASELINE.format(factors=FACTORS, per=per, n=stations)))
    packets = stations * per
    if errors:
        print(f"listener errors ({len(errors)}, the last 20):", *errors[-20:], sep="\n", file=sys.stderr)
    latencies.sort()
    p = lambda q: latencies[min(len(latencies) - 1, int(q * len(latencies)))] * 1000  # noqa: E731
    rate = counts["answered"] / seconds  # answered and stored; an unanswered upload is not counted
    base_rate = baseline["messages"] / baseline["seconds"]
    rows = [
        (
            "`hj212 serve` (TCP, parse, check, store, 9014)",
            f"{rate:,.0f} packets/s",
            f"{(stored - stations * len(FACTORS)) / seconds:,.0f} values/s",
            f"p50 {p(0.5):.0f} ms, p99 {p(0.99):.0f} ms",
        ),
        (
            "`do_ingest` alone (same messages, batches of 500)",
            f"{base_rate:,.0f} messages/s",
            f"{base_rate * 10:,.0f} values/s",
            "—",
        ),
    ]
    return (
        f"## HJ 212 minute data, {stations} stations × {per} uploads, 10 factors each\n\n"
        f"Command: `python -m bench hj212{' --quick' if args.quick else ''}` (SQLite unless BENCH_PG; "
        f"listener `--workers {WORKERS}`). "
        f"{counts['answered']} of {packets} uploads answered 9014; {stored} values stored (each station's "
        "first upload, which makes its sensors, is sent before the clock starts, on both paths).\n\n"
        + table(rows, ["path", "packets", "values", "latency"])
        + f"\n\nRatio listener / do_ingest alone: {rate / base_rate:.2f}. Goal ≥ 2,000 packets/s: "
        + ("met" if rate >= 2000 else "not met")
        + ".\n"
    )
