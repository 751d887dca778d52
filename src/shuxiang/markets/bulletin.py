"""The weekly price bulletin (农产品价格周报) for the district: each product's mean price of the
week with its week-on-week and year-on-year change, and the warnings standing that week — as a page,
PDF (Chinese CID font, nothing downloaded) and XLSX."""

from __future__ import annotations

import io
import re
from dataclasses import dataclass, field
from datetime import date, timedelta

from django.db.models import Avg, Count

from shuxiang.core.exports import is_formula_like
from shuxiang.core.models import Place
from shuxiang.markets.models import PriceObservation, Product, WarningLevel

WEEK = re.compile(r"^(\d{4})-W(\d{2})$")


def parse_week(text: str) -> date | None:
    """The Monday of an ISO week "2026-W49", or None."""
    match = WEEK.match(text or "")
    if not match:
        return None
    try:
        return date.fromisocalendar(int(match.group(1)), int(match.group(2)), 1)
    except ValueError:
        return None


def week_label(monday: date) -> str:
    year, week, _ = monday.isocalendar()
    return f"{year}-W{week:02d}"


@dataclass
class Bulletin:
    monday: date
    rows: list[dict] = field(default_factory=list)
    warnings: list[WarningLevel] = field(default_factory=list)

    @property
    def title(self) -> str:
        year, week, _ = self.monday.isocalendar()
        return f"赫山区农产品价格监测周报（{year}年第{week}周，{self.monday:%m月%d日}—{self.monday + timedelta(days=6):%m月%d日}）"


def _means(user, monday: date) -> dict[int, tuple[float, int]]:
    rows = (
        PriceObservation.objects.restrict(user)
        .filter(observed_on__gte=monday, observed_on__lt=monday + timedelta(days=7))
        .values("product_id")
        .annotate(avg=Avg("price"), n=Count("pk"))
        .order_by()
    )
    return {r["product_id"]: (float(r["avg"]), r["n"]) for r in rows}


def build(user, monday: date) -> Bulletin:
    now, last_week, last_year = (
        _means(user, monday),
        _means(user, monday - timedelta(days=7)),
        _means(user, monday - timedelta(weeks=52)),
    )
    out = Bulletin(monday)
    for product in Product.objects.all():
        if product.pk not in now:
            continue
        price, n = now[product.pk]

        def change(other, price=price, product=product):
            before = other.get(product.pk)
            return None if before is None else round((price / before[0] - 1) * 100, 1)

        out.rows.append(
            {
                "product": product,
                "price": round(price, 2),
                "reports": n,
                "wow": change(last_week),
                "yoy": change(last_year),
            }
        )
    month_start = monday.replace(day=1)
    out.warnings = list(
        WarningLevel.objects.restrict(user)
        .filter(level__in=["alert", "crisis"], place__level__lte=2)
        .filter(period_start__in=[monday, month_start])
        .select_related("product", "place", "method")
        .order_by("-level", "product__code", "place__code")
    )
    return out


def _fmt(value, suffix=""):
    return "—" if value is None else f"{value:+.1f}{suffix}" if suffix == "%" else f"{value}{suffix}"


def to_xlsx(b: Bulletin) -> bytes:
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.title = "价格"
    ws.append([b.title])
    ws.append(["品种", "计价单位", "本周均价", "报价数", "环比(%)", "同比(%)"])
    for r in b.rows:
        ws.append([r["product"].name, r["product"].unit, r["price"], r["reports"], r["wow"], r["yoy"]])
    ws = wb.create_sheet("预警")
    ws.append(["品种", "区域", "方法", "期间", "指标值", "级别"])
    for w in b.warnings:
        ws.append(
            [w.product.name, w.place.name, w.method.name, w.period_start, w.value, w.get_level_display()]
        )
    for sheet in wb.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                if is_formula_like(cell.value):
                    cell.data_type, cell.quotePrefix = "s", True
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def to_pdf(b: Bulletin) -> bytes:
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Table, TableStyle

    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    base = ParagraphStyle("base", fontName="STSong-Light", fontSize=9.5, leading=14, wordWrap="CJK")
    title = ParagraphStyle("title", parent=base, fontSize=15, leading=22, alignment=1, spaceAfter=6)
    h2 = ParagraphStyle("h2", parent=base, fontSize=12, leading=18, spaceBefore=8, spaceAfter=4)

    def table(rows, widths):
        t = Table(
            [[Paragraph(str(c), base) for c in row] for row in rows],
            colWidths=[w * mm for w in widths],
            repeatRows=1,
        )
        t.setStyle(
            TableStyle(
                [
                    ("GRID", (0, 0), (-1, -1), 0.4, colors.grey),
                    ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e8f4ef")),
                ]
            )
        )
        return t

    story = [
        Paragraph(b.title, title),
        Paragraph("一、主要品种价格", h2),
        table(
            [["品种", "单位", "本周均价", "报价数", "环比", "同比"]]
            + [
                [
                    r["product"].name,
                    r["product"].unit,
                    r["price"],
                    r["reports"],
                    _fmt(r["wow"], "%"),
                    _fmt(r["yoy"], "%"),
                ]
                for r in b.rows
            ],
            [40, 26, 26, 20, 24, 24],
        ),
        Paragraph("二、警戒及以上预警", h2),
        table(
            [["品种", "区域", "方法", "期间", "指标值", "级别"]]
            + [
                [
                    w.product.name,
                    w.place.name,
                    w.method.name,
                    w.period_start,
                    f"{w.value:g}",
                    w.get_level_display(),
                ]
                for w in b.warnings
            ]
            or [["—"] * 6],
            [28, 28, 44, 24, 20, 16],
        ),
    ]
    if not b.warnings:
        story.append(Paragraph("本周无警戒及以上预警。", base))
    out = io.BytesIO()
    SimpleDocTemplate(
        out, pagesize=A4, leftMargin=14 * mm, rightMargin=14 * mm, topMargin=14 * mm, bottomMargin=14 * mm
    ).build(story)
    return out.getvalue()


def district() -> Place | None:
    return Place.objects.filter(level=1).order_by("pk").first()
