"""The fan-out: send a warning's open deliveries, record outcomes, retry with backoff.

Deliveries are claimed before sending (status "sending", claimed_by = worker + batch), so
two workers never send the same delivery at once; a worker that dies leaves its claims,
which are released when its host restarts the consumer (dead pid) or, from any machine,
after the claim lease. Sending is at-least-once: a gateway may see a message twice after a
crash and recognises it by `identifier` + `delivery`.
"""

import json
import os
import socket
import time
import uuid
from datetime import timedelta

from django.conf import settings
from django.db.models import F, Min
from django.utils import timezone

from shuxiang.warnings import adapters, conf
from shuxiang.warnings.cap import build as build_cap
from shuxiang.warnings.cap import cap_time
from shuxiang.warnings.choices import DeliveryStatus
from shuxiang.warnings.models import Delivery, Warning

HOST = socket.gethostname()
INLINE_WAIT = 2.0  # a retry due this soon is waited for in the task rather than rescheduled


def worker_id() -> str:
    return f"{HOST}:{os.getpid()}"


def payload(warning: Warning) -> dict:
    """What every endpoint receives (plus its own delivery id and receipt token)."""
    return {
        "identifier": warning.identifier,
        "msgType": warning.msg_type,
        "status": warning.cap_status,
        "sent": cap_time(warning.issued_at) if warning.issued_at else None,
        "references": [w.identifier for w in warning.chain()[1:]],
        "signal": {
            "type": warning.signal_type.code,
            "name": warning.signal_type.name,
            "colour": warning.colour,
            "colour_name": warning.get_colour_display(),
            "severity": warning.severity,
        },
        "sender_name": warning.sender_name,
        "headline": warning.headline,
        "description": warning.description,
        "instruction": warning.instruction,
        "text": warning.loudspeaker_text,
        "effective": cap_time(warning.effective),
        "expires": cap_time(warning.expires),
        "areas": [{"code": p.code, "name": p.name} for p in warning.areas.all()],
        "receipt_url": f"{settings.PUBLIC_URL}/api/v1/warnings/receipts/",
        "cap": build_cap(warning).decode("utf-8"),
    }


def _body(base: str, pk: int, token: str) -> bytes:
    return (base[:-1] + f',"delivery":{pk},"receipt_token":"{token}"}}').encode("utf-8")


def release_stale(warning_id=None, now=None) -> int:
    """Claims older than the lease go back to the queue (their worker is gone or stuck)."""
    now = now or timezone.now()
    qs = Delivery.objects.filter(
        status=DeliveryStatus.SENDING, claimed_at__lt=now - timedelta(seconds=conf.claim_lease())
    )
    if warning_id is not None:
        qs = qs.filter(warning_id=warning_id)
    return qs.update(status=DeliveryStatus.PENDING, claimed_by="", next_attempt_at=now)


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def release_dead_local_claims() -> int:
    """At consumer start: claims made on this host by processes that no longer exist."""
    released = 0
    claims = (
        Delivery.objects.filter(status=DeliveryStatus.SENDING, claimed_by__startswith=f"{HOST}:")
        .order_by()
        .values_list("claimed_by", flat=True)
        .distinct()
    )
    for claim in list(claims):
        try:
            pid = int(claim.split(":")[1])
        except (IndexError, ValueError):
            continue
        if pid != os.getpid() and not _pid_alive(pid):
            released += Delivery.objects.filter(status=DeliveryStatus.SENDING, claimed_by=claim).update(
                status=DeliveryStatus.PENDING, claimed_by="", next_attempt_at=timezone.now()
            )
    return released


def warnings_with_open_deliveries(*, overdue_by: float | None = None) -> list[int]:
    """Warnings still owing deliveries; with `overdue_by`, only those whose retry is that late
    (their own scheduled task should have run), so a periodic sweep adds no duplicate schedules."""
    qs = Delivery.objects.filter(status__in=[DeliveryStatus.PENDING, DeliveryStatus.SENDING])
    if overdue_by is not None:
        qs = qs.filter(
            status=DeliveryStatus.PENDING,
            next_attempt_at__lte=timezone.now() - timedelta(seconds=overdue_by),
        )
    return list(qs.order_by().values_list("warning_id", flat=True).distinct())


# One row per claimed delivery: plain tuples, no model instances, for thousands at a time.
BATCH_FIELDS = (
    "pk",
    "token",
    "attempts",
    "endpoint__adapter",
    "endpoint__url",
    "endpoint__topic",
    "endpoint__directory",
)


def _send(batch, base: str, claim: str, identifier: str):
    by_kind = {"http": [], "mqtt": [], "file": []}
    for pk, token, _attempts, adapter, url, topic, directory in batch:
        body = _body(base, pk, token)
        if adapter == "http":
            by_kind["http"].append((pk, url, body))
        elif adapter == "mqtt":
            by_kind["mqtt"].append((pk, topic, body))
        else:
            by_kind["file"].append((pk, directory, (f"{identifier}_{pk}.json", body)))
    results = {}
    results.update(adapters.send_http(by_kind["http"]))
    results.update(adapters.send_mqtt(by_kind["mqtt"]))
    results.update(adapters.send_file(by_kind["file"]))
    _record(batch, results, claim)


def _chunks(items, size=900):
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _record(batch, results, claim):
    """Outcomes in a handful of UPDATEs: one for the delivered, one per (attempt number, error)."""
    now = timezone.now()
    mine = Delivery.objects.filter(status=DeliveryStatus.SENDING, claimed_by=claim)
    delays = conf.retry_delays()
    groups: dict[tuple[int, str], list[int]] = {}
    for pk, _token, attempts, *_ in batch:
        error = results.get(pk, "未发送")
        if error:
            groups.setdefault((attempts + 1, error[:300]), []).append(pk)
    failed = [pk for pks in groups.values() for pk in pks]
    # Everything of this claim that did not fail was delivered: one UPDATE for the lot (a receipt
    # that already arrived moved its row out of "sending" and is left alone).
    delivered = (
        mine.exclude(pk__in=failed)
        if len(failed) <= 900
        else mine.filter(pk__in=[pk for pk, error in results.items() if not error])
    )
    delivered.update(
        status=DeliveryStatus.DELIVERED,
        attempts=F("attempts") + 1,
        delivered_at=now,
        last_error="",
        claimed_by="",
        next_attempt_at=None,
    )
    for (attempt, error), pks in groups.items():
        if attempt > len(delays):
            change = {"status": DeliveryStatus.FAILED, "next_attempt_at": None}
        else:
            change = {
                "status": DeliveryStatus.PENDING,
                "next_attempt_at": now + timedelta(seconds=delays[attempt - 1]),
            }
        for chunk in _chunks(pks):
            mine.filter(pk__in=chunk).update(attempts=attempt, last_error=error, claimed_by="", **change)


def run_dispatch(warning_id: int, *, inline_wait: float = INLINE_WAIT) -> float | None:
    """Send everything due for one warning; returns seconds until the next retry is due, or None."""
    warning = Warning.objects.select_related("signal_type").filter(pk=warning_id).first()
    if warning is None:
        return None
    base = json.dumps(payload(warning), ensure_ascii=False, separators=(",", ":"))
    while True:
        now = timezone.now()
        release_stale(warning_id, now)
        if warning.expires <= now:
            Delivery.objects.filter(warning_id=warning_id, status=DeliveryStatus.PENDING).update(
                status=DeliveryStatus.FAILED, last_error="预警已失效，停止发送", next_attempt_at=None
            )
            return None
        ids = list(
            Delivery.objects.filter(
                warning_id=warning_id, status=DeliveryStatus.PENDING, next_attempt_at__lte=now
            )
            .order_by("pk")
            .values_list("pk", flat=True)[: conf.batch_size()]
        )
        if ids:
            claim = f"{worker_id()}:{uuid.uuid4().hex[:8]}"
            # The due rows between the first and last id just read: one UPDATE, whatever the batch size.
            Delivery.objects.filter(
                warning_id=warning_id,
                status=DeliveryStatus.PENDING,
                next_attempt_at__lte=now,
                pk__gte=ids[0],
                pk__lte=ids[-1],
            ).update(status=DeliveryStatus.SENDING, claimed_by=claim, claimed_at=now)
            batch = list(
                Delivery.objects.filter(
                    warning_id=warning_id, status=DeliveryStatus.SENDING, claimed_by=claim
                ).values_list(*BATCH_FIELDS)
            )
            _send(batch, base, claim, warning.identifier)
            continue
        upcoming = Delivery.objects.filter(warning_id=warning_id, status=DeliveryStatus.PENDING).aggregate(
            t=Min("next_attempt_at")
        )["t"]
        if upcoming is None:
            return None
        wait = max((upcoming - timezone.now()).total_seconds(), 0.0)
        if wait <= inline_wait:
            time.sleep(wait + 0.005)
            continue
        return wait
