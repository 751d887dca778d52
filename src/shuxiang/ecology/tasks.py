"""Periodic ecology work: the hourly look for garbage collection points past their interval."""

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from shuxiang.core.context import origin
from shuxiang.ecology import services


@db_periodic_task(crontab(minute="23"))
def check_overdue_collections():
    with origin("task"):
        services.do_check_overdue_collections(actor=services.ECOLOGY)
