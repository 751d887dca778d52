"""Telemetry: the devices in the field, what they measure, and what they reported.

A reading's walk: a front end (HTTP, MQTT, SL 651) parses → `services.ingest`
validates against the registry, stores in one batch (duplicates ignored) and
evaluates the alarm rules → alarms notify the responsible people and run the
rule's actions. Domain apps (water, livestock, fishery…) own the meaning of a
device (a reservoir's RTU); this engine only knows devices, sensors, readings.
"""

from datetime import timedelta

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from shuxiang.core.pii import EncryptedTextField
from shuxiang.core.scope import ScopedQuerySet, declare_unscoped, scoped
from shuxiang.iot import conf
from shuxiang.iot.choices import (
    AlarmStatus,
    BrokerState,
    Protocol,
    RejectReason,
    RuleKind,
    SensorStatus,
    Severity,
    Sl651CommandStatus,
)


@scoped("place")
class Device(models.Model):
    """A thing in the field that reports: a reservoir RTU, a pump controller, a barn sensor box.

    Its credentials are its own: an HTTP token (kept only as a keyed digest), MQTT
    broker credentials for its own topic, or an SL 651 address and password. A
    device credential authenticates telemetry and nothing else.
    """

    code = models.CharField("设备编码", max_length=40, unique=True, help_text="SL 651 遥测站为 10 位测站地址")
    name = models.CharField("名称", max_length=100)
    protocol = models.CharField("接入方式", max_length=8, choices=Protocol.choices)
    place = models.ForeignKey(
        "core.Place", verbose_name="所在区划", on_delete=models.PROTECT, related_name="devices"
    )
    owner_unit = models.ForeignKey(
        "core.Unit",
        verbose_name="管理单位",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="devices",
    )
    kind = models.CharField("设备类别", max_length=40, blank=True, help_text="如 reservoir_rtu、pump")
    token_digest = models.CharField(max_length=64, unique=True, editable=False)
    mqtt_password_digest = models.CharField(max_length=64, blank=True, editable=False)
    sl651_password = models.CharField(
        "SL 651 密码", max_length=4, blank=True, help_text="4 位十六进制，空表示不校验"
    )
    hj212_password_digest = models.CharField(max_length=64, blank=True, editable=False)
    is_active = models.BooleanField("启用", default=True)
    learning = models.BooleanField(
        "学习模式",
        default=False,
        help_text="开启后，设备上报的未登记要素作为待审核传感器入库（不参与告警），由管理员审核；关闭时一律拒收",
    )
    last_seen_at = models.DateTimeField("最后通信", null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = "设备"
        verbose_name_plural = "设备"
        ordering = ["code"]
        # The device list's 设备类别 filter offers the kinds in use: read from this index by skipping from
        # one kind to the next (iot.filtersets._kinds_in_use), not by scanning every device.
        indexes = [models.Index(fields=["kind"], name="iot_device_kind_idx")]

    def __str__(self):
        return f"{self.name}（{self.code}）"

    @property
    def is_online(self) -> bool:
        if self.last_seen_at is None:
            return False
        return timezone.now() - self.last_seen_at < timedelta(minutes=conf.OFFLINE_AFTER_MINUTES)


@scoped("device__place")
class Sensor(models.Model):
    """One quantity a device measures, under the key it reports it with (SL 651: the mnemonic, e.g. Z).

    `min_value`/`max_value` are the physically valid range: values outside are
    rejected as instrument faults, not stored. `last_value`/`last_ts` are the
    latest reading, kept by the ingestion service for maps and tables.
    A `pending` sensor was created by a device in learning mode from a key nobody registered:
    its readings are stored, but no alarm rule looks at them until an admin approves it.
    """

    device = models.ForeignKey(Device, verbose_name="设备", on_delete=models.CASCADE, related_name="sensors")
    key = models.CharField("要素", max_length=40)
    name = models.CharField("名称", max_length=60, blank=True)
    unit = models.CharField("单位", max_length=20, blank=True)
    min_value = models.FloatField("量程下限", null=True, blank=True)
    max_value = models.FloatField("量程上限", null=True, blank=True)
    status = models.CharField("状态", max_length=8, choices=SensorStatus.choices, default=SensorStatus.ACTIVE)
    last_value = models.FloatField("最新值", null=True, blank=True)
    last_ts = models.DateTimeField("最新时间", null=True, blank=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = "传感器"
        verbose_name_plural = "传感器"
        ordering = ["device_id", "key"]
        constraints = [
            models.UniqueConstraint(
                fields=["device", "key"],
                name="iot_sensor_key_unique",
                violation_error_message="同一设备的要素名不能重复",
            ),
            models.CheckConstraint(
                condition=Q(min_value__isnull=True)
                | Q(max_value__isnull=True)
                | Q(min_value__lte=models.F("max_value")),
                name="iot_sensor_range_ordered",
                violation_error_message="量程下限不能高于上限",
            ),
        ]

    def __str__(self):
        return f"{self.device.code}/{self.key}"

    @property
    def label(self):
        return self.name or self.key

    @property
    def is_pending(self) -> bool:
        return self.status == SensorStatus.PENDING


@scoped("sensor__device__place")
class Reading(models.Model):
    """One measured value at one instant. At most one row per (sensor, time): a resend is ignored."""

    pk = models.CompositePrimaryKey("sensor_id", "ts")
    # No database-level foreign key: its check runs once per inserted row and cost a third of the
    # write path (docs/benchmarks.md). Sensors are never deleted by the platform (devices are
    # deactivated); ingestion only writes ids it read from the sensor table.
    sensor = models.ForeignKey(
        Sensor, on_delete=models.CASCADE, db_index=False, db_constraint=False, related_name="+"
    )
    ts = models.DateTimeField("时间")
    value = models.FloatField("数值")

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = "读数"
        verbose_name_plural = "读数"

    def __str__(self):
        return f"{self.sensor_id}@{self.ts:%Y-%m-%d %H:%M:%S}={self.value:g}"


@scoped("device__place")
class FlaggedReading(models.Model):
    """A value its protocol marked as not valid for statistics (HJ 212 data flags F, M, D, C, T, B:
    stopped, maintenance, fault, calibration, over range, communication error). Kept and shown beside
    the readings, never averaged nor seen by alarm rules; N and S values are ordinary readings."""

    device = models.ForeignKey(Device, verbose_name="设备", on_delete=models.CASCADE, related_name="+")
    key = models.CharField("要素", max_length=40)
    ts = models.DateTimeField("时间")
    value = models.FloatField("数值")
    flag = models.CharField("数据标记", max_length=2)
    source = models.CharField("来源指令", max_length=8, blank=True, help_text="如 HJ 212 的 CN 2011")

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = "标记数据"
        verbose_name_plural = "标记数据"
        ordering = ["-ts"]
        constraints = [
            models.UniqueConstraint(fields=["device", "key", "ts"], name="iot_flagged_once_per_key_ts"),
        ]

    def __str__(self):
        return f"{self.key}@{self.ts:%Y-%m-%d %H:%M:%S}={self.value:g}({self.flag})"


class RollupPeriod(models.TextChoices):
    HOUR = "hour", "小时"
    DAY = "day", "日"


@scoped("sensor__device__place")
class Rollup(models.Model):
    """Hourly or daily summary of a sensor (UTC hours, Beijing days) for charts over months and years."""

    pk = models.CompositePrimaryKey("sensor_id", "period", "start")
    sensor = models.ForeignKey(Sensor, on_delete=models.CASCADE, db_index=False, related_name="+")
    period = models.CharField(max_length=4, choices=RollupPeriod.choices)
    start = models.DateTimeField()
    count = models.PositiveIntegerField()
    min = models.FloatField()
    max = models.FloatField()
    avg = models.FloatField()

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = "统计值"
        verbose_name_plural = "统计值"

    def __str__(self):
        return f"{self.sensor_id} {self.period} {self.start:%Y-%m-%d %H:%M}"


@scoped("device__place")
class Rejection(models.Model):
    """How many messages or values from a device were refused, per reason, and the last one's detail."""

    device = models.ForeignKey(
        Device, null=True, blank=True, on_delete=models.CASCADE, related_name="rejections"
    )
    device_code = models.CharField("设备编码", max_length=40)
    reason = models.CharField("原因", max_length=20, choices=RejectReason.choices)
    count = models.PositiveBigIntegerField("次数", default=0)
    last_at = models.DateTimeField("最近一次")
    last_detail = models.CharField("最近一次详情", max_length=300, blank=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = "拒收记录"
        verbose_name_plural = "拒收记录"
        ordering = ["-last_at"]
        constraints = [
            models.UniqueConstraint(fields=["device_code", "reason"], name="iot_rejection_unique"),
        ]

    def __str__(self):
        return f"{self.device_code} {self.get_reason_display()} ×{self.count}"


class RegistryVersion(models.Model):
    """A counter every process reads once per batch to learn that the device registry changed.

    The listeners keep devices and sensors in memory (the hot path cannot ask the database per
    message). The services that change what ingestion accepts — registering, (de)activating,
    rotating credentials, defining or approving sensors, learning mode — increment the counter in
    their own transaction; a listener that reads a new value drops its cache, so a deactivated
    device's next message is refused by every process, not only by the one that deactivated it.
    """

    name = models.CharField(max_length=40, primary_key=True)
    version = models.PositiveBigIntegerField(default=0)

    class Meta:
        verbose_name = "登记版本"
        verbose_name_plural = "登记版本"

    def __str__(self):
        return f"{self.name} v{self.version}"


declare_unscoped(RegistryVersion, "one counter the ingestion processes poll; never listed")


@scoped("place")
class AlarmRule(models.Model):
    """A condition on a sensor key that raises an alarm: data, edited by staff, not code.

    It applies to one device, or to every device under `place` reporting `key`.
    `actions` are codes registered by domain apps (iot.actions), run when an
    alarm is raised, e.g. open a case or issue a warning.
    """

    name = models.CharField("规则名称", max_length=100)
    place = models.ForeignKey(
        "core.Place", verbose_name="适用区划", on_delete=models.PROTECT, related_name="+"
    )
    device = models.ForeignKey(
        Device, verbose_name="设备", null=True, blank=True, on_delete=models.CASCADE, related_name="rules"
    )
    key = models.CharField("要素", max_length=40)
    kind = models.CharField("条件", max_length=10, choices=RuleKind.choices)
    threshold = models.FloatField("阈值", null=True, blank=True, help_text="无数据规则不用")
    duration_minutes = models.PositiveIntegerField(
        "持续分钟", default=0, help_text="条件持续满足这么久才告警；无数据规则为无数据的分钟数"
    )
    severity = models.CharField("级别", max_length=10, choices=Severity.choices, default=Severity.MAJOR)
    escalate_after_minutes = models.PositiveIntegerField(
        "未确认升级（分钟）", null=True, blank=True, help_text="空表示不升级"
    )
    auto_clear = models.BooleanField("恢复正常时自动解除", default=True)
    actions = models.JSONField("联动动作", default=list, blank=True)
    action_config = models.JSONField("联动参数", default=dict, blank=True)
    is_active = models.BooleanField("启用", default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = "告警规则"
        verbose_name_plural = "告警规则"
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind="no_data") | Q(threshold__isnull=False),
                name="iot_rule_threshold_required",
                violation_error_message="阈值类规则必须填写阈值",
            ),
        ]

    def __str__(self):
        return self.name

    def describe(self, sensor=None) -> str:
        """The condition in words; given the sensor, by its Chinese name and unit ("库水位 高于 123.11 m")."""
        from shuxiang.core.formats import reading

        name, unit = (sensor.label, sensor.unit) if sensor is not None else (self.key, "")
        if self.kind == RuleKind.NO_DATA:
            return f"{name} 连续 {self.duration_minutes} 分钟无数据"
        text = {"above": "高于", "below": "低于", "rate": "每分钟变化超过"}[self.kind]
        held = f"，持续 {self.duration_minutes} 分钟" if self.duration_minutes else ""
        return f"{name} {text} {reading(self.threshold, unit)}{held}"


@scoped("sensor__device__place")
class Alarm(models.Model):
    """A rule's condition holding on one sensor. One active alarm per rule and sensor; repeats update it."""

    rule = models.ForeignKey(AlarmRule, verbose_name="规则", on_delete=models.CASCADE, related_name="alarms")
    sensor = models.ForeignKey(Sensor, verbose_name="传感器", on_delete=models.CASCADE, related_name="alarms")
    severity = models.CharField("级别", max_length=10, choices=Severity.choices)
    status = models.CharField("状态", max_length=10, choices=AlarmStatus.choices, default=AlarmStatus.ACTIVE)
    message = models.CharField("内容", max_length=300)
    started_at = models.DateTimeField("开始时间")
    last_value = models.FloatField("最新值", null=True, blank=True)
    last_at = models.DateTimeField("最近触发")
    repeat_count = models.PositiveIntegerField("触发次数", default=1)
    acknowledged_at = models.DateTimeField("确认时间", null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    cleared_at = models.DateTimeField("解除时间", null=True, blank=True)
    cleared_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    clear_note = models.CharField("解除说明", max_length=200, blank=True)
    escalated_at = models.DateTimeField("升级时间", null=True, blank=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = "告警"
        verbose_name_plural = "告警"
        ordering = ["-started_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["rule", "sensor"],
                condition=Q(status="active"),
                name="iot_one_active_alarm_per_rule_sensor",
                violation_error_message="同一规则和传感器只能有一条未解除的告警",
            ),
        ]
        indexes = [
            models.Index(fields=["status", "-started_at"], name="iot_alarm_status_idx"),
        ]

    def __str__(self):
        return self.message

    @property
    def is_active(self):
        return self.status == AlarmStatus.ACTIVE


class RuleState(models.Model):
    """Since when a duration rule's condition has held on a sensor, so "held for N minutes" survives restarts."""

    rule = models.ForeignKey(AlarmRule, on_delete=models.CASCADE, related_name="+")
    sensor = models.ForeignKey(Sensor, on_delete=models.CASCADE, related_name="+")
    since = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["rule", "sensor"], name="iot_rulestate_unique")]

    def __str__(self):
        return f"{self.rule_id}/{self.sensor_id} since {self.since}"


declare_unscoped(RuleState, "rule engine bookkeeping; never listed")


@scoped("device__place")
class BrokerAccount(models.Model):
    """An MQTT device's account in the broker (Mosquitto's dynamic security plugin), as the platform wants it.

    Written when a device is registered, switched on or off, or given a new password, and pushed to
    the broker after commit; a broker that is down leaves it pending or failed, and the periodic task
    retries. `pending_password` is the only copy of a new password the broker has not received yet
    (encrypted; without it a failed first attempt could never be repeated) and is erased once the broker
    has it. `version` counts the changes, so a push that raced with a newer change is not taken as done.
    """

    device = models.OneToOneField(
        Device, primary_key=True, on_delete=models.CASCADE, related_name="broker_account"
    )
    state = models.CharField(
        "代理账号", max_length=8, choices=BrokerState.choices, default=BrokerState.PENDING
    )
    message = models.CharField("说明", max_length=300, blank=True)
    pending_password = EncryptedTextField(blank=True, editable=False)
    version = models.PositiveIntegerField(default=1, editable=False)
    attempts = models.PositiveIntegerField("尝试次数", default=0)
    lease_until = models.DateTimeField(null=True, blank=True, editable=False)
    synced_at = models.DateTimeField("最近写入", null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "代理账号"
        verbose_name_plural = "代理账号"
        indexes = [
            models.Index(fields=["state"], condition=~Q(state=BrokerState.OK), name="iot_brokeraccount_todo"),
        ]

    def __str__(self):
        return f"{self.device_id} {self.state}"


@scoped("device__place")
class Sl651Command(models.Model):
    """A query the centre sends to an SL 651 station (37H real-time data, 51H clock…) over its open link.

    Requested by a person (device page, API, CLI); the running `sl651 serve` process polls the
    pending ones, sends each while its station is connected and records the answer (values from
    the answer are stored like any report). One not sent within its lifetime, or not answered
    within a minute of sending, expires. Several server processes may poll: a command is claimed
    by a conditional update, so it is sent once.
    """

    device = models.ForeignKey(
        Device, verbose_name="设备", on_delete=models.CASCADE, related_name="sl651_commands"
    )
    function = models.PositiveSmallIntegerField("功能码")
    status = models.CharField(
        "状态", max_length=10, choices=Sl651CommandStatus.choices, default=Sl651CommandStatus.PENDING
    )
    serial = models.PositiveIntegerField("流水号", null=True, blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    requested_label = models.CharField("发起人", max_length=100)
    created_at = models.DateTimeField("发起时间", default=timezone.now)
    expires_at = models.DateTimeField("有效期至")
    sent_at = models.DateTimeField("发送时间", null=True, blank=True)
    answered_at = models.DateTimeField("应答时间", null=True, blank=True)
    result = models.JSONField("应答内容", default=dict, blank=True)
    detail = models.CharField("说明", max_length=300, blank=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = "SL 651 召测"
        verbose_name_plural = "SL 651 召测"
        ordering = ["-created_at"]
        indexes = [
            models.Index(
                fields=["status"],
                condition=Q(status__in=[Sl651CommandStatus.PENDING, Sl651CommandStatus.SENT]),
                name="iot_sl651command_open",
            ),
        ]

    def __str__(self):
        return f"{self.device_id} {self.function_label} {self.get_status_display()}"

    @property
    def function_label(self) -> str:
        from shuxiang.iot.sl651 import FUNCTION_NAMES

        return f"{self.function:02X}H {FUNCTION_NAMES.get(self.function, '')}".strip()
