"""`shuxiang markets import FILE`: import prices from XLSX/CSV (all rows or none).
`shuxiang markets recompute`: recompute every warning level (the nightly task does the same).
`shuxiang markets backtest --method alps --product P [--township CODE]`: when a method would have fired."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from shuxiang.core.actors import OPERATOR
from shuxiang.core.context import origin
from shuxiang.core.errors import ServiceError
from shuxiang.core.importers import read_rows
from shuxiang.core.models import Place
from shuxiang.markets import backtest, monitor, services
from shuxiang.markets.models import Method, Product


class Command(BaseCommand):
    help = "农产品价格监测：导入价格（import）、重算预警（recompute）、回测（backtest）"

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        imp = sub.add_parser("import", help="从 XLSX/CSV 导入价格（有错则整份不导入）")
        imp.add_argument("file", help="文件路径（.xlsx 或 .csv）")
        sub.add_parser("recompute", help="重算全部预警级别")
        bt = sub.add_parser("backtest", help="用历史数据回测预警方法")
        bt.add_argument("--method", required=True, help="方法代码：wow、yoy、alps、ifpa、hog_grain")
        bt.add_argument("--product", required=True, help="品种代码")
        bt.add_argument("--township", default="", help="乡镇区划代码（缺省为全区）")

    def handle(self, *args, action, **options):
        with origin("cli"):
            if action == "import":
                return self.import_file(options["file"])
            if action == "recompute":
                result = monitor.do_recompute_warnings(actor=OPERATOR)
                self.stdout.write(f"已重算 {result.levels} 条预警级别，{len(result.raised)} 项升至警戒或危机")
                return None
            return self.backtest(options["method"], options["product"], options["township"])

    def import_file(self, name):
        path = Path(name)
        if not path.is_file():
            raise CommandError(f"文件不存在：{name}")
        try:
            items = services.parse_price_rows(read_rows(path.read_bytes(), path.name))
            outcome = services.do_import_prices(actor=OPERATOR, items=items)
        except ServiceError as exc:
            for line in exc.fields.get("rows", []):
                self.stderr.write(f"  {line}")
            raise CommandError(exc.message) from None
        self.stdout.write(f"已导入 {outcome.created} 条价格（其中异常已核实 {outcome.questioned} 条）")

    def backtest(self, method_code, product_code, township):
        method = Method.objects.filter(code=method_code).first()
        if method is None:
            raise CommandError(
                f"未知方法：{method_code}（可选：{'、'.join(Method.objects.values_list('code', flat=True))}）"
            )
        product = Product.objects.filter(code=product_code).first()
        if product is None:
            raise CommandError(f"未知品种：{product_code}")
        place = None
        if township:
            place = Place.objects.filter(code=township, level=2).first()
            if place is None:
                raise CommandError(f"未知乡镇：{township}")
        rows = backtest.run(method, product, place)
        fired = backtest.fired(rows)
        self.stdout.write(f"{method.name} · {product.name}：{len(rows)} 期，报警 {len(fired)} 次")
        for r in fired:
            self.stdout.write(f"  {r.period}\t{r.level}\t{r.value}\t{r.price}")
