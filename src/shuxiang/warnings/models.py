"""Warnings (CAP 1.2 messages) the county issues, the loudspeaker endpoints they go to,
and one delivery per (message, endpoint) with its attempts and receipt."""

from django.conf import settings
from django.db import models
from django.db.models import Exists, OuterRef, Q

from shuxiang.core.permissions import grant_filter, has_perm, in_domain
from shuxiang.core.scope import ScopedQuerySet, declare_unscoped, scoped, user_scope_path
from shuxiang.warnings.choices import (
    COLOUR_LEVEL,
    COLOUR_SEVERITY,
    Adapter,
    CapCategory,
    CapStatus,
    Certainty,
    Colour,
    DeliveryStatus,
    MsgType,
    Urgency,
    WarningStatus,
)


class SignalType(models.Model):
    """A kind of warning the county issues: the 14 national meteorological signals (暴雨, 高温 …)
    and local emergency kinds (水库险情, 山洪 …), with the colours each may take and the
    defence guide (防御指南) per colour that pre-fills the instruction. Rows, not code, so a
    province's local signals are added without a release."""

    code = models.SlugField("代码", max_length=40, unique=True)
    name = models.CharField("名称", max_length=40)
    category = models.CharField("CAP 类别", max_length=12, choices=CapCategory.choices, default="Met")
    colours = models.JSONField("可用颜色", default=list, help_text='由低到高，如 ["blue", "yellow"]')
    guides = models.JSONField("防御指南", default=dict, blank=True, help_text="颜色 → 防御指南文本")
    order = models.PositiveSmallIntegerField("排序", default=100)
    is_active = models.BooleanField("启用", default=True)

    class Meta:
        verbose_name = "预警信号类型"
        verbose_name_plural = "预警信号类型"
        ordering = ["order", "code"]

    def __str__(self):
        return self.name

    def allows(self, colour) -> bool:
        return colour in self.colours


declare_unscoped(SignalType, "national reference data, the same for every region")


def actor_label_display(label: str) -> str:
    """An audit label ("system:water", "device:X", a username) as a page shows it, in Chinese: the
    person's name for a username (the issuer showed as "（weather）"), 系统·… for a machine."""
    from shuxiang.core.formats import who

    return who(label)


def waiting_label(minutes) -> str:
    """ "42 分钟", "2 小时 5 分钟": a wait as people say it."""
    hours, minutes = divmod(max(int(minutes), 0), 60)
    if not hours:
        return f"{minutes} 分钟"
    return f"{hours} 小时" + (f" {minutes} 分钟" if minutes else "")


class WarningQuerySet(ScopedQuerySet):
    def restrict(self, user, action: str = "view"):
        """The warnings the actor's grants allow for `action`, and of those: a published warning for
        everyone whose region overlaps one of its target areas — a township officer sees the
        district-wide rainstorm warning, and the one for two of their villages; drafts and warnings
        waiting for approval only for those who write or approve warnings (department users: of a
        unit with the warnings duty), over the coverage root. Machines see every warning."""
        allowed = grant_filter(user, "warnings.warning", action)
        if allowed is None:
            return self.none()
        qs = self.filter(pk__in=self.model._default_manager.filter(allowed).values("pk")) if allowed else self
        path = user_scope_path(user)
        if path is None:
            return self.none()
        if path == "":
            return qs
        parts = [p for p in path.split("/") if p]
        ancestors = ["/" + "/".join(parts[: i + 1]) + "/" for i in range(len(parts))]
        overlapping = WarningArea.objects.filter(warning=OuterRef("pk")).filter(
            Q(place__path__startswith=path) | Q(place__path__in=ancestors)
        )
        published = Q(status__in=["issued", "updated", "cancelled"]) & Exists(overlapping)
        works_on_drafts = (
            has_perm(user, "warnings.warning.add") or has_perm(user, "warnings.warning.approve")
        ) and in_domain(user, "warnings")
        if not works_on_drafts:
            return qs.filter(published)
        return qs.filter(Q(place__path__startswith=path) | published)


@scoped("place")
class Warning(models.Model):
    """One CAP message: a warning (Alert), or an Update / Cancel referring to an earlier one.

    `place` is the lowest place covering every target area; `areas` are the targeted
    townships and villages. The identifier is given when the message is issued, in the
    national format (GB/T 35965.1: region + sector + sub-unit + ext _ Beijing time _ seq).
    """

    identifier = models.CharField("标识符", max_length=120, blank=True, db_index=True)
    sender = models.CharField("发送方代码", max_length=120, blank=True)
    sender_name = models.CharField("发布单位", max_length=100, blank=True)
    unit = models.ForeignKey(
        "core.Unit",
        verbose_name="发布单位",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    signal_type = models.ForeignKey(SignalType, verbose_name="信号类型", on_delete=models.PROTECT)
    colour = models.CharField("颜色", max_length=8, choices=Colour.choices)
    msg_type = models.CharField("消息类型", max_length=8, choices=MsgType.choices, default=MsgType.ALERT)
    cap_status = models.CharField("CAP 状态", max_length=10, choices=CapStatus.choices, default="Actual")
    status = models.CharField(
        "状态", max_length=10, choices=WarningStatus.choices, default=WarningStatus.DRAFT, db_index=True
    )
    urgency = models.CharField("紧迫程度", max_length=10, choices=Urgency.choices, default="Expected")
    certainty = models.CharField("确定程度", max_length=10, choices=Certainty.choices, default="Likely")
    headline = models.CharField("标题", max_length=200)
    description = models.TextField("内容")
    instruction = models.TextField("防御指南", blank=True)
    effective = models.DateTimeField("生效时间")
    onset = models.DateTimeField("开始时间", null=True, blank=True)
    expires = models.DateTimeField("失效时间")
    references = models.ForeignKey(
        "self",
        verbose_name="所指原预警",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="followups",
    )
    place = models.ForeignKey(
        "core.Place", verbose_name="覆盖范围", on_delete=models.PROTECT, related_name="+"
    )
    areas = models.ManyToManyField(
        "core.Place", verbose_name="目标区域", through="WarningArea", related_name="targeting_warnings"
    )
    polygons = models.JSONField("多边形区域", default=list, blank=True)
    source = models.CharField("来源", max_length=100, blank=True)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="编写人",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    author_label = models.CharField("编写方", max_length=100, blank=True)
    approver = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="审批人",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    approved_at = models.DateTimeField("审批时间", null=True, blank=True)
    review_note = models.CharField("审批意见", max_length=300, blank=True)
    # When it last entered the approval queue, and when its wait was handed up (services.
    # do_escalate_waiting_warnings): a machine's warning nobody approves does not wait unseen.
    submitted_at = models.DateTimeField("提交审批时间", null=True, blank=True)
    escalated_at = models.DateTimeField("审批超时升级时间", null=True, blank=True)
    issued_by = models.CharField("发布人", max_length=100, blank=True)
    issued_at = models.DateTimeField("发布时间", null=True, blank=True, db_index=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = WarningQuerySet.as_manager()

    class Meta:
        verbose_name = "预警信息"
        verbose_name_plural = "预警信息"
        ordering = ["-issued_at", "-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["identifier"],
                condition=~Q(identifier=""),
                name="warning_identifier_unique",
                violation_error_message="预警标识符重复",
            ),
            models.CheckConstraint(
                condition=Q(expires__gt=models.F("effective")),
                name="warning_expires_after_effective",
                violation_error_message="失效时间应晚于生效时间",
            ),
            models.CheckConstraint(
                condition=Q(msg_type="Alert") | Q(references__isnull=False),
                name="warning_followup_references",
                violation_error_message="更新或解除必须指向原预警",
            ),
        ]

    def __str__(self):
        return self.title

    @property
    def title(self):
        prefix = {"Update": "【更新】", "Cancel": "【解除】"}.get(self.msg_type, "")
        return f"{prefix}{self.signal_name}预警"

    @property
    def signal_name(self):
        """ "暴雨红色" — the signal as people say it."""
        return f"{self.signal_type.name}{self.get_colour_display()}"

    @property
    def severity(self):
        return COLOUR_SEVERITY[self.colour]

    @property
    def level_label(self):
        return COLOUR_LEVEL[self.colour]

    @property
    def author_display(self) -> str:
        """Who wrote it, as people read it: the person, or "系统（水利告警联动）" for a machine."""
        return str(self.author) if self.author_id else actor_label_display(self.author_label)

    @property
    def issuer_display(self) -> str:
        return actor_label_display(self.issued_by)

    @property
    def waiting_text(self) -> str:
        minutes = self.waiting_minutes
        return "" if minutes is None else waiting_label(minutes)

    @property
    def waiting_minutes(self) -> int | None:
        """How long it has been waiting for approval, in whole minutes (None when not waiting)."""
        from django.utils import timezone

        if self.status != WarningStatus.PENDING or self.submitted_at is None:
            return None
        return int((timezone.now() - self.submitted_at).total_seconds() // 60)

    @property
    def needs_approval(self):
        from shuxiang.warnings.choices import APPROVAL_REQUIRED

        return self.colour in APPROVAL_REQUIRED and self.msg_type != MsgType.CANCEL

    @property
    def loudspeaker_text(self):
        """What a village loudspeaker reads out."""
        parts = [f"{self.sender_name or '预警发布单位'}发布{self.signal_name}预警：{self.headline}。"]
        if self.msg_type == MsgType.CANCEL:
            parts = [f"{self.sender_name or '预警发布单位'}解除{self.signal_name}预警。{self.headline}。"]
        parts.append(self.description)
        if self.instruction:
            parts.append("防御指南：" + self.instruction)
        return "".join(p if p.endswith(("。", "！", "；")) else p + "。" for p in parts if p)

    def chain(self):
        """This message and every earlier one it refers to, newest first."""
        node, seen = self, []
        while node is not None and node.pk not in {n.pk for n in seen}:
            seen.append(node)
            node = node.references
        return seen


class WarningArea(models.Model):
    """One target area of a warning: a township, village (or the whole district)."""

    warning = models.ForeignKey(Warning, on_delete=models.CASCADE, related_name="area_links")
    place = models.ForeignKey("core.Place", on_delete=models.PROTECT, related_name="+")

    class Meta:
        verbose_name = "预警目标区域"
        verbose_name_plural = "预警目标区域"
        constraints = [
            models.UniqueConstraint(
                fields=["warning", "place"],
                name="warning_area_unique",
                violation_error_message="目标区域重复",
            )
        ]

    def __str__(self):
        return f"{self.warning_id} → {self.place_id}"


declare_unscoped(WarningArea, "read only through its warning, which is scoped")


@scoped("place")
class Endpoint(models.Model):
    """A broadcast endpoint (村村响 / 应急广播终端): a village loudspeaker gateway or an
    emergency-broadcast adapter, reached by HTTP POST, an MQTT topic, or a file drop."""

    name = models.CharField("名称", max_length=100)
    place = models.ForeignKey(
        "core.Place", verbose_name="所在区划", on_delete=models.PROTECT, related_name="+"
    )
    adapter = models.CharField("接入方式", max_length=8, choices=Adapter.choices)
    url = models.CharField("推送地址", max_length=300, blank=True)
    topic = models.CharField("MQTT 主题", max_length=200, blank=True)
    directory = models.CharField("投递目录", max_length=200, blank=True, help_text="相对于投递根目录")
    is_active = models.BooleanField("启用", default=True)
    note = models.CharField("备注", max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = "广播终端"
        verbose_name_plural = "广播终端"
        ordering = ["place__code", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["place", "name"],
                name="endpoint_name_unique",
                violation_error_message="该区划已有同名终端",
            )
        ]

    def __str__(self):
        return self.name

    @property
    def address(self):
        return {"http": self.url, "mqtt": self.topic, "file": self.directory}.get(self.adapter, "")


@scoped("endpoint__place")
class Delivery(models.Model):
    """One message owed to one endpoint: its attempts, the last error, and the endpoint's receipt."""

    warning = models.ForeignKey(Warning, on_delete=models.CASCADE, related_name="deliveries")
    endpoint = models.ForeignKey(Endpoint, on_delete=models.PROTECT, related_name="deliveries")
    status = models.CharField(
        "状态", max_length=10, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING
    )
    attempts = models.PositiveSmallIntegerField("尝试次数", default=0)
    next_attempt_at = models.DateTimeField("下次尝试", null=True, blank=True)
    claimed_by = models.CharField(max_length=80, blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField("最近错误", max_length=300, blank=True)
    delivered_at = models.DateTimeField("送达时间", null=True, blank=True)
    receipt_at = models.DateTimeField("回执时间", null=True, blank=True)
    receipt_note = models.CharField("回执说明", max_length=300, blank=True)
    token = models.CharField(max_length=32, unique=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = "送达记录"
        verbose_name_plural = "送达记录"
        ordering = ["endpoint__place__code", "endpoint__name"]
        constraints = [
            models.UniqueConstraint(
                fields=["warning", "endpoint"],
                name="delivery_once_per_endpoint",
                violation_error_message="同一预警对同一终端只有一条送达记录",
            )
        ]
        indexes = [
            # the queue the dispatcher polls
            models.Index(
                fields=["warning", "next_attempt_at"],
                condition=Q(status__in=["pending", "sending"]),
                name="delivery_open_idx",
            )
        ]

    def __str__(self):
        return f"{self.endpoint} · {self.get_status_display()}"

    @property
    def status_tag(self):
        from shuxiang.warnings.choices import DELIVERY_TAG

        return DELIVERY_TAG.get(self.status, "")
