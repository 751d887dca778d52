"""Periodic housekeeping of the platform core."""

from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from huey import crontab, signals
from huey.api import PeriodicTask
from huey.contrib.djhuey import HUEY, db_periodic_task
from huey.exceptions import CancelExecution

from shuxiang.core import heartbeats, metrics
from shuxiang.core.middleware import IdempotencyMiddleware
from shuxiang.core.models import IdempotencyRecord, TaskRun


def purge_idempotency_records(now=None) -> int:
    """Answers kept for resends are needed for minutes; drop those past the middleware's KEEP."""
    cutoff = (now or timezone.now()) - IdempotencyMiddleware.KEEP
    deleted, _ = IdempotencyRecord.objects.filter(created_at__lt=cutoff).delete()
    return deleted


@db_periodic_task(crontab(hour="4", minute="7"))
def idempotency_housekeeping():
    purge_idempotency_records()


# --- operations: heartbeats, one run per periodic slot across nodes, task counts (docs/operations.md) ---


@db_periodic_task(crontab(minute="*"))
def worker_heartbeat():
    """The worker says it is alive every minute (core.heartbeats; /healthz, /metrics, check --deploy)."""
    heartbeats.beat("worker")


@HUEY.pre_execute()
def one_run_per_slot(task):
    """Every task worker (one per node) enqueues each periodic task: the first to claim the task's minute
    runs it, the others cancel their copy. The claim is a row in the shared database (core.TaskRun)."""
    if not isinstance(task, PeriodicTask) or HUEY.immediate:
        return
    slot = timezone.now().replace(second=0, microsecond=0)
    try:
        with transaction.atomic():
            TaskRun.objects.create(task=task.name, slot=slot, node=settings.NODE)
    except IntegrityError:
        raise CancelExecution() from None
    # The thread's connection stays open for the task itself, which closes it (huey's db_task wrapper).


@HUEY.signal(signals.SIGNAL_COMPLETE, signals.SIGNAL_ERROR)
def account_task(signal, task, exc=None):
    metrics.count_task(task.name, "ok" if signal == signals.SIGNAL_COMPLETE else "error")
    heartbeats.beat("task-run")


@db_periodic_task(crontab(hour="4", minute="17"))
def task_run_housekeeping():
    """Claims are needed for the minute they guard; keep a day for inspection."""
    TaskRun.objects.filter(slot__lt=timezone.now() - timedelta(days=1)).delete()


@db_periodic_task(crontab(minute="11"))
def scheduled_backup():
    """Once a day at SHUXIANG_BACKUP_HOUR (when SHUXIANG_BACKUP_KEEP > 0): a backup, then rotation."""
    from shuxiang.core import backup

    if settings.BACKUP_KEEP <= 0 or timezone.localtime().hour != settings.BACKUP_HOUR:
        return None
    summary = backup.create_backup()
    backup.rotate()
    return str(summary.path)
