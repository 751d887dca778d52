"""The one way to hand out a spreadsheet: CSV or XLSX, safe to open, and audited.

Exported cells hold what people typed — a case description, a household head's name, a unit's
note. A cell that starts with `=`, `+`, `-` or `@` (or a tab or carriage return, which some
programs skip before reading one of those) is a formula to Excel and WPS: `=HYPERLINK(...)`
turns into a live link that can carry the sheet's data elsewhere, and older versions run DDE
commands. So every text cell that starts like that is neutralised (OWASP, "CSV injection"):

- CSV: prefixed with a single quote `'`, which the spreadsheet shows as text;
- XLSX: written as a text cell (never a formula) with Excel's "quote prefix" flag, so the value
  stays exactly as typed and editing the cell does not turn it into a formula either.

Numbers stay numbers. Sheet titles lose the characters Excel forbids (`[]:*?/\\`) and are cut to
31 characters. CSV starts with a UTF-8 BOM, without which Excel misreads Chinese. Every export
leaves an audit entry (who, what, which filters, how many rows).

    return export_response(rows, headers, fmt="csv", filename="people-20250101", sheet_title="人员",
                           actor=request.user, object_type="core.person", description="导出人员（csv）",
                           filters=dict(request.GET.lists()))
"""

import csv
import io
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from django.http import HttpResponse
from django.utils import timezone
from django.utils.http import content_disposition_header

from shuxiang.core import audit

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
FORBIDDEN_IN_TITLES = re.compile(r"[\[\]:*?/\\]")
MAX_TITLE = 31
CONTENT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def is_formula_like(value) -> bool:
    return isinstance(value, str) and value.startswith(FORMULA_STARTS)


def neutralise(value):
    """A text cell a spreadsheet will show as text: `'` before a leading = + - @ tab or CR.

    Only text is touched: a number (a negative one too) is data, not a formula.
    """
    return "'" + value if is_formula_like(value) else value


def safe_sheet_title(title, default: str = "数据") -> str:
    """A title Excel accepts: no []:*?/\\, no leading or trailing quote, at most 31 characters."""
    title = FORBIDDEN_IN_TITLES.sub("-", str(title or "")).strip().strip("'")[:MAX_TITLE].strip()
    return title or default


def _plain(value):
    """What a cell can hold: text, numbers, naive local datetimes; None as empty, booleans as 是/否."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, datetime) and timezone.is_aware(value):
        return timezone.localtime(value).replace(tzinfo=None)
    return value


@dataclass
class Sheet:
    """Another sheet of an XLSX export (a summary before the rows); CSV carries only the rows."""

    title: str
    headers: Sequence
    rows: Iterable = field(default_factory=list)


def _csv_body(headers, rows) -> tuple[bytes, int]:
    buf = io.StringIO()
    buf.write("\ufeff")  # Excel opens UTF-8 CSV correctly only with a BOM
    writer = csv.writer(buf)
    writer.writerow([neutralise(_plain(h)) for h in headers])
    count = 0
    for row in rows:
        writer.writerow([neutralise(_plain(v)) for v in row])
        count += 1
    return buf.getvalue().encode("utf-8"), count


def _xlsx_row(ws, values):
    from openpyxl.cell import WriteOnlyCell

    cells = []
    for value in values:
        value = _plain(value)
        if is_formula_like(value):
            cell = WriteOnlyCell(ws, value)
            cell.data_type = "s"  # openpyxl would otherwise write a string starting with = as a formula
            cell.quotePrefix = True
            cells.append(cell)
        else:
            cells.append(value)
    return cells


def _write_sheet(wb, title, headers, rows, used: set) -> int:
    title = safe_sheet_title(title)
    base, n = title, 2
    while title.lower() in used:  # Excel refuses two sheets of the same name
        suffix = f" ({n})"
        title, n = base[: MAX_TITLE - len(suffix)] + suffix, n + 1
    used.add(title.lower())
    ws = wb.create_sheet(title=title)
    ws.append(_xlsx_row(ws, headers))
    count = 0
    for row in rows:
        ws.append(_xlsx_row(ws, row))
        count += 1
    return count


def _xlsx_body(headers, rows, title, summary_sheets) -> tuple[bytes, int]:
    from openpyxl import Workbook

    wb = Workbook(write_only=True)
    used: set[str] = set()
    for extra in summary_sheets:
        _write_sheet(wb, extra.title, extra.headers, extra.rows, used)
    count = _write_sheet(wb, title, headers, rows, used)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue(), count


def export_response(
    rows: Iterable[Sequence],
    headers: Sequence,
    *,
    fmt: str,
    filename: str,
    sheet_title: str,
    actor,
    object_type: str,
    description: str,
    filters: dict | None = None,
    summary_sheets: Sequence[Sheet] = (),
    details: dict | None = None,
) -> HttpResponse:
    """A download of `rows` under `headers` as CSV or XLSX, with the export audited.

    `filename` has no extension; `filters` are what the user asked for (query parameters),
    `details` anything else the audit entry should say (e.g. whether health data was included).
    `summary_sheets` come before the rows in XLSX only.
    """
    if fmt == "csv":
        body, count = _csv_body(headers, rows)
    elif fmt == "xlsx":
        body, count = _xlsx_body(headers, rows, sheet_title, summary_sheets)
    else:
        raise ValueError(f"unknown export format {fmt!r}")
    audit.record(
        actor,
        "export",
        object_type=object_type,
        object_repr=description,
        changes={"filters": filters or {}, "rows": count, "format": fmt, **(details or {})},
    )
    response = HttpResponse(body, content_type=CONTENT_TYPES[fmt])
    response["Content-Disposition"] = content_disposition_header(True, f"{filename}.{fmt}")
    return response
