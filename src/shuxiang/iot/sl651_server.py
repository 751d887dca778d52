"""`shuxiang sl651 serve`: the SL 651-2014 TCP front end for RTUs.

One asyncio loop accepts connections and splits the byte stream into frames,
HEX/BCD (7E 7E) or ASCII (01) decided frame by frame; every reply goes out in
the encoding of the frame it answers. Database work runs in a small thread pool,
so a slow database holds up the RTUs' replies, never the loop.

- M2: a frame is confirmed (same function code and serial number, ESC to stay
  online) only after its values are stored; a refused frame gets no confirmation
  and is counted against the RTU's address.
- M3: packets are collected per station (`sl651.Reassembler`); each packet taken
  in is answered ACK with its packet information, a last packet that leaves gaps
  is answered NAK naming the first missing packet (the RTU sends it again), and
  the whole message, once stored, is confirmed ESC. Assemblies not completed
  within `m3_timeout` seconds are dropped and counted as "incomplete".
- Downlink queries: the server remembers the open link of every station that
  sent a valid frame; once a second it claims the pending `Sl651Command`s of
  those stations (`sl651_commands`) and sends them. Answers to 37H are stored
  like reports; every answer closes its command.
"""

import asyncio
import logging
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import partial

from django import db
from django.utils import timezone

from shuxiang.core import heartbeats
from shuxiang.core.actors import Actor
from shuxiang.core.context import origin
from shuxiang.core.errors import ServiceError
from shuxiang.iot import services, sl651, sl651_commands
from shuxiang.iot.tcp import ThreadedServer

# what a database away or locked for a moment raises (the MQTT listener retries the same)
DB_ERRORS = (db.OperationalError, db.InterfaceError)

log = logging.getLogger(__name__)

MAX_BUFFER = 64 * 1024
IDLE_TIMEOUT = 600  # seconds without a byte before we hang up (RTUs send keep-alives every few minutes)
ANSWERS = {sl651.QUERY_REALTIME} | sl651.ANSWER_FUNCTIONS


def _count(code, reason, message):
    services.count_rejection(code or "", ServiceError(reason, message))


@dataclass
class Handled:
    """What a frame caused: the replies to send, and whether it came from a registered station."""

    replies: list = field(default_factory=list)
    known: bool = False


@dataclass
class Link:
    """A station's open connection, with what a downlink frame to it needs."""

    writer: asyncio.StreamWriter
    centre: int
    password: str
    encoding: str


def handle_frame(frame: sl651.Frame, reassembler: sl651.Reassembler | None = None) -> Handled:
    """Everything a frame causes, in a worker thread."""
    if not db.connection.in_atomic_block:  # a caller's transaction (a test's) keeps its connection
        db.close_old_connections()
    with origin("sl651"):
        services.caches.sync()  # a station registered or deactivated a moment ago, in any process
        info = services.caches.device(frame.address)
        if info is None:
            _count(frame.address, "unknown_device", f"测站 {frame.address} 未登记")
            return Handled()
        device_password = services.caches.sl651_password(frame.address)
        if device_password and device_password != frame.password:
            _count(frame.address, "wrong_password", "SL 651 密码错误")
            return Handled()
        if frame.direction != sl651.UP:
            _count(frame.address, "bad_frame", "遥测站发来的报文标为下行")
            return Handled(known=True)
        now = timezone.now()
        packet = None
        if frame.packet_total:
            if reassembler is None:
                _count(frame.address, "unsupported", "未启用多包传输（M3）")
                return Handled(known=True)
            packet = (frame.packet_total, frame.packet_seq)
            added = reassembler.add(frame)
            for address, detail in added.dropped:
                _count(address, "incomplete", detail)
            if not added.kept:
                return Handled(known=True)
            serial = sl651.Report(serial=added.serial, sent_at=now)
            if added.missing:
                nak = sl651.reply_for(frame, serial, now, end=sl651.NAK, packet=(packet[0], added.missing[0]))
                return Handled([nak], known=True)
            if added.complete is None:
                return Handled(
                    [sl651.reply_for(frame, serial, now, end=sl651.ACK, packet=packet)], known=True
                )
            frame = added.complete
        try:
            report = sl651.decode_report(frame)
        except sl651.FrameError as exc:
            _count(frame.address, exc.reason, exc.message)
            return Handled(known=True)
        actor = Actor.device(frame.address)  # the station reporting, checked by its address and password
        if frame.function == sl651.KEEPALIVE:
            services.do_touch_device(frame.address, actor=actor, now=now)
            return Handled(known=True)
        if report.station and report.station != frame.address:
            _count(frame.address, "bad_frame", f"正文测站地址 {report.station} 与帧头不符")
            return Handled(known=True)
        if frame.function in ANSWERS:
            _answer(frame, report, actor, now)
            return Handled(known=True)
        if report.values:
            try:
                services.do_ingest_one(frame.address, report.values, actor=actor, now=now)
            except ServiceError:
                return Handled(known=True)  # counted by the ingestion service
        else:
            services.do_touch_device(frame.address, actor=actor, now=now)
        return Handled([sl651.reply_for(frame, report, now, packet=packet)], known=True)


def _answer(frame: sl651.Frame, report: sl651.Report, actor, now) -> None:
    """An answer to one of our queries: values stored like a report; the command it answers closed."""
    result = {"function": f"{frame.function:02X}", "sent_at": report.sent_at.isoformat()}
    if frame.function in (sl651.QUERY_CLOCK, sl651.SET_CLOCK):
        result["clock"] = report.sent_at.astimezone(sl651.BEIJING).strftime("%Y-%m-%d %H:%M:%S")
    if report.rest:
        result["data"] = (
            report.rest.decode("ascii") if frame.encoding == sl651.ASCII else report.rest.hex().upper()
        )
    if report.values:
        try:
            outcome = services.do_ingest_one(frame.address, report.values, actor=actor, now=now)
        except ServiceError as exc:
            result["error"] = exc.message
        else:
            result.update(stored=outcome.stored, duplicates=outcome.duplicates)
        result["values"] = {k: v for k, _ts, v in report.values}
    else:
        services.do_touch_device(frame.address, actor=actor, now=now)
    sl651_commands.record_answer(frame.address, frame.function, report.serial, result, now=now)


def _poll_commands(addresses) -> list[tuple]:
    db.close_old_connections()
    with origin("sl651"):
        sl651_commands.expire_commands()
        return [(c, c.device.code) for c in sl651_commands.claim_commands(addresses)]


def _release(command, detail):
    db.close_old_connections()
    with origin("sl651"):
        sl651_commands.release_command(command, detail)


def _count_dropped(dropped):
    db.close_old_connections()
    with origin("sl651"):
        for address, detail in dropped:
            _count(address, "incomplete", detail)


class Server(ThreadedServer):
    thread_name = "sl651-server"
    label = "SL 651"

    def __init__(
        self,
        host: str,
        port: int,
        workers: int = 4,
        max_connections: int = 2000,
        poll_interval: float = 1.0,
        m3_timeout: float = 300.0,
    ):
        self.host, self.port = host, port
        self.pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="sl651-db")
        self.slots = asyncio.Semaphore(max_connections)
        self.poll_interval = poll_interval
        self.reassembler = sl651.Reassembler(timeout=m3_timeout)
        self.links: dict[str, Link] = {}
        self.server = None
        self.loop = None
        self.ready = threading.Event()

    async def _connection(self, reader, writer):
        peer = writer.get_extra_info("peername")
        async with self.slots:
            buffer = b""
            try:
                while True:
                    try:
                        data = await asyncio.wait_for(reader.read(4096), timeout=IDLE_TIMEOUT)
                    except TimeoutError:
                        break
                    if not data:
                        break
                    buffer += data
                    if len(buffer) > MAX_BUFFER:
                        await self._offload(_count, "", "bad_frame", "缓冲区溢出，数据被丢弃")
                        buffer = b""
                        continue
                    buffer = await self._frames(buffer, writer)
            except (ConnectionError, OSError) as exc:
                log.info("sl651 %s: connection error %s", peer, exc)
            except Exception:  # a bug must cost one connection, never the listener
                log.exception("sl651 %s: unexpected error", peer)
            finally:
                for address in [a for a, link in self.links.items() if link.writer is writer]:
                    del self.links[address]
                writer.close()

    async def _offload(self, func, *args, **kwargs):
        return await asyncio.get_running_loop().run_in_executor(self.pool, partial(func, *args, **kwargs))

    async def _handle(self, frame):
        """handle_frame in a worker thread. A database that is away or locked for a moment is tried again
        (up to ~1.5 s) for a frame that is a whole message: handling one twice changes nothing (stored
        readings are not stored again, a command is closed once), and without it the station's frame was
        lost with its connection. A packet of a multi-packet message is not retried: the reassembler has
        taken it, and the station sends again what a NAK names."""
        delay = 0.05
        for attempt in range(6):
            try:
                return await self._offload(handle_frame, frame, self.reassembler)
            except DB_ERRORS:
                if frame.packet_total or attempt == 5:
                    raise
                await asyncio.sleep(delay)
                delay *= 2

    async def _frames(self, buffer: bytes, writer) -> bytes:
        while buffer:
            try:
                frame, used = sl651.read_frame(buffer)
            except sl651.FrameError as exc:
                await self._offload(_count, _address_of(buffer), exc.reason, exc.message)
                following = sl651.find_start(buffer, 1)
                buffer = buffer[following:] if following > 0 else b""
                continue
            if frame is None:
                return buffer[used:]
            buffer = buffer[used:]
            handled = await self._handle(frame)
            if handled.known:
                self.links[frame.address] = Link(writer, frame.centre, frame.password, frame.encoding)
            for reply in handled.replies:
                writer.write(reply)
            if handled.replies:
                await writer.drain()
        return buffer

    async def _poll(self):
        last_beat = 0.0
        while True:
            await asyncio.sleep(self.poll_interval)
            if time.monotonic() - last_beat >= heartbeats.LISTENER_INTERVAL:
                last_beat = time.monotonic()
                try:
                    await self._offload(heartbeats.beat, "sl651", connections=len(self.links))
                except Exception:  # a heartbeat never stops the commands below
                    log.exception("sl651: heartbeat failed")
            try:
                await self._send_commands()
            except Exception:  # the database may be away for a moment; try again next round
                log.exception("sl651: sending commands failed")

    async def _send_commands(self):
        dropped = self.reassembler.expire()
        if dropped:
            await self._offload(_count_dropped, dropped)
        if not self.links:
            return
        claimed = await self._offload(_poll_commands, list(self.links))
        for command, address in claimed:
            link = self.links.get(address)
            if link is None or link.writer.is_closing():
                await self._offload(_release, command, "发送前连接已断开")
                continue
            query = sl651.build_query(
                centre=link.centre,
                address=address,
                password=link.password,
                function=command.function,
                serial=command.serial,
                now=timezone.now(),
                encoding=link.encoding,
            )
            try:
                link.writer.write(query)
                await link.writer.drain()
            except (ConnectionError, OSError) as exc:
                await self._offload(_release, command, f"发送失败：{exc}"[:300])

    async def serve(self):
        self.loop = asyncio.get_running_loop()
        self.server = await asyncio.start_server(self._connection, self.host, self.port)
        self.port = self.server.sockets[0].getsockname()[1]
        poller = asyncio.create_task(self._poll())
        self.ready.set()
        try:
            async with self.server:
                await self.server.serve_forever()
        finally:
            poller.cancel()


def _address_of(buffer: bytes) -> str:
    """The station address of a refused frame, if its header can be read (to count it against it)."""
    try:
        if buffer[:2] == sl651.SOH and len(buffer) >= 8:
            return sl651.bcd_decode(buffer[3:8])
        if buffer[:1] == b"\x01" and len(buffer) >= 13 and buffer[3:13].isdigit():
            return buffer[3:13].decode("ascii")
    except sl651.FrameError:
        pass
    return ""
