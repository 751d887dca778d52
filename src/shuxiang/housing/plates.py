"""QR plates of houses (门牌二维码): segno draws the code, reportlab the printable A4 sheets.

Nothing is fetched from outside: segno writes the QR locally and the Chinese text uses reportlab's
built-in CID font STSong-Light (as trace's label sheets do). A plate carries the house's code and
the address of its page; scanning it opens the house for staff who may see it (others are asked to
sign in), so the plate itself shows no owner, no grade and nothing personal.
"""

import io

import segno
from django.conf import settings
from django.utils.safestring import mark_safe
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfgen import canvas

FONT = "STSong-Light"
COLUMNS, ROWS = 2, 4
PER_PAGE = COLUMNS * ROWS
MARGIN_X, MARGIN_Y = 10 * mm, 12 * mm
# A sheet is for one village; more than this many plates is asked for in parts.
MAX_PLATES = 5000
MASK = 2
QUIET = 2  # modules of white around the code


def house_url(code: str) -> str:
    return f"{settings.PUBLIC_URL}/housing/houses/{code}/"


def svg(code: str, scale: int = 4) -> str:
    """An inline <svg> of the plate's QR for the house page (no script: the CSP allows it)."""
    return mark_safe(segno.make(house_url(code), error="m").svg_inline(scale=scale, border=2))  # noqa: S308


def _draw_qr(pdf, code: str, x: float, y: float, size: float):
    """The QR as vector squares, one rectangle per run of dark modules in a row: sharp at any print size.

    A village's sheet draws a thousand codes, so two costs are cut: the mask is fixed (segno otherwise
    scores all eight masks of every code, most of the time spent) — any mask is valid and scans the
    same — and the rectangles are written as one literal path in module units (reportlab's own rect()
    formats every coordinate in Python).
    """
    matrix = segno.make(house_url(code), error="m", mask=MASK).matrix
    side = len(matrix) + 2 * QUIET
    ops = []
    for r, row in enumerate(matrix):
        bottom = side - QUIET - r - 1
        start = None
        for col, dark in enumerate((*row, 0)):
            if dark and start is None:
                start = col
            elif not dark and start is not None:
                ops.append(f"{start + QUIET} {bottom} {col - start} 1 re")
                start = None
    pdf.saveState()
    pdf.translate(x, y)
    pdf.scale(size / side, size / side)
    pdf.setFillColorRGB(0, 0, 0)
    pdf.addLiteral("\n".join(ops) + "\nf")
    pdf.restoreState()


def _font() -> str:
    if FONT not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont(FONT))
    return FONT


def _fit(text: str, size: float, width: float) -> str:
    while text and pdfmetrics.stringWidth(text, FONT, size) > width:
        text = text[:-1]
    return text


def plate_sheet(houses, title: str) -> bytes:
    """A4 pages of plates (2 × 4 a page): QR, code, village and hamlet, address, and the 经营性 flag.

    `houses` are House objects with `place` and `place.parent` selected.
    """
    font = _font()
    buf = io.BytesIO()
    pdf = canvas.Canvas(buf, pagesize=A4, pageCompression=1)
    pdf.setTitle(title)
    page_w, page_h = A4
    cell_w = (page_w - 2 * MARGIN_X) / COLUMNS
    cell_h = (page_h - 2 * MARGIN_Y) / ROWS
    qr_size = cell_h - 22 * mm
    text_w = cell_w - qr_size - 10 * mm
    for i, house in enumerate(houses):
        if i and i % PER_PAGE == 0:
            pdf.showPage()
        n = i % PER_PAGE
        col, row = n % COLUMNS, n // COLUMNS
        x = MARGIN_X + col * cell_w
        y = page_h - MARGIN_Y - (row + 1) * cell_h
        pdf.setLineWidth(0.4)
        pdf.setDash(3, 2)
        pdf.rect(x + 1 * mm, y + 1 * mm, cell_w - 2 * mm, cell_h - 2 * mm)
        pdf.setFont(font, 12)
        pdf.drawCentredString(x + cell_w / 2, y + cell_h - 9 * mm, "农村房屋安全信息牌")
        _draw_qr(pdf, house.code, x + 4 * mm, y + 8 * mm, qr_size)
        tx, ty = x + qr_size + 7 * mm, y + qr_size + 2 * mm
        village = house.place.parent.name if house.place.parent_id else ""
        lines = [
            (9, "房屋编码"),
            (8, house.code),
            (9, _fit(village, 9, text_w)),
            (9, _fit(house.place.name, 9, text_w)),
            (8, _fit(house.address or "", 8, text_w)),
        ]
        if house.is_business:
            lines.append((9, "经营性自建房"))
        for size, text in lines:
            pdf.setFont(font, size)
            pdf.drawString(tx, ty, text)
            ty -= size + 4
        pdf.setFont(font, 7)
        pdf.drawString(x + 4 * mm, y + 4 * mm, "扫码查看房屋信息 · 请勿损毁")
    if not houses:
        pdf.setFont(font, 12)
        pdf.drawString(MARGIN_X, page_h - MARGIN_Y - 12, "没有符合条件的房屋")
    pdf.save()
    return buf.getvalue()
