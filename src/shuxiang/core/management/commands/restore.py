"""`shuxiang restore ARCHIVE`: into an empty database (created if absent), after checking everything."""

from pathlib import Path

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

from shuxiang.core import audit, backup
from shuxiang.core.actors import OPERATOR
from shuxiang.core.context import origin


class Command(BaseCommand):
    help = "从备份归档恢复到空数据库（先校验校验和、版本和目标是否为空，任何一项不符都不写入）"

    def add_arguments(self, parser):
        parser.add_argument("archive", type=Path)
        parser.add_argument("--no-migrate", action="store_true", help="恢复后不把数据库迁移到本版本")

    def handle(self, *args, archive, no_migrate=False, **options):
        if not archive.exists():
            raise CommandError(f"备份文件不存在：{archive}")
        with origin("cli"):
            try:
                manifest = backup.restore_backup(archive)
            except backup.BackupError as exc:
                raise CommandError(f"{exc.message}（{exc.code}）") from exc
            if not no_migrate and backup.pending_migrations():
                call_command("migrate", interactive=False, verbosity=0)
            audit.record(
                OPERATOR,
                "restore",
                object_type="core.backup",
                object_repr=archive.name,
                changes={"created_at": manifest["created_at"]},
            )
        self.stdout.write(
            f"恢复完成：{archive.name}（备份于 {manifest['created_at']}，{len(manifest['members'])} 个成员）"
        )
