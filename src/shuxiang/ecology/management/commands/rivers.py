"""`shuxiang rivers FILE`: load the county's river network (水系) for tracing (CSV or XLSX: 河流, 汇入,
汇入处里程, 河长). All or nothing; the file becomes the network."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from shuxiang.core.actors import OPERATOR
from shuxiang.core.errors import ServiceError
from shuxiang.core.importers import ImportRejected, read_rows
from shuxiang.ecology import importers


class Command(BaseCommand):
    help = "导入本区水系表（CSV/XLSX：河流、汇入、汇入处里程、河长），溯源据此区分上游和下游"

    def add_arguments(self, parser):
        parser.add_argument("file")

    def handle(self, *args, **opts):
        path = Path(opts["file"])
        if not path.is_file():
            raise CommandError(f"文件不存在：{path}")
        try:
            result = importers.import_rivers(
                read_rows(path.read_bytes(), path.name), actor=OPERATOR, source=path.name
            )
        except ImportRejected as exc:
            raise CommandError("\n".join([exc.message, *(p.as_text() for p in exc.problems)])) from None
        except ServiceError as exc:
            raise CommandError(exc.message) from None
        self.stdout.write(
            f"水系表已导入：新增 {result.created} 条河流，更新 {result.updated} 条（来源 {path.name}）"
        )
