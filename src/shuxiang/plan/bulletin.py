"""The quarterly bulletin (季度通报): reporting per township and unit, on-time ranking, KPIs
against target, progress per task and open problems — as PDF (Chinese font) and XLSX."""

import io
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Count, Q
from django.utils import timezone

from shuxiang.core.exports import is_formula_like
from shuxiang.indicators.models import Indicator, Target
from shuxiang.indicators.periods import Period
from shuxiang.indicators.rollup import value_at
from shuxiang.plan.choices import EntryStatus
from shuxiang.plan.models import LedgerEntry, LedgerRound

LIGHT_TEXT = {"ok": "达标", "warn": "接近", "danger": "滞后", "none": "—"}


@dataclass
class Reporter:
    name: str
    kind: str
    expected: int
    submitted: int
    on_time: int
    approved: int
    rank: int = 0

    @property
    def on_time_rate(self) -> Decimal:
        return Decimal(self.on_time) / self.expected * 100 if self.expected else Decimal(0)

    @property
    def submitted_rate(self) -> Decimal:
        return Decimal(self.submitted) / self.expected * 100 if self.expected else Decimal(0)


@dataclass
class Bulletin:
    round: LedgerRound
    reporters: list[Reporter]
    kpis: list[dict]
    tasks: list[dict]
    problems: list[dict]
    assignments: list[dict] = field(default_factory=list)
    generated_at: object = None

    @property
    def title(self):
        return f"{self.round.plan.title}{self.round.year}年第{self.round.quarter}季度调度情况通报"


def build(round_: LedgerRound) -> Bulletin:
    entries = LedgerEntry.objects.filter(round=round_)
    done = Q(status__in=[EntryStatus.SUBMITTED, EntryStatus.APPROVED])
    counts = (
        entries.filter(place__level__lte=2)
        .values("place__code", "place__name", "place__level", "unit__name", "unit__short_name")
        .annotate(
            expected=Count("id"),
            submitted=Count("id", filter=done),
            on_time=Count("id", filter=Q(on_time=True)),
            approved=Count("id", filter=Q(status=EntryStatus.APPROVED)),
        )
        .order_by("place__code", "unit__name")
    )
    reporters = []
    for row in counts:
        is_unit = row["unit__name"] is not None
        reporters.append(
            Reporter(
                name=(row["unit__short_name"] or row["unit__name"]) if is_unit else row["place__name"],
                kind="单位" if is_unit else "乡镇",
                expected=row["expected"],
                submitted=row["submitted"],
                on_time=row["on_time"],
                approved=row["approved"],
            )
        )
    for kind in ("乡镇", "单位"):
        group = sorted(
            (r for r in reporters if r.kind == kind),
            key=lambda r: (-r.on_time_rate, -r.submitted_rate, r.name),
        )
        for position, r in enumerate(group, start=1):
            r.rank = position
    reporters.sort(key=lambda r: (r.kind != "乡镇", r.rank))

    year = Period(round_.year)
    district = round_.plan.district
    kpis = []
    targeted = Target.objects.filter(year=round_.year, place=district).values_list("indicator_id", flat=True)
    for indicator in Indicator.objects.filter(pk__in=targeted, is_active=True).order_by("order", "code"):
        row = value_at(indicator, district, year)
        kpis.append(
            {
                "name": indicator.name,
                "unit": indicator.unit,
                "value": None if row.value is None else round(row.value, indicator.decimals),
                "target": row.target,
                "progress": None if row.progress is None else round(row.progress * 100, 1),
                "light": row.light.value,
            }
        )
    tasks = []
    for task in round_.plan.tasks.order_by("number"):
        reported = list(
            entries.filter(task=task, place__level__lte=2)
            .filter(done)
            .select_related("place", "unit")
            .order_by("place__code", "unit__name")
        )
        tasks.append(
            {
                "number": task.number,
                "title": task.title,
                "reported": len(reported),
                "lines": [(e.reporter_name, e.progress) for e in reported],
            }
        )
    problems = [
        {"reporter": e.reporter_name, "task": e.task.number, "problems": e.problems}
        for e in entries.exclude(problems="")
        .select_related("place", "unit", "task")
        .order_by("task__number", "place__code")
    ]
    from shuxiang.plan.assignments import open_assignments

    assignments = [
        {
            "title": c.title,
            "unit": c.unit.name if c.unit_id else "",
            "deadline": timezone.localtime(c.deadline).strftime("%Y-%m-%d") if c.deadline else "",
            "overdue": c.is_overdue,
            "major": bool(c.extra.get("major")),
        }
        for c in open_assignments()
    ]
    return Bulletin(round_, reporters, kpis, tasks, problems, assignments, timezone.localtime())


def _fmt(value):
    if value is None:
        return "—"
    return f"{Decimal(value).normalize():f}"


def to_xlsx(bulletin: Bulletin) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    wb = Workbook()
    ws = wb.active
    ws.title = "报送排名"
    ws.append([bulletin.title])
    ws["A1"].font = Font(bold=True, size=14)
    ws.append(["类别", "名次", "填报主体", "应报", "已报", "按时", "已审定", "按时报送率(%)"])
    for r in bulletin.reporters:
        ws.append(
            [
                r.kind,
                r.rank,
                r.name,
                r.expected,
                r.submitted,
                r.on_time,
                r.approved,
                float(round(r.on_time_rate, 1)),
            ]
        )
    ws = wb.create_sheet("指标进展")
    ws.append(["指标", "单位", "当前值", "2025年目标", "完成进度(%)", "状态"])
    for k in bulletin.kpis:
        ws.append(
            [
                k["name"],
                k["unit"],
                None if k["value"] is None else float(k["value"]),
                None if k["target"] is None else float(k["target"]),
                None if k["progress"] is None else float(k["progress"]),
                LIGHT_TEXT[k["light"]],
            ]
        )
    ws = wb.create_sheet("任务进展")
    ws.append(["任务", "填报主体", "工作进展"])
    for t in bulletin.tasks:
        for name, progress in t["lines"] or [("（本季度无已报送台账）", "")]:
            ws.append([f"{t['number']}. {t['title']}", name, progress])
    ws = wb.create_sheet("存在问题")
    ws.append(["任务", "填报主体", "存在问题"])
    for p in bulletin.problems:
        ws.append([p["task"], p["reporter"], p["problems"]])
    ws.append([])
    ws.append(["未办结交办事项", "承办单位", "办理时限", "超期", "提请区委、区政府研究"])
    for a in bulletin.assignments:
        ws.append(
            [
                a["title"],
                a["unit"],
                a["deadline"],
                "是" if a["overdue"] else "否",
                "是" if a["major"] else "否",
            ]
        )
    _as_text(wb)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _as_text(wb):
    """Progress, problems and names are what people typed: a cell starting with = + - @ (or a tab or
    CR) stays text, never a live formula (the rule of core.exports, applied to this hand-laid book)."""
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                if is_formula_like(cell.value):
                    cell.data_type = "s"
                    cell.quotePrefix = True


def to_pdf(bulletin: Bulletin) -> bytes:
    """A4 PDF; Chinese text in the Adobe CID font STSong-Light, which every PDF reader maps to a
    system Song typeface (nothing downloaded, no font file to ship)."""
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    base = ParagraphStyle("base", fontName="STSong-Light", fontSize=9.5, leading=14, wordWrap="CJK")
    title = ParagraphStyle("title", parent=base, fontSize=16, leading=22, alignment=1, spaceAfter=6)
    h2 = ParagraphStyle("h2", parent=base, fontSize=12, leading=18, spaceBefore=8, spaceAfter=4)
    small = ParagraphStyle("small", parent=base, fontSize=8.5, leading=12)

    def table(rows, widths):
        data = [[Paragraph(str(c), small) for c in row] for row in rows]
        t = Table(data, colWidths=[w * mm for w in widths], repeatRows=1)
        t.setStyle(
            TableStyle(
                [
                    ("GRID", (0, 0), (-1, -1), 0.4, colors.grey),
                    ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e8f4ef")),
                    ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ]
            )
        )
        return t

    story = [
        Paragraph(bulletin.title, title),
        Paragraph(
            f"报送截止：{timezone.localtime(bulletin.round.deadline):%Y年%m月%d日 %H:%M}　"
            f"生成时间：{bulletin.generated_at:%Y年%m月%d日 %H:%M}",
            base,
        ),
        Paragraph("一、台账报送情况（按时报送率排名）", h2),
        table(
            [["类别", "名次", "填报主体", "应报", "已报", "按时", "已审定", "按时率%"]]
            + [
                [
                    r.kind,
                    r.rank,
                    r.name,
                    r.expected,
                    r.submitted,
                    r.on_time,
                    r.approved,
                    _fmt(round(r.on_time_rate, 1)),
                ]
                for r in bulletin.reporters
            ],
            [14, 12, 50, 16, 16, 16, 18, 22],
        ),
        Paragraph("二、主要指标完成情况（对照2025年目标）", h2),
        table(
            [["指标", "当前值", "目标", "进度%", "状态"]]
            + [
                [
                    k["name"],
                    f"{_fmt(k['value'])}{k['unit']}",
                    f"{_fmt(k['target'])}{k['unit']}",
                    _fmt(k["progress"]),
                    LIGHT_TEXT[k["light"]],
                ]
                for k in bulletin.kpis
            ],
            [66, 30, 30, 20, 18],
        ),
        Paragraph("三、重点任务推进情况", h2),
    ]
    for t in bulletin.tasks:
        story.append(Paragraph(f"{t['number']}. {t['title']}（已报送 {t['reported']} 份）", base))
        for name, progress in t["lines"][:40]:
            story.append(Paragraph(f"　{name}：{progress}", small))
    story.append(Paragraph("四、存在问题", h2))
    rows = [["任务", "填报主体", "存在问题"]] + [
        [p["task"], p["reporter"], p["problems"]] for p in bulletin.problems
    ]
    story.append(
        table(rows, [14, 40, 110]) if bulletin.problems else Paragraph("本季度台账未反映问题。", base)
    )
    story.append(Paragraph("五、交办事项办理情况（未办结）", h2))
    if bulletin.assignments:
        story.append(
            table(
                [["事项", "承办单位", "时限", "超期", "提请区委区政府研究"]]
                + [
                    [
                        a["title"],
                        a["unit"],
                        a["deadline"],
                        "是" if a["overdue"] else "否",
                        "是" if a["major"] else "否",
                    ]
                    for a in bulletin.assignments
                ],
                [70, 40, 22, 12, 20],
            )
        )
    else:
        story.append(Paragraph("无未办结的交办事项。", base))
    story.append(Spacer(1, 6 * mm))
    out = io.BytesIO()
    doc = SimpleDocTemplate(
        out,
        pagesize=A4,
        leftMargin=15 * mm,
        rightMargin=15 * mm,
        topMargin=15 * mm,
        bottomMargin=15 * mm,
        title=bulletin.title,
        author="数乡 Shuxiang",
    )
    doc.build(story)
    return out.getvalue()
