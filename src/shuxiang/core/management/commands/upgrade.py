"""`shuxiang upgrade`: checks, a backup, migrations, static files, and what changed (docs/operations.md).

Run it after installing a new release, with the services stopped or running (migrations are written to be
safe while the old code still serves; see "Writing migrations" in docs/operations.md). It refuses — before it
writes anything — when the database holds migrations this code does not know (it was migrated by another
branch or a newer release) or when the code's own migrations conflict.
"""

from importlib.metadata import PackageNotFoundError, version

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from shuxiang.core import audit, backup
from shuxiang.core.actors import OPERATOR
from shuxiang.core.context import origin


def _version() -> str:
    try:
        return version("shuxiang")
    except PackageNotFoundError:
        return "未安装"


class Command(BaseCommand):
    help = "升级：检查、备份、迁移数据库、收集静态文件，并列出变化"

    def add_arguments(self, parser):
        parser.add_argument("--no-backup", action="store_true", help="不先备份（不建议）")
        parser.add_argument("--backup-to", default=None, help="备份目录（默认 SHUXIANG_BACKUP_DIR）")

    def handle(self, *args, no_backup=False, backup_to=None, **options):
        self.stdout.write(f"数乡 {_version()}：升级开始")
        call_command("check", fail_level="ERROR", stdout=self.stdout)
        executor = MigrationExecutor(connection)
        conflicts = executor.loader.detect_conflicts()
        if conflicts:
            names = "；".join(f"{app}: {', '.join(sorted(m))}" for app, m in conflicts.items())
            raise CommandError(f"本版本的迁移有冲突，未做任何改动：{names}")
        applied = set(executor.loader.applied_migrations)
        unknown = sorted(f"{app}.{name}" for app, name in applied - set(executor.loader.disk_migrations))
        unknown = [m for m in unknown if not m.startswith(("auth.", "contenttypes.", "sessions.", "axes."))]
        if unknown:
            raise CommandError(
                "数据库中有本版本不认识的迁移（来自其他分支或更新的版本），未做任何改动："
                + "、".join(unknown[:8])
            )
        plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
        pending = [f"{m.app_label}.{m.name}" for m, backwards in plan if not backwards]
        if pending and not no_backup:
            summary = backup.create_backup(backup_to)
            self.stdout.write(f"已备份：{summary.path}")
        with origin("cli"):
            call_command("migrate", interactive=False, verbosity=0)
            call_command("collectstatic", interactive=False, verbosity=0)
            if pending:
                audit.record(OPERATOR, "upgrade", object_type="core.schema", changes={"migrations": pending})
        if pending:
            self.stdout.write(f"已应用 {len(pending)} 个迁移：")
            for name in pending:
                self.stdout.write(f"  {name}")
        else:
            self.stdout.write("数据库已是最新，无需迁移")
        self.stdout.write("静态文件已收集。升级完成：重启 shuxiang-web、shuxiang-worker 和各接入服务")
