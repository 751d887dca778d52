from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from shuxiang.core.actors import OPERATOR
from shuxiang.core.context import origin
from shuxiang.core.errors import ServiceError
from shuxiang.core.importers import ImportRejected


class Command(BaseCommand):
    help = (
        "耕地：shuxiang farmland import FILE --kind permanent|high_standard|cultivated [--village CODE] [--replace]；"
        "shuxiang farmland check SEASON（按季运行非农化非粮化规则）；shuxiang farmland remind（发送水稻农事提醒）；"
        "shuxiang farmland take-plantings SEASON（由农机插秧作业生成水稻种植记录）；"
        "shuxiang farmland temperatures --from DATE --to DATE（由气象站读数计算日平均气温）"
    )

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        imp = sub.add_parser("import", help="导入农田图层（GeoJSON/Shapefile/GeoPackage）")
        imp.add_argument("file")
        imp.add_argument("--kind", required=True, choices=["permanent", "high_standard", "cultivated"])
        imp.add_argument("--village", help="图斑所属村的区划代码（文件无村代码字段时必填）")
        imp.add_argument("--replace", action="store_true", help="整层替换该村该类图层：文件中没有的图斑停用")
        imp.add_argument("--crs", help="文件缺少坐标系说明时指定，例如 EPSG:4525")
        check = sub.add_parser("check", help="按季运行监测规则")
        check.add_argument("season", help="如 2026-early")
        sub.add_parser("remind", help="发送今天到期的水稻农事提醒")
        take = sub.add_parser("take-plantings", help="从农机插秧作业轨迹生成本季水稻种植记录")
        take.add_argument("season", help="如 2026-early")
        temps = sub.add_parser(
            "temperatures", help="由气象站气温读数计算各乡镇和全区的日平均气温（可重复运行）"
        )
        temps.add_argument("--from", dest="start", required=True, help="开始日期 YYYY-MM-DD")
        temps.add_argument("--to", dest="end", help="结束日期 YYYY-MM-DD（默认今天）")

    def handle(self, *args, action, **options):
        with origin("cli"):
            try:
                if action == "import":
                    return self._import(**options)
                if action == "check":
                    from shuxiang.farmland.rules import run_season

                    counts = run_season(options["season"], actor=OPERATOR)
                    self.stdout.write(
                        f"检查完成：运行规则 {counts['checked_rules']} 条，新发现问题 {counts['opened']} 个"
                    )
                    return
                if action == "take-plantings":
                    from shuxiang.farmland import machinery_link

                    if not machinery_link.available():
                        raise CommandError("未安装农机模块")
                    done = machinery_link.do_take_plantings(options["season"], actor=OPERATOR)
                    self.stdout.write(
                        f"插秧作业 {done['operations']} 次：新增水稻种植记录 {done['plantings']} 条"
                        f"（{done['area_mu']} 亩），已有记录跳过 {done['already']} 处"
                    )
                    return
                if action == "temperatures":
                    return self._temperatures(options["start"], options.get("end"))
                from shuxiang.farmland.rice import do_send_reminders

                self.stdout.write(f"已发送农事提醒 {do_send_reminders(actor=OPERATOR)} 条")
            except ImportRejected as exc:
                for problem in exc.problems:
                    self.stderr.write(problem.as_text())
                raise CommandError(exc.message) from None
            except ServiceError as exc:
                raise CommandError(f"{exc.message}（{exc.code}）") from None

    def _temperatures(self, start, end):
        from datetime import date

        from django.utils import timezone

        from shuxiang.farmland.thermal import do_compute_daily_temperatures

        try:
            first = date.fromisoformat(start)
            last = date.fromisoformat(end) if end else timezone.localdate()
        except ValueError:
            raise CommandError("日期格式应为 YYYY-MM-DD") from None
        if last < first:
            raise CommandError("结束日期不能早于开始日期")
        n = do_compute_daily_temperatures(first, last, actor=OPERATOR)
        self.stdout.write(f"已计算日平均气温 {n} 条（{first} 至 {last}，乡镇和全区）")

    def _import(self, *, file, kind, village=None, replace=False, crs=None, **options):
        from shuxiang.core.models import Place
        from shuxiang.farmland.layers import do_import_layer

        path = Path(file)
        if not path.exists():
            raise CommandError(f"文件不存在：{file}")
        place = None
        if village:
            place = Place.objects.filter(code=village.strip()).first()
            if place is None:
                raise CommandError(f"区划代码 {village} 不存在")
        done = do_import_layer(path, actor=OPERATOR, kind=kind, village=place, replace=replace, crs=crs)
        self.stdout.write(
            f"导入完成：新增 {done.added} 个图斑，变更 {done.changed} 个，未变 {done.unchanged} 个，"
            f"停用 {done.retired} 个（原坐标系：{done.crs}）"
        )
