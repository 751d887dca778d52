"""Background work of the warnings engine (huey). Tasks call dispatch/services and are
idempotent: running one twice sends nothing twice (deliveries are claimed)."""

import logging

from django.db import close_old_connections
from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task, on_startup

from shuxiang.core.actors import Actor
from shuxiang.core.context import origin

log = logging.getLogger(__name__)


@db_task()
def dispatch_deliveries(warning_id):
    from shuxiang.warnings import dispatch

    with origin("task"):
        wait = dispatch.run_dispatch(warning_id)
    if wait is not None:
        dispatch_deliveries.schedule(args=(warning_id,), delay=wait)
    render_speech(warning_id)


@db_task()
def notify_targeted_people(warning_id):
    from shuxiang.warnings.models import Warning
    from shuxiang.warnings.services import notify_targeted

    warning = Warning.objects.select_related("signal_type").filter(pk=warning_id).first()
    if warning is not None:
        notify_targeted(warning)


@db_task()
def render_speech(warning_id):
    """Once per warning (a no-op when its audio exists or no TTS engine is installed)."""
    from shuxiang.warnings.models import Warning
    from shuxiang.warnings.speech import do_attach_speech, engine, speech_of

    warning = Warning.objects.select_related("signal_type", "place").filter(pk=warning_id).first()
    if warning is not None and engine() and speech_of(warning) is None:
        with origin("task"):
            do_attach_speech(warning, actor=Actor.system("warnings"))


@db_periodic_task(crontab(minute="*"))
def escalate_waiting_approvals():
    """Every minute: machine-written warnings waiting too long for approval go up (once each)."""
    from shuxiang.warnings.services import do_escalate_waiting_warnings

    with origin("task"):
        do_escalate_waiting_warnings(actor=Actor.system("escalation"))


@db_periodic_task(crontab(minute="*"))
def sweep_deliveries():
    """Safety net: every minute, pick up deliveries whose task was lost or whose worker died."""
    from shuxiang.warnings import dispatch

    dispatch.release_stale()
    for warning_id in dispatch.warnings_with_open_deliveries(overdue_by=30):
        dispatch_deliveries(warning_id)


@on_startup()
def resume_after_restart():
    """A consumer (re)starting takes back what a killed one on this host had claimed, and
    re-queues every warning that still owes deliveries: a fan-out survives a worker kill."""
    from shuxiang.warnings import dispatch

    try:
        released = dispatch.release_dead_local_claims()
        pending = dispatch.warnings_with_open_deliveries()
        for warning_id in pending:
            dispatch_deliveries(warning_id)
        if released or pending:
            log.info("warnings: released %s claims, resumed %s warnings", released, len(pending))
    finally:
        close_old_connections()
