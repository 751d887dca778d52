import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from shuxiang.core.actors import OPERATOR
from shuxiang.core.context import origin
from shuxiang.core.errors import ServiceError


class Command(BaseCommand):
    help = "预警：导入 CAP 1.2 文件（shuxiang warning import FILE|-），或在前台完成送达（shuxiang warning dispatch ID）"

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        imp = sub.add_parser("import", help="导入 CAP 1.2 XML（文件路径，- 表示标准输入）")
        imp.add_argument("files", nargs="+")
        send = sub.add_parser("dispatch", help="立即发送某预警所有到期的送达（不经后台任务）")
        send.add_argument("warning_id", type=int)

    def handle(self, *args, **options):
        with origin("cli"):
            if options["action"] == "import":
                return self.import_files(options["files"])
            return self.dispatch(options["warning_id"])

    def import_files(self, files):
        from shuxiang.warnings.services import do_import_cap

        failed = 0
        for name in files:
            data = sys.stdin.buffer.read() if name == "-" else Path(name).read_bytes()
            try:
                warning = do_import_cap(data, actor=OPERATOR)
            except ServiceError as exc:
                failed += 1
                self.stderr.write(f"{name}: {exc.message}")
                continue
            self.stdout.write(f"{name}: 已导入 {warning.identifier}（{warning.title}，编号 {warning.pk}）")
        if failed:
            raise CommandError(f"{failed} 个文件未导入")

    def dispatch(self, warning_id):
        from shuxiang.warnings.dispatch import run_dispatch
        from shuxiang.warnings.models import Delivery

        run_dispatch(warning_id, inline_wait=0)
        for status in ("delivered", "played", "pending", "failed"):
            n = Delivery.objects.filter(warning_id=warning_id, status=status).count()
            self.stdout.write(f"{status}: {n}")
