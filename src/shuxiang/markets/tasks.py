"""Periodic work: the warning levels are recomputed every night from the day's prices."""

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from shuxiang.core.actors import Actor
from shuxiang.core.context import origin
from shuxiang.markets import monitor


@db_periodic_task(crontab(minute="10", hour="3"))
def recompute_warnings():
    """Every level from the stored prices; rises to alert or crisis are told to the bureaus."""
    with origin("task"):
        return monitor.do_recompute_warnings(actor=Actor.system("markets")).levels
