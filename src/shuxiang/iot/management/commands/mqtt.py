import json
import logging
import os
import signal
import socket
import subprocess
import sys
import time

from django.conf import settings
from django.core.management.base import BaseCommand

from shuxiang.iot import conf
from shuxiang.iot.mqtt import Listener
from shuxiang.iot.rules import prepare_process

log = logging.getLogger(__name__)


class Command(BaseCommand):
    requires_system_checks = []  # a long-running listener: `shuxiang check` runs at deploy time
    help = "订阅 MQTT 遥测主题 shuxiang/v1/devices/+/telemetry（QoS 1，入库后才确认）"

    def add_arguments(self, parser):
        parser.add_argument(
            "--url", default=settings.MQTT_URL or "mqtt://127.0.0.1:1883", help="默认取 MQTT_URL"
        )
        parser.add_argument(
            "--client-id", default=None, help="持久会话的客户端标识（默认 shuxiang-ingest-主机名）"
        )
        parser.add_argument("--shared", default=None, help="共享订阅组名：多个进程分摊同一主题")
        parser.add_argument("--queue", type=int, default=conf.MQTT_QUEUE_SIZE, help="内存中最多排队的消息数")
        parser.add_argument("--batch", type=int, default=conf.MQTT_BATCH_SIZE, help="每批入库的最多消息数")
        parser.add_argument(
            "--idle-exit", type=float, default=None, help="空闲这么多秒后退出（测试、压测用）"
        )
        parser.add_argument("--workers", type=int, default=conf.MQTT_WORKERS, help="入库线程数")
        parser.add_argument("--stats", default=None, help="退出时把统计写入该 JSON 文件")
        parser.add_argument(
            "--processes",
            type=int,
            default=1,
            help="接入进程数（>1 时各进程以共享订阅分摊消息，用满多核）",
        )

    def handle(self, *args, **opts):
        logging.basicConfig(level=logging.INFO)
        client_id = opts["client_id"] or f"shuxiang-ingest-{socket.gethostname()}"
        if opts["processes"] > 1:
            return self.supervise(opts, client_id)
        prepare_process()
        listener = Listener(
            opts["url"],
            client_id=client_id,
            queue_size=opts["queue"],
            batch_size=opts["batch"],
            shared_group=opts["shared"],
            track_latency=bool(opts["stats"]),
            workers=opts["workers"],
        )
        signal.signal(signal.SIGTERM, lambda *_: listener.stop_event.set())
        self.stdout.write(
            f"MQTT 接入已启动：{listener.host}:{listener.port}，主题 {listener.topic}（pid {os.getpid()}）"
        )
        try:
            stats = listener.run(idle_exit=opts["idle_exit"])
        except KeyboardInterrupt:
            listener.stop()
            stats = listener.stats
        summary = stats.summary()
        if opts["stats"]:
            with open(opts["stats"], "w") as fh:
                json.dump(summary, fh)
        self.stdout.write(f"已退出：{json.dumps(summary, ensure_ascii=False)}")

    def supervise(self, opts, client_id):
        """Run N listener processes on one shared subscription (the GIL caps one process at one core).
        A child that dies (a crash, the OOM killer) is started again with its own client id, so its
        persistent session and the messages queued for it are picked up; one that exits cleanly
        (`--idle-exit`) is not. The supervisor stops them all on SIGTERM."""
        group = opts["shared"] or "shuxiang-ingest"

        def start(k):
            argv = [
                sys.executable,
                "-m",
                "shuxiang.cli",
                "mqtt",
                "--url",
                opts["url"],
                "--client-id",
                f"{client_id}-{k}",
                "--shared",
                group,
                "--queue",
                str(opts["queue"]),
                "--batch",
                str(opts["batch"]),
                "--workers",
                str(opts["workers"]),
            ]
            if opts["idle_exit"] is not None:
                argv += ["--idle-exit", str(opts["idle_exit"])]
            if opts["stats"]:
                argv += ["--stats", f"{opts['stats']}.{k}"]
            return subprocess.Popen(argv)

        children = {k: start(k) for k in range(opts["processes"])}
        self.stdout.write(
            f"MQTT 接入已启动 {len(children)} 个进程，共享订阅组 {group}"
            f"（pid {' '.join(str(c.pid) for c in children.values())}）"
        )
        self.stdout.flush()
        stopping = []

        def stop(*_):
            stopping.append(True)
            for child in children.values():
                if child.poll() is None:
                    child.terminate()

        signal.signal(signal.SIGTERM, stop)
        codes, restarts = {}, 0
        try:
            while len(codes) < len(children):
                time.sleep(0.2)
                for k, child in list(children.items()):
                    if k in codes or child.poll() is None:
                        continue
                    if child.returncode != 0 and not stopping:
                        restarts += 1
                        log.warning("MQTT 接入进程 %s 异常退出（%s），重新启动", child.pid, child.returncode)
                        time.sleep(
                            min(5.0, 0.5 * restarts)
                        )  # a child that keeps dying is not restarted in a tight loop
                        children[k] = start(k)
                        self.stdout.write(
                            f"进程 {child.pid} 异常退出（返回码 {child.returncode}），已重启为 {children[k].pid}"
                        )
                        self.stdout.flush()
                    elif stopping and child.returncode == -signal.SIGTERM:
                        codes[k] = 0  # stopped by us before it had set up its own clean exit
                    else:
                        codes[k] = child.returncode
        except KeyboardInterrupt:
            stop()
            codes = {k: child.wait() for k, child in children.items()}
        self.stdout.write(f"已退出：各进程返回码 {[codes[k] for k in sorted(codes)]}，重启 {restarts} 次")
        if any(codes.values()):
            raise SystemExit(1)
