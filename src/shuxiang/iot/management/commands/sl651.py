import contextlib
import logging
import signal
import time

from django.core.management.base import BaseCommand, CommandError

from shuxiang.core.actors import OPERATOR
from shuxiang.core.context import origin
from shuxiang.core.errors import ServiceError
from shuxiang.iot import sl651_commands
from shuxiang.iot.choices import Sl651CommandStatus
from shuxiang.iot.models import Device, Sl651Command


class Command(BaseCommand):
    requires_system_checks = []  # a long-running listener: `shuxiang check` runs at deploy time
    help = "SL 651-2014 遥测站接入：shuxiang sl651 serve --host H --port P；召测：shuxiang sl651 query 测站地址 --function 37"

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        serve = sub.add_parser(
            "serve", help="监听 RTU 的 TCP 连接（HEX/BCD 与 ASCII 编码，M2 确认，M3 多包，召测）"
        )
        serve.add_argument("--host", default="0.0.0.0")
        serve.add_argument("--port", type=int, default=5651)
        serve.add_argument("--workers", type=int, default=4, help="数据库工作线程数")
        serve.add_argument("--poll", type=float, default=1.0, help="检查待发召测的间隔（秒）")
        serve.add_argument("--m3-timeout", type=float, default=300.0, help="多包报文未收齐时丢弃的时限（秒）")
        query = sub.add_parser("query", help="召测：在线测站下次被检查时由 sl651 serve 发出查询")
        query.add_argument("address", help="10 位测站地址（设备编码）")
        choices = "、".join(f"{code:02X}（{name}）" for code, name in sl651_commands.QUERIES.items())
        query.add_argument("--function", required=True, help=f"功能码（十六进制）：{choices}")
        query.add_argument("--wait", type=float, default=0, help="等待应答的秒数，0 表示只登记不等待")

    def handle(self, *args, action, **opts):
        if action == "query":
            return self.query(opts["address"], opts["function"], opts["wait"])
        from shuxiang.iot.rules import prepare_process
        from shuxiang.iot.sl651_server import Server

        logging.basicConfig(level=logging.INFO)
        prepare_process()
        host, port = opts["host"], opts["port"]
        server = Server(
            host, port, workers=opts["workers"], poll_interval=opts["poll"], m3_timeout=opts["m3_timeout"]
        )
        signal.signal(signal.SIGTERM, lambda *_: server.shutdown())
        self.stdout.write(f"SL 651 接入已启动：{host}:{port}")
        with contextlib.suppress(KeyboardInterrupt):
            server.run()
        self.stdout.write("SL 651 接入已停止")

    def query(self, address, function, wait):
        device = Device.objects.select_related("place").filter(code=address).first()
        if device is None:
            raise CommandError(f"测站 {address} 未登记")
        try:
            with origin("cli"):
                command = sl651_commands.do_request_sl651_query(device, actor=OPERATOR, function=function)
        except ServiceError as exc:
            details = "；".join(f"{k}: {'、'.join(v)}" for k, v in exc.fields.items())
            raise CommandError(f"{exc.message}（{exc.code}）{('：' + details) if details else ''}") from None
        self.stdout.write(
            f"已登记召测 #{command.pk}：{device.code} {command.function_label}，"
            f"测站在线时由 sl651 serve 发出（有效期至 {command.expires_at:%Y-%m-%d %H:%M}）"
        )
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline:
            time.sleep(0.5)
            command = Sl651Command.objects.get(pk=command.pk)
            if command.status in (Sl651CommandStatus.ANSWERED, Sl651CommandStatus.EXPIRED):
                break
        if wait:
            self.stdout.write(f"状态：{command.get_status_display()} {command.detail}".rstrip())
            for key, value in command.result.items():
                self.stdout.write(f"  {key}: {value}")
