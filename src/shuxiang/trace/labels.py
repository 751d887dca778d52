"""A4 sheets of QR labels for a lot, drawn with reportlab.

reportlab is the long-maintained PDF toolkit of the Python world (BSD, pure Python plus an
optional C accelerator) and draws vector text and images without any external service.
Chinese text uses reportlab's built-in Adobe-GB1 CID font STSong-Light, which ships inside
the reportlab package: Debian's Noto CJK fonts are CFF-flavoured OpenType collections, which
reportlab cannot embed, and nothing is ever downloaded.
"""

import io

from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.lib.utils import ImageReader
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfgen import canvas

from shuxiang.trace import qr

FONT = "STSong-Light"
COLUMNS, ROWS = 3, 7
PER_PAGE = COLUMNS * ROWS
MARGIN_X, MARGIN_Y = 8 * mm, 10 * mm
_registered = False


def _font():
    global _registered
    if not _registered:
        pdfmetrics.registerFont(UnicodeCIDFont(FONT))
        _registered = True
    return FONT


def _fit(text: str, size: float, width: float) -> str:
    while text and pdfmetrics.stringWidth(text, FONT, size) > width:
        text = text[:-1]
    return text


def label_sheet(lot, count: int) -> bytes:
    """`count` labels (3 × 7 per page): QR of the lot's Digital Link, product, lot, producer, short code."""
    font = _font()
    product, producer = lot.product, lot.product.producer
    image = ImageReader(io.BytesIO(qr.png(lot.digital_link, scale=6)))
    buf = io.BytesIO()
    pdf = canvas.Canvas(buf, pagesize=A4)
    pdf.setTitle(f"{product.name} {lot.lot_number} 追溯码标签")
    page_w, page_h = A4
    cell_w = (page_w - 2 * MARGIN_X) / COLUMNS
    cell_h = (page_h - 2 * MARGIN_Y) / ROWS
    qr_size = cell_h - 8 * mm
    text_w = cell_w - qr_size - 6 * mm
    for i in range(count):
        if i and i % PER_PAGE == 0:
            pdf.showPage()
        n = i % PER_PAGE
        col, row = n % COLUMNS, n // COLUMNS
        x = MARGIN_X + col * cell_w
        y = page_h - MARGIN_Y - (row + 1) * cell_h
        pdf.setLineWidth(0.3)
        pdf.setDash(2, 2)
        pdf.rect(x, y, cell_w, cell_h)
        pdf.drawImage(image, x + 2 * mm, y + 4 * mm, qr_size, qr_size)
        tx = x + qr_size + 4 * mm
        lines = [
            (9, "承诺达标合格证"),
            (8, _fit(product.name, 8, text_w)),
            (7, f"批次 {lot.lot_number}"),
            (7, _fit(producer.name, 7, text_w)),
            (7, f"短码 {lot.short_code}"),
            (6, "扫码查看产地与检测"),
        ]
        ty = y + cell_h - 8 * mm
        for size, text in lines:
            pdf.setFont(font, size)
            pdf.drawString(tx, ty, text)
            ty -= size + 2.5
    pdf.save()
    return buf.getvalue()
