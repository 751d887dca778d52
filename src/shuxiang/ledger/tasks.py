from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from shuxiang.core.actors import Actor
from shuxiang.core.context import origin
from shuxiang.ledger import services


@db_periodic_task(crontab(minute="*"))
def checkpoint_moved_heads():
    """Every minute, sign each stream's head that moved without a checkpoint.

    Each write batch is checkpointed on commit already; this catches a batch whose process died between
    its commit and its checkpoint, so no entry stays unsigned for more than a minute."""
    with origin("task"):
        return len(services.checkpoint(actor=Actor.system("tasks")))


@db_periodic_task(crontab(hour="3", minute="37"))
def verify_daily():
    """Every night, verify the whole ledger and keep the result where /metrics reads it (a heartbeat of
    the component "ledger-verify" whose info says ok, entries and the first bad entry)."""
    from shuxiang.core import heartbeats
    from shuxiang.ledger.verification import verify

    with origin("task"):
        result = verify()
    heartbeats.beat(
        "ledger-verify", ok=result.ok, entries=result.entries, first_bad=result.as_dict()["first_bad"]
    )
    return result.ok


def gauges():
    """/metrics: the last nightly verification (1 = verified, 0 = a problem) and its age."""
    from shuxiang.core.models import Heartbeat

    last = Heartbeat.objects.filter(component="ledger-verify").order_by("-seen_at").first()
    if last is None:
        return
    yield (
        "shuxiang_ledger_verified",
        "账本最近一次核验结果（1 通过，0 发现问题）",
        {},
        1 if last.info.get("ok") else 0,
    )
    yield ("shuxiang_ledger_entries", "最近一次核验的账本条目数", {}, last.info.get("entries", 0))
