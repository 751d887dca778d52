from django.core.management.base import BaseCommand, CommandError

from shuxiang.core.actors import OPERATOR
from shuxiang.core.context import origin
from shuxiang.core.errors import ServiceError
from shuxiang.plan.loader import DEFAULT_FILE, load_file


class Command(BaseCommand):
    help = "工作方案：`shuxiang plan load 文件` 载入（或更新）方案数据文件"

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        load = sub.add_parser("load", help="载入方案数据文件（YAML）")
        load.add_argument("file", nargs="?", default=str(DEFAULT_FILE), help=f"默认 {DEFAULT_FILE.name}")

    def handle(self, *args, action, file=None, **options):
        try:
            with origin("cli"):
                result = load_file(file, actor=OPERATOR)
        except ServiceError as exc:
            lines = [exc.message, *(f"  - {p}" for v in exc.fields.values() for p in v)]
            raise CommandError("\n".join(lines)) from None
        plan = result.plan
        if result.unchanged:
            self.stdout.write(f"《{plan.title}》未变化（版本 {plan.version}），无需重新载入")
            return
        verb = "已载入" if result.created else "已更新"
        self.stdout.write(f"{verb}《{plan.title}》版本 {plan.version}：{result.tasks} 项重点任务")
        if result.units_created:
            self.stdout.write(f"新建单位 {len(result.units_created)} 个：{'、'.join(result.units_created)}")
