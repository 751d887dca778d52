import contextlib
import logging
import signal

from django.core.management.base import BaseCommand


class Command(BaseCommand):
    requires_system_checks = []  # a long-running listener: `shuxiang check` runs at deploy time
    help = "HJ 212-2017 在线监测站接入：shuxiang hj212 serve --host H --port P"

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        serve = sub.add_parser(
            "serve",
            help="监听监测站的 TCP 连接（校验长度、CRC、MN 与访问密码；实时/分钟/小时/日数据入库并按 Flag 应答）",
        )
        serve.add_argument("--host", default="0.0.0.0")
        serve.add_argument("--port", type=int, default=6212)
        serve.add_argument("--workers", type=int, default=2, help="数据库工作线程数")
        serve.add_argument("--batch", type=int, default=500, help="每批入库的最多报文数")

    def handle(self, *args, action, **opts):
        from shuxiang.iot.hj212_server import Server
        from shuxiang.iot.rules import prepare_process

        logging.basicConfig(level=logging.INFO)
        prepare_process()
        host, port = opts["host"], opts["port"]
        server = Server(host, port, workers=opts["workers"], max_batch=opts["batch"])
        signal.signal(signal.SIGTERM, lambda *_: server.shutdown())
        self.stdout.write(f"HJ 212 接入已启动：{host}:{port}")
        with contextlib.suppress(KeyboardInterrupt):
            server.run()
        s = server.stats
        self.stdout.write(
            f"HJ 212 接入已停止：收到 {s.packets} 包，入库 {s.stored} 个值，拒收 {s.refused} 包"
        )
