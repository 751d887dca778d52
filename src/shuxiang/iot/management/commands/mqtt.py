import json
import logging
import os
import signal
import socket

from django.conf import settings
from django.core.management.base import BaseCommand

from shuxiang.iot import conf
from shuxiang.iot.mqtt import Listener


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

    def handle(self, *args, **opts):
        logging.basicConfig(level=logging.INFO)
        listener = Listener(
            opts["url"],
            client_id=opts["client_id"] or f"shuxiang-ingest-{socket.gethostname()}",
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
