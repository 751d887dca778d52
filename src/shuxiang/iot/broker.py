"""Device accounts in Mosquitto, written through its dynamic security plugin.

The plugin is administered over MQTT itself: JSON commands published to `$CONTROL/dynamic-security/v1`,
answers on `…/response`. `DynSec` is that conversation (one admin connection, a timeout, Chinese errors);
`provision` makes the broker hold what `BrokerAccount` says a device should have — a client named after
the device code with its password, enabled or disabled with the device, and a role allowing it to publish
to its own telemetry topic only — and records how that went on the account. The broker's state is not
ours to write in the platform's transaction: services call `provision` after commit, and the periodic
task `retry_broker_accounts` repeats it for accounts the broker did not take.

Off when SHUXIANG_MQTT_ADMIN_URL is not set.
"""

import json
import logging
import threading
import uuid
from datetime import timedelta
from urllib.parse import unquote, urlsplit

import paho.mqtt.client as mqtt
from django.db.models import F, Q
from django.utils import timezone
from paho.mqtt.enums import CallbackAPIVersion

from shuxiang.iot import conf
from shuxiang.iot.choices import BrokerState
from shuxiang.iot.models import BrokerAccount

log = logging.getLogger(__name__)

CONTROL_TOPIC = "$CONTROL/dynamic-security/v1"
RESPONSE_TOPIC = f"{CONTROL_TOPIC}/response"
# An account being pushed is leased to one process; a process that died holding it frees it after this.
LEASE = timedelta(minutes=2)


def enabled() -> bool:
    return bool(conf.MQTT_ADMIN_URL)


def telemetry_topic(code: str) -> str:
    return f"shuxiang/v1/devices/{code}/telemetry"


def role_name(code: str) -> str:
    return f"shuxiang-device-{code}"


def device_acls(code: str) -> list[dict]:
    """Publish to the own telemetry topic; every other publish and every subscription refused.

    The plugin's default access (deny publish and subscribe) says the same; the explicit denials keep it
    so if an operator loosens the defaults for other clients.
    """
    return [
        {"acltype": "publishClientSend", "topic": telemetry_topic(code), "priority": 10, "allow": True},
        {"acltype": "publishClientSend", "topic": "#", "priority": 0, "allow": False},
        {"acltype": "subscribePattern", "topic": "#", "priority": 0, "allow": False},
    ]


class BrokerError(Exception):
    """The broker refused a command; the message is shown on the device page."""


class BrokerUnavailable(BrokerError):
    """The broker could not be reached, refused the admin login or did not answer in time."""


class DynSec:
    """One admin connection to the dynamic security plugin.

    with DynSec(url) as dynsec:
        dynsec.run({"command": "getClient", "username": "RTU01"})  # → [response], errors raised
    """

    def __init__(self, url: str, *, timeout: float | None = None):
        parts = urlsplit(url)
        if parts.scheme not in ("mqtt", "mqtts"):
            raise BrokerError("SHUXIANG_MQTT_ADMIN_URL 应以 mqtt:// 或 mqtts:// 开头")
        self.host = parts.hostname or "127.0.0.1"
        self.port = parts.port or (8883 if parts.scheme == "mqtts" else 1883)
        self.timeout = timeout if timeout is not None else conf.MQTT_ADMIN_TIMEOUT
        self.client = mqtt.Client(
            CallbackAPIVersion.VERSION2,
            client_id=f"shuxiang-dynsec-{uuid.uuid4().hex[:12]}",
            protocol=mqtt.MQTTv5,
        )
        if parts.username:
            self.client.username_pw_set(unquote(parts.username), unquote(parts.password or ""))
        if parts.scheme == "mqtts":
            self.client.tls_set()
        self.client.connect_timeout = self.timeout
        self.client.on_connect = self._on_connect
        self.client.on_subscribe = self._on_subscribe
        self.client.on_message = self._on_message
        self.client.on_disconnect = self._on_disconnect
        self.changed = threading.Condition()
        self.connected = False
        self.subscribed = False
        self.failure = ""
        self.responses: dict[str, dict] = {}

    # --- network thread ---------------------------------------------------------------------

    def _on_connect(self, client, userdata, flags, reason_code, properties):
        with self.changed:
            if reason_code.is_failure:
                self.failure = f"MQTT 代理拒绝管理账号登录：{reason_code}"
            else:
                self.connected = True
                client.subscribe(RESPONSE_TOPIC, qos=1)
            self.changed.notify_all()

    def _on_subscribe(self, client, userdata, mid, reason_codes, properties):
        with self.changed:
            if any(rc.is_failure for rc in reason_codes):
                self.failure = f"管理账号无权订阅 {RESPONSE_TOPIC}"
            else:
                self.subscribed = True
            self.changed.notify_all()

    def _on_message(self, client, userdata, message):
        try:
            responses = json.loads(message.payload)["responses"]
        except (ValueError, KeyError, TypeError):
            log.warning("unreadable dynamic security response: %r", message.payload[:200])
            return
        with self.changed:
            for response in responses:
                if "correlationData" in response:
                    self.responses[response["correlationData"]] = response
            self.changed.notify_all()

    def _on_disconnect(self, client, userdata, flags, reason_code, properties):
        with self.changed:
            self.failure = self.failure or f"与 MQTT 代理的连接断开：{reason_code}"
            self.connected = False
            self.changed.notify_all()

    # --- caller ----------------------------------------------------------------------------------

    def _wait(self, ready, what: str):
        with self.changed:
            if not self.changed.wait_for(lambda: self.failure or ready(), self.timeout):
                raise BrokerUnavailable(f"MQTT 代理 {self.timeout} 秒内未{what}（{self.host}:{self.port}）")
            if self.failure:
                raise BrokerUnavailable(self.failure)

    def __enter__(self):
        try:
            self.client.connect(self.host, self.port, keepalive=30)
        except OSError as exc:
            raise BrokerUnavailable(
                f"无法连接 MQTT 代理 {self.host}:{self.port}：{exc.strerror or exc}"
            ) from exc
        self.client.loop_start()
        try:
            self._wait(lambda: self.subscribed, "接受管理账号")
        except BrokerUnavailable:
            self.__exit__()
            raise
        return self

    def __exit__(self, *exc):
        self.client.disconnect()
        self.client.loop_stop()

    def run(self, *commands: dict, tolerate: frozenset = frozenset()) -> list[dict]:
        """Send the commands in one message; return their responses in order.

        A command's error raises BrokerError unless it is one of `tolerate` (e.g. "Role already exists").
        """
        tagged = [{**command, "correlationData": uuid.uuid4().hex} for command in commands]
        self.client.publish(CONTROL_TOPIC, json.dumps({"commands": tagged}), qos=1)
        keys = [c["correlationData"] for c in tagged]
        self._wait(
            lambda: all(k in self.responses for k in keys),
            "回复动态安全命令（管理账号有权发布到 $CONTROL 吗？）",
        )
        with self.changed:
            responses = [self.responses.pop(k) for k in keys]
        for response in responses:
            error = response.get("error")
            if error and error not in tolerate:
                raise BrokerError(f"动态安全命令 {response['command']} 失败：{error}")
        return responses


# --- what a device's account consists of -----------------------------------------------------


def put_device(dynsec: DynSec, code: str, *, active: bool, password: str = "") -> None:
    """Role and client of one device, as wanted: created or brought back in line; idempotent.

    Without a password the client must exist already (its password is on the broker, not with us).
    """
    role = role_name(code)
    commands = [
        {"command": "createRole", "rolename": role, "acls": device_acls(code)},
        {"command": "modifyRole", "rolename": role, "acls": device_acls(code)},
    ]
    client = {"username": code, "roles": [{"rolename": role, "priority": 10}]}
    if password:
        commands.append(
            {"command": "createClient", "textname": f"shuxiang device {code}", **client, "password": password}
        )
        client["password"] = password
    commands.append({"command": "modifyClient", **client})
    commands.append({"command": "enableClient" if active else "disableClient", "username": code})
    try:
        dynsec.run(*commands, tolerate=frozenset({"Role already exists", "Client already exists"}))
    except BrokerError as exc:
        if "Client not found" in str(exc):
            raise BrokerError(
                f"代理中没有设备 {code} 的账号，而平台只保存密码摘要：请轮换 MQTT 密码（shuxiang device rotate {code}）"
            ) from exc
        raise


def delete_device(dynsec: DynSec, code: str) -> None:
    """Remove a device's client and role (a connected device is disconnected by the broker)."""
    dynsec.run(
        {"command": "deleteClient", "username": code},
        {"command": "deleteRole", "rolename": role_name(code)},
        tolerate=frozenset({"Client not found", "Role not found"}),
    )


# --- provisioning: push BrokerAccount rows, record the outcome -------------------------------------


def _claim(pk, now) -> bool:
    free = Q(lease_until__isnull=True) | Q(lease_until__lt=now)
    return bool(BrokerAccount.objects.filter(free, pk=pk).update(lease_until=now + LEASE))


def _finish(account: BrokerAccount, error: str) -> bool:
    """Record the outcome unless the account changed meanwhile (then False: push again)."""
    now = timezone.now()
    fields = {"lease_until": None, "attempts": F("attempts") + 1, "message": error[:300], "updated_at": now}
    if error:
        fields["state"] = BrokerState.FAILED
    else:
        fields.update(state=BrokerState.OK, pending_password="", synced_at=now)
    done = BrokerAccount.objects.filter(pk=account.pk, version=account.version).update(**fields)
    if not done:
        BrokerAccount.objects.filter(pk=account.pk).update(lease_until=None)
    return bool(done)


def provision(*device_ids) -> None:
    """Push the broker accounts of these devices; each ends ok or failed with the broker's reason.

    An account another process is pushing is skipped: that process sees the newer version when it
    records its outcome and pushes again. Never raises for the broker's sake: callers run it after
    commit, where a registration must not fail because the broker is down.
    """
    if not enabled() or not device_ids:
        return
    pending = list(device_ids)
    current = None  # the account claimed and being pushed
    try:
        with DynSec(conf.MQTT_ADMIN_URL) as dynsec:
            while pending:
                if not _claim(pending[0], timezone.now()):
                    pending.pop(0)
                    continue
                current = BrokerAccount.objects.select_related("device").get(pk=pending[0])
                try:
                    put_device(
                        dynsec,
                        current.device.code,
                        active=current.device.is_active,
                        password=current.pending_password,
                    )
                    error = ""
                except BrokerUnavailable:
                    raise
                except BrokerError as exc:
                    error = str(exc)
                if _finish(current, error):
                    pending.pop(0)
                current = None
    except BrokerError as exc:
        log.warning("broker provisioning failed: %s", exc)
        if current is not None:
            _finish(current, str(exc))
            pending.pop(0)
        for pk in pending:
            if _claim(pk, timezone.now()):
                _finish(BrokerAccount.objects.get(pk=pk), str(exc))


def retry_pending(limit: int = 500) -> int:
    """Push the accounts the broker has not taken yet (periodic task); returns how many were tried."""
    if not enabled():
        return 0
    ids = list(
        BrokerAccount.objects.exclude(state=BrokerState.OK)
        .order_by("updated_at")
        .values_list("pk", flat=True)[:limit]
    )
    provision(*ids)
    return len(ids)
