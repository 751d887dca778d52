"""`shuxiang jt808 serve`: the JT/T 808 TCP front end for BeiDou/GNSS terminals (farm machines, buses).

One asyncio loop accepts connections and cuts each byte stream into frames (`jt808.Splitter`: frames
split across reads, a lone 0x7D at a read boundary, garbage between frames). Every frame is answered
in the header version it came in (2013 or 2019, decided per frame).

- Register 0x0100: a terminal added with `shuxiang device add PHONE --protocol jt808` is answered
  0x8100 result 0 with its auth code; an unknown one result 4 (counted). The plate, maker and model
  it sends are announced (`terminal_registered`), not matched.
- Auth 0x0102: the code is checked; the connection is then authenticated for that terminal. Auth
  codes are derived (HMAC of the server secret, the device code and its token digest), so any
  server process can check them: several processes may share one port (`--reuse-port`).
- Heartbeat 0x0002 and logout 0x0003: answered 0x8001.
- Location 0x0200 and batch 0x0704: every position goes to the iot engine's `do_ingest` (one call per
  batch of frames from all connections) and the frame is answered 0x8001 only after it returned —
  a location acknowledged is stored. If the database fails, nothing is answered and the terminal
  sends the frame again. A position outside ±90/±180, or a jump from the terminal's last position
  faster than `JUMP_KMH`, is refused and counted (`bad_position`); positions the terminal marks
  "not positioned" are stored (under `positioned` = 0) but are not compared.
- Unknown message ids are answered 0x8001 result 3; bad checks, bad escapes, lengths that disagree
  with the header, data from unknown or unauthenticated terminals are refused and counted against
  the terminal's phone number like the other ways in. Nothing of that stops the listener.
"""

import asyncio
import hashlib
import hmac
import logging
import math
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import django.dispatch
from django import db
from django.conf import settings

from shuxiang.core import heartbeats
from shuxiang.core.actors import Actor
from shuxiang.core.context import origin
from shuxiang.core.errors import ServiceError
from shuxiang.iot import jt808, services
from shuxiang.iot.choices import Protocol
from shuxiang.iot.models import Device
from shuxiang.iot.tcp import ThreadedServer

log = logging.getLogger(__name__)

IDLE_TIMEOUT = 600  # seconds without a byte (terminals send heartbeats every minute or so)
JUMP_KMH = 300.0  # a position implying a faster move from the last one is impossible
JUMP_MIN_METRES = 1000.0  # below this any move is plausible (GNSS noise, one-second intervals)
BATCH_MESSAGES = 2000  # positions per do_ingest call at most
LISTENER = Actor.system("listener")

# Sent (in a worker thread) when a known terminal registers: apps that keep vehicle records store
# the plate and maker it reports. Arguments: code, registration (jt808.Registration).
terminal_registered = django.dispatch.Signal()


def auth_code(device: Device) -> str:
    """The auth code of a terminal: stable for a device, changes when its token is rotated."""
    key = settings.SECRET_KEY.encode()
    digest = hmac.new(key, f"jt808:{device.code}:{device.token_digest}".encode(), hashlib.sha256)
    return digest.hexdigest()[:16].upper()


def _terminal(phone: str) -> Device | None:
    return Device.objects.filter(code=phone, protocol=Protocol.JT808, is_active=True).first()


def _count(phone: str, reason: str, message: str) -> None:
    if not db.connection.in_atomic_block:  # a caller's transaction (a test's) keeps its connection
        db.close_old_connections()
    with origin("jt808"):
        if reason == "unauthenticated" and phone and services.caches.device(phone) is None:
            reason, message = "unknown_device", f"终端 {phone} 未登记"
        services.count_rejection(phone or "", ServiceError(reason, message))


def _register(frame: jt808.Frame) -> tuple[int, str]:
    """(0x8100 result, auth code)."""
    if not db.connection.in_atomic_block:  # a caller's transaction (a test's) keeps its connection
        db.close_old_connections()
    with origin("jt808"):
        registration = jt808.parse_register(frame)
        device = _terminal(frame.phone)
        if device is None:
            services.count_rejection(
                frame.phone, ServiceError("unknown_device", f"终端 {frame.phone} 未登记")
            )
            return jt808.REG_NO_TERMINAL, ""
        terminal_registered.send(sender=Device, code=device.code, registration=registration)
        return jt808.REG_OK, auth_code(device)


def _authenticate(frame: jt808.Frame) -> bool:
    if not db.connection.in_atomic_block:  # a caller's transaction (a test's) keeps its connection
        db.close_old_connections()
    with origin("jt808"):
        code = jt808.parse_auth(frame)
        device = _terminal(frame.phone)
        if device is None:
            services.count_rejection(
                frame.phone, ServiceError("unknown_device", f"终端 {frame.phone} 未登记")
            )
            return False
        if not hmac.compare_digest(code.encode(), auth_code(device).encode()):
            services.count_rejection(frame.phone, ServiceError("wrong_password", "JT/T 808 鉴权码错误"))
            return False
        services.do_touch_device(frame.phone, actor=Actor.device(frame.phone))
        return True


def _touch(phone: str) -> None:
    if not db.connection.in_atomic_block:  # a caller's transaction (a test's) keeps its connection
        db.close_old_connections()
    with origin("jt808"):
        services.do_touch_device(phone, actor=Actor.device(phone))


def _ingest(messages: list) -> list:
    if not db.connection.in_atomic_block:  # a caller's transaction (a test's) keeps its connection
        db.close_old_connections()
    with origin("jt808"):
        return services.do_ingest(messages, actor=LISTENER)


def distance_m(lat1, lon1, lat2, lon2) -> float:
    """Great-circle distance in metres (haversine; enough to tell a jump)."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    a = (
        math.sin((p2 - p1) / 2) ** 2
        + math.cos(p1) * math.cos(p2) * math.sin(math.radians(lon2 - lon1) / 2) ** 2
    )
    return 2 * 6_371_000 * math.asin(min(1.0, math.sqrt(a)))


class Positions:
    """The last accepted position of every terminal this process has seen, to tell impossible jumps.

    A jump is refused; if the next position is consistent with the refused one and not with the
    last accepted one, the last accepted one was the odd one out and the terminal moves on from it.
    Only the event loop touches it.
    """

    def __init__(self):
        self.last: dict[str, tuple] = {}
        self.suspect: dict[str, tuple] = {}

    @staticmethod
    def _jump(a, b) -> bool:
        metres = distance_m(a[1], a[2], b[1], b[2])
        if metres <= JUMP_MIN_METRES:
            return False
        seconds = max(abs((b[0] - a[0]).total_seconds()), 1.0)
        return metres / seconds * 3.6 > JUMP_KMH

    def check(self, phone: str, loc: jt808.Location) -> str:
        """'' when the position may be stored, else why not."""
        if not loc.possible():
            return f"坐标越界：纬度 {loc.lat:.6f}，经度 {loc.lon:.6f}"
        if not loc.positioned:
            return ""
        fix = (loc.time, loc.lat, loc.lon)
        last = self.last.get(phone)
        if last is None or not self._jump(last, fix):
            if last is None or fix[0] >= last[0]:
                self.last[phone] = fix
            self.suspect.pop(phone, None)
            return ""
        suspect = self.suspect.get(phone)
        if suspect is not None and not self._jump(suspect, fix):
            self.last[phone] = fix
            self.suspect.pop(phone, None)
            return ""
        self.suspect[phone] = fix
        metres = distance_m(last[1], last[2], fix[1], fix[2])
        return f"位置跳变：距上一位置 {metres / 1000:.1f} km，时间相差 {abs((fix[0] - last[0]).total_seconds()):.0f} s"


@dataclass
class Connection:
    authenticated: set = field(default_factory=set)
    serial: int = 0

    def next_serial(self) -> int:
        self.serial = (self.serial + 1) & 0xFFFF
        return self.serial


@dataclass
class Pending:
    """A location frame waiting for storage: its messages and the reply it gets once they are stored."""

    frame: jt808.Frame
    messages: list
    future: asyncio.Future
    batch: bool = False


class Server(ThreadedServer):
    thread_name = "jt808-server"
    label = "JT/T 808"

    def __init__(
        self,
        host: str,
        port: int,
        workers: int = 2,
        max_connections: int = 5000,
        reuse_port: bool = False,
    ):
        self.host, self.port = host, port
        self.pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="jt808-db")
        self.ingest_pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="jt808-ingest")
        self.slots = asyncio.Semaphore(max_connections)
        self.reuse_port = reuse_port
        self.positions = Positions()
        self.words: dict[str, tuple[int, int]] = {}  # last alarm and status words per terminal
        self.queue: asyncio.Queue | None = None
        self.server = None
        self.loop = None
        self.ready = threading.Event()
        self.stats = {"frames": 0, "locations": 0, "stored": 0}

    async def _offload(self, func, *args):
        return await asyncio.get_running_loop().run_in_executor(self.pool, func, *args)

    async def _connection(self, reader, writer):
        peer = writer.get_extra_info("peername")
        conn = Connection()
        splitter = jt808.Splitter()
        async with self.slots:
            try:
                while True:
                    try:
                        data = await asyncio.wait_for(reader.read(65536), timeout=IDLE_TIMEOUT)
                    except TimeoutError:
                        break
                    if not data:
                        break
                    await self._frames(splitter.feed(data), conn, writer)
            except (ConnectionError, OSError) as exc:
                log.info("jt808 %s: connection error %s", peer, exc)
            except Exception:  # a bug must cost one connection, never the listener
                log.exception("jt808 %s: unexpected error", peer)
            finally:
                writer.close()

    async def _frames(self, items, conn: Connection, writer) -> None:
        """Handle one read's frames in order; replies go out in the same order."""
        replies: list = []  # bytes, or a Pending whose reply is known once stored
        for item in items:
            if isinstance(item, jt808.FrameError):
                await self._offload(_count, item.phone, item.reason, item.message)
                continue
            self.stats["frames"] += 1
            reply = await self._frame(item, conn)
            if reply is not None:
                replies.append(reply)
        if not replies:
            return
        for reply in replies:
            if isinstance(reply, Pending):
                try:
                    result = await reply.future
                except Exception as exc:  # the database is away: no answer, the terminal sends it again
                    log.warning("jt808 %s: not stored (%s), not acknowledged", reply.frame.phone, exc)
                    continue
                reply = jt808.general_reply(reply.frame, conn.next_serial(), result)
            writer.write(reply)
        await writer.drain()

    async def _frame(self, frame: jt808.Frame, conn: Connection):
        msg_id, phone = frame.msg_id, frame.phone
        if msg_id == jt808.TERMINAL_REPLY:
            return None
        if frame.encryption or frame.packet_total:
            what = "加密" if frame.encryption else "分包"
            await self._offload(_count, phone, "unsupported", f"不支持{what}消息（{msg_id:04X}）")
            return jt808.general_reply(frame, conn.next_serial(), jt808.UNSUPPORTED)
        try:
            if msg_id == jt808.REGISTER:
                result, code = await self._offload(_register, frame)
                return jt808.register_reply(frame, conn.next_serial(), result, code)
            if msg_id == jt808.AUTH:
                ok = await self._offload(_authenticate, frame)
                if ok:
                    conn.authenticated.add(phone)
                return jt808.general_reply(frame, conn.next_serial(), jt808.OK if ok else jt808.FAIL)
            if msg_id not in (jt808.HEARTBEAT, jt808.LOGOUT, jt808.LOCATION, jt808.BATCH):
                await self._offload(_count, phone, "unsupported", f"不支持的消息 ID {msg_id:04X}")
                return jt808.general_reply(frame, conn.next_serial(), jt808.UNSUPPORTED)
            if phone not in conn.authenticated:
                await self._offload(
                    _count, phone, "unauthenticated", f"终端 {phone} 未鉴权即发送 {msg_id:04X}"
                )
                return jt808.general_reply(frame, conn.next_serial(), jt808.FAIL)
            if msg_id == jt808.HEARTBEAT:
                await self._offload(_touch, phone)
                return jt808.general_reply(frame, conn.next_serial(), jt808.OK)
            if msg_id == jt808.LOGOUT:
                conn.authenticated.discard(phone)
                return jt808.general_reply(frame, conn.next_serial(), jt808.OK)
            if msg_id == jt808.LOCATION:
                locations = [jt808.parse_location(frame.body, phone)]
            else:
                _kind, locations = jt808.parse_batch(frame)
        except jt808.FrameError as exc:
            await self._offload(_count, phone, exc.reason, exc.message)
            return jt808.general_reply(frame, conn.next_serial(), jt808.BAD_MESSAGE)
        messages = []
        for loc in locations:
            if isinstance(loc, jt808.FrameError):
                await self._offload(_count, phone, loc.reason, loc.message)
                continue
            why = self.positions.check(phone, loc)
            if why:
                await self._offload(_count, phone, "bad_position", why)
                continue
            extras = loc.unknown_extras()
            if extras:  # vendor items we do not read: kept raw in the log, never a reason to refuse
                log.debug("jt808 %s: unread additional items %s", phone, extras)
            previous = self.words.get(phone)
            self.words[phone] = (loc.alarm, loc.status)
            messages.append(services.Message(phone, loc.values(previous)))
        self.stats["locations"] += len(locations)
        if not messages:
            return jt808.general_reply(frame, conn.next_serial(), jt808.BAD_MESSAGE)
        pending = Pending(frame, messages, asyncio.get_running_loop().create_future(), msg_id == jt808.BATCH)
        await self.queue.put(pending)
        return pending

    async def _batcher(self):
        """Store the queued locations of all connections together, then release their replies."""
        loop = asyncio.get_running_loop()
        while True:
            batch = [await self.queue.get()]
            size = len(batch[0].messages)
            while not self.queue.empty() and size < BATCH_MESSAGES:
                batch.append(self.queue.get_nowait())
                size += len(batch[-1].messages)
            messages = [m for p in batch for m in p.messages]
            try:
                outcomes = await loop.run_in_executor(self.ingest_pool, _ingest, messages)
            except Exception as exc:
                log.exception("jt808: storing %d positions failed", len(messages))
                for p in batch:
                    if not p.future.done():
                        p.future.set_exception(exc)
                continue
            i = 0
            for p in batch:
                mine = outcomes[i : i + len(p.messages)]
                i += len(p.messages)
                stored = sum(1 for o in mine if o.ok)
                self.stats["stored"] += stored
                if not p.future.done():
                    p.future.set_result(jt808.OK if stored else jt808.BAD_MESSAGE)

    async def serve(self):
        self.loop = asyncio.get_running_loop()
        self.queue = asyncio.Queue()
        self.server = await asyncio.start_server(
            self._connection, self.host, self.port, reuse_port=self.reuse_port or None, backlog=1024
        )
        self.port = self.server.sockets[0].getsockname()[1]
        batcher = asyncio.create_task(self._batcher())
        beats = asyncio.create_task(heartbeats.beating("jt808", self.pool))
        self.ready.set()
        try:
            async with self.server:
                await self.server.serve_forever()
        finally:
            batcher.cancel()
            beats.cancel()

    def pools(self) -> list:
        return [self.pool, self.ingest_pool]
