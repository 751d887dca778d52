"""Digital feeding through a real broker: ~3,000 barn feeders (350,000 pigs) publish their FEED reading
over MQTT to Mosquitto on 127.0.0.1:1883, and the production listener (`shuxiang mqtt`, one process)
stores and rule-checks them.

SQLite scratch database. Each round is one message from every feeder (what arrives every 10 minutes),
published as a burst — the feeders of a county report on the same minute — and the rounds follow one
another as fast as the listener drains them, so the measured CPU is the listener's whole cost of a
round (MQTT decoding, batching, do_ingest, rules), not diluted by idle time. Share of one core =
listener CPU per round / 600 s (goal ≤ 25 %). The broker is a private Mosquitto started with the queue
settings of deploy/mosquitto/shuxiang.conf (or the one `SHUXIANG_BENCH_BROKER` names); the scenario's
listener has its own client id (a persistent session, created before publishing so nothing is lost while the listener starts).
"""

import json
import os
import subprocess
import threading
import time
from pathlib import Path
from urllib.parse import urlparse

from bench.harness import SHUXIANG, scratch_env, table

SETUP = """
import json, time
from shuxiang.core.actors import OPERATOR
from shuxiang.core.services import do_create_place
from shuxiang.livestock import services
from shuxiang.trace.models import Producer

d = do_create_place(actor=OPERATOR, code="430903000000", name="赫山区", level=1, kind="district")
t = do_create_place(actor=OPERATOR, code="430903103000", name="泉交河镇", level=2, kind="town", parent=d)
v = do_create_place(actor=OPERATOR, code="430903103201", name="清水村", level=3, kind="village", parent=t,
                    latitude=28.47, longitude=112.6)
producer = Producer.objects.create(name="bench", kind="cooperative", place=v)
n_pens, per_farm, heads, codes = {pens}, 20, {heads}, []
t0 = time.perf_counter()
for f in range((n_pens + per_farm - 1) // per_farm):
    farm = services.do_create_farm(actor=OPERATOR, code=f"B{{f:04d}}", name=f"bench{{f}}", kind="pig",
                                   producer=producer, place=v)
    for j in range(min(per_farm, n_pens - f * per_farm)):
        pen = services.do_create_pen(farm, actor=OPERATOR, code=f"{{j:02d}}", stage="finishing", capacity=600,
                                     feeder_code=f"F{{f:04d}}{{j:02d}}")
        services.do_record_entry(pen, actor=OPERATOR, kind="purchase", count=heads)
        codes.append(pen.feeder.code)
print(json.dumps({{"codes": codes, "heads": n_pens * heads, "setup": time.perf_counter() - t0}}))
"""


def _publisher(host, port):
    import paho.mqtt.client as mqtt
    from paho.mqtt.enums import CallbackAPIVersion

    client = mqtt.Client(
        callback_api_version=CallbackAPIVersion.VERSION2, client_id=f"bench-feeders-{os.getpid()}"
    )
    client.max_inflight_messages_set(1000)
    client.max_queued_messages_set(0)
    acked = threading.Semaphore(0)
    client.on_publish = lambda *a: acked.release()
    client.connect(host, port)
    client.loop_start()
    return client, acked


def _private_broker():
    """A Mosquitto of our own with the queue settings of deploy/mosquitto/shuxiang.conf: a machine's
    packaged broker keeps Debian's `max_queued_messages 1000` and drops what a burst queues beyond it."""
    import tempfile

    from shuxiang.iot.tests.broker import Broker

    broker = Broker(Path(tempfile.mkdtemp(prefix="bench-mosquitto-")))
    conf = broker.conf.read_text()
    conf = conf.replace("max_queued_messages 0", "max_queued_messages 100000")
    broker.conf.write_text(conf.replace("max_inflight_messages 0\n", ""))
    broker.start()
    return broker


def run(args):
    own = None
    url = os.environ.get("SHUXIANG_BENCH_BROKER")
    if not url:
        own = _private_broker()
        url = own.url
    try:
        return _run(args, url, own is not None)
    finally:
        if own is not None:
            own.stop()


def _run(args, url, private):
    broker = urlparse(url)
    n_pens = 300 if args.quick else 3000
    rounds = 3 if args.quick else 6
    heads = 350_000 // n_pens if not args.quick else 100
    client_id = f"bench-livestock-{os.getpid()}"
    with scratch_env() as env:
        env["SHUXIANG_LOG_LEVEL"] = "WARNING"
        subprocess.run([SHUXIANG, "migrate", "--noinput", "-v0"], env=env, check=True)
        out = subprocess.run(
            [SHUXIANG, "shell", "-c", SETUP.format(pens=n_pens, heads=heads)],
            env=env,
            capture_output=True,
            text=True,
        )
        if out.returncode:
            raise RuntimeError(out.stderr[-3000:])
        setup = json.loads(out.stdout.strip().splitlines()[-1])
        codes = setup["codes"]
        stats_file = str(Path(env["SHUXIANG_VAR_DIR"]) / "mqtt-stats.json")
        # create the listener's persistent session first: what is published while it starts is queued
        subprocess.run(
            [SHUXIANG, "mqtt", "--url", url, "--client-id", client_id, "--idle-exit", "1"],
            env=env,
            check=True,
            capture_output=True,
        )
        listener = subprocess.Popen(
            [
                SHUXIANG,
                "mqtt",
                "--url",
                url,
                "--client-id",
                client_id,
                "--stats",
                stats_file,
                "--idle-exit",
                "8",
            ],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        time.sleep(3)  # subscribed
        client, acked = _publisher(broker.hostname or "127.0.0.1", broker.port or 1883)
        publish_s = []
        for _round in range(rounds):
            t0 = time.perf_counter()
            for i, code in enumerate(codes):
                ts = int(time.time() * 1000)  # a round is later than the one before, per feeder
                body = json.dumps({"ts": ts, "values": {"FEED": 9.0 + (i % 7) * 0.5}})
                client.publish(f"shuxiang/v1/devices/{code}/telemetry", body, qos=1)
            for _ in codes:
                acked.acquire(timeout=60)
            publish_s.append(time.perf_counter() - t0)
        client.loop_stop()
        client.disconnect()
        listener.wait(timeout=900)
        stats = json.loads(Path(stats_file).read_text())
    per_round = stats["cpu_seconds"] / rounds
    wall = stats["last_at"] - stats["first_at"]
    rows = [
        ("barns with feeders / pigs", f"{len(codes):,} / {setup['heads']:,}"),
        ("rounds × messages published (QoS 1)", f"{rounds} × {len(codes):,}"),
        (
            "stored / rejected / lost messages",
            f"{stats['stored_messages']:,} / {stats['rejected_messages']:,} / "
            f"{rounds * len(codes) - stats['stored_messages'] - stats['rejected_messages']:,}",
        ),
        ("listener throughput while draining", f"{stats['stored_messages'] / wall:,.0f} messages/s"),
        ("listener CPU per round (MQTT decode + ingest + rules)", f"{per_round:.2f} s"),
        ("share of one core (CPU per round / 600 s)", f"{per_round / 600 * 100:.2f} % (goal ≤ 25 %)"),
        ("publish→stored p50 / p99 (bursts)", f"{stats['latency_p50_ms']} ms / {stats['latency_p99_ms']} ms"),
    ]
    return (
        "## Livestock: feeders through a real MQTT broker\n\n"
        f"Command: `python -m bench livestock_mqtt{' --quick' if args.quick else ''}` ("
        + (
            "a private Mosquitto with deploy/mosquitto/shuxiang.conf's queue settings"
            if private
            else f"Mosquitto at {url}"
        )
        + ", "
        f"`shuxiang mqtt` one process, SQLite; setup {setup['setup']:.0f} s).\n\n"
        + table(rows, ["measure", "value"])
        + "\n"
    )
