"""`shuxiang backup [--to DIR]`: one consistent archive of the database and uploaded files (core/backup.py)."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from shuxiang.core import audit, backup
from shuxiang.core.actors import OPERATOR
from shuxiang.core.context import origin


class Command(BaseCommand):
    help = "备份数据库和上传文件到一个归档文件（不含密钥）"

    def add_arguments(self, parser):
        parser.add_argument("--to", type=Path, default=None, help="备份目录（默认 SHUXIANG_BACKUP_DIR）")

    def handle(self, *args, to=None, **options):
        with origin("cli"):
            try:
                summary = backup.create_backup(to)
            except backup.BackupError as exc:
                raise CommandError(f"{exc.message}（{exc.code}）") from exc
            audit.record(
                OPERATOR,
                "backup",
                object_type="core.backup",
                object_repr=summary.path.name,
                changes={"size": summary.size},
            )
        self.stdout.write(
            f"备份完成：{summary.path}（{summary.size / 1e6:.1f} MB，上传文件 {summary.files} 个）"
        )
        self.stdout.write(
            "提醒：密钥不在备份中，请另行保管 SHUXIANG_SECRET_KEY、SHUXIANG_FIELD_KEY、SHUXIANG_LEDGER_SIGNING_KEY"
        )
