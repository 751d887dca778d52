"""`shuxiang hj212 serve`: the HJ 212-2017 TCP front end for online monitoring stations.

One asyncio loop accepts connections and splits the byte stream into packets (`hj212.read_packet`:
length and CRC checked, garbage skipped up to the next `##`). Packets from every connection are
queued and taken in batches by a few worker threads, so a thousand stations sending minute data cost
one `do_ingest` call per batch, not one per packet; each connection still gets its answers in the
order it sent its packets.

What a packet causes (`handle_batch`):
- the station is its MN, registered with protocol hj212, and PW must match its access password;
  unknown MN → counted `unknown_device` (9011 QnRtn=4 if the station asked for an answer), wrong PW →
  `wrong_password` (QnRtn=3), a deactivated station → `inactive` (QnRtn=2);
- wrong CRC → `bad_crc` (QnRtn=9 when the header can be read and asks for an answer); a bad length
  field or a malformed data segment / CP → `bad_frame` (QnRtn from the field at fault, 100 for CP);
- uploads 2011/2051/2061/2031: values flagged N or S go through `services.do_ingest` (range checks,
  rules, alarms, charts, rollups); values with any other flag are kept as `FlaggedReading`s, never
  averaged. A refused upload (a value out of its sensor's range, an unknown factor) writes nothing and
  gets no 9014, so it is not taken as delivered; an accepted one gets exactly one 9014 echoing its QN
  when Flag bit 0 is set (a resend is stored once and answered again);
- 2021 device status: the station is online, answered 9014 if asked;
- 9011/9012/9013/9014 from a station answer the platform's commands: the station is online, no reply;
  with a command handler registered (the ecology app) they close the platform's command with that MN and QN
  (`ecology.hj212_commands`), as does a 1011/1061 data packet carrying a command's QN;
- 1011 (extract time) from a station, not answering one of ours: 9011 QnRtn=1, the platform's time as a 1011 data packet, 9012
  ExeRtn=1 — the standard's request, data, result exchange; any other command of the standard is
  meant for a station and is answered 9011 QnRtn=2 (refused), an unknown CN 9011 QnRtn=8.

Commands from the platform (反控, `ecology.hj212_commands`): once a second the listener claims the
pending commands of the stations connected to it (those that sent an accepted packet on a still open
link) and writes them there with the station's own PW and protocol version.

The listener keeps serving whatever a station sends: a bug costs one connection, a refusal is counted
against the MN (`iot.Rejection`, visible on the device page).
"""

import asyncio
import logging
import secrets
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from django import db
from django.db import transaction
from django.utils import timezone

from shuxiang.core import heartbeats, pii
from shuxiang.core.actors import Actor
from shuxiang.core.context import origin
from shuxiang.core.errors import ServiceError
from shuxiang.core.permissions import require
from shuxiang.iot import hj212, services, storage
from shuxiang.iot.choices import Protocol, RejectReason
from shuxiang.iot.models import FlaggedReading
from shuxiang.iot.tcp import ThreadedServer

log = logging.getLogger(__name__)

LISTENER = Actor.system("listener")
MAX_BUFFER = 64 * 1024
IDLE_TIMEOUT = 600
MAX_BATCH = 500
POLL_INTERVAL = 1.0


_COMMANDS = []


def register_command_handler(handler) -> None:
    """An app that keeps commands to stations registers its handler here (the ecology app registers
    `ecology.hj212_commands`): the engine never imports a domain app. The handler provides
    expire_commands, claim_commands, packet_of, release_command, is_reply and record_reply."""
    _COMMANDS[:] = [handler]


def _commands():
    """The registered handler of the platform's commands to stations, or None when no app keeps them."""
    return _COMMANDS[0] if _COMMANDS else None


@dataclass
class Link:
    """An open connection a station sent an accepted packet on: where its commands go."""

    writer: object
    pw: str
    version: int


@dataclass
class Item:
    """One packet (or what was readable of a refused one) waiting for its batch, and its answers."""

    packet: hj212.Packet | None = None
    error: hj212.PacketError | None = None
    replies: list = field(default_factory=list)
    station_ok: bool = False  # the MN and PW were accepted: the link can carry the station's commands


@dataclass
class Stats:
    """What the listener did since it started (logged every minute; read by tests and the bench)."""

    packets: int = 0
    stored: int = 0
    refused: int = 0
    answered: int = 0


def _refuse(item: Item, packet, reason, message, qn_rtn, rejected):
    """Count a refusal against the MN; answer 9011 with QnRtn if the station asked for an answer."""
    code = packet.mn if packet is not None else ""
    rejected.append((code, message, reason))
    if packet is not None and packet.wants_answer and qn_rtn is not None:
        item.replies.append(hj212.request_answer(packet, qn_rtn))


def _check_station(packet: hj212.Packet):
    """The station's cached registry entry, or (reason, message, QnRtn) why the packet is refused."""
    info = services.caches.device(packet.mn)
    if info is None or info.protocol != Protocol.HJ212:
        return None, (RejectReason.UNKNOWN_DEVICE, f"监测站 MN={packet.mn} 未登记为 HJ 212 设备", hj212.QN_MN)
    expected = info.hj212_password_digest
    if not expected or not secrets.compare_digest(expected, pii.digest(packet.pw)):
        return None, (RejectReason.WRONG_PASSWORD, "HJ 212 访问密码 PW 错误", hj212.QN_PW)
    if not info.is_active:
        return None, (RejectReason.INACTIVE, "设备已停用", hj212.QN_REFUSED)
    return info, None


def do_store_flagged(rows, *, actor, now) -> int:
    """Keep values flagged other than N/S: (device_id, key, ts, value, flag, cn). A resend adds nothing."""
    require(actor, services.REPORT)
    if not rows:
        return 0
    with transaction.atomic():
        created = FlaggedReading.objects.bulk_create(
            [
                FlaggedReading(device_id=d, key=k, ts=ts, value=v, flag=f, source=cn)
                for d, k, ts, v, f, cn in rows
            ],
            ignore_conflicts=True,
        )
        storage.touch_devices({r[0] for r in rows}, now)
    return len(created)


def handle_batch(items: list[Item], stats: Stats | None = None) -> list[Item]:
    """Everything a batch of packets causes, in a worker thread; fills each item's replies."""
    if not db.connection.in_atomic_block:  # a caller's transaction (a test's) keeps its connection
        db.close_old_connections()
    stats = stats or Stats()
    now = timezone.now()
    rejected = []  # (mn, message, reason)
    uploads = []  # (item, info, counted values, flagged values)
    touched = set()
    commands = _commands()
    with origin("hj212"):
        services.caches.sync()  # a station registered, deactivated or its password changed, in any process
        services.caches.prefetch(i.packet.mn for i in items if i.packet is not None)
        for item in items:
            stats.packets += 1
            if item.error is not None:
                _refuse(
                    item,
                    item.error.packet,
                    item.error.reason,
                    item.error.message,
                    item.error.qn_rtn,
                    rejected,
                )
                continue
            packet = item.packet
            info, refusal = _check_station(packet)
            if refusal is not None:
                _refuse(item, packet, *refusal[:2], refusal[2], rejected)
                continue
            item.station_ok = True
            cn = packet.cn
            if commands is not None and commands.is_reply(packet) and commands.record_reply(packet, now):
                touched.add(info.id)  # an answer to one of the platform's commands
                continue
            if cn in hj212.UPLOADS:
                try:
                    values = hj212.upload_values(packet)
                except hj212.PacketError as exc:
                    _refuse(item, packet, exc.reason, exc.message, exc.qn_rtn, rejected)
                    continue
                counted = [(v.key, v.ts, v.value) for v in values if v.counted]
                flagged = [(info.id, v.key, v.ts, v.value, v.flag, cn) for v in values if not v.counted]
                if not counted and not flagged:
                    _refuse(
                        item,
                        packet,
                        RejectReason.BAD_PAYLOAD,
                        "上传数据中没有监测因子",
                        hj212.QN_UNKNOWN,
                        rejected,
                    )
                    continue
                uploads.append((item, info, counted, flagged))
            elif cn == hj212.STATUS or cn in hj212.ANSWERS:
                touched.add(info.id)
                if cn == hj212.STATUS and packet.wants_answer:
                    item.replies.append(hj212.data_answer(packet))
            elif cn == hj212.GET_TIME:
                touched.add(info.id)
                if packet.wants_answer:
                    item.replies.append(hj212.request_answer(packet, hj212.QN_READY))
                local = now.astimezone(hj212.BEIJING)
                item.replies.append(
                    hj212.build(
                        qn=packet.qn,
                        st=hj212.SYSTEM_INTERACTION,
                        cn=hj212.GET_TIME,
                        pw=packet.pw,
                        mn=packet.mn,
                        flag=packet.version << 2,
                        cp=f"SystemTime={local:%Y%m%d%H%M%S}",
                    )
                )
                if packet.wants_answer:
                    item.replies.append(hj212.execution_result(packet, hj212.EXE_OK))
            elif cn in hj212.STATION_COMMANDS:
                _refuse(
                    item,
                    packet,
                    RejectReason.UNSUPPORTED,
                    f"CN={cn} 是发给现场机的命令，平台不执行",
                    hj212.QN_REFUSED,
                    rejected,
                )
            else:
                _refuse(
                    item, packet, RejectReason.UNSUPPORTED, f"未知命令编码 CN={cn}", hj212.QN_CN, rejected
                )
        _ingest(uploads, rejected, touched, now, stats)
        if touched:
            with transaction.atomic():
                storage.touch_devices(touched, now)
        if rejected:
            stats.refused += len(rejected)
            services.record_rejections(
                [(mn, _device_id(mn), ServiceError(reason, message)) for mn, message, reason in rejected], now
            )
    stats.answered += sum(len(i.replies) for i in items)
    return items


DB_ERRORS = (db.OperationalError, db.InterfaceError)
RETRY_PAUSES = (0.05, 0.2, 0.5, 1.0)


def handle_batch_retrying(items: list[Item], stats: Stats | None = None) -> list[Item]:
    """handle_batch, tried again a few times when the database refuses for a moment (a lock, a restart).

    Uploads are not resent by every station and a 9011/9012 reply to a command never is, so a brief
    refusal must not drop them. Trying again is safe: readings are stored without duplicates and a
    command's transition is conditional on its current status; the answers are rebuilt each time."""
    stats = stats or Stats()
    for pause in (*RETRY_PAUSES, None):
        packets = stats.packets
        try:
            return handle_batch(items, stats)
        except DB_ERRORS:
            if pause is None:
                raise
            stats.packets = packets  # counted again by the next try
            log.warning("hj212: database refused a batch of %d packets; trying again", len(items))
            for item in items:
                item.replies = []
                item.station_ok = False
            if not db.connection.in_atomic_block:
                db.connection.close()
            time.sleep(pause)
    return items


def _device_id(mn):
    info = services.caches.devices.get(mn) if mn else None
    return info.id if info else None


def _ingest(uploads, rejected, touched, now, stats):
    """The counted values of every accepted upload in one do_ingest call; flagged values of the uploads it
    accepted kept beside them; 9014 for each accepted upload whose station asked for an answer."""
    with_values = [u for u in uploads if u[2]]
    outcomes = []
    if with_values:
        messages = [services.Message(info.code, counted) for _item, info, counted, _f in with_values]
        outcomes = services.do_ingest(messages, actor=LISTENER, now=now)  # counts its own refusals
    refused = {id(u[0]) for u, o in zip(with_values, outcomes, strict=True) if not o.ok}
    flagged = []
    for item, _info, counted, rows in uploads:
        if id(item) in refused:
            continue
        flagged.extend(rows)
        stats.stored += len(counted) + len(rows)
        if item.packet.wants_answer:
            item.replies.append(hj212.data_answer(item.packet))
    stats.refused += len(refused)
    if flagged:
        do_store_flagged(flagged, actor=LISTENER, now=now)


def _claim(commands, mns):
    """In a worker thread: expire stale commands, claim the pending ones of the connected stations."""
    db.close_old_connections()
    with origin("hj212"):
        commands.expire_commands()
        return commands.claim_commands(mns)


def _release(commands, command, detail):
    db.close_old_connections()
    with origin("hj212"):
        commands.release_command(command, detail)


class Server(ThreadedServer):
    thread_name = "hj212-server"
    label = "HJ 212"

    def __init__(
        self, host: str, port: int, workers: int = 2, max_connections: int = 2000, max_batch: int = MAX_BATCH
    ):
        self.host, self.port = host, port
        self.workers = workers
        self.max_batch = max_batch
        self.pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="hj212-db")
        self.slots = asyncio.Semaphore(max_connections)
        self.stats = Stats()
        self.server = None
        self.loop = None
        self.queue: asyncio.Queue | None = None
        self.ready = threading.Event()
        self.links: dict[str, Link] = {}
        self.poll_interval = POLL_INTERVAL

    async def _connection(self, reader, writer):
        peer = writer.get_extra_info("peername")
        async with self.slots:
            buffer = b""
            try:
                while True:
                    try:  # asyncio.timeout, not wait_for: wait_for makes a task per read (Python 3.11)
                        async with asyncio.timeout(IDLE_TIMEOUT):
                            data = await reader.read(65536)
                    except TimeoutError:
                        break
                    if not data:
                        break
                    buffer += data
                    if len(buffer) > MAX_BUFFER:
                        await self._submit(
                            [Item(error=hj212.PacketError("bad_frame", "缓冲区溢出，数据被丢弃"))]
                        )
                        buffer = b""
                        continue
                    buffer, items = self._split(buffer)
                    if items:
                        done = await self._submit(items)
                        links = self.links
                        for item in done:
                            if item.station_ok:
                                packet = item.packet
                                link = links.get(packet.mn)
                                if (
                                    link is None
                                    or link.writer is not writer
                                    or link.pw != packet.pw
                                    or link.version != packet.version
                                ):  # a new Link only when the station's link changed, not per packet
                                    links[packet.mn] = Link(writer, packet.pw, packet.version)
                        replies = [r for item in done for r in item.replies]
                        if replies:
                            writer.write(b"".join(replies))
                            await writer.drain()
            except (ConnectionError, OSError) as exc:
                log.info("hj212 %s: connection error %s", peer, exc)
            except Exception:  # a bug must cost one connection, never the listener
                log.exception("hj212 %s: unexpected error", peer)
            finally:
                for mn in [mn for mn, link in self.links.items() if link.writer is writer]:
                    del self.links[mn]
                writer.close()

    @staticmethod
    def _split(buffer: bytes) -> tuple[bytes, list[Item]]:
        """The complete packets at the front of `buffer` (parsed, or refused with why) and what is left."""
        items = []
        while buffer:
            try:
                data, used = hj212.read_packet(buffer)
            except hj212.PacketError as exc:
                items.append(Item(error=exc))
                following = hj212.find_start(buffer, max(exc.used or 0, 1))
                buffer = buffer[following:] if following > 0 else b""
                continue
            buffer = buffer[used:]
            if data is None:
                break
            try:
                items.append(Item(packet=hj212.parse(data)))
            except hj212.PacketError as exc:
                items.append(Item(error=exc))
        return buffer, items

    async def _submit(self, items: list[Item]) -> list[Item]:
        future = self.loop.create_future()
        await self.queue.put((items, future))
        return await future

    async def _batcher(self):
        while True:
            first = await self.queue.get()
            batch = [first]
            size = len(first[0])
            while size < self.max_batch and not self.queue.empty():
                entry = self.queue.get_nowait()
                batch.append(entry)
                size += len(entry[0])
            items = [item for entry in batch for item in entry[0]]
            try:
                await self.loop.run_in_executor(self.pool, handle_batch_retrying, items, self.stats)
            except (
                Exception
            ):  # the database away for longer: these packets get no answer, the station resends
                log.exception("hj212: a batch of %d packets failed", len(items))
            for entry_items, future in batch:
                if not future.done():
                    future.set_result(entry_items)

    async def _poll_commands(self):
        commands = _commands()
        if commands is None:
            return
        while True:
            await asyncio.sleep(self.poll_interval)
            try:
                await self._send_commands(commands)
            except Exception:  # the database may be away for a moment; try again next round
                log.exception("hj212: sending commands failed")

    async def _send_commands(self, commands):
        mns = list(self.links)
        claimed = await self.loop.run_in_executor(self.pool, _claim, commands, mns)
        for command in claimed:
            link = self.links.get(command.device.code)
            if link is None or link.writer.is_closing():
                await self.loop.run_in_executor(self.pool, _release, commands, command, "发送前连接已断开")
                continue
            try:
                link.writer.write(commands.packet_of(command, pw=link.pw, version=link.version))
                await link.writer.drain()
            except (ConnectionError, OSError) as exc:
                await self.loop.run_in_executor(
                    self.pool, _release, commands, command, f"发送失败：{exc}"[:300]
                )

    async def _report(self):
        last = time.monotonic()
        while True:
            await asyncio.sleep(60)
            now = time.monotonic()
            s = self.stats
            log.info(
                "hj212: %d packets, %d values stored, %d refused, %d answers (%.0f s)",
                s.packets,
                s.stored,
                s.refused,
                s.answered,
                now - last,
            )
            last = now

    async def serve(self):
        self.loop = asyncio.get_running_loop()
        self.queue = asyncio.Queue()
        self.server = await asyncio.start_server(self._connection, self.host, self.port)
        self.port = self.server.sockets[0].getsockname()[1]
        tasks = [asyncio.create_task(self._batcher()) for _ in range(self.workers)]
        tasks.append(asyncio.create_task(self._report()))
        tasks.append(asyncio.create_task(self._poll_commands()))
        tasks.append(asyncio.create_task(heartbeats.beating("hj212", self.pool)))
        self.ready.set()
        try:
            async with self.server:
                await self.server.serve_forever()
        finally:
            for task in tasks:
                task.cancel()
