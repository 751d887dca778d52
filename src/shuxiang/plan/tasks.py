"""Background work: recounting the indicators the ledgers and registries feed, reminding reporters.

It runs as the platform's tasks actor, whose narrow grants are declared in the apps' ready()."""

from django.utils import timezone
from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from shuxiang.core.actors import Actor
from shuxiang.core.context import origin
from shuxiang.indicators.models import Indicator
from shuxiang.indicators.periods import quarter_of
from shuxiang.indicators.services import do_refresh_computed

TASKS = Actor.system("tasks")


@db_task()
def refresh_ledger_indicators(period_code):
    with origin("task"):
        for indicator in Indicator.objects.filter(computed_by__startswith="ledger.", is_active=True):
            do_refresh_computed(indicator, period_code, actor=TASKS)


def refresh_registry_indicators(period_code=None, *, actor):
    period_code = period_code or quarter_of(timezone.localdate()).code
    count = 0
    for indicator in Indicator.objects.filter(source="computed", is_active=True).exclude(
        computed_by__startswith="ledger."
    ):
        count += do_refresh_computed(indicator, period_code, actor=actor)
    return count


@db_periodic_task(crontab(minute="17", hour="2"))
def nightly_registry_snapshot():
    """The current quarter's coverage figures, recounted from the registries every night."""
    with origin("task"):
        refresh_registry_indicators(actor=TASKS)


@db_periodic_task(crontab(minute="0", hour="9"))
def morning_deadline_reminders():
    """Each morning, reporters of open forms due within two days get a reminder (once a day)."""
    from shuxiang.plan.services import remind_due_entries

    with origin("task"):
        remind_due_entries(actor=TASKS)
