from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from shuxiang.core.context import origin
from shuxiang.ledger import services


@db_periodic_task(crontab(minute="7"))
def hourly_checkpoint():
    """Every hour, write down each stream's head, so a rewrite of the chain behind it shows."""
    with origin("task"):
        return len(services.checkpoint())
