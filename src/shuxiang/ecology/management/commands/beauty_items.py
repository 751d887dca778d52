"""`shuxiang beauty_items FILE`: load the county's 美丽屋场 "六个一" checklist (CSV or XLSX: 编号, 内容, 分值,
排序). All or nothing; the file's items become the active checklist, every other item is deactivated."""

from pathlib import Path

from django.core.management.base import BaseCommand

from shuxiang.core.actors import OPERATOR
from shuxiang.core.importers import import_file, read_rows
from shuxiang.ecology import importers


class Command(BaseCommand):
    help = "导入本区美丽屋场“六个一”评分细则（CSV/XLSX：编号、内容、分值、排序），替换现行细则"

    def add_arguments(self, parser):
        parser.add_argument("file")

    def handle(self, *args, **opts):
        result = import_file(
            opts["file"],
            lambda content, name: importers.import_beauty_items(
                read_rows(content, name), actor=OPERATOR, source=name
            ),
        )
        path = Path(opts["file"]).name
        self.stdout.write(
            f"评分细则已导入：新增 {result.created} 项，更新 {result.updated} 项（来源 {path}）"
        )
