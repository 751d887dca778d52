"""`shuxiang rivers FILE`: load the county's river network (水系) for tracing (CSV or XLSX: 河流, 汇入,
汇入处里程, 河长). All or nothing; the file becomes the network."""

from pathlib import Path

from django.core.management.base import BaseCommand

from shuxiang.core.actors import OPERATOR
from shuxiang.core.importers import import_file, read_rows
from shuxiang.ecology import importers


class Command(BaseCommand):
    help = "导入本区水系表（CSV/XLSX：河流、汇入、汇入处里程、河长），溯源据此区分上游和下游"

    def add_arguments(self, parser):
        parser.add_argument("file")

    def handle(self, *args, **opts):
        result = import_file(
            opts["file"],
            lambda content, name: importers.import_rivers(
                read_rows(content, name), actor=OPERATOR, source=name
            ),
        )
        path = Path(opts["file"]).name
        self.stdout.write(
            f"水系表已导入：新增 {result.created} 条河流，更新 {result.updated} 条（来源 {path}）"
        )
