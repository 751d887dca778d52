"""Every write of the telemetry engine: devices, sensors, readings, rules, alarms.

Readings are data, not administrative changes: they are validated and stored
in batches and are not written to the audit log one by one (a device's
registration, its credentials, rules and every alarm transition are).
"""

import hashlib
import math
import re
import secrets
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import partial

from django.db import IntegrityError, connection, transaction
from django.db.models import F, Q
from django.utils import timezone

from shuxiang.core import audit, metrics, pii
from shuxiang.core.actors import as_actor
from shuxiang.core.choices import PlaceLevel, Role
from shuxiang.core.errors import Forbidden, ServiceError
from shuxiang.core.models import User
from shuxiang.core.permissions import require
from shuxiang.iot import broker, conf, keys, rules, storage
from shuxiang.iot.choices import (
    AlarmStatus,
    BrokerState,
    Protocol,
    RejectReason,
    RuleKind,
    SensorStatus,
    Severity,
)
from shuxiang.iot.keys import KEY_RE
from shuxiang.iot.models import (
    Alarm,
    AlarmRule,
    BrokerAccount,
    Device,
    Reading,
    RegistryVersion,
    Rejection,
    Rollup,
    Sensor,
)

CODE_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{1,39}$")
SL651_CODE_RE = re.compile(r"^\d{10}$")
JT808_CODE_RE = re.compile(r"^(\d{12}|\d{20})$")
HJ212_MN_RE = re.compile(r"^[A-Za-z0-9]{1,24}$")
HJ212_PW_RE = re.compile(r"^[^;,=&\s]{1,16}$")
RESERVED_CODES = {"add"}  # /iot/devices/add/ is the registration form, not a device page


REPORT = "iot.reading.add"  # what a device (or the listener carrying many devices' batches) may do
LEARN = "iot.device.learn"  # learning mode on a device, and the review of the sensors it proposed


# --- devices and sensors -----------------------------------------------------------------


def _new_secret() -> str:
    return secrets.token_urlsafe(24)


@transaction.atomic
def do_register_device(
    *,
    actor,
    code,
    protocol,
    place,
    name="",
    owner_unit=None,
    kind="",
    sl651_password="",
    hj212_password="",
    sensors=(),
) -> tuple[Device, dict]:
    """Register a device and return it with its credentials (shown once; only digests are kept)."""
    require(actor, "iot.device.add")
    code = (code or "").strip()
    errors = {}
    if protocol not in Protocol.values:
        errors["protocol"] = ["接入方式只能是 " + "、".join(Protocol.values)]
    if not CODE_RE.match(code):
        errors["code"] = ["设备编码为 2–40 位字母、数字、下划线或连字符"]
    elif code.lower() in RESERVED_CODES:
        errors["code"] = [f"“{code}”是系统保留字，不能作设备编码"]
    elif protocol == Protocol.SL651 and not SL651_CODE_RE.match(code):
        errors["code"] = ["SL 651 遥测站的设备编码应为 10 位数字测站地址"]
    elif protocol == Protocol.JT808 and not JT808_CODE_RE.match(code):
        errors["code"] = ["JT/T 808 终端的设备编码是消息头中的终端手机号：2013 版 12 位、2019 版 20 位数字"]
    elif protocol == Protocol.HJ212 and not HJ212_MN_RE.match(code):
        errors["code"] = ["HJ 212 监测站的设备编码即其 MN：1–24 位字母或数字"]
    elif Device.objects.filter(code=code).exists():
        errors["code"] = [f"设备编码 {code} 已登记"]
    if sl651_password and not re.fullmatch(r"[0-9A-Fa-f]{4}", sl651_password):
        errors["sl651_password"] = ["SL 651 密码应为 4 位十六进制"]
    if hj212_password and (protocol != Protocol.HJ212 or not HJ212_PW_RE.match(hj212_password)):
        errors["hj212_password"] = [
            "HJ 212 访问密码为 1–16 位字符，不含空白和 ; , = &（只用于 HJ 212 监测站）"
        ]
    if place is None:
        errors["place"] = ["请选择区划"]
    if errors:
        raise ServiceError("invalid", "设备信息有误", errors)
    require(actor, "iot.device.add", place)
    token = _new_secret()
    mqtt_password = _new_secret() if protocol == Protocol.MQTT else ""
    if protocol == Protocol.HJ212 and not hj212_password:
        hj212_password = f"{secrets.randbelow(10**6):06d}"  # stations are configured with 6 digits
    device = Device.objects.create(
        code=code,
        name=(name or code).strip()[:100],
        protocol=protocol,
        place=place,
        owner_unit=owner_unit,
        kind=kind,
        token_digest=pii.digest(token),
        mqtt_password_digest=pii.digest(mqtt_password) if mqtt_password else "",
        sl651_password=sl651_password.upper(),
        hj212_password_digest=pii.digest(hj212_password) if hj212_password else "",
    )
    for spec in sensors:
        _define_sensor(device, **spec)
    audit.record_create(actor, device)
    credentials = {"code": code, "token": token}
    if mqtt_password:
        credentials.update(
            mqtt_username=code,
            mqtt_password=mqtt_password,
            mqtt_topic=f"shuxiang/v1/devices/{code}/telemetry",
        )
    if protocol == Protocol.JT808:
        from shuxiang.iot.jt808_server import auth_code

        credentials.update(jt808_phone=code, jt808_auth_code=auth_code(device))
    if protocol == Protocol.SL651:
        credentials.update(sl651_address=code, sl651_password=device.sl651_password or "（不校验）")
    if protocol == Protocol.HJ212:
        credentials.update(hj212_mn=code, hj212_password=hj212_password)
    if mqtt_password:
        _broker_account_changed(device, mqtt_password)
    registry_changed()
    return device, credentials


def _define_sensor(device, *, key, name="", unit="", min_value=None, max_value=None) -> Sensor:
    errors = {}
    if not KEY_RE.match(key or ""):
        errors["key"] = ["要素名以字母开头，最多 40 位字母、数字或下划线"]
    if min_value is not None and max_value is not None and min_value > max_value:
        errors["min_value"] = ["量程下限不能高于上限"]
    if errors:
        raise ServiceError("invalid", "传感器信息有误", errors)
    sensor, _ = Sensor.objects.update_or_create(
        device=device,
        key=key,
        defaults={"name": name, "unit": unit, "min_value": min_value, "max_value": max_value},
    )
    return sensor


@transaction.atomic
def do_define_sensor(device, *, actor, key, name="", unit="", min_value=None, max_value=None) -> Sensor:
    """Declare (or change) what a device's key measures and its valid range."""
    require(actor, "iot.device.change", device)
    existing = Sensor.objects.filter(device=device, key=key).first()
    before = audit.snapshot(existing) if existing else None
    sensor = _define_sensor(device, key=key, name=name, unit=unit, min_value=min_value, max_value=max_value)
    if before is None:
        audit.record_create(actor, sensor)
    else:
        audit.record_update(actor, sensor, before)
    registry_changed()
    return sensor


@transaction.atomic
def do_set_device_active(device, *, actor, is_active: bool) -> Device:
    require(actor, "iot.device.change", device)
    before = audit.snapshot(device)
    device.is_active = is_active
    device.save(update_fields=["is_active"])
    audit.record_update(actor, device, before)
    if device.protocol == Protocol.MQTT:
        _broker_account_changed(device)
    registry_changed()  # every listener process refuses its next message, not after a cache refresh
    return device


@transaction.atomic
def do_set_device_learning(device, *, actor, learning: bool) -> Device:
    """Learning mode: keys the device reports that nobody registered become pending sensors for
    review instead of being refused. For commissioning a device whose payload is not documented."""
    require(actor, LEARN, device)
    if type(learning) is not bool:
        raise ServiceError("invalid", "学习模式只能开启或关闭", {"learning": ["应为 true 或 false"]})
    before = audit.snapshot(device)
    device.learning = learning
    device.save(update_fields=["learning"])
    audit.record_update(actor, device, before)
    registry_changed()
    return device


def _pending_sensor(device, key) -> Sensor:
    sensor = Sensor.objects.filter(device=device, key=key).first()
    if sensor is None:
        raise ServiceError(
            "unknown_key", f"设备 {device.code} 没有要素 {key}", {"key": ["不存在"]}, status=404
        )
    if not sensor.is_pending:
        raise ServiceError("not_pending", f"要素 {key} 不是待审核状态", {"key": ["已启用，无需审核"]})
    return sensor


@transaction.atomic
def do_approve_sensor(device, *, actor, key) -> Sensor:
    """A pending sensor becomes a sensor like any other: alarm rules see its readings from now on
    (those stored while it was pending are not replayed through them)."""
    require(actor, LEARN, device)
    sensor = _pending_sensor(device, key)
    before = audit.snapshot(sensor)
    sensor.status = SensorStatus.ACTIVE
    sensor.save(update_fields=["status"])
    audit.record(actor, "transition", sensor, changes=audit.diff(before, audit.snapshot(sensor)))
    registry_changed()
    return sensor


@transaction.atomic
def do_reject_sensor(device, *, actor, key) -> None:
    """A pending sensor that is not what the device should report: it and the readings stored under
    it go (they were never checked against a range or a rule). If the device is still learning and
    sends the key again, it comes back as pending; otherwise the key is refused from now on."""
    require(actor, LEARN, device)
    sensor = _pending_sensor(device, key)
    audit.record_delete(actor, sensor)
    Reading.objects.filter(sensor_id=sensor.pk).delete()
    Rollup.objects.filter(sensor_id=sensor.pk).delete()
    sensor.delete()
    registry_changed()


def _replace_secret(device, actor, field, label) -> str:
    """A new secret for one of the device's credentials; only its digest is kept, and the audit
    entry names the change by digest prefixes."""
    require(actor, "iot.device.change", device)
    secret = _new_secret()
    old_digest = getattr(device, field)
    setattr(device, field, pii.digest(secret))
    device.save(update_fields=[field])
    audit.record(
        actor,
        "update",
        device,
        changes={label: [f"<摘要:{old_digest[:8]}>", f"<摘要:{getattr(device, field)[:8]}>"]},
    )
    registry_changed()
    return secret


@transaction.atomic
def do_rotate_mqtt_password(device, *, actor) -> dict:
    """Give an MQTT device a new broker password (returned once; only its digest is kept)."""
    if device.protocol != Protocol.MQTT:
        require(actor, "iot.device.change", device)
        raise ServiceError("not_mqtt", f"设备 {device.code} 不是 MQTT 设备，没有代理密码", {})
    password = _replace_secret(device, actor, "mqtt_password_digest", "mqtt_password")
    _broker_account_changed(device, password)
    return {
        "code": device.code,
        "mqtt_username": device.code,
        "mqtt_password": password,
        "mqtt_topic": broker.telemetry_topic(device.code),
    }


@transaction.atomic
def do_rotate_device_token(device, *, actor) -> dict:
    """Give a device a new telemetry token (returned once; only its digest is kept): a leaked token
    stops working at once, without registering the device again under a new code."""
    return {"code": device.code, "token": _replace_secret(device, actor, "token_digest", "token")}


def credential_stamp(digest: str) -> str:
    """What a rotation form carries of the credential it was shown with: a form sent twice (a browser
    resubmitting) finds the credential already changed and rotates nothing. Reveals nothing usable."""
    return hashlib.sha256(digest.encode()).hexdigest()[:16]


def _broker_account_changed(device, password=""):
    """Record what the broker should now hold for an MQTT device and push it after commit (when the
    broker is administered by us, SHUXIANG_MQTT_ADMIN_URL). A new password is kept, encrypted, only
    until the broker has it."""
    if not broker.enabled():
        return
    BrokerAccount.objects.get_or_create(device=device)
    changes = {
        "state": BrokerState.PENDING,
        "message": "",
        "version": F("version") + 1,
        "updated_at": timezone.now(),
    }
    if password:
        changes["pending_password"] = password
    BrokerAccount.objects.filter(pk=device.pk).update(**changes)
    transaction.on_commit(partial(broker.provision, device.pk), robust=True)


def authenticate_device(token: str) -> Device | None:
    """The device a telemetry token belongs to. A device token is accepted nowhere else."""
    if not token:
        return None
    return Device.objects.filter(token_digest=pii.digest(token)).select_related("place").first()


def check_mqtt_password(device: Device, password: str) -> bool:
    return bool(device.mqtt_password_digest) and secrets.compare_digest(
        device.mqtt_password_digest, pii.digest(password)
    )


# --- in-process caches for the hot path ------------------------------------------------------


REGISTRY = "iot.devices"  # the RegistryVersion row ingestion polls


def registry_changed() -> None:
    """Increment the registry version in the caller's transaction: once it commits, every ingestion
    process drops its device cache before its next batch. Rare (administrative changes only)."""
    if not RegistryVersion.objects.filter(pk=REGISTRY).update(version=F("version") + 1):
        # the row went missing (a test database flush): create it, racing writers both count
        RegistryVersion.objects.bulk_create([RegistryVersion(name=REGISTRY)], ignore_conflicts=True)
        RegistryVersion.objects.filter(pk=REGISTRY).update(version=F("version") + 1)


def registry_version() -> int:
    """One primary-key read, without the ORM's per-query overhead (it runs once per batch)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT version FROM iot_registryversion WHERE name = %s", [REGISTRY])
        row = cursor.fetchone()
    return row[0] if row else 0


@dataclass
class DeviceInfo:
    id: int
    code: str
    is_active: bool
    place_path: str
    sl651_password: str = ""
    protocol: str = ""
    learning: bool = False
    sensors: dict = field(default_factory=dict)  # key -> SensorInfo
    # the protocol's own keys (iot.keys): they become sensors without anyone registering them
    known: object = field(default_factory=lambda: keys.protocol_keys(""))
    hj212_password_digest: str = ""


@dataclass
class SensorInfo:
    id: int
    key: str
    min_value: float | None
    max_value: float | None
    active: bool = True  # False: pending review, stored but not evaluated by alarm rules


class Caches:
    """Device and sensor lookups for the ingestion processes.

    `sync()`, once per batch, reads the registry version (one primary-key query) and drops everything
    when it changed: a device deactivated, a sensor defined or a credential rotated in any process is
    in effect for this one's next batch. Every `ttl` seconds the cache is dropped anyway, for changes
    made outside the services.
    """

    ttl = 30.0

    def __init__(self):
        self.lock = threading.Lock()
        self.clear()

    def clear(self):
        with self.lock:
            self.devices: dict[str, DeviceInfo] = {}
            self.missing: set[str] = set()  # codes not registered: a flood of them must not cost a query each
            self.loaded_at = time.monotonic()
            self.version: int | None = None  # unknown: the next sync adopts the database's
        rules.cache.clear()

    def sync(self) -> None:
        """The once-per-batch check: the registry version, then the age of the cache."""
        version = registry_version()
        if version != self.version or time.monotonic() - self.loaded_at > self.ttl:
            self.clear()
            with self.lock:
                self.version = version

    def sl651_password(self, code: str) -> str:
        info = self.device(code)
        return info.sl651_password if info else ""

    def device(self, code: str) -> DeviceInfo | None:
        if code not in self.devices and code not in self.missing:
            self.load([code])
        return self.devices.get(code)

    def prefetch(self, codes) -> None:
        """Load a batch's devices in two queries, not two per device (after a start or a refresh
        a listener meets every device at once)."""
        unknown = [c for c in set(codes) if c and c not in self.devices and c not in self.missing]
        if unknown:
            self.load(unknown)

    def load(self, codes) -> None:
        found = {}
        for device in Device.objects.filter(code__in=codes).select_related("place"):
            found[device.pk] = DeviceInfo(
                device.pk,
                device.code,
                device.is_active,
                device.place.path,
                device.sl651_password,
                device.protocol,
                device.learning,
                known=keys.protocol_keys(device.protocol),
                hj212_password_digest=device.hj212_password_digest,
            )
        for s in Sensor.objects.filter(device_id__in=list(found)):
            found[s.device_id].sensors[s.key] = _sensor_info(s)
        with self.lock:
            for info in found.values():
                self.devices[info.code] = info
            missing = set(codes) - {info.code for info in found.values()}
            if len(self.missing) + len(missing) > 10_000:
                self.missing.clear()
            self.missing |= missing


caches = Caches()


# --- ingestion ---------------------------------------------------------------------------------


@dataclass
class Message:
    """What one front end received from one device: values, each (key, ts, raw value)."""

    device_code: str
    values: list = field(default_factory=list)
    error: ServiceError | None = None  # set by the front end when it could not even parse


@dataclass
class Outcome:
    stored: int = 0
    duplicates: int = 0
    error: ServiceError | None = None

    @property
    def ok(self):
        return self.error is None


def _sensor_info(s: Sensor) -> SensorInfo:
    return SensorInfo(s.pk, s.key, s.min_value, s.max_value, s.status == SensorStatus.ACTIVE)


def _number(raw):
    if type(raw) is bool:  # JSON true/false is not a measurement (it was once stored as 1.0/0.0)
        return None
    if isinstance(raw, (int, float)):  # noqa: UP038 — the tuple form is the faster check, and this runs per value
        try:
            value = float(raw)
        except OverflowError:  # an integer beyond any float
            return None
    elif isinstance(raw, str):
        try:
            value = float(raw.strip())
        except ValueError:
            return None
    else:
        return None
    return value if math.isfinite(value) else None


def _reject(reason, message, fields=None):
    return ServiceError(reason, message, fields or {})


def _window(now) -> tuple[datetime, datetime]:
    """The instants a reading may carry: not before the retention horizon, not ahead of the clock."""
    return now - timedelta(days=conf.RETENTION_DAYS), now + timedelta(seconds=conf.FUTURE_TOLERANCE_SECONDS)


def _validate(info: DeviceInfo, values, window) -> tuple[list, ServiceError | None]:
    """(key, ts, value) triples ready to store, or the first reason the message is refused whole."""
    if not values:
        return [], _reject(RejectReason.BAD_PAYLOAD, "报文中没有数据", {"values": ["没有数据"]})
    oldest, future_limit = window
    clean = []
    in_window = None  # the last instant found inside the window: a message's values usually share one
    for key, ts, raw in values:
        sensor = info.sensors.get(key)
        if sensor is None:  # a registered sensor's key was checked when it was made
            error = _unregistered(info, key)
            if error is not None:
                return [], error
        value = _number(raw)
        if value is None:
            if type(raw) is bool:
                return [], _reject(
                    RejectReason.BOOLEAN,
                    f"{key} 的值是布尔值 {str(raw).lower()}，不是数字",
                    {key: ["应为数字，不接受 true/false"]},
                )
            return [], _reject(RejectReason.NOT_NUMERIC, f"{key} 的值不是数字", {key: ["应为数字"]})
        if ts is not in_window:  # comparing an instant in another time zone asks it for its offset each time
            if ts > future_limit:
                return [], _reject(
                    RejectReason.FUTURE,
                    f"{key} 的时间戳晚于当前时间",
                    {key: ["时间戳在未来，请校准设备时钟"]},
                )
            if ts < oldest:
                return [], _reject(RejectReason.TOO_OLD, f"{key} 的时间戳早于保留期限", {key: ["时间戳过早"]})
            in_window = ts
        if sensor is not None and (
            (sensor.min_value is not None and value < sensor.min_value)
            or (sensor.max_value is not None and value > sensor.max_value)
        ):
            return [], _reject(
                RejectReason.OUT_OF_RANGE,
                f"{key} = {value:g} 超出量程 [{sensor.min_value}, {sensor.max_value}]",
                {key: ["超出量程"]},
            )
        clean.append((key, ts, value))
    return clean, None


def _unregistered(info: DeviceInfo, key: str) -> ServiceError | None:
    """Why a key the device has no sensor for is refused, or None when it may become one: its
    protocol defines it (iot.keys), or the device is learning (it becomes a pending sensor)."""
    if not KEY_RE.match(key):
        return _reject(RejectReason.BAD_KEY, f"要素名 {key[:40]} 不合法", {key[:40]: ["要素名不合法"]})
    if key in info.known or info.learning:
        return None
    return _reject(
        RejectReason.UNKNOWN_KEY,
        f"设备 {info.code} 未登记要素 {key}",
        {key: ["未登记的要素：请在设备页登记该传感器，或由管理员开启学习模式"]},
    )


def _ensure_sensors(info: DeviceInfo, new_keys) -> None:
    """Sensors for keys a device reports for the first time: active for its protocol's own keys
    (named as the protocol names them, no range until someone declares one), pending otherwise (the
    device is learning: validation refused the key if it was not)."""
    missing = [k for k in new_keys if k not in info.sensors]
    if not missing:
        return
    created = []
    for k in missing:
        known = info.known.get(k)
        if known is not None:
            created.append(Sensor(device_id=info.id, key=k, name=known.name, unit=known.unit))
        else:
            created.append(Sensor(device_id=info.id, key=k, status=SensorStatus.PENDING))
    Sensor.objects.bulk_create(created, ignore_conflicts=True)
    for s in Sensor.objects.filter(device_id=info.id, key__in=missing):
        info.sensors[s.key] = _sensor_info(s)


def do_ingest(messages: list[Message], *, actor, now: datetime | None = None) -> list[Outcome]:
    """Validate, store and evaluate a batch of messages from the front ends, in one transaction.

    A message with any bad value — not a number (true/false included), out of range, badly stamped,
    or under a key the device has no sensor for and its protocol does not define (unless the device
    is learning) — is refused whole and counted against its device; the others are stored together.
    Returns one Outcome per message, in order. When this returns, everything reported as stored is
    committed. The device registry is re-read first if any process changed it (`Caches.sync`).

    `actor` is the device reporting (`Actor.device(code)`: only its own messages) or the listener
    carrying a batch of many devices' messages (`Actor.system("listener")`). Its grant is checked once
    per batch: machine grants are declared in code, so the check costs no query.
    """
    _may_report(actor, {msg.device_code for msg in messages})
    now = now or timezone.now()
    window = _window(now)
    caches.sync()
    caches.prefetch(msg.device_code for msg in messages)
    outcomes = [Outcome() for _ in messages]
    accepted = []  # (index, DeviceInfo, clean triples)
    rejected = []  # (device_code, device_id, error)
    for i, msg in enumerate(messages):
        info = caches.device(msg.device_code) if msg.device_code else None
        error = msg.error
        if error is None and info is None:
            error = _reject(
                RejectReason.UNKNOWN_DEVICE, f"设备 {msg.device_code[:40]} 未登记", {"device": ["未登记"]}
            )
        if error is None and not info.is_active:
            error = _reject(RejectReason.INACTIVE, "设备已停用", {"device": ["已停用"]})
        clean = []
        if error is None:
            clean, error = _validate(info, msg.values, window)
        if error is not None:
            outcomes[i].error = error
            rejected.append((msg.device_code, info.id if info else None, error))
        else:
            accepted.append((i, info, clean))
    if accepted:
        _store(accepted, outcomes, now)
    if rejected:
        record_rejections(rejected, now)
    return outcomes


def _may_report(actor, codes) -> None:
    """The gate of the ingestion path: the grant to report, and a device reports only for itself."""
    actor = as_actor(actor)
    require(actor, REPORT)
    if actor.kind == "device" and codes - {actor.label}:
        raise Forbidden(f"设备 {actor.label} 只能上报自己的数据")


@transaction.atomic
def _store(accepted, outcomes, now):
    rows, owner, devices = [], {}, {}
    for i, info, clean in accepted:
        sensors = info.sensors
        if any(k not in sensors for k, _, _ in clean):
            _ensure_sensors(info, {k for k, _, _ in clean})
        devices[info.id] = info
        for key, ts, value in clean:
            sensor_id = sensors[key].id
            rows.append((sensor_id, ts, value))
            owner[(sensor_id, ts)] = i
        outcomes[i].duplicates = len(clean)
    new = storage.insert_readings(rows)
    latest: dict[int, tuple[datetime, float]] = {}
    stored_by_protocol: dict[str, int] = {}
    for sensor_id, ts, value in new:
        i = owner.get((sensor_id, ts))
        if i is not None:
            outcomes[i].stored += 1
            outcomes[i].duplicates -= 1
        if sensor_id not in latest or latest[sensor_id][0] < ts:
            latest[sensor_id] = (ts, value)
    evaluation = rules.prepare(new, devices.values())
    rules.evaluate(evaluation, now=now)
    # Last: these rows are shared by every listener process, so hold their locks only until the commit.
    storage.update_latest(latest)
    storage.touch_devices(list(devices), now)
    for i, info, _ in accepted:
        stored_by_protocol[info.protocol] = stored_by_protocol.get(info.protocol, 0) + outcomes[i].stored
    # robust: the readings are committed by then; a failing counter must not make the batch look failed
    transaction.on_commit(
        lambda: [metrics.count_ingested(p, n) for p, n in stored_by_protocol.items()], robust=True
    )


def do_touch_device(code: str, *, actor, now=None) -> bool:
    """A keep-alive: the device is online though it sent no values (a report without values)."""
    _may_report(actor, {code})
    caches.sync()
    info = caches.device(code)
    if info is None or not info.is_active:
        return False
    with transaction.atomic():
        storage.touch_devices([info.id], now or timezone.now())
    return True


def do_ingest_one(device_code: str, values, *, actor, now=None) -> Outcome:
    """One message (HTTP, one SL 651 report): raises the ServiceError when it is refused."""
    outcome = do_ingest([Message(device_code, values)], actor=actor, now=now)[0]
    if outcome.error is not None:
        raise outcome.error
    return outcome


def record_rejections(rejected, now) -> None:
    """Count refusals per device and reason, in their own transaction (the refused data wrote nothing)."""
    counts: dict[tuple[str, str], list] = {}
    for code, device_id, error in rejected:
        code = (code or "?")[:40]
        entry = counts.setdefault((code, error.code), [device_id, 0, error.message])
        entry[1] += 1
        entry[2] = error.message
    for (code, reason), (device_id, n, detail) in sorted(counts.items()):
        if reason not in RejectReason.values:
            reason = RejectReason.BAD_PAYLOAD
        for _attempt in range(2):
            try:
                with transaction.atomic():
                    updated = Rejection.objects.filter(device_code=code, reason=reason).update(
                        count=F("count") + n, last_at=now, last_detail=detail[:300]
                    )
                    if not updated:
                        Rejection.objects.create(
                            device_id=device_id,
                            device_code=code,
                            reason=reason,
                            count=n,
                            last_at=now,
                            last_detail=detail[:300],
                        )
                break
            except IntegrityError:
                continue  # another process created the row first: count onto it


def count_rejection(device_code: str, error: ServiceError, now=None) -> None:
    """A front end refusing something before it reaches do_ingest (bad frame, wrong token)."""
    info = caches.device(device_code) if device_code else None
    record_rejections([(device_code, info.id if info else None, error)], now or timezone.now())


# --- alarm rules --------------------------------------------------------------------------------


def _validate_rule(fields) -> dict:
    from shuxiang.iot.actions import get_action

    errors = {}
    if not (fields.get("name") or "").strip():
        errors["name"] = ["规则名称必填"]
    if not KEY_RE.match(fields.get("key") or ""):
        errors["key"] = ["要素名不合法"]
    kind = fields.get("kind")
    if kind not in RuleKind.values:
        errors["kind"] = ["条件类型无效"]
    elif kind != RuleKind.NO_DATA:
        threshold = fields.get("threshold")
        if threshold is None or not math.isfinite(float(threshold)):
            errors["threshold"] = ["请填写阈值"]
    elif not fields.get("duration_minutes"):
        errors["duration_minutes"] = ["无数据规则请填写分钟数"]
    if fields.get("severity") not in Severity.values:
        errors["severity"] = ["级别无效"]
    for code in fields.get("actions") or []:
        if get_action(code) is None:
            errors.setdefault("actions", []).append(f"联动动作 {code} 未注册")
    if not isinstance(fields.get("action_config") or {}, dict):
        errors["action_config"] = ["联动参数应为对象"]
    return errors


RULE_FIELDS = (
    "name",
    "key",
    "kind",
    "threshold",
    "duration_minutes",
    "severity",
    "escalate_after_minutes",
    "auto_clear",
    "actions",
    "action_config",
    "is_active",
)


@transaction.atomic
def do_create_rule(*, actor, place=None, device=None, **fields) -> AlarmRule:
    require(actor, "iot.alarmrule.add")
    fields.setdefault("severity", Severity.MAJOR)
    fields.setdefault("duration_minutes", 0)
    unknown = set(fields) - set(RULE_FIELDS)
    if unknown:
        raise ServiceError("invalid", "告警规则有误", {f: ["未知字段"] for f in unknown})
    if device is not None:
        place = device.place
    errors = _validate_rule(fields)
    if place is None:
        errors["place"] = ["请选择适用区划或设备"]
    if errors:
        raise ServiceError("invalid", "告警规则有误", errors)
    require(actor, "iot.alarmrule.add", place)
    rule = AlarmRule.objects.create(place=place, device=device, **fields)
    audit.record_create(actor, rule)
    transaction.on_commit(rules.cache.clear)
    return rule


@transaction.atomic
def do_update_rule(rule: AlarmRule, *, actor, **changes) -> AlarmRule:
    require(actor, "iot.alarmrule.change", rule)
    unknown = set(changes) - set(RULE_FIELDS)
    if unknown:
        raise ServiceError("invalid", "告警规则有误", {f: ["不可修改"] for f in unknown})
    before = audit.snapshot(rule)
    for k, v in changes.items():
        setattr(rule, k, v)
    errors = _validate_rule({f: getattr(rule, f) for f in RULE_FIELDS})
    if errors:
        raise ServiceError("invalid", "告警规则有误", errors)
    rule.save()
    audit.record_update(actor, rule, before)
    transaction.on_commit(rules.cache.clear)
    return rule


# --- alarms ------------------------------------------------------------------------------------


def responsible_users(device: Device) -> list[User]:
    """Who is told about a device's alarms: its owner unit's staff and the officers of its township and village."""
    places = {p.code: p for p in device.place.ancestors()} | {device.place.code: device.place}
    township = next((p for p in places.values() if p.level == PlaceLevel.TOWNSHIP), None)
    village = next((p for p in places.values() if p.level == PlaceLevel.VILLAGE), None)
    q = Q(pk__in=[])
    if device.owner_unit_id:
        q |= Q(unit_id=device.owner_unit_id)
    if township is not None:
        q |= Q(role=Role.TOWNSHIP, place=township)
    if village is not None:
        q |= Q(role=Role.VILLAGE, place=village)
    return list(User.objects.filter(q, is_active=True))


def escalation_users(device: Device) -> list[User]:
    """Where an unacknowledged alarm goes next: the district-level officers."""
    return list(User.objects.filter(role=Role.DISTRICT, is_active=True))


@transaction.atomic
def do_acknowledge_alarm(alarm: Alarm, *, actor) -> Alarm:
    alarm = Alarm.objects.select_for_update().select_related("sensor__device__place").get(pk=alarm.pk)
    require(actor, "iot.alarm.handle", alarm)
    if alarm.acknowledged_at is not None:
        raise ServiceError("already_acknowledged", "该告警已被确认", {"alarm": ["已确认"]})
    before = audit.snapshot(alarm)
    alarm.acknowledged_at = timezone.now()
    alarm.acknowledged_by = as_actor(actor).human
    alarm.save(update_fields=["acknowledged_at", "acknowledged_by"])
    audit.record(actor, "transition", alarm, changes={**audit.diff(before, audit.snapshot(alarm))})
    return alarm


@transaction.atomic
def do_clear_alarm(alarm: Alarm, *, actor, note="") -> Alarm:
    alarm = Alarm.objects.select_for_update().select_related("sensor__device__place").get(pk=alarm.pk)
    require(actor, "iot.alarm.handle", alarm)
    if alarm.status == AlarmStatus.CLEARED:
        raise ServiceError("already_cleared", "该告警已解除", {"alarm": ["已解除"]})
    if len(note or "") > 200:
        raise ServiceError("invalid", "解除说明不能超过200字", {"note": ["不能超过200字"]})
    rules.clear_alarm(alarm, actor=actor, note=note or "", now=timezone.now())
    return alarm


def do_escalate_alarms(*, actor, now=None) -> int:
    """Alarms not acknowledged within their rule's limit go to the district officers, once."""
    require(actor, "iot.alarm.escalate")
    now = now or timezone.now()
    count = 0
    candidates = Alarm.objects.filter(
        status=AlarmStatus.ACTIVE,
        acknowledged_at__isnull=True,
        escalated_at__isnull=True,
        rule__escalate_after_minutes__isnull=False,
    ).select_related("rule", "sensor__device__place")
    for alarm in candidates:
        if alarm.started_at + timedelta(minutes=alarm.rule.escalate_after_minutes) > now:
            continue
        with transaction.atomic():
            updated = Alarm.objects.filter(pk=alarm.pk, escalated_at__isnull=True).update(escalated_at=now)
            if not updated:
                continue
            alarm.escalated_at = now
            audit.record(
                actor,
                "transition",
                alarm,
                changes={"escalated_at": [None, now.isoformat()]},
            )
            transaction.on_commit(lambda a=alarm: rules.notify_escalation(a))
        count += 1
    return count


def do_check_no_data(*, actor, now=None) -> int:
    """Raise "no data for N minutes" alarms (the ingestion path clears them when data returns)."""
    require(actor, "iot.alarm.add")
    return rules.check_no_data(now or timezone.now(), actor=as_actor(actor))
