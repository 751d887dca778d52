"""Periodic work: the monitoring rules, incrementally every night and in full every Monday.

Idempotent (see rules.py), so a retried or overlapping run flags nothing twice.
The 15-day limit's overdue escalation runs with the case engine's own task.
"""

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from shuxiang.core.actors import Actor
from shuxiang.core.context import origin
from shuxiang.monitoring.rules import run_rules


@db_periodic_task(crontab(minute="30", hour="2"))
def run_monitoring_rules():
    from django.utils import timezone

    full = timezone.localdate().weekday() == 0
    with origin("task"):
        return run_rules(incremental=not full, actor=Actor.system("tasks")).flagged
