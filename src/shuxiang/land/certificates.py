"""Share certificates (股权证): one A5 page per household, its members' shares by kind, drawn with
reportlab's built-in Chinese CID font (nothing downloaded; see trace.labels for why this font)."""

import io
from decimal import Decimal

from reportlab.lib.pagesizes import A5
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfgen import canvas

from shuxiang.land.choices import ShareKind

FONT = "STSong-Light"
_registered = False


def _font():
    global _registered
    if not _registered:
        pdfmetrics.registerFont(UnicodeCIDFont(FONT))
        _registered = True
    return FONT


def household_pages(cooperative, households) -> bytes:
    """`households`: [(title, [members with prefetched holdings])]; one page each."""
    font = _font()
    buf = io.BytesIO()
    pdf = canvas.Canvas(buf, pagesize=A5)
    pdf.setTitle(f"{cooperative.name} 股权证")
    w, h = A5
    kinds = [k for k in ShareKind if k != ShareKind.COLLECTIVE]
    for title, members in households:
        pdf.setFont(font, 18)
        pdf.drawCentredString(w / 2, h - 22 * mm, "股 权 证")
        pdf.setFont(font, 10)
        pdf.drawCentredString(w / 2, h - 30 * mm, cooperative.name)
        pdf.drawString(14 * mm, h - 42 * mm, f"户：{title}")
        pdf.drawString(14 * mm, h - 48 * mm, f"股权管理：{cooperative.get_management_display()}")
        y = h - 60 * mm
        pdf.drawString(14 * mm, y, "成员编号")
        pdf.drawString(46 * mm, y, "姓名")
        for i, kind in enumerate(kinds):
            pdf.drawRightString((86 + i * 18) * mm, y, kind.label)
        pdf.drawRightString(138 * mm, y, "合计")
        total = Decimal(0)
        for m in members:
            y -= 7 * mm
            by_kind = {x.kind: x.shares for x in m.holdings.all()}
            pdf.drawString(14 * mm, y, m.code)
            pdf.drawString(46 * mm, y, m.person.name)
            for i, kind in enumerate(kinds):
                pdf.drawRightString((86 + i * 18) * mm, y, str(by_kind.get(kind.value, "")))
            sub = sum(by_kind.values(), Decimal(0))
            total += sub
            pdf.drawRightString(138 * mm, y, str(sub))
        y -= 10 * mm
        pdf.drawString(14 * mm, y, f"本户合计：{total} 股（户内共享，转让与继承限于本户成员）")
        pdf.drawString(14 * mm, 18 * mm, "发证单位（盖章）：" + cooperative.name)
        pdf.showPage()
    pdf.save()
    return buf.getvalue()
