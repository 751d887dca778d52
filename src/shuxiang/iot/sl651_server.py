"""`shuxiang sl651 serve`: the SL 651-2014 TCP front end for RTUs.

One asyncio loop accepts connections and splits the byte stream into frames;
database work runs in a small thread pool, so a slow database holds up the
RTUs' replies, never the loop. A frame is confirmed (M2: same function code and
serial number, ESC to stay online) only after its values are stored; a refused
frame gets no confirmation and is counted against the RTU's address.
"""

import asyncio
import logging
import threading
from concurrent.futures import ThreadPoolExecutor

from django import db
from django.utils import timezone

from shuxiang.core.context import origin
from shuxiang.core.errors import ServiceError
from shuxiang.iot import services, sl651

log = logging.getLogger(__name__)

MAX_BUFFER = 64 * 1024
IDLE_TIMEOUT = 600  # seconds without a byte before we hang up (RTUs send keep-alives every few minutes)


def _count(code, reason, message):
    services.count_rejection(code or "", ServiceError(reason, message))


def handle_frame(frame: sl651.Frame) -> bytes | None:
    """Everything a frame causes, in a worker thread: returns the reply to send, if any."""
    db.close_old_connections()
    with origin("sl651"):
        info = services.caches.device(frame.address)
        if info is None:
            _count(frame.address, "unknown_device", f"测站 {frame.address} 未登记")
            return None
        device_password = services.caches.sl651_password(frame.address)
        if device_password and device_password != frame.password:
            _count(frame.address, "wrong_password", "SL 651 密码错误")
            return None
        try:
            report = sl651.decode_report(frame)
        except sl651.FrameError as exc:
            _count(frame.address, exc.reason, exc.message)
            return None
        now = timezone.now()
        if frame.function == sl651.KEEPALIVE:
            services.do_touch_device(frame.address, actor=f"device:{frame.address}", now=now)
            return None
        if report.station and report.station != frame.address:
            _count(frame.address, "bad_frame", f"正文测站地址 {report.station} 与帧头不符")
            return None
        if not report.values:
            services.do_touch_device(frame.address, actor=f"device:{frame.address}", now=now)
            return sl651.reply_for(frame, report, now)
        try:
            services.do_ingest_one(frame.address, report.values, actor=f"device:{frame.address}", now=now)
        except ServiceError:
            return None  # counted by the ingestion service
        return sl651.reply_for(frame, report, now)


class Server:
    def __init__(self, host: str, port: int, workers: int = 4, max_connections: int = 2000):
        self.host, self.port = host, port
        self.pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="sl651-db")
        self.slots = asyncio.Semaphore(max_connections)
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
                writer.close()

    async def _offload(self, func, *args):
        return await asyncio.get_running_loop().run_in_executor(self.pool, func, *args)

    async def _frames(self, buffer: bytes, writer) -> bytes:
        while buffer:
            try:
                frame, used = sl651.read_frame(buffer)
            except sl651.FrameError as exc:
                address = ""
                if len(buffer) >= 8 and buffer[:2] == sl651.SOH:
                    try:
                        address = sl651.bcd_decode(buffer[3:8])
                    except sl651.FrameError:
                        address = ""
                await self._offload(_count, address, exc.reason, exc.message)
                following = buffer.find(sl651.SOH, 1)
                buffer = buffer[following:] if following > 0 else b""
                continue
            if frame is None:
                return buffer[used:]
            buffer = buffer[used:]
            reply = await self._offload(handle_frame, frame)
            if reply:
                writer.write(reply)
                await writer.drain()
        return buffer

    async def serve(self):
        self.loop = asyncio.get_running_loop()
        self.server = await asyncio.start_server(self._connection, self.host, self.port)
        self.port = self.server.sockets[0].getsockname()[1]
        self.ready.set()
        async with self.server:
            await self.server.serve_forever()

    def run(self):
        try:
            asyncio.run(self.serve())
        except asyncio.CancelledError:
            pass
        finally:
            self.pool.shutdown(wait=True)

    def start_in_thread(self) -> threading.Thread:
        thread = threading.Thread(target=self.run, daemon=True, name="sl651-server")
        thread.start()
        if not self.ready.wait(10):
            raise RuntimeError("SL 651 server did not start")
        return thread

    def shutdown(self):
        if self.loop is not None and self.server is not None:
            self.loop.call_soon_threadsafe(self.server.close)
            for task in asyncio.all_tasks(self.loop):
                self.loop.call_soon_threadsafe(task.cancel)
