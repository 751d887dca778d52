from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from shuxiang.core.actors import OPERATOR
from shuxiang.core.context import origin
from shuxiang.core.errors import ServiceError
from shuxiang.core.importers import IMPORTERS, ImportRejected, run_import


class Command(BaseCommand):
    help = (
        "从 XLSX/CSV 批量导入：shuxiang import places|units|users FILE（任一行有错则全部不写入）；"
        "边界：shuxiang import boundaries FILE（GeoJSON/Shapefile/GeoPackage，每个区划代码一个面）"
    )

    def add_arguments(self, parser):
        parser.add_argument("kind", choices=sorted([*IMPORTERS, "boundaries"]))
        parser.add_argument("file")
        parser.add_argument("--code-field", help="边界文件中区划代码所在的字段（默认自动识别）")
        parser.add_argument("--crs", help="边界文件缺少坐标系说明时指定，例如 EPSG:4525")

    def handle(self, *args, kind, file, code_field=None, crs=None, **options):
        path = Path(file)
        if not path.exists():
            raise CommandError(f"文件不存在：{file}")
        with origin("cli"):
            try:
                if kind == "boundaries":
                    from shuxiang.core.boundaries import do_import_boundaries

                    done = do_import_boundaries(path, actor=OPERATOR, code_field=code_field, crs=crs)
                    self.stdout.write(f"导入完成：更新 {done.updated} 个区划的边界（原坐标系：{done.crs}）")
                    return
                result = run_import(kind, path.read_bytes(), path.name, actor=OPERATOR)
            except ImportRejected as exc:
                for problem in exc.problems:
                    self.stderr.write(problem.as_text())
                raise CommandError(exc.message) from None
            except ServiceError as exc:
                raise CommandError(f"{exc.message}（{exc.code}）") from None
        self.stdout.write(f"导入完成：新增 {result.created} 条，更新 {result.updated} 条")
