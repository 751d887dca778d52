"""Periods as DHIS2 writes them: "2025" (year) and "2025Q1".."2025Q4" (quarter)."""

import calendar
import re
from dataclasses import dataclass
from datetime import date

from shuxiang.core.errors import ServiceError

PERIOD_RE = re.compile(r"^(?P<year>20\d\d)(?:Q(?P<quarter>[1-4]))?$")


@dataclass(frozen=True)
class Period:
    year: int
    quarter: int | None = None

    @property
    def code(self) -> str:
        return f"{self.year}Q{self.quarter}" if self.quarter else str(self.year)

    @property
    def is_year(self) -> bool:
        return self.quarter is None

    @property
    def start(self) -> date:
        return date(self.year, 3 * (self.quarter - 1) + 1 if self.quarter else 1, 1)

    @property
    def end(self) -> date:
        month = 3 * self.quarter if self.quarter else 12
        return date(self.year, month, calendar.monthrange(self.year, month)[1])

    @property
    def label(self) -> str:
        return f"{self.year}年第{self.quarter}季度" if self.quarter else f"{self.year}年"

    def quarters(self) -> list["Period"]:
        if self.quarter:
            return [self]
        return [Period(self.year, q) for q in range(1, 5)]

    def __str__(self):
        return self.code


def parse_period(value, *, field="period") -> Period:
    text = str(value or "").strip().upper()
    match = PERIOD_RE.match(text)
    if not match:
        raise ServiceError(
            "invalid_period",
            f"期间「{value}」格式错误，应为年度（如 2025）或季度（如 2025Q3）",
            {field: ["应为 2025 或 2025Q3 这样的格式"]},
        )
    quarter = match.group("quarter")
    return Period(int(match.group("year")), int(quarter) if quarter else None)


def quarter_of(day: date) -> Period:
    return Period(day.year, (day.month - 1) // 3 + 1)
