"""What a village or township has to do next: clues to verify, follow-up
visits due, procedure steps overdue. Every count is scoped with .restrict()."""

from datetime import timedelta

from django.db.models import Exists, OuterRef
from django.utils import timezone

from shuxiang.monitoring import choices as c
from shuxiang.monitoring.models import Clue, Household, Procedure, Visit

FOLLOW_UP_DAYS = 30  # monthly follow-up of monitored households (防返贫监测：每月走访)


def clues_to_verify(user):
    return Clue.objects.restrict(user).filter(status=c.ClueStatus.NEW)


def visits_due(user, today=None):
    """Monitored households with no follow-up visit in the last month."""
    today = today or timezone.localdate()
    recent = Visit.objects.filter(
        household=OuterRef("pk"),
        purpose=c.VisitPurpose.FOLLOW_UP,
        visited_on__gt=today - timedelta(days=FOLLOW_UP_DAYS),
    )
    return (
        Household.objects.restrict(user)
        .filter(status__in=(c.MonitoringStatus.MONITORED, c.MonitoringStatus.ELIMINATING))
        .filter(identified_on__lte=today - timedelta(days=FOLLOW_UP_DAYS))
        .exclude(Exists(recent))
    )


def procedures_open(user):
    return Procedure.objects.restrict(user).filter(decided_at__isnull=True)


def procedures_overdue(user, now=None):
    return procedures_open(user).filter(due_at__lt=now or timezone.now())
