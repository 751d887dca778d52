import time

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

from shuxiang.demo import builder


class Command(BaseCommand):
    help = "生成确定性的赫山区演示数据（固定随机种子），并打印演示账号"

    def add_arguments(self, parser):
        parser.add_argument("--reset", action="store_true", help="清空数据库后重新生成")
        parser.add_argument("--scale", type=int, default=1, help="规模倍数（默认1）")
        parser.add_argument("--if-empty", action="store_true", help="数据库已有数据时什么也不做")

    def handle(self, *args, reset, scale, if_empty, **options):
        if scale < 1 or scale > 100:
            raise CommandError("--scale 应在 1–100 之间")
        if self._unapplied_migrations():
            call_command("migrate", interactive=False, verbosity=0)
        if reset:
            call_command("flush", interactive=False, verbosity=0)
        elif not builder.is_empty():
            if if_empty:
                self.stdout.write("数据库已有数据，跳过演示数据生成。")
                self._print_accounts()
                return
            raise CommandError("数据库已有数据；如需重建请加 --reset（将清空全部数据）")
        started = time.monotonic()
        ctx = builder.build(scale=scale, log=self.stdout.write)
        self.stdout.write(f"演示数据已生成，用时 {time.monotonic() - started:.1f} 秒。")
        self._print_accounts(ctx.credentials)

    @staticmethod
    def _unapplied_migrations() -> bool:
        from django.db import connection
        from django.db.migrations.executor import MigrationExecutor

        executor = MigrationExecutor(connection)
        return bool(executor.migration_plan(executor.loader.graph.leaf_nodes()))

    def _print_accounts(self, credentials=None):
        credentials = credentials if credentials is not None else builder.existing_credentials()
        self.stdout.write("演示账号（密码相同）：")
        for username, password, what in credentials:
            self.stdout.write(f"  {username:<12} {password:<15} {what}")
