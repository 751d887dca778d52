"""Heartbeats of the long-running parts (docs/operations.md): the task worker beats every minute, each
telemetry listener every 30 seconds, per node (SHUXIANG_NODE). /healthz and /metrics report their age;
`shuxiang check --deploy` refuses a worker not seen for STALE_SECONDS. A stale beat is reported, never
fatal to /healthz: `shuxiang serve` alone is a healthy web node."""

import contextlib

from django.conf import settings
from django.db import DatabaseError
from django.utils import timezone

STALE_SECONDS = 5 * 60
LISTENER_INTERVAL = 30
# The components /healthz lists one line per node for (the task worker is summed up as one line).
LISTENERS = ("mqtt", "sl651", "jt808", "hj212")


def beat(component: str, **info) -> None:
    """Record that `component` on this node is alive now (a failing database is not our caller's problem)."""
    from shuxiang.core.models import Heartbeat

    with contextlib.suppress(DatabaseError):
        Heartbeat.objects.update_or_create(
            component=component, node=settings.NODE, defaults={"seen_at": timezone.now(), "info": info}
        )


def age(component: str, now=None) -> float | None:
    """Seconds since the freshest beat of `component` on any node, or None if it never beat."""
    from shuxiang.core.models import Heartbeat

    latest = (
        Heartbeat.objects.filter(component=component).order_by("-seen_at").values_list("seen_at", flat=True)
    )
    latest = latest.first()
    if latest is None:
        return None
    return max(0.0, ((now or timezone.now()) - latest).total_seconds())


def report(now=None) -> list[dict]:
    """Every part on every node with its age, for /healthz and /metrics."""
    from shuxiang.core.models import Heartbeat

    now = now or timezone.now()
    return [
        {
            "component": h.component,
            "node": h.node,
            "age_seconds": round((now - h.seen_at).total_seconds(), 1),
            "stale": (now - h.seen_at).total_seconds() > STALE_SECONDS,
        }
        for h in Heartbeat.objects.order_by("component", "node")
    ]


async def beating(component: str, pool, interval: float = LISTENER_INTERVAL) -> None:
    """A TCP listener's heartbeat task: every `interval` seconds (the first after one interval: a listener
    that dies at start never looks alive), the database work in `pool` (the listener's own threads), never
    raising into the server."""
    import asyncio
    import logging

    loop = asyncio.get_running_loop()
    while True:
        await asyncio.sleep(interval)
        try:
            await loop.run_in_executor(pool, beat, component)
        except Exception:  # a heartbeat never takes the listener down
            logging.getLogger(__name__).exception("%s: heartbeat failed", component)
