"""Periodic telemetry work: no-data checks and escalation every minute, rollups, retention, and
device accounts the MQTT broker has not taken yet (every minute)."""

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from shuxiang.core.actors import Actor
from shuxiang.core.context import origin
from shuxiang.iot import broker, rollups, services


@db_periodic_task(crontab(minute="*"))
def check_alarms():
    with origin("task"):
        services.do_check_no_data(actor=Actor.system("rules"))
        services.do_escalate_alarms(actor=Actor.system("escalation"))


@db_periodic_task(crontab(minute="5"))
def hourly_rollups():
    with origin("task"):
        rollups.rollup_recent()


@db_periodic_task(crontab(hour="3", minute="17"))
def retention():
    with origin("task"):
        rollups.purge_old_readings()


@db_periodic_task(crontab(hour="*/6", minute="23"))
def reading_partitions():
    """PostgreSQL: this month's and the next months' reading partitions exist before they are needed."""
    from shuxiang.iot import partitions

    return partitions.ensure_partitions()


@db_periodic_task(crontab(minute="*"))
def retry_broker_accounts():
    broker.retry_pending()
