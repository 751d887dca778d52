"""Daily work: the rice calendar's reminders, plantings taken from machinery, the daily mean air temperatures. Runs as the platform's tasks actor (granted in apps.py)."""

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from shuxiang.core.actors import Actor
from shuxiang.core.context import origin
from shuxiang.farmland.rice import do_send_reminders

TASKS = Actor.system("tasks")


@db_periodic_task(crontab(hour="7", minute="10"))
def send_rice_reminders():
    """Every morning at 07:10 (Beijing time): the day's tasks of each rice field's calendar."""
    with origin("task"):
        return do_send_reminders(actor=TASKS)


@db_periodic_task(crontab(hour="1", minute="20"))
def compute_daily_temperatures():
    """Every night: the daily mean air temperatures of the last three days (late readings included)."""
    from datetime import timedelta

    from django.utils import timezone

    from shuxiang.farmland.thermal import do_compute_daily_temperatures

    today = timezone.localdate()
    with origin("task"):
        return do_compute_daily_temperatures(today - timedelta(days=3), today, actor=TASKS)


@db_periodic_task(crontab(hour="5", minute="40"))
def take_machinery_plantings():
    """Every morning: rice plantings from the current season's transplanting operations (when machinery is in)."""
    from django.utils import timezone

    from shuxiang.farmland import machinery_link
    from shuxiang.farmland.choices import current_season

    if not machinery_link.available():
        return None
    with origin("task"):
        return machinery_link.do_take_plantings(current_season(timezone.localdate()), actor=TASKS)
