"""JT/T 808: locations stored per second through `shuxiang jt808 serve`, beside the engine's own ceiling.

A scratch SQLite instance with N terminals (`device add … --protocol jt808`). The production listener
(`shuxiang jt808 serve`, one process) runs; N simulated terminals connect from this process (asyncio),
register, authenticate, then each sends its locations in windows of W frames and waits for every
0x8001 before the next window (an acknowledged location is stored). Measured:

1. locations/s acknowledged through the listener (wall time from the first location to the last ack);
2. the baseline in the same run: `do_ingest` called directly with the same positions (same keys per
   position, batches of 2,000) — the iot engine's ceiling, no sockets, no frames;
3. worked area: `machinery.work.compute` on a day of tracks of 500 machines (8 working hours, a fix
   every 5 s), goal ≤ 30 s.
"""

import asyncio
import json
import struct
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta

from bench.harness import ROOT, SHUXIANG, free_port, manage, scratch_database, scratch_env, table

sys.path.insert(0, str(ROOT / "src"))

SETUP = """
from shuxiang.core.actors import OPERATOR
from shuxiang.core.services import do_create_place
from shuxiang.iot import services
d = do_create_place(actor=OPERATOR, code="430903000000", name="赫山区", level=1, kind="district")
t = do_create_place(actor=OPERATOR, code="430903103000", name="泉交河镇", level=2, kind="town", parent=d)
for i in range({n}):
    services.do_register_device(actor=OPERATOR, code=f"0139{{i:08d}}", protocol="jt808", place=t)
print("ok")
"""

BASELINE = """
import json, time
from datetime import UTC, datetime, timedelta
from shuxiang.core.actors import Actor
from shuxiang.iot import jt808, services
base = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=6)
messages = []
for k in range({per}):
    for i in range({n}):
        body = jt808.location_body(lat=28.47 + i * 1e-4 + k * 1e-5, lon=112.6, time=base + timedelta(seconds=k),
                                   speed=6.0, direction=90, altitude=40)
        messages.append(services.Message(f"0139{{i:08d}}", jt808.parse_location(body).values((0, 0))))
started = time.perf_counter()
for s in range(0, len(messages), 2000):
    services.do_ingest(messages[s:s + 2000], actor=Actor.system("listener"))
print(json.dumps({{"seconds": time.perf_counter() - started, "locations": len(messages)}}))
"""


async def _terminal(port, phone, frames, window, acks, ready, go, first):
    from shuxiang.iot import jt808

    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    splitter = jt808.Splitter()
    inbox: list = []

    async def receive():
        while not inbox:
            data = await reader.read(65536)
            if not data:
                raise ConnectionError("closed")
            inbox.extend(f for f in splitter.feed(data) if isinstance(f, jt808.Frame))
        return inbox.pop(0)

    writer.write(jt808.encode_frame(jt808.REGISTER, phone, 1, jt808.register_body()))
    reply = await receive()
    code = reply.body[3:]
    writer.write(jt808.encode_frame(jt808.AUTH, phone, 2, code))
    await receive()
    # a first location, not timed: a terminal's sensors are made on its first report, once in its life
    writer.write(jt808.encode_frame(jt808.LOCATION, phone, 3, first))
    await writer.drain()
    await receive()
    ready.append(phone)
    await go.wait()
    serial = 4
    for s in range(0, len(frames), window):
        chunk = frames[s : s + window]
        writer.write(
            b"".join(
                jt808.encode_frame(jt808.LOCATION, phone, serial + j, body) for j, body in enumerate(chunk)
            )
        )
        serial += len(chunk)
        await writer.drain()
        for _ in chunk:
            frame = await receive()
            if struct.unpack(">HHB", frame.body)[2] == jt808.OK:
                acks.append(time.perf_counter())
    writer.close()


async def _drive(port, n, per, window):
    from shuxiang.iot import jt808

    base = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=3)
    acks, ready, go = [], [], asyncio.Event()
    tasks = []
    for i in range(n):
        frames = [
            jt808.location_body(
                lat=28.47 + i * 1e-4 + k * 1e-5,
                lon=112.6,
                time=base + timedelta(seconds=k),
                speed=6.0,
                direction=90,
            )
            for k in range(per)
        ]
        first = jt808.location_body(
            lat=28.47 + i * 1e-4, lon=112.6, time=base - timedelta(minutes=1), speed=0.0, direction=0
        )
        tasks.append(
            asyncio.create_task(_terminal(port, f"0139{i:08d}", frames, window, acks, ready, go, first))
        )
        if i % 100 == 99:
            await asyncio.sleep(0.05)
    while len(ready) < n:
        await asyncio.sleep(0.05)
        if any(t.done() and t.exception() for t in tasks):
            raise next(t.exception() for t in tasks if t.done() and t.exception())
    started = time.perf_counter()
    go.set()
    await asyncio.gather(*tasks)
    return len(acks), (max(acks) - started) if acks else 0.0


def _worked_area(machines=500):
    from shuxiang.machinery import work

    base = datetime(2026, 10, 25, 0, 0, tzinfo=UTC)
    tracks = []
    for m in range(machines):
        points, t = [], base
        lon0, lat0 = 112.4 + (m % 25) * 0.01, 28.4 + (m // 25) * 0.01
        for k in range(8 * 3600 // 5):  # passes of 300 m at 6 km/h, 2.5 m apart, implement up on turns
            pass_no, step = divmod(k, 36)
            x = step * 8.33 if pass_no % 2 == 0 else (35 - step) * 8.33
            lat = lat0 + pass_no * 2.5 / 111_000
            lon = lon0 + x / 97_800
            points.append(work.TrackPoint(t, lat, lon, 6.0, True, 0.0 if step == 35 else 1.0))
            t += timedelta(seconds=5)
        tracks.append(points)
    started = time.perf_counter()
    total = 0.0
    for points in tracks:
        total += work.compute(points, 2.5, "till").net_m2
    return time.perf_counter() - started, len(tracks[0]), total / machines


def _wait_for(port, proc, timeout=120):
    import socket

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError("jt808 serve exited")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.5)
    raise RuntimeError("jt808 serve did not start")


def run(args):
    """`BENCH_PG=postgres://postgres@127.0.0.1:5432` runs on a scratch PostgreSQL database instead of
    SQLite; `BENCH_JT808_PROCESSES=N` starts N listener processes on one port (`--reuse-port`)."""
    import os

    n, per, window = (100, 20, 10) if args.quick else (1000, 30, 10)
    processes = int(os.environ.get("BENCH_JT808_PROCESSES", "1"))
    rows = []
    with (
        scratch_database(os.environ.get("BENCH_PG"), "sx_bench_jt808") as database_url,
        scratch_env(database_url) as env,
    ):
        manage(env, "migrate", "-v0")
        out = subprocess.run(
            [SHUXIANG, "shell", "-c", SETUP.format(n=n)], env=env, capture_output=True, text=True
        )
        if out.returncode:
            raise RuntimeError(out.stderr[-2000:])
        port = free_port()
        reuse = ["--reuse-port"] if processes > 1 else []
        procs = [
            subprocess.Popen(
                [SHUXIANG, "jt808", "serve", "--host", "127.0.0.1", "--port", str(port), *reuse],
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            for _ in range(processes)
        ]
        try:
            for proc in procs:
                _wait_for(port, proc)
            time.sleep(1 if processes > 1 else 0)  # every process bound before the terminals connect
            acked, seconds = asyncio.run(_drive(port, n, per, window))
        finally:
            for proc in procs:
                proc.terminate()
                proc.wait(10)
        rate = acked / seconds if seconds else 0
        rows.append(
            (
                f"`jt808 serve` ({processes} process(es)), acknowledged",
                acked,
                f"{seconds:.1f}",
                f"{rate:,.0f}",
            )
        )
        base = subprocess.run(
            [SHUXIANG, "shell", "-c", BASELINE.format(n=n, per=per)], env=env, capture_output=True, text=True
        )
        if base.returncode:
            raise RuntimeError(base.stderr[-2000:])
        result = json.loads(base.stdout.strip().splitlines()[-1])
        ceiling = result["locations"] / result["seconds"]
        rows.append(
            (
                "`do_ingest` directly (engine ceiling)",
                result["locations"],
                f"{result['seconds']:.1f}",
                f"{ceiling:,.0f}",
            )
        )
    import os

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "shuxiang.settings")
    machines = 50 if args.quick else 500
    area_seconds, points, mean_m2 = _worked_area(machines)
    return "\n".join(
        [
            "## JT/T 808 ingestion and worked area",
            "",
            f"`python -m bench jt808` — {'PostgreSQL' if os.environ.get('BENCH_PG') else 'SQLite'}, "
            f"{n} terminals × {per} locations, window {window} frames;"
            " 10 readings per location (position, speed, direction, alarm/status words, acc, positioned).",
            "",
            table(rows, ["path", "locations", "seconds", "locations/s"]),
            "",
            f"Listener / engine ceiling: {rate / ceiling:.2f}. Goal ≥ 5,000 locations/s.",
            "",
            f"Worked area: {machines} machines × one day ({points} fixes each) in {area_seconds:.1f} s"
            f" (goal ≤ 30 s for 500); mean net area {mean_m2 / 666.67:.1f} 亩.",
        ]
    )
