"""Grid workers' workload and response times, from patrols and the case engine's own timestamps."""

from datetime import timedelta

from django.db.models import Avg, Count, DurationField, ExpressionWrapper, F, Q, Sum
from django.utils import timezone

WINDOW_DAYS = 30


def _hours(value) -> float | None:
    return None if value is None else round(value.total_seconds() / 3600, 1)


def for_workers(workers, user) -> list[dict]:
    """One row per worker: patrols and distance in the last 30 days, events reported, cases routed to
    them as grid worker (open, and mean hours to accept and to resolve)."""
    from shuxiang.cases.models import Case
    from shuxiang.governance.models import Patrol

    since = timezone.now() - timedelta(days=WINDOW_DAYS)
    rows = []
    for worker in workers:
        patrols = Patrol.objects.restrict(user).filter(worker=worker, started_at__gte=since)
        p = patrols.aggregate(n=Count("pk"), metres=Sum("distance_m"), events=Count("cases"))
        cases = Case.objects.restrict(user).filter(grid_worker=worker, created_at__gte=since)
        to_accept = ExpressionWrapper(F("accepted_at") - F("created_at"), output_field=DurationField())
        to_resolve = ExpressionWrapper(F("resolved_at") - F("created_at"), output_field=DurationField())
        k = cases.aggregate(
            n=Count("pk"),
            open=Count("pk", filter=Q(resolved_at__isnull=True, closed_at__isnull=True)),
            accept=Avg(to_accept, filter=Q(accepted_at__isnull=False)),
            resolve=Avg(to_resolve, filter=Q(resolved_at__isnull=False)),
        )
        rows.append(
            {
                "worker": worker,
                "patrols": p["n"],
                "km": round((p["metres"] or 0) / 1000, 1),
                "events": p["events"],
                "cases": k["n"],
                "open": k["open"],
                "accept_hours": _hours(k["accept"]),
                "resolve_hours": _hours(k["resolve"]),
            }
        )
    return rows
