"""Downlink queries to SL 651 stations (召测): requested by people, sent by the running server.

The request and the TCP link live in different processes (a web worker or the
CLI; `shuxiang sl651 serve`), so they meet in the database: `do_request_sl651_query`
writes a pending `Sl651Command`; every server process polls (`claim_commands`)
the pending commands of the stations connected to it, claims each with a
conditional UPDATE so exactly one process sends it, sends it on the open link,
and `record_answer` closes it when the station answers with the same function
code. Every transition is audited.

Functions offered are the ones whose downlink body is only serial number and send
time (table in §1.3 of the reference): 37H real-time data, 39H manual entries,
45H software version, 46H status and alarms, 50H event log, 51H clock, and 4AH
set clock (the send time of the frame is the time to set). 38H (time-range data)
and 3AH (specified elements) carry parameters whose layout the sources read
disagree on (element identifier with or without its data-definition byte), so
they are not offered.
"""

from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from shuxiang.core import audit
from shuxiang.core.actors import Actor, as_actor
from shuxiang.core.errors import ServiceError
from shuxiang.core.permissions import require
from shuxiang.iot import sl651
from shuxiang.iot.choices import Protocol, Sl651CommandStatus
from shuxiang.iot.models import Device, Sl651Command

QUERIES = {
    f: sl651.FUNCTION_NAMES[f]
    for f in (
        sl651.QUERY_REALTIME,
        sl651.QUERY_MANUAL,
        sl651.QUERY_VERSION,
        sl651.QUERY_STATUS,
        sl651.QUERY_EVENTS,
        sl651.QUERY_CLOCK,
        sl651.SET_CLOCK,
    )
}
LIFETIME = timedelta(minutes=30)  # how long a command waits for its station to be connected
ANSWER_TIMEOUT = timedelta(seconds=60)
MAX_OPEN_PER_DEVICE = 5
# The running `sl651 serve` process: it claims, sends, closes and expires commands (grant in IotConfig).
SERVER_ACTOR = Actor.system("listener")
SERVER_PERM = "iot.sl651command.change"


def parse_function(raw) -> int | None:
    """A function code as people write it: "37", "37H", "0x37" (always hexadecimal, as in the standard)."""
    text = str(raw if raw is not None else "").strip().upper()
    text = text.removeprefix("0X").removesuffix("H")
    if not 1 <= len(text) <= 2 or any(c not in "0123456789ABCDEF" for c in text):
        return None
    return int(text, 16)


def function_choices() -> list[tuple[str, str]]:
    return [(f"{code:02X}", f"{code:02X}H {name}") for code, name in QUERIES.items()]


@transaction.atomic
def do_request_sl651_query(device: Device, *, actor, function) -> Sl651Command:
    """Queue a query for a station; the SL 651 server sends it while the station is connected."""
    actor = as_actor(actor)
    require(actor, "iot.device.change", device)
    code = parse_function(function)
    if code not in QUERIES:
        allowed = "、".join(f"{c:02X}" for c in QUERIES)
        raise ServiceError(
            "unknown_function",
            f"不支持的召测功能码：{str(function)[:10]}",
            {"function": [f"可选功能码：{allowed}"]},
        )
    if device.protocol != Protocol.SL651:
        raise ServiceError(
            "not_sl651", "该设备不是 SL 651 遥测站，不能召测", {"device": ["接入方式不是 SL 651"]}
        )
    if not device.is_active:
        raise ServiceError("inactive", "设备已停用，不能召测", {"device": ["已停用"]})
    device = Device.objects.select_for_update().get(pk=device.pk)  # serialises requests for one station
    open_count = Sl651Command.objects.filter(
        device=device, status__in=[Sl651CommandStatus.PENDING, Sl651CommandStatus.SENT]
    ).count()
    if open_count >= MAX_OPEN_PER_DEVICE:
        raise ServiceError(
            "too_many",
            f"该测站已有 {open_count} 条召测未完成，请稍后再试",
            {"function": [f"未完成的召测最多 {MAX_OPEN_PER_DEVICE} 条"]},
        )
    now = timezone.now()
    command = Sl651Command.objects.create(
        device=device,
        function=code,
        requested_by=actor.human,
        requested_label=actor.audit_label[:100],
        created_at=now,
        expires_at=now + LIFETIME,
    )
    audit.record_create(actor, command)
    return command


def _transition(command: Sl651Command, before: str, **changes) -> bool:
    """Move a command on if it is still in state `before` (another process may have got there first).

    Only the server moves commands on (sent, answered, released, expired), as the listener."""
    require(SERVER_ACTOR, SERVER_PERM)
    with transaction.atomic():
        updated = Sl651Command.objects.filter(pk=command.pk, status=before).update(**changes)
        if updated:
            audit.record(
                SERVER_ACTOR,
                "transition",
                command,
                changes={k: [audit._plain(getattr(command, k)), audit._plain(v)] for k, v in changes.items()},
                place=command.device.place,
            )
            for k, v in changes.items():
                setattr(command, k, v)
    return bool(updated)


def expire_commands(now=None) -> int:
    """Pending commands past their lifetime, and sent ones left unanswered, expire."""
    now = now or timezone.now()
    count = 0
    stale = Sl651Command.objects.filter(
        status=Sl651CommandStatus.PENDING, expires_at__lt=now
    ) | Sl651Command.objects.filter(status=Sl651CommandStatus.SENT, sent_at__lt=now - ANSWER_TIMEOUT)
    for command in stale.select_related("device__place"):
        detail = "有效期内测站未连接" if command.status == Sl651CommandStatus.PENDING else "测站未应答"
        count += _transition(command, command.status, status=Sl651CommandStatus.EXPIRED, detail=detail)
    return count


def claim_commands(addresses, now=None, limit=100) -> list[Sl651Command]:
    """The pending commands of these connected stations, each now marked sent by this process."""
    now = now or timezone.now()
    if not addresses:
        return []
    candidates = (
        Sl651Command.objects.filter(
            status=Sl651CommandStatus.PENDING, expires_at__gte=now, device__code__in=list(addresses)
        )
        .select_related("device__place")
        .order_by("created_at")[:limit]
    )
    claimed = []
    for command in candidates:
        serial = command.pk % 0xFFFF + 1  # 1–65535, matched against the answer when the RTU echoes it
        if _transition(
            command, Sl651CommandStatus.PENDING, status=Sl651CommandStatus.SENT, sent_at=now, serial=serial
        ):
            claimed.append(command)
    return claimed


def release_command(command: Sl651Command, detail: str) -> None:
    """The link closed before the command went out: it waits for the next connection."""
    _transition(
        command, Sl651CommandStatus.SENT, status=Sl651CommandStatus.PENDING, sent_at=None, detail=detail
    )


def record_answer(address: str, function: int, serial: int, result: dict, now=None) -> Sl651Command | None:
    """Close the command a station's answer belongs to: same station and function code, the same
    serial number if the RTU echoed it, else the oldest one sent (RTUs differ on the serial)."""
    sent = Sl651Command.objects.filter(
        device__code=address, function=function, status=Sl651CommandStatus.SENT
    ).select_related("device__place")
    command = sent.filter(serial=serial).first() or sent.order_by("sent_at").first()
    if command is None:
        return None
    if _transition(
        command,
        Sl651CommandStatus.SENT,
        status=Sl651CommandStatus.ANSWERED,
        answered_at=now or timezone.now(),
        result=result,
    ):
        return command
    return None
