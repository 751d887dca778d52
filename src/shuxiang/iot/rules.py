"""Alarm rule evaluation on the ingestion path and by the periodic checks.

Per batch: the new readings are grouped by (rule, sensor); active alarms and
duration states for those pairs are read with one query each; each pair's
readings are replayed in time order; then repeats are written in one bulk
update. Raising and clearing are rare and written one by one, with audit.
"""

import gc
import threading
import time
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.urls import reverse

from shuxiang.core import audit
from shuxiang.core.actors import Actor, as_actor
from shuxiang.iot import storage
from shuxiang.iot.choices import AlarmStatus, RuleKind, SensorStatus, Severity

# What the rule engine does by itself on the ingestion path (raise, auto-clear) is done as this actor,
# whoever reported the readings: its grants are declared in IotConfig.ready().
ENGINE = Actor.system("rules")


class RuleCache:
    """Active rules by (device, key) and by key (place-wide rules), reloaded every `ttl` seconds."""

    ttl = 10.0

    def __init__(self):
        self.lock = threading.Lock()
        self.loaded_at = None

    def clear(self):
        with self.lock:
            self.loaded_at = None

    def _load(self):
        from shuxiang.iot.models import AlarmRule

        by_device, by_key = defaultdict(list), defaultdict(list)
        for rule in AlarmRule.objects.filter(is_active=True).select_related("place"):
            if rule.device_id:
                by_device[(rule.device_id, rule.key)].append(rule)
            else:
                by_key[rule.key].append(rule)
        with self.lock:
            self.by_device, self.by_key = by_device, by_key
            self.loaded_at = time.monotonic()

    def current(self):
        """(by_device, by_key), loaded if missing or older than `ttl`."""
        if self.loaded_at is None or time.monotonic() - self.loaded_at > self.ttl:
            self._load()
        return self.by_device, self.by_key

    def for_sensor(self, device_id, key, place_path):
        by_device, by_key = self.current()
        return _rules_for(by_device, by_key, device_id, key, place_path)


def _rules_for(by_device, by_key, device_id, key, place_path) -> list:
    """The rules watching one sensor: its device's own for its key, then the place-wide ones for its key
    that cover the device's place."""
    found = list(by_device.get((device_id, key), ()))
    found += [r for r in by_key.get(key, ()) if place_path.startswith(r.place.path)]
    return found


cache = RuleCache()


@dataclass
class Evaluation:
    pairs: dict = field(default_factory=dict)  # (rule, sensor_id) -> [(ts, value)]
    prev: dict = field(default_factory=dict)  # sensor_id -> (ts, value) before this batch


def prepare(new_rows, devices) -> Evaluation:
    """Group new readings (of the sensors of `devices`, DeviceInfos) by the rules that watch them; read
    previous values for rate rules."""
    from shuxiang.iot.models import Sensor

    ev = Evaluation()
    by_device, by_key = cache.current()
    if not by_device and not by_key:
        return ev  # no active rule anywhere: nothing to group (the rows are not looked at one by one)
    # pending sensors are left out: their readings are stored, no rule looks at them before approval
    sensor_meta = {s.id: (info, s.key) for info in devices for s in info.sensors.values() if s.active}
    by_sensor = defaultdict(list)
    for sensor_id, ts, value in new_rows:
        by_sensor[sensor_id].append((ts, value))
    rate_sensors = set()
    for sensor_id, rows in by_sensor.items():
        meta = sensor_meta.get(sensor_id)
        if meta is None:
            continue  # a pending sensor (device in learning mode): stored, not evaluated until approved
        info, key = meta
        if key not in by_key and (info.id, key) not in by_device:
            continue  # the usual case: no rule watches this key
        for rule in _rules_for(by_device, by_key, info.id, key, info.place_path):
            rows.sort(key=lambda r: r[0])
            ev.pairs[(rule, sensor_id)] = rows
            if rule.kind == RuleKind.RATE:
                rate_sensors.add(sensor_id)
    if rate_sensors:
        for sid, ts, value in Sensor.objects.filter(pk__in=rate_sensors).values_list(
            "pk", "last_ts", "last_value"
        ):
            if ts is not None:
                ev.prev[sid] = (ts, value)
    return ev


def _holds(rule, value, prev, ts) -> bool:
    if rule.kind == RuleKind.ABOVE:
        return value > rule.threshold
    if rule.kind == RuleKind.BELOW:
        return value < rule.threshold
    if rule.kind == RuleKind.RATE:
        if prev is None or ts <= prev[0]:
            return False
        minutes = (ts - prev[0]).total_seconds() / 60
        return abs(value - prev[1]) / minutes > rule.threshold
    return False


def evaluate(ev: Evaluation, *, now: datetime) -> None:
    if not ev.pairs:
        return
    from shuxiang.iot.models import Alarm, RuleState

    rule_ids = {rule.pk for rule, _ in ev.pairs}
    sensor_ids = {sid for _, sid in ev.pairs}
    active_ids = storage.active_alarm_ids(rule_ids, sensor_ids)
    active = (
        {(a.rule_id, a.sensor_id): a for a in Alarm.objects.filter(pk__in=active_ids)} if active_ids else {}
    )
    timed = {rule.pk for rule, _ in ev.pairs if rule.duration_minutes}
    states = (
        {
            (s.rule_id, s.sensor_id): s.since
            for s in RuleState.objects.filter(rule_id__in=timed, sensor_id__in=sensor_ids)
        }
        if timed
        else {}
    )
    original_states = dict(states)
    repeats = {}
    for (rule, sid), rows in ev.pairs.items():
        pair = (rule.pk, sid)
        if rule.kind == RuleKind.NO_DATA:
            alarm = active.pop(pair, None)
            if alarm is not None:
                clear_alarm(alarm, actor=ENGINE, note="数据已恢复", now=now)
            continue
        prev = ev.prev.get(sid)
        for ts, value in rows:
            holds = _holds(rule, value, prev, ts)
            prev = (ts, value)
            if not holds:
                if rule.duration_minutes:
                    states.pop(pair, None)
                alarm = active.get(pair)
                if alarm is not None and rule.auto_clear:
                    clear_alarm(alarm, actor=ENGINE, note="已恢复正常", now=now)
                    del active[pair]
                    repeats.pop(alarm.pk, None)
                continue
            if rule.duration_minutes:
                since = states.setdefault(pair, ts)
                if ts - since < timedelta(minutes=rule.duration_minutes):
                    continue
            alarm = active.get(pair)
            if alarm is None:
                active[pair] = raise_alarm(rule, sid, value, ts)
            else:
                alarm.last_value, alarm.last_at = value, max(alarm.last_at, ts)
                alarm.repeat_count += 1
                repeats[alarm.pk] = alarm
    storage.update_alarm_repeats(list(repeats.values()))
    gone = [pair for pair in original_states if pair not in states]
    changed = [
        RuleState(rule_id=r, sensor_id=s, since=since)
        for (r, s), since in states.items()
        if original_states.get((r, s)) != since
    ]
    for r, s in gone:
        RuleState.objects.filter(rule_id=r, sensor_id=s).delete()
    if changed:
        RuleState.objects.bulk_create(
            changed, update_conflicts=True, unique_fields=["rule", "sensor"], update_fields=["since"]
        )


def _message(rule, sensor, value) -> str:
    """What people read: the sensor by its Chinese name and unit, levels to the centimetre."""
    from shuxiang.core.formats import reading

    device = sensor.device
    if rule.kind == RuleKind.NO_DATA:
        return f"{device.name}：{sensor.label} 已连续 {rule.duration_minutes} 分钟无数据"
    return f"{device.name}：{rule.name}（{rule.describe(sensor)}），当前 {reading(value, sensor.unit)}"


def raise_alarm(rule, sensor_id, value, ts, actor=ENGINE):
    """Open the alarm for (rule, sensor), or join the one another process opened a moment ago."""
    from shuxiang.iot.models import Alarm, Sensor

    sensor = Sensor.objects.select_related("device__place").get(pk=sensor_id)
    try:
        with transaction.atomic():
            alarm = Alarm.objects.create(
                rule=rule,
                sensor=sensor,
                severity=rule.severity,
                message=_message(rule, sensor, value)[:300],
                started_at=ts,
                last_value=value,
                last_at=ts,
            )
    except IntegrityError:
        alarm = Alarm.objects.get(rule=rule, sensor=sensor, status=AlarmStatus.ACTIVE)
        alarm.repeat_count += 1
        alarm.last_value, alarm.last_at = value, ts
        alarm.save(update_fields=["repeat_count", "last_value", "last_at"])
        return alarm
    audit.record_create(actor, alarm)
    transaction.on_commit(lambda: notify_raise(alarm.pk))
    return alarm


def clear_alarm(alarm, *, actor, note, now):
    before = audit.snapshot(alarm)
    alarm.status = AlarmStatus.CLEARED
    alarm.cleared_at = now
    alarm.cleared_by = as_actor(actor).human
    alarm.clear_note = note
    alarm.save(update_fields=["status", "cleared_at", "cleared_by", "clear_note"])
    audit.record(actor, "transition", alarm, changes=audit.diff(before, audit.snapshot(alarm)))
    transaction.on_commit(lambda: notify_clear(alarm.pk))


def prepare_process() -> None:
    """For a listener process (sl651 serve, mqtt), at start-up: load what its first alarm would otherwise
    load while a station waits for its confirmation — the URL configuration `alarm_url` and the actions'
    links need (every view module, DRF, the API schema: 2–4 s on a small machine, docs/benchmarks.md).

    Then what is loaded by now (Django, every module: the process's long-lived heap) is frozen out of the
    garbage collector's sight. A listener allocates thousands of short-lived objects a second, and each
    full collection walked that whole heap again: 15–20 % of an HJ 212 worker's CPU per packet
    (`python bench/hj212_inprocess.py --gc freeze`, measured in-process on a busy machine)."""
    from django.urls import get_resolver

    get_resolver().reverse_dict  # noqa: B018  (populating it is the point)
    gc.collect()
    gc.freeze()


def alarm_url(alarm) -> str:
    return reverse("iot:alarm_detail", args=[alarm.pk])


def notify_raise(alarm_id):
    """After commit: tell the responsible people, then run the rule's actions (other modules)."""
    from shuxiang.core.services import notify
    from shuxiang.iot.actions import run_actions
    from shuxiang.iot.models import Alarm
    from shuxiang.iot.services import responsible_users

    alarm = Alarm.objects.select_related("rule", "sensor__device__place").filter(pk=alarm_id).first()
    if alarm is None:
        return
    label = Severity(alarm.severity).label
    notify(
        responsible_users(alarm.sensor.device),
        title=f"【{label}告警】{alarm.message}",
        body=f"开始时间：{alarm.started_at:%Y-%m-%d %H:%M} UTC",
        url=alarm_url(alarm),
        kind="alarm",
    )
    if alarm.rule.actions:
        run_actions(alarm, alarm.rule.actions, alarm.rule.action_config)


def notify_clear(alarm_id):
    """After commit: the rule's actions that follow alarms to their end hear that this one is cleared."""
    from shuxiang.iot.actions import run_clear_actions
    from shuxiang.iot.models import Alarm

    alarm = Alarm.objects.select_related("rule", "sensor__device__place").filter(pk=alarm_id).first()
    if alarm is not None and alarm.rule.actions:
        run_clear_actions(alarm, alarm.rule.actions, alarm.rule.action_config)


def notify_escalation(alarm):
    from shuxiang.core.services import notify
    from shuxiang.iot.services import escalation_users

    notify(
        escalation_users(alarm.sensor.device),
        title=f"【告警升级】{alarm.rule.escalate_after_minutes} 分钟未确认：{alarm.message}",
        url=alarm_url(alarm),
        kind="alarm",
    )


def check_no_data(now, *, actor) -> int:
    from shuxiang.iot.models import Alarm, AlarmRule, Sensor

    raised = 0
    for rule in AlarmRule.objects.filter(is_active=True, kind=RuleKind.NO_DATA).select_related("place"):
        cutoff = now - timedelta(minutes=rule.duration_minutes)
        sensors = Sensor.objects.filter(
            key=rule.key, status=SensorStatus.ACTIVE, device__is_active=True, device__created_at__lt=cutoff
        )
        if rule.device_id:
            sensors = sensors.filter(device_id=rule.device_id)
        else:
            sensors = sensors.filter(device__place__path__startswith=rule.place.path)
        silent = sensors.filter(last_ts__lt=cutoff) | sensors.filter(last_ts__isnull=True)
        already = set(
            Alarm.objects.filter(rule=rule, status=AlarmStatus.ACTIVE).values_list("sensor_id", flat=True)
        )
        for sensor in silent.exclude(pk__in=already):
            with transaction.atomic():
                raise_alarm(rule, sensor.pk, sensor.last_value, now, actor)
            raised += 1
    return raised
