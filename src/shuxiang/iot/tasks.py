"""Periodic telemetry work: no-data checks and escalation every minute, rollups, retention, and
device accounts the MQTT broker has not taken yet (every minute)."""

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from shuxiang.core.context import origin
from shuxiang.iot import broker, rollups, services


@db_periodic_task(crontab(minute="*"))
def check_alarms():
    with origin("task"):
        services.do_check_no_data()
        services.do_escalate_alarms()


@db_periodic_task(crontab(minute="5"))
def hourly_rollups():
    with origin("task"):
        rollups.rollup_recent()


@db_periodic_task(crontab(hour="3", minute="17"))
def retention():
    with origin("task"):
        rollups.purge_old_readings()


@db_periodic_task(crontab(minute="*"))
def retry_broker_accounts():
    broker.retry_pending()
