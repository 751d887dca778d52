import contextlib
import logging
import signal

from django.core.management.base import BaseCommand

from shuxiang.iot.sl651_server import Server


class Command(BaseCommand):
    requires_system_checks = []  # a long-running listener: `shuxiang check` runs at deploy time
    help = "SL 651-2014 遥测站接入：shuxiang sl651 serve --host H --port P"

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        serve = sub.add_parser("serve", help="监听 RTU 的 TCP 连接（HEX/BCD 编码，M2 确认）")
        serve.add_argument("--host", default="0.0.0.0")
        serve.add_argument("--port", type=int, default=5651)
        serve.add_argument("--workers", type=int, default=4, help="数据库工作线程数")

    def handle(self, *args, action, host, port, workers, **opts):
        logging.basicConfig(level=logging.INFO)
        server = Server(host, port, workers=workers)
        signal.signal(signal.SIGTERM, lambda *_: server.shutdown())
        self.stdout.write(f"SL 651 接入已启动：{host}:{port}")
        with contextlib.suppress(KeyboardInterrupt):
            server.run()
        self.stdout.write("SL 651 接入已停止")
