"""Statistics per township, unit or category: volume, accepted on time, resolved on time, reopen rate,
satisfaction — over the cases submitted in a period, inside the user's region.

Definitions (docs/cases.md): accepted on time = accepted no later than the accept deadline, over the
cases that have one; resolved on time = (last) resolution no later than the (current) deadline, over
the cases that have a deadline; reopen rate = cases reopened at least once over cases resolved at
least once; satisfaction = mean rating (1–5) of the rated cases, and the share rated 4 or 5.
"""

from dataclasses import dataclass

from django.db.models import Avg, Count, F, Q
from django.db.models.functions import Substr

from shuxiang.cases.models import Case, CaseCategory
from shuxiang.core.models import Place, Unit

DIMENSIONS = {"township": "乡镇", "unit": "责任单位", "category": "类别"}
# "/" + 12-digit district code + "/" puts the township code at characters 15–26 of a place path.
TOWNSHIP_IN_PATH = (15, 12)


@dataclass
class Row:
    key: object
    label: str
    volume: int
    accepted_on_time: int
    with_accept_deadline: int
    resolved_on_time: int
    with_deadline: int
    reopened: int
    ever_resolved: int
    rated: int
    satisfied: int
    rating_avg: float | None

    @staticmethod
    def _rate(part, whole):
        return round(100 * part / whole, 1) if whole else None

    @property
    def accepted_on_time_rate(self):
        return self._rate(self.accepted_on_time, self.with_accept_deadline)

    @property
    def resolved_on_time_rate(self):
        return self._rate(self.resolved_on_time, self.with_deadline)

    @property
    def reopen_rate(self):
        return self._rate(self.reopened, self.ever_resolved)

    @property
    def satisfaction_rate(self):
        return self._rate(self.satisfied, self.rated)

    def as_dict(self):
        return {
            "key": self.key,
            "label": self.label,
            "volume": self.volume,
            "accepted_on_time": self.accepted_on_time,
            "accepted_on_time_rate": self.accepted_on_time_rate,
            "resolved_on_time": self.resolved_on_time,
            "resolved_on_time_rate": self.resolved_on_time_rate,
            "reopened": self.reopened,
            "reopen_rate": self.reopen_rate,
            "rated": self.rated,
            "rating_avg": self.rating_avg,
            "satisfaction_rate": self.satisfaction_rate,
        }


METRICS = {
    "volume": Count("id"),
    "accepted_on_time": Count(
        "id", filter=Q(accepted_at__isnull=False, accepted_at__lte=F("accept_deadline"))
    ),
    "with_accept_deadline": Count("id", filter=Q(accept_deadline__isnull=False)),
    "resolved_on_time": Count("id", filter=Q(resolved_at__isnull=False, resolved_at__lte=F("deadline"))),
    "with_deadline": Count("id", filter=Q(deadline__isnull=False)),
    "reopened": Count("id", filter=Q(reopen_count__gt=0)),
    "ever_resolved": Count("id", filter=Q(resolved_at__isnull=False) | Q(reopen_count__gt=0)),
    "rated": Count("id", filter=Q(rating__isnull=False)),
    "satisfied": Count("id", filter=Q(rating__gte=4)),
    "rating_avg": Avg("rating"),
}


def statistics(queryset, by: str) -> list[Row]:
    """Rows for each township/unit/category present in `queryset` (already restricted and filtered)."""
    if by not in DIMENSIONS:
        raise ValueError(by)
    if by == "township":
        qs = queryset.annotate(group=Substr("place__path", *TOWNSHIP_IN_PATH))
        labels = dict(Place.objects.filter(level=2).values_list("code", "name"))
    elif by == "unit":
        qs = queryset.annotate(group=F("unit_id"))
        labels = dict(Unit.objects.filter(pk__in=queryset.values("unit_id")).values_list("pk", "name"))
    else:
        qs = queryset.annotate(group=F("category_id"))
        labels = dict(CaseCategory.objects.values_list("pk", "name"))
    rows = []
    for values in qs.order_by().values("group").annotate(**METRICS).order_by("group"):
        key = values.pop("group")
        avg = values.pop("rating_avg")
        rows.append(
            Row(
                key=key,
                label=labels.get(key, "区级" if by == "township" else "（未指定）"),
                rating_avg=round(float(avg), 2) if avg is not None else None,
                **values,
            )
        )
    rows.sort(key=lambda r: -r.volume)
    return rows


def totals(queryset) -> Row:
    values = queryset.order_by().aggregate(**METRICS)
    avg = values.pop("rating_avg")
    return Row(key=None, label="合计", rating_avg=round(float(avg), 2) if avg is not None else None, **values)


def restricted(user, *, start=None, end=None, case_type=None):
    qs = Case.objects.restrict(user)
    if start:
        qs = qs.filter(created_at__gte=start)
    if end:
        qs = qs.filter(created_at__lt=end)
    if case_type:
        qs = qs.filter(case_type=case_type)
    return qs
