import contextlib
import logging
import signal

from django.core.management.base import BaseCommand


class Command(BaseCommand):
    requires_system_checks = []  # a long-running listener: `shuxiang check` runs at deploy time
    help = "JT/T 808 北斗/卫星定位终端接入：shuxiang jt808 serve --host H --port P"

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        serve = sub.add_parser(
            "serve", help="监听终端的 TCP 连接（2013/2019 版，注册、鉴权、心跳、位置、批量位置）"
        )
        serve.add_argument("--host", default="0.0.0.0")
        serve.add_argument("--port", type=int, default=6808)
        serve.add_argument("--workers", type=int, default=2, help="注册、鉴权、计数用的数据库线程数")
        serve.add_argument(
            "--reuse-port",
            action="store_true",
            help="SO_REUSEPORT：多个进程监听同一端口，由内核分配连接（Linux）",
        )

    def handle(self, *args, action, **opts):
        from shuxiang.iot.jt808_server import Server
        from shuxiang.iot.rules import prepare_process

        logging.basicConfig(level=logging.INFO)
        prepare_process()
        host, port = opts["host"], opts["port"]
        server = Server(host, port, workers=opts["workers"], reuse_port=opts["reuse_port"])
        signal.signal(signal.SIGTERM, lambda *_: server.shutdown())
        self.stdout.write(f"JT/T 808 接入已启动：{host}:{port}")
        with contextlib.suppress(KeyboardInterrupt):
            server.run()
        self.stdout.write("JT/T 808 接入已停止")
