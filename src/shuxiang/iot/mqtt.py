"""`shuxiang mqtt`: the MQTT front end.

Subscribes (QoS 1, persistent session) to `shuxiang/v1/devices/+/telemetry`.
The paho network thread only puts messages into a bounded queue; the main
thread drains it in batches, stores each batch with `services.do_ingest` and
only then acknowledges (PUBACK) the batch's messages — paho 2.x manual acks.
A message the broker has from a device is therefore either stored or will be
redelivered. Memory is bounded twice: the broker may have at most
`receive_maximum` unacknowledged messages in flight to us (MQTT v5), and the
queue blocks the network thread when full, so an overload waits at the broker.
`workers` threads (each with its own database connection) take batches from
the queue, so one batch is parsed while another waits on the database.
"""

import json
import logging
import queue
import threading
import time
from dataclasses import dataclass, field
from urllib.parse import unquote, urlparse

import paho.mqtt.client as mqtt
from django import db
from django.urls import reverse
from django.utils import timezone
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from shuxiang.core import heartbeats
from shuxiang.core.actors import Actor
from shuxiang.core.context import origin
from shuxiang.core.errors import ServiceError
from shuxiang.iot import conf, payloads, services

log = logging.getLogger(__name__)

# A batch carries many devices' messages (the broker authenticated each device and let it publish only
# on its own topic), so it is stored as the listener, whose grant is checked once per batch.
LISTENER = Actor.system("listener")

TOPIC = "shuxiang/v1/devices/+/telemetry"
PREFIX, SUFFIX = "shuxiang/v1/devices/", "/telemetry"
DB_ERRORS = (db.OperationalError, db.InterfaceError)


def topic_for(code: str) -> str:
    return f"{PREFIX}{code}{SUFFIX}"


def parse_url(url: str):
    parsed = urlparse(url or "mqtt://127.0.0.1:1883")
    return (
        parsed.hostname or "127.0.0.1",
        parsed.port or 1883,
        unquote(parsed.username) if parsed.username else None,
        unquote(parsed.password) if parsed.password else None,
    )


@dataclass
class Stats:
    received: int = 0
    stored_messages: int = 0
    rejected_messages: int = 0
    stored_values: int = 0
    duplicate_values: int = 0
    batches: int = 0
    db_retries: int = 0
    max_queue: int = 0
    first_at: float | None = None  # wall clock of the first message taken, and of the last batch stored
    last_at: float | None = None
    latencies_ms: list = field(default_factory=list)  # commit time − payload ts, when the payload has one
    cpu_first: float | None = None
    cpu_last: float = 0.0

    def summary(self) -> dict:
        lat = sorted(self.latencies_ms)

        def pct(p):
            return round(lat[min(len(lat) - 1, int(len(lat) * p))], 1) if lat else None

        return {
            "received": self.received,
            "stored_messages": self.stored_messages,
            "rejected_messages": self.rejected_messages,
            "stored_values": self.stored_values,
            "duplicate_values": self.duplicate_values,
            "batches": self.batches,
            "db_retries": self.db_retries,
            "max_queue": self.max_queue,
            "first_at": self.first_at,
            "last_at": self.last_at,
            # CPU of the whole process (network thread included) between the first message and the last commit
            "cpu_seconds": round(self.cpu_last - self.cpu_first, 3) if self.cpu_first is not None else None,
            "latency_p50_ms": pct(0.50),
            "latency_p99_ms": pct(0.99),
        }


class Listener:
    def __init__(
        self,
        url: str,
        *,
        client_id: str = "shuxiang-ingest",
        queue_size: int = conf.MQTT_QUEUE_SIZE,
        batch_size: int = conf.MQTT_BATCH_SIZE,
        shared_group: str | None = None,
        track_latency: bool = False,
        workers: int = conf.MQTT_WORKERS,
    ):
        self.host, self.port, user, password = parse_url(url)
        self.workers = max(1, workers)
        self.stats_lock = threading.Lock()
        self.last_activity = time.monotonic()
        self.queue: queue.Queue = queue.Queue(maxsize=queue_size)
        self.batch_size = batch_size
        self.stop_event = threading.Event()
        self.stats = Stats()
        self.track_latency = track_latency
        self.connected = threading.Event()
        self.topic = f"$share/{shared_group}/{TOPIC}" if shared_group else TOPIC
        self.client = mqtt.Client(
            callback_api_version=CallbackAPIVersion.VERSION2,
            client_id=client_id,
            protocol=mqtt.MQTTv5,
            manual_ack=True,
        )
        if user:
            self.client.username_pw_set(user, password)
        self.client.reconnect_delay_set(min_delay=1, max_delay=10)
        self.client.on_connect = self._on_connect
        self.client.on_disconnect = self._on_disconnect
        self.client.on_message = self._on_message
        self.client.on_subscribe = self._on_subscribe
        self.receive_maximum = min(queue_size, 65535)

    # --- network thread -------------------------------------------------------------------

    def _on_connect(self, client, userdata, flags, reason_code, properties):
        if reason_code.is_failure:
            log.warning("MQTT connect refused: %s", reason_code)
            return
        client.subscribe(self.topic, qos=1)
        log.info("MQTT connected to %s:%s, subscribed to %s", self.host, self.port, self.topic)

    def _on_subscribe(self, client, userdata, mid, reason_codes, properties):
        if all(not rc.is_failure for rc in reason_codes):
            self.connected.set()
        else:
            log.warning("MQTT subscription refused: %s", reason_codes)

    def _on_disconnect(self, client, userdata, flags, reason_code, properties):
        self.connected.clear()
        if not self.stop_event.is_set():
            log.warning("MQTT disconnected (%s); reconnecting", reason_code)

    def _on_message(self, client, userdata, msg):
        item = (msg.topic, msg.payload, msg.mid, msg.qos)
        while not self.stop_event.is_set():
            try:
                self.queue.put(item, timeout=0.5)  # full queue: the network thread waits (backpressure)
                return
            except queue.Full:
                continue

    # --- main thread ----------------------------------------------------------------------

    def start(self):
        props = Properties(PacketTypes.CONNECT)
        props.SessionExpiryInterval = 7 * 24 * 3600  # keep our subscription and queued messages a week
        props.ReceiveMaximum = self.receive_maximum
        self.client.connect_async(self.host, self.port, keepalive=30, clean_start=False, properties=props)
        self.client.loop_start()

    def stop(self):
        self.stop_event.set()
        self.client.disconnect()
        self.client.loop_stop()

    def _take_batch(self, timeout=0.5):
        try:
            first = self.queue.get(timeout=timeout)
        except queue.Empty:
            return []
        batch = [first]
        while len(batch) < self.batch_size:
            try:
                batch.append(self.queue.get_nowait())
            except queue.Empty:
                break
        return batch

    def _message(self, topic, payload, now):
        if not (topic.startswith(PREFIX) and topic.endswith(SUFFIX)):
            return services.Message("", error=ServiceError("bad_payload", "主题不符合约定"))
        code = topic[len(PREFIX) : -len(SUFFIX)]
        try:
            return services.Message(code, payloads.parse_json(payload, now=now))
        except ServiceError as exc:
            return services.Message(code, error=exc)

    def process(self, batch) -> None:
        """Store one batch, then acknowledge it. Database trouble: reconnect and retry, never drop."""
        now = timezone.now()
        with self.stats_lock:
            if self.stats.first_at is None:
                self.stats.first_at = time.time()
                self.stats.cpu_first = time.process_time()
        messages = [self._message(topic, payload, now) for topic, payload, _, _ in batch]
        delay = 0.2
        while True:
            try:
                with origin("mqtt"):
                    outcomes = services.do_ingest(messages, actor=LISTENER, now=now)
                break
            except DB_ERRORS as exc:
                with self.stats_lock:
                    self.stats.db_retries += 1
                log.warning("database unavailable (%s); retrying batch of %d", exc, len(batch))
                db.connection.close()
                if self.stop_event.wait(delay):
                    raise
                delay = min(delay * 2, 5.0)
        stored_at = time.time()
        for _, _, mid, qos in batch:
            if qos > 0:
                self.client.ack(mid, qos)
        with self.stats_lock:
            self._count(batch, outcomes, messages, stored_at)

    def _count(self, batch, outcomes, messages, stored_at):
        for outcome, message in zip(outcomes, messages, strict=True):
            if outcome.ok:
                self.stats.stored_messages += 1
                if self.track_latency and message.values:
                    self.stats.latencies_ms.append((stored_at - message.values[0][1].timestamp()) * 1000)
            else:
                self.stats.rejected_messages += 1
            self.stats.stored_values += outcome.stored
            self.stats.duplicate_values += outcome.duplicates
        self.stats.received += len(batch)
        self.stats.batches += 1
        self.stats.last_at = max(self.stats.last_at or 0, stored_at)
        self.stats.cpu_last = time.process_time()

    def _work(self, max_messages):
        """One worker: take a batch, store it, acknowledge it. Several workers overlap their
        database round trips; each has its own connection."""
        try:
            while not self.stop_event.is_set():
                self.stats.max_queue = max(self.stats.max_queue, self.queue.qsize())
                batch = self._take_batch()
                if not batch:
                    continue
                self.last_activity = time.monotonic()
                self.process(batch)
                self.last_activity = time.monotonic()
                if max_messages is not None and self.stats.received >= max_messages:
                    self.stop_event.set()
        except Exception:  # a bug must not leave the process half alive: stop, the supervisor restarts us
            log.exception("MQTT worker failed")
            self.stop_event.set()
            raise
        finally:
            db.connection.close()

    def run(self, *, idle_exit: float | None = None, max_messages: int | None = None):
        """Process until stopped (or idle for `idle_exit` seconds, or `max_messages` handled)."""
        # Load now what the first alarm would otherwise load in the middle of a stream (the URL
        # configuration, for the alarm's link): a pause of about a second with messages waiting.
        reverse("iot:alarm_list")
        self.start()
        threads = [
            threading.Thread(target=self._work, args=(max_messages,), name=f"mqtt-worker-{i}", daemon=True)
            for i in range(self.workers)
        ]
        for t in threads:
            t.start()
        last_beat = (
            time.monotonic()
        )  # the first beat after one interval: a listener dying at start never looks alive
        try:
            while not self.stop_event.wait(0.2):
                if time.monotonic() - last_beat >= heartbeats.LISTENER_INTERVAL:
                    heartbeats.beat("mqtt", received=self.stats.received)
                    last_beat = time.monotonic()
                if idle_exit is not None and time.monotonic() - self.last_activity > idle_exit:
                    break
                if not any(t.is_alive() for t in threads):
                    break
        finally:
            self.stop_event.set()
            for t in threads:
                t.join(30)
            self.stop()
        return self.stats


def publish_json(client, code, values: dict, ts_ms: int | None = None, qos=1):
    body = {"ts": ts_ms, "values": values} if ts_ms is not None else values
    return client.publish(topic_for(code), json.dumps(body, separators=(",", ":")), qos=qos)
