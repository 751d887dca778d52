"""QR codes of a lot's GS1 Digital Link, drawn locally with segno (no external service)."""

import io

import segno
from django.utils.safestring import mark_safe


def svg(url: str, scale: int = 4) -> str:
    """An inline <svg> (no script, so the CSP allows it) for HTML pages."""
    return mark_safe(segno.make(url, error="m").svg_inline(scale=scale, border=2))  # noqa: S308 (segno output)


def png(url: str, scale: int = 8) -> bytes:
    buf = io.BytesIO()
    segno.make(url, error="m").save(buf, kind="png", scale=scale, border=2)
    return buf.getvalue()
