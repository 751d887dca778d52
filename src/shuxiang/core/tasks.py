"""Periodic housekeeping of the platform core."""

from django.utils import timezone
from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from shuxiang.core.middleware import IdempotencyMiddleware
from shuxiang.core.models import IdempotencyRecord


def purge_idempotency_records(now=None) -> int:
    """Answers kept for resends are needed for minutes; drop those past the middleware's KEEP."""
    cutoff = (now or timezone.now()) - IdempotencyMiddleware.KEEP
    deleted, _ = IdempotencyRecord.objects.filter(created_at__lt=cutoff).delete()
    return deleted


@db_periodic_task(crontab(hour="4", minute="7"))
def idempotency_housekeeping():
    purge_idempotency_records()
