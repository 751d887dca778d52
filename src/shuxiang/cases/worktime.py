"""Deadlines in working hours or calendar days, in Beijing time.

Working time is Monday–Friday, 08:00–12:00 and 14:00–18:00 (8 hours a day),
with public holidays and make-up working days (调休) from WorkCalendarDay.
"""

from datetime import datetime, time, timedelta

from django.utils import timezone

from shuxiang.cases.choices import DeadlineUnit

WORK_PERIODS = ((time(8, 0), time(12, 0)), (time(14, 0), time(18, 0)))
MAX_SEARCH_DAYS = 400


def _exceptions(start_date, days):
    from shuxiang.cases.models import WorkCalendarDay

    return dict(
        WorkCalendarDay.objects.filter(
            date__gte=start_date, date__lte=start_date + timedelta(days=days)
        ).values_list("date", "is_workday")
    )


def is_workday(day, exceptions) -> bool:
    if day in exceptions:
        return exceptions[day]
    return day.weekday() < 5


def add_work_hours(start: datetime, hours: float) -> datetime:
    """The moment `hours` of working time after `start` have passed."""
    tz = timezone.get_current_timezone()
    local = timezone.localtime(start, tz)
    remaining = timedelta(hours=hours)
    exceptions = _exceptions(local.date(), MAX_SEARCH_DAYS)
    day = local.date()
    for _ in range(MAX_SEARCH_DAYS):
        if is_workday(day, exceptions):
            for begin, end in WORK_PERIODS:
                period_start = timezone.make_aware(datetime.combine(day, begin), tz)
                period_end = timezone.make_aware(datetime.combine(day, end), tz)
                if local >= period_end:
                    continue
                effective = max(local, period_start)
                available = period_end - effective
                if remaining <= available:
                    return effective + remaining
                remaining -= available
        day += timedelta(days=1)
    raise ValueError("deadline beyond the working calendar")


def deadline_for(category, start: datetime) -> datetime | None:
    if category is None:
        return None
    if category.deadline_unit == DeadlineUnit.WORK_HOURS:
        return add_work_hours(start, category.deadline_amount)
    return start + timedelta(days=category.deadline_amount)


def accept_deadline_for(category, start: datetime) -> datetime | None:
    if category is None or not category.accept_hours:
        return None
    return start + timedelta(hours=category.accept_hours)
