"""`shuxiang monitoring run [--year Y] [--incremental]`: evaluate the monitoring rules."""

from django.core.management.base import BaseCommand, CommandError

from shuxiang.core.context import origin
from shuxiang.monitoring.rules import run_rules


class Command(BaseCommand):
    help = "防返贫监测：运行监测规则（run）"

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        run = sub.add_parser("run", help="运行全部启用的监测规则，生成风险线索")
        run.add_argument("--year", type=int, default=None, help="收入年度（默认上一年）")
        run.add_argument("--incremental", action="store_true", help="只看上次运行以来有变化的农户")

    def handle(self, *args, action, **options):
        if action != "run":
            raise CommandError(f"未知操作：{action}")
        year = options["year"]
        if year is not None and not 2013 <= year <= 2100:
            raise CommandError("--year 应在 2013–2100 之间")
        with origin("cli"):
            result = run_rules(year=year, incremental=options["incremental"], actor="cli")
        mode = "增量" if result.incremental else "全量"
        self.stdout.write(f"{result.year}年监测规则已运行（{mode}），新增预警 {result.total} 户：")
        for code, n in result.flagged.items():
            self.stdout.write(f"  {code:<24} {n}")
        for code, reason in result.skipped.items():
            self.stderr.write(f"  {code}: {reason}")
