"""`shuxiang land import FILE [--village CODE]`, `shuxiang land export --village CODE --format gpkg|geojson
[--out FILE]`, `shuxiang land distribute VILLAGE_CODE --period P --amount YUAN [--dry-run] [--json]`.

Commands run as the operator (OPERATOR). With `--json`, `distribute` writes only the JSON document to
standard output: {"amount": "…", "payouts": [{"member": …, "shares": "…", "amount": "…"}, …]}.
"""

import json
import sys

from django.core.management.base import BaseCommand, CommandError

from shuxiang.core.actors import OPERATOR
from shuxiang.core.context import origin
from shuxiang.core.errors import ServiceError
from shuxiang.core.models import Place
from shuxiang.land import coop, parcels
from shuxiang.land.models import Cooperative, Parcel


class Command(BaseCommand):
    help = "土地与集体经济：导入/导出地块，计算分红"

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        imp = sub.add_parser("import", help="导入地块（Shapefile/.zip、GeoPackage、GeoJSON）")
        imp.add_argument("file")
        imp.add_argument("--village", help="只接受该村（12位区划代码）的地块")
        imp.add_argument("--attributes", help="属性表 XLSX/CSV（按地块编码对应）")
        imp.add_argument("--crs", help="文件未声明坐标系时指定，如 EPSG:4526")
        exp = sub.add_parser("export", help="导出一个村的地块")
        exp.add_argument("--village", required=True)
        exp.add_argument("--format", required=True, choices=["gpkg", "geojson"])
        exp.add_argument("--out", help="输出文件（默认标准输出）")
        dist = sub.add_parser("distribute", help="计算一个村股份经济合作社的分红")
        dist.add_argument("village_code")
        dist.add_argument("--period", required=True)
        dist.add_argument("--amount", help="分红总额（元，提取公积公益金后）")
        dist.add_argument("--dry-run", action="store_true")
        dist.add_argument("--json", action="store_true")

    def handle(self, *args, **options):
        try:
            with origin("cli"):
                getattr(self, f"do_{options['action']}")(options)
        except ServiceError as exc:
            details = [m for ms in exc.fields.values() for m in ms]
            raise CommandError("\n".join([exc.message, *details[:200]])) from None

    def _village(self, code):
        village = Place.objects.filter(code=code, level=3).first()
        if village is None:
            raise CommandError(f"未知的村：{code}（应为12位村级区划代码）")
        return village

    def do_import(self, o):
        village = self._village(o["village"]) if o.get("village") else None
        summary = parcels.do_import_parcels(
            o["file"], actor=OPERATOR, village=village, attributes=o.get("attributes"), crs=o.get("crs")
        )
        self.stdout.write(
            f"已导入：新增 {summary.created} 块，更新 {summary.updated} 块（坐标系 {summary.crs}）"
        )
        if summary.flagged:
            self.stdout.write(
                f"登记面积与图形面积差异超限 {len(summary.flagged)} 块：{'、'.join(summary.flagged[:50])}"
            )

    def do_export(self, o):
        village = self._village(o["village"])
        body = parcels.export_parcels(Parcel.objects.filter(village=village).order_by("code"), o["format"])
        if o.get("out"):
            with open(o["out"], "wb") as fh:
                fh.write(body)
            self.stderr.write(f"已导出到 {o['out']}")
        else:
            sys.stdout.buffer.write(body)
            sys.stdout.buffer.flush()

    def do_distribute(self, o):
        cooperative = (
            Cooperative.objects.filter(village__code=o["village_code"]).select_related("village").first()
        )
        if cooperative is None:
            raise CommandError(f"村 {o['village_code']} 没有股份经济合作社")
        amount = coop.fixed_amount(o["amount"]) if o.get("amount") else None
        if o["dry_run"]:
            if amount is None:
                raise CommandError("试算（--dry-run）需要 --amount")
            coop.period_range(o["period"])
            run = coop.compute(cooperative, period=o["period"], amount=amount)
            lines = run.as_json()
        else:
            dist = coop.do_compute_distribution(
                cooperative, actor=OPERATOR, period=o["period"], amount=amount
            )
            lines = {
                "amount": str(dist.amount),
                "payouts": [
                    {
                        "member": p.member.code if p.member_id else coop.COLLECTIVE,
                        "shares": str(p.shares),
                        "amount": str(p.amount),
                    }
                    for p in dist.payouts.select_related("member").order_by("member__code")
                ],
            }
        if o["json"]:
            self.stdout.write(json.dumps(lines, ensure_ascii=False))
            return
        for line in lines["payouts"]:
            self.stdout.write(f"{line['member']}\t{line['shares']}\t{line['amount']}")
        total = sum((coop.Decimal(x["amount"]) for x in lines["payouts"]), coop.Decimal(0))
        self.stdout.write(
            f"合计 {total} 元（分红总额 {lines['amount']} 元）{'（试算，未保存）' if o['dry_run'] else ''}"
        )
