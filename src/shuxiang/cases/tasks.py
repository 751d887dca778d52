"""Periodic work: overdue flags and escalation every five minutes, auto-closing once a day."""

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from shuxiang.cases import services
from shuxiang.core.context import origin


@db_periodic_task(crontab(minute="*/5"))
def escalate_due_cases():
    with origin("task"):
        return services.escalate_due_cases()


@db_periodic_task(crontab(minute="20", hour="2"))
def close_unconfirmed_cases():
    with origin("task"):
        return services.close_unconfirmed_cases()
