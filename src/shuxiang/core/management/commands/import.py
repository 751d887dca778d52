from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from shuxiang.core.context import origin
from shuxiang.core.errors import ServiceError
from shuxiang.core.importers import IMPORTERS, ImportRejected, run_import


class Command(BaseCommand):
    help = "从 XLSX/CSV 批量导入：shuxiang import places|units|users FILE（任一行有错则全部不写入）"

    def add_arguments(self, parser):
        parser.add_argument("kind", choices=sorted(IMPORTERS))
        parser.add_argument("file")

    def handle(self, *args, kind, file, **options):
        path = Path(file)
        if not path.exists():
            raise CommandError(f"文件不存在：{file}")
        with origin("cli"):
            try:
                result = run_import(kind, path.read_bytes(), path.name, actor="cli")
            except ImportRejected as exc:
                for problem in exc.problems:
                    self.stderr.write(problem.as_text())
                raise CommandError(exc.message) from None
            except ServiceError as exc:
                raise CommandError(f"{exc.message}（{exc.code}）") from None
        self.stdout.write(f"导入完成：新增 {result.created} 条，更新 {result.updated} 条")
