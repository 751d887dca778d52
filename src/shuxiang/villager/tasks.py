"""Background work: postings past their date leave the market every night (as the tasks actor)."""

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from shuxiang.core.context import origin
from shuxiang.villager import market, tourism


@db_periodic_task(crontab(minute="7", hour="0"))
def expire_postings():
    with origin("task"):
        return market.do_expire_postings(actor=market.TASKS)


@db_periodic_task(crontab(minute="*/15"))
def sync_visitor_counters():
    """Today's figures of the sites with a counter, from its readings in the iot engine."""
    with origin("task"):
        return tourism.do_sync_counters(actor=market.TASKS)
