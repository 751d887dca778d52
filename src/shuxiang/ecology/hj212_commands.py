"""Commands from the platform to HJ 212 stations (反控): requested by people, sent by `hj212 serve`.

A person asks (point page or `POST /api/v1/ecology/points/{id}/commands/`): `do_request_hj212_command`
checks the permission (`ecology.stationcommand.add` on the point), the command and its parameter, and
writes a pending `StationCommand`. The running server, once a second, claims the pending commands of
the stations connected to it (a conditional UPDATE, so exactly one process sends each), writes each
with a new QN, ST=91, the station's PW and version, Flag bit 0 set (an answer wanted), and matches what
the station sends back by MN and QN (`record_reply`):

- 9011 QnRtn=1: accepted (for 2011 "start real-time data" that is the end: data follows as uploads);
  any other QnRtn: refused (failed, the code's meaning kept);
- a data packet with the command's CN and QN (1011 `SystemTime`, 1061 `RtdInterval`): kept as result;
- 9012 ExeRtn=1: done; any other ExeRtn: failed. A station that skips the 9011 is still matched;
- 9013 (the answer to a notification, 2012 "stop real-time data"): done.

Set password (1072): the new password travels in the command until the station says ExeRtn=1; then
the station's registered password becomes it (`iot.Device.hj212_password_digest`, the registry
version bumped so every listener reloads) and the plain text is wiped from the command. It is never
shown or audited in plain text.

A command not sent within 30 minutes (the station never connected), or without its final answer a
minute after sending, expires. Every transition is audited, the server's as the listener.
"""

import re
from dataclasses import dataclass
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from shuxiang.core import audit, pii
from shuxiang.core.actors import Actor, as_actor
from shuxiang.core.errors import ServiceError
from shuxiang.core.permissions import require
from shuxiang.ecology.choices import CommandStatus
from shuxiang.ecology.models import MonitoringPoint, StationCommand
from shuxiang.iot import hj212
from shuxiang.iot.choices import Protocol

LIFETIME = timedelta(minutes=30)
ANSWER_TIMEOUT = timedelta(seconds=60)
MAX_OPEN_PER_STATION = 5
SERVER_ACTOR = Actor.system("listener")
SERVER_PERM = "ecology.stationcommand.change"
OPEN = (CommandStatus.PENDING, CommandStatus.SENT, CommandStatus.ACCEPTED)
WAITING = (CommandStatus.SENT, CommandStatus.ACCEPTED)
PASSWORD_RE = re.compile(r"^[A-Za-z0-9]{6}$")

QN_RTN = {
    1: "准备执行",
    2: "请求被拒绝",
    3: "密码错误",
    4: "MN 错误",
    5: "ST 错误",
    6: "Flag 错误",
    7: "QN 错误",
    8: "CN 错误",
    9: "CRC 校验错误",
    100: "未知错误",
}
EXE_RTN = {
    1: "执行成功",
    2: "执行失败，但不知道原因",
    3: "命令请求条件错误",
    4: "通讯超时",
    5: "系统繁忙不能执行",
    6: "系统故障",
    100: "没有数据",
}


@dataclass(frozen=True)
class Spec:
    name: str
    final: str  # the answer that closes it: 9012 (execution result), 9011 (request answer), 9013
    param: str = ""  # the CP item people give (RtdInterval, NewPW); SystemTime is the send time
    hint: str = ""


COMMANDS = {
    hj212.GET_TIME: Spec("提取现场机时间", hj212.EXECUTION_RESULT),
    hj212.SET_TIME: Spec("设置现场机时间（校时为平台时间）", hj212.EXECUTION_RESULT),
    hj212.GET_RTD_INTERVAL: Spec("提取实时数据间隔", hj212.EXECUTION_RESULT),
    hj212.SET_RTD_INTERVAL: Spec("设置实时数据间隔", hj212.EXECUTION_RESULT, "RtdInterval", "秒，30–3600"),
    "1072": Spec("设置现场机访问密码", hj212.EXECUTION_RESULT, "NewPW", "6 位字母或数字"),
    "2011": Spec("开始上传实时数据", hj212.REQUEST_ANSWER),
    "2012": Spec("停止上传实时数据", hj212.NOTICE_ANSWER),
}


def command_choices() -> list[tuple[str, str]]:
    return [(cn, f"{cn} {spec.name}") for cn, spec in COMMANDS.items()]


def _check_param(cn: str, value) -> dict:
    spec = COMMANDS[cn]
    text = str(value if value is not None else "").strip()
    if not spec.param:
        return {}
    if spec.param == "RtdInterval":
        if not text.isdigit() or not 30 <= int(text) <= 3600:
            raise ServiceError(
                "bad_value", "实时数据间隔须为 30–3600 之间的整数秒", {"value": ["30–3600 的整数（秒）"]}
            )
        return {"RtdInterval": int(text)}
    if not PASSWORD_RE.match(text):
        raise ServiceError("bad_value", "新访问密码须为 6 位字母或数字", {"value": ["6 位字母或数字"]})
    return {"NewPW": text}


def _audit_changes(changes: dict) -> dict:
    plain = {}
    for k, v in changes.items():
        if k == "params":
            v = {p: ("<已隐去>" if p == "NewPW" else x) for p, x in v.items()}
        plain[k] = audit._plain(v)
    return plain


@transaction.atomic
def do_request_hj212_command(point: MonitoringPoint, *, actor, cn, value=None) -> StationCommand:
    """Queue a command for the point's online station; `hj212 serve` sends it while the station is
    connected."""
    actor = as_actor(actor)
    require(actor, "ecology.stationcommand.add", point)
    cn = str(cn if cn is not None else "").strip()
    if cn not in COMMANDS:
        allowed = "、".join(COMMANDS)
        raise ServiceError("unknown_command", f"不支持的命令编码：{cn[:10]}", {"cn": [f"可选：{allowed}"]})
    device = point.device
    if device is None or device.protocol != Protocol.HJ212:
        raise ServiceError(
            "no_station", "该点位没有 HJ 212 在线监测站，不能下发命令", {"point": ["未关联 HJ 212 监测站"]}
        )
    if not device.is_active:
        raise ServiceError("inactive", "监测站已停用，不能下发命令", {"point": ["监测站已停用"]})
    params = _check_param(cn, value)
    from shuxiang.iot.models import Device

    device = Device.objects.select_for_update().get(pk=device.pk)  # serialises requests for one station
    open_count = StationCommand.objects.filter(device=device, status__in=OPEN).count()
    if open_count >= MAX_OPEN_PER_STATION:
        raise ServiceError(
            "too_many",
            f"该监测站已有 {open_count} 条命令未完成，请稍后再试",
            {"cn": [f"未完成的命令最多 {MAX_OPEN_PER_STATION} 条"]},
        )
    now = timezone.now()
    command = StationCommand.objects.create(
        device=device,
        cn=cn,
        params=params,
        requested_by=actor.human,
        requested_label=actor.audit_label[:100],
        created_at=now,
        expires_at=now + LIFETIME,
    )
    audit.record(
        actor,
        "create",
        command,
        changes={k: [None, v] for k, v in _audit_changes({"cn": cn, "params": params}).items()},
        place=point.place,
    )
    return command


def _transition(command: StationCommand, before, **changes) -> bool:
    """Move a command on if it is still in one of the states `before` (another process may have got
    there first). Only the server moves commands on, as the listener."""
    require(SERVER_ACTOR, SERVER_PERM)
    before = (before,) if isinstance(before, str) else tuple(before)
    with transaction.atomic():
        updated = StationCommand.objects.filter(pk=command.pk, status__in=before).update(**changes)
        if updated:
            old = {k: getattr(command, k) for k in changes}
            audit.record(
                SERVER_ACTOR,
                "transition",
                command,
                changes={
                    k: [v_old, v_new]
                    for (k, v_old), v_new in zip(
                        _audit_changes(old).items(), _audit_changes(changes).values(), strict=True
                    )
                },
                place=command.device.place,
            )
            for k, v in changes.items():
                setattr(command, k, v)
    return bool(updated)


def expire_commands(now=None) -> int:
    """Pending commands past their lifetime, and sent ones left without their final answer, expire."""
    now = now or timezone.now()
    stale = StationCommand.objects.filter(
        status=CommandStatus.PENDING, expires_at__lt=now
    ) | StationCommand.objects.filter(status__in=WAITING, sent_at__lt=now - ANSWER_TIMEOUT)
    count = 0
    for command in stale.select_related("device__place"):
        detail = "有效期内监测站未连接" if command.status == CommandStatus.PENDING else "监测站未给出执行结果"
        count += _transition(command, command.status, status=CommandStatus.EXPIRED, detail=detail)
    return count


def claim_commands(mns, now=None, limit=100) -> list[StationCommand]:
    """The pending commands of these connected stations, each now marked sent with its own QN."""
    now = now or timezone.now()
    if not mns:
        return []
    candidates = (
        StationCommand.objects.filter(
            status=CommandStatus.PENDING, expires_at__gte=now, device__code__in=list(mns)
        )
        .select_related("device__place")
        .order_by("created_at", "pk")[:limit]
    )
    claimed = []
    for i, command in enumerate(candidates):
        # one QN per command: the send time in milliseconds, apart by the command's rank in this round
        qn = hj212.new_qn(now + timedelta(milliseconds=i))
        if _transition(command, CommandStatus.PENDING, status=CommandStatus.SENT, sent_at=now, qn=qn):
            claimed.append(command)
    return claimed


def packet_of(command: StationCommand, *, pw: str, version: int, now=None) -> bytes:
    """The command as the station reads it: its QN, ST=91, the station's own PW, Flag with A set."""
    params = dict(command.params)
    if command.cn == hj212.SET_TIME:
        local = (now or timezone.now()).astimezone(hj212.BEIJING)
        params = {"SystemTime": f"{local:%Y%m%d%H%M%S}"}
    cp = ";".join(f"{k}={v}" for k, v in params.items())
    return hj212.build(
        qn=command.qn,
        st=hj212.SYSTEM_INTERACTION,
        cn=command.cn,
        pw=pw,
        mn=command.device.code,
        flag=(version << 2) | hj212.FLAG_ANSWER,
        cp=cp,
    )


def release_command(command: StationCommand, detail: str) -> None:
    """The link closed before the command went out: it waits for the next connection."""
    _transition(command, CommandStatus.SENT, status=CommandStatus.PENDING, sent_at=None, qn="", detail=detail)


def is_reply(packet: hj212.Packet) -> bool:
    """Whether a station's packet may answer one of our commands (looked up by `record_reply`)."""
    return packet.cn in hj212.ANSWERS or packet.cn in (hj212.GET_TIME, hj212.GET_RTD_INTERVAL)


def _code(packet, name) -> int | None:
    text = packet.param(name)
    return int(text) if text.isdigit() else None


def record_reply(packet: hj212.Packet, now=None) -> StationCommand | None:
    """Match a station's 9011/9012/9013 or data packet to the open command with its MN and QN."""
    if not packet.qn:
        return None
    command = (
        StationCommand.objects.filter(device__code=packet.mn, qn=packet.qn, status__in=WAITING)
        .select_related("device__place")
        .first()
    )
    if command is None:
        return None
    now = now or timezone.now()
    spec = COMMANDS.get(command.cn)
    cn = packet.cn
    status = command.status
    if cn == hj212.REQUEST_ANSWER:
        qn_rtn = _code(packet, "QnRtn")
        if qn_rtn != 1:
            _transition(
                command,
                status,
                status=CommandStatus.FAILED,
                answered_at=now,
                qn_rtn=qn_rtn,
                detail=f"现场机拒绝：QnRtn={qn_rtn} {QN_RTN.get(qn_rtn, '')}".strip(),
            )
        elif spec.final == hj212.REQUEST_ANSWER:
            _transition(command, status, status=CommandStatus.DONE, answered_at=now, qn_rtn=1)
        else:
            _transition(command, status, status=CommandStatus.ACCEPTED, qn_rtn=1)
    elif cn == hj212.EXECUTION_RESULT:
        exe_rtn = _code(packet, "ExeRtn")
        ok = exe_rtn == 1
        changes = {
            "status": CommandStatus.DONE if ok else CommandStatus.FAILED,
            "answered_at": now,
            "exe_rtn": exe_rtn,
            "detail": f"ExeRtn={exe_rtn} {EXE_RTN.get(exe_rtn, '')}".strip(),
        }
        if command.cn == "1072":
            new_pw = command.params.get("NewPW", "")
            changes["params"] = {"NewPW": "******"}  # the plain text is not kept once answered
            if ok and _transition(command, status, **changes):
                _adopt_password(command, new_pw)
                return command
        _transition(command, status, **changes)
    elif cn == hj212.NOTICE_ANSWER:
        _transition(command, status, status=CommandStatus.DONE, answered_at=now)
    elif cn == command.cn:
        result = {k: packet.param(k) for k in ("SystemTime", "RtdInterval") if packet.param(k)}
        _transition(command, status, result=result)
    else:
        return None
    return command


def _adopt_password(command: StationCommand, new_pw: str) -> None:
    """The station now answers to its new password: the registry takes it, every listener reloads."""
    from shuxiang.iot import services
    from shuxiang.iot.models import Device

    with transaction.atomic():
        Device.objects.filter(pk=command.device_id).update(hj212_password_digest=pii.digest(new_pw))
        services.registry_changed()
        audit.record(
            SERVER_ACTOR,
            "update",
            command.device,
            changes={"hj212_password": ["<已隐去>", "<已按 1072 命令更换>"]},
            place=command.device.place,
        )
