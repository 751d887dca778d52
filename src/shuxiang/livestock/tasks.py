"""Periodic work: the night-oxygen forecast every 10 minutes, the feed-intake check every hour."""

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from shuxiang.livestock import telemetry


@db_periodic_task(crontab(minute="*/10"))
def forecast_pond_oxygen():
    telemetry.forecast_all_ponds()


@db_periodic_task(crontab(minute="20"))
def check_feed_intake():
    telemetry.check_all_intakes()
