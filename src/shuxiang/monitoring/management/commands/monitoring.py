"""`shuxiang monitoring run [--year Y] [--incremental]`: evaluate the monitoring rules.

`shuxiang monitoring demo --scale N [--reset]`: the Heshan registry and
2,000 × N demo households only (no other app's demo), for the 200,000-household
benchmark (N = 100) without building every other module's data at that size.
"""

import random
import time

from django.core.management.base import BaseCommand, CommandError

from shuxiang.core.actors import OPERATOR
from shuxiang.core.context import origin
from shuxiang.monitoring.rules import run_rules


class Command(BaseCommand):
    help = "防返贫监测：运行监测规则（run）"

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        run = sub.add_parser("run", help="运行全部启用的监测规则，生成风险线索")
        run.add_argument("--year", type=int, default=None, help="收入年度（默认上一年）")
        run.add_argument("--incremental", action="store_true", help="只看上次运行以来有变化的农户")
        demo = sub.add_parser("demo", help="只生成区划、用户和防返贫监测演示数据（每倍2000户）")
        demo.add_argument("--scale", type=int, default=1, help="规模倍数（1–100）")
        demo.add_argument("--reset", action="store_true", help="先清空数据库")

    def handle(self, *args, action, **options):
        if action == "demo":
            return self.demo(options["scale"], options["reset"])
        if action != "run":
            raise CommandError(f"未知操作：{action}")
        year = options["year"]
        if year is not None and not 2013 <= year <= 2100:
            raise CommandError("--year 应在 2013–2100 之间")
        with origin("cli"):
            result = run_rules(year=year, incremental=options["incremental"], actor=OPERATOR)
        mode = "增量" if result.incremental else "全量"
        self.stdout.write(f"{result.year}年监测规则已运行（{mode}），新增预警 {result.total} 户：")
        for code, n in result.flagged.items():
            self.stdout.write(f"  {code:<24} {n}")
        for code, reason in result.skipped.items():
            self.stderr.write(f"  {code}: {reason}")

    def demo(self, scale, reset):
        from django.core.management import call_command
        from django.db import transaction

        from shuxiang.demo import builder
        from shuxiang.monitoring import demo

        if not 1 <= scale <= 100:
            raise CommandError("--scale 应在 1–100 之间")
        if reset:
            call_command("flush", interactive=False, verbosity=0)
        elif not builder.is_empty():
            raise CommandError("数据库已有数据；如需重建请加 --reset（将清空全部数据）")
        started = time.monotonic()
        rng = random.Random(builder.SEED)
        with origin("cli"), transaction.atomic():
            district, townships, villages, hamlets = builder.build_places(rng, scale)
            units = builder.build_units(district, townships, villages)
            ctx = builder.DemoContext(
                rng=rng,
                scale=scale,
                district=district,
                townships=townships,
                villages=villages,
                hamlets=hamlets,
                units=units,
                users={},
            )
            builder.build_users(ctx)
            demo.build(ctx)
        self.stdout.write(
            f"已生成 {demo.HOUSEHOLDS_PER_SCALE * scale} 户防返贫监测演示数据，用时 {time.monotonic() - started:.1f} 秒"
        )
