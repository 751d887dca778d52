"""The figures a ledger form holds, and the lock an approved form puts on them.

A form (task × place × quarter × unit) owns the indicator values of its reporter: a unit's form
the values stored under that unit, a township's or village's form the place's own values (no
unit). So two units filling the same district indicator never share a value, and an approved
form's values are locked in the engine (`register_lock`) until its approval is withdrawn.
"""

from shuxiang.indicators.choices import IndicatorSource
from shuxiang.indicators.models import DataValue
from shuxiang.plan.models import LedgerEntry


def reported_indicators(entry: LedgerEntry):
    """The task's indicators this form enters: reported ones whose entry level is the form's place level."""
    return [
        i
        for i in entry.task.indicators.all()
        if i.source == IndicatorSource.REPORTED and i.is_active and i.entry_level in (None, entry.place.level)
    ]


def entry_figures(entry: LedgerEntry) -> dict:
    """{indicator code: (numerator, denominator)} of this form's reporter."""
    codes = [i.code for i in reported_indicators(entry)]
    rows = DataValue.objects.filter(
        indicator__code__in=codes, place=entry.place, period=entry.round.period, unit=entry.unit_id
    ).values_list("indicator__code", "numerator", "denominator")
    return {code: (num, den) for code, num, den in rows}


def figures_of(entries) -> dict:
    """{(place id, unit id or None, period): {code: (numerator, denominator)}} for many forms in one
    query (a page of the ledger list)."""
    figures: dict = {}
    if not entries:
        return figures
    rows = DataValue.objects.filter(
        place_id__in={e.place_id for e in entries}, period__in={e.round.period for e in entries}
    ).values_list("place_id", "unit_id", "period", "indicator__code", "numerator", "denominator")
    for place_id, unit_id, period, code, num, den in rows:
        figures.setdefault((place_id, unit_id, period), {})[code] = (num, den)
    return figures


def key_of(entry: LedgerEntry) -> tuple:
    return (entry.place_id, entry.unit_id, entry.round.period)


def approved_form_holding(indicator, place, period_code, unit) -> str | None:
    """Registered with the indicator engine: the value of a reporter whose form for the quarter is
    approved (at any level) stays as approved until the approval is withdrawn, top-down."""
    forms = LedgerEntry.objects.filter(
        round__period=period_code, place=place, task__indicators=indicator, approval_level__isnull=False
    ).filter(unit=unit.pk if unit is not None else None)
    entry = forms.select_related("round", "task", "place", "unit").first()
    if entry is None:
        return None
    return (
        f"{indicator.name}属于已审批的台账（{entry.reporter_name} · 任务{entry.task.number} · "
        f"{entry.round.period}），撤销审批（自上而下）并退回后才能修改"
    )
