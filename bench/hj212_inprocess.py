"""Issue 19, in-process: what one HJ 212 listener worker costs per packet, without sockets or a client.

Pre-built minute uploads (CN 2051, Flag=5, 10 factors, as `bench hj212` sends them) from `--stations`
stations go through the listener's own functions: `Server._split` (framing, CRC, parsing) and
`hj212_server.handle_batch` (station check, values, `do_ingest`, 9014) in batches of `--batch` packets,
as the batcher hands them to a worker. Prints µs per packet for each half and the process CPU time per
packet (steadier than wall time on a shared machine), and with `--profile` the cProfile of the timed
rounds by own time and by cumulative time.

Run against a scratch instance:

    export SHUXIANG_VAR_DIR=/tmp/var-hj212; unset SHUXIANG_TESTING    # (or DATABASE_URL=postgres://…)
    shuxiang migrate --noinput
    python bench/hj212_inprocess.py --stations 500 --minutes 6 [--profile] [--gc freeze|off]

`--gc freeze` does what a listener process does at start-up (`rules.prepare_process`); without it the
collector walks the whole start-up heap on each full collection, as it did before.
"""

import argparse
import cProfile
import io
import os
import pstats
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # `bench` importable when run as a file

FACTORS = ["w00000", "w01001", "w01009", "w01010", "w01014", "w01018", "w01019", "w21001", "w21003", "w21011"]


def setup(stations: int, prefix: str):
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "shuxiang.settings")
    import django

    django.setup()
    from shuxiang.core.actors import OPERATOR
    from shuxiang.core.models import Place
    from shuxiang.core.services import do_create_place
    from shuxiang.iot import services
    from shuxiang.iot.models import Device

    town = Place.objects.filter(code="430903103000").first()
    if town is None:
        district = do_create_place(
            actor=OPERATOR, code="430903000000", name="赫山区", level=1, kind="district"
        )
        town = do_create_place(
            actor=OPERATOR, code="430903103000", name="泉交河镇", level=2, kind="town", parent=district
        )
    have = set(Device.objects.filter(code__startswith=prefix).values_list("code", flat=True))
    for i in range(stations):
        code = f"{prefix}{i:04d}"
        if code not in have:
            services.do_register_device(
                actor=OPERATOR, code=code, protocol="hj212", place=town, hj212_password="123456"
            )


def packets(stations: int, minutes: int, prefix: str, base: datetime) -> list[bytes]:
    from shuxiang.iot import hj212

    out = []
    for m in range(minutes):
        at = base + timedelta(minutes=m)
        for i in range(stations):
            values = {f: float((i * 7 + j + m) % 90 + 1) for j, f in enumerate(FACTORS)}
            out.append(
                hj212.build_upload(
                    mn=f"{prefix}{i:04d}", pw="123456", cn=hj212.MINUTE, at=at, values=values, flag=5
                )
            )
    return out


def main(argv=None):
    parser = argparse.ArgumentParser()
    parser.add_argument("--stations", type=int, default=500)
    parser.add_argument("--minutes", type=int, default=6)
    parser.add_argument("--batch", type=int, default=500)
    parser.add_argument("--prefix", default="PF")
    parser.add_argument("--profile", action="store_true")
    parser.add_argument(
        "--gc", default="", help="freeze: gc.freeze() before the timed rounds; off: gc.disable()"
    )
    args = parser.parse_args(argv)
    setup(args.stations, args.prefix)
    from shuxiang.iot import hj212_server

    # each run stores new minutes: start after whatever an earlier run stored
    from shuxiang.iot.models import Reading

    last = Reading.objects.filter(sensor__device__code__startswith=args.prefix).order_by("-ts").first()
    now = datetime.now(UTC)
    base = (last.ts + timedelta(minutes=1)) if last else now - timedelta(days=20)
    warm = packets(args.stations, 1, args.prefix, base)
    timed = packets(args.stations, args.minutes, args.prefix, base + timedelta(minutes=1))
    stats = hj212_server.Stats()
    hj212_server.handle_batch(hj212_server.Server._split(b"".join(warm))[1], stats)  # sensors made

    import gc

    if args.gc == "freeze":
        gc.collect()
        gc.freeze()
    elif args.gc == "off":
        gc.disable()
    collections = sum(g["collections"] for g in gc.get_stats())
    profiler = cProfile.Profile() if args.profile else None
    split_s = handle_s = 0.0
    cpu = time.process_time()
    wall = time.perf_counter()
    answers = 0
    if profiler:
        profiler.enable()
    for start in range(0, len(timed), args.batch):
        chunk = timed[start : start + args.batch]
        t0 = time.perf_counter()
        items = []
        for packet in chunk:  # one packet per read, as a station waiting for its 9014 sends them
            items.extend(hj212_server.Server._split(packet)[1])
        t1 = time.perf_counter()
        hj212_server.handle_batch(items, stats)
        t2 = time.perf_counter()
        split_s += t1 - t0
        handle_s += t2 - t1
        answers += sum(1 for i in items for r in i.replies if b"CN=9014" in r)
    cpu = time.process_time() - cpu
    wall = time.perf_counter() - wall
    if profiler:
        profiler.disable()
    n = len(timed)
    print(
        f"{n} packets: split {split_s / n * 1e6:.0f} µs/packet, handle_batch {handle_s / n * 1e6:.0f} µs/packet "
        f"(wall); process CPU {cpu / n * 1e6:.0f} µs/packet = {n / cpu:,.0f} packets per CPU-second "
        f"(wall {wall / n * 1e6:.0f} µs); {answers} answered 9014, {stats.stored} values stored, "
        f"{stats.refused} refused; {sum(g['collections'] for g in gc.get_stats()) - collections} gc collections"
    )
    if profiler:
        for key in ("tottime", "cumulative"):
            out = io.StringIO()
            pstats.Stats(profiler, stream=out).sort_stats(key).print_stats(35)
            print(out.getvalue())


if __name__ == "__main__":
    main()
