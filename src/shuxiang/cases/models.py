"""The case engine's data: categories with deadlines, the routing table, cases and their timeline.

A case is "something reported that a unit must handle by a deadline": a
resident's complaint about rubbish or a broken road, a 12315 food-safety
complaint, a grid event, a plan assignment (交办). Apps give cases a type
(cases.registry) and follow them through cases.signals; the lifecycle and
the write path (cases.services) are shared.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from shuxiang.cases.choices import (
    FINISHED_STATES,
    OPEN_STATES,
    STATE_TAG,
    CaseAction,
    CaseState,
    Channel,
    DeadlineUnit,
    Priority,
)
from shuxiang.core.pii import EncryptedTextField, mask_phone
from shuxiang.core.scope import ScopedQuerySet, declare_unscoped, scoped


class CaseCategory(models.Model):
    """A kind of problem residents and apps report (垃圾堆放, 道路破损, 食品安全…), with its deadlines.

    The deadline to resolve is counted in working hours or calendar days from
    submission; not accepted within `accept_hours` (calendar hours) escalates.
    Categories are district-wide reference data, the same for every region.
    """

    code = models.SlugField("代码", max_length=40, unique=True)
    name = models.CharField("名称", max_length=50)
    description = models.CharField("说明", max_length=200, blank=True)
    group = models.CharField("分组", max_length=30, blank=True)
    case_type = models.CharField("事件类型", max_length=40, default="complaint")
    is_public = models.BooleanField(
        "群众可报", default=True, help_text="出现在群众报事页面和 Open311 服务列表"
    )
    is_sensitive = models.BooleanField(
        "敏感", default=False, help_text="敏感类别的事件不在公开地图和列表中出现，照片不公开"
    )
    deadline_amount = models.PositiveIntegerField("办理时限", default=5)
    deadline_unit = models.CharField(
        "时限单位", max_length=16, choices=DeadlineUnit.choices, default=DeadlineUnit.CALENDAR_DAYS
    )
    accept_hours = models.PositiveIntegerField("受理时限（小时）", default=24)
    order = models.PositiveSmallIntegerField("排序", default=100)
    is_active = models.BooleanField("启用", default=True)

    class Meta:
        verbose_name = "事件类别"
        verbose_name_plural = "事件类别"
        ordering = ["order", "code"]
        constraints = [
            models.CheckConstraint(
                condition=Q(deadline_amount__gt=0),
                name="case_category_deadline_positive",
                violation_error_message="办理时限必须大于0",
            )
        ]

    def __str__(self):
        return self.name

    @property
    def deadline_label(self):
        return f"{self.deadline_amount}{self.get_deadline_unit_display()}"


declare_unscoped(CaseCategory, "全区统一的参考数据，不分区域；修改需要 case.configure 权限")


@scoped("place")
class RoutingRule(models.Model):
    """A line of the routing table: cases of `category` (any when empty) in `place`'s subtree go to `unit`.

    The most specific line wins: the deepest place, then a named category over
    "any". The unit may be a company (water utility, carrier). The grid worker
    of the case's village is added to every case whatever the rule says,
    unless `notify_grid` is off.
    """

    category = models.ForeignKey(
        CaseCategory,
        verbose_name="类别",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="rules",
    )
    place = models.ForeignKey("core.Place", verbose_name="区划", on_delete=models.PROTECT, related_name="+")
    unit = models.ForeignKey("core.Unit", verbose_name="责任单位", on_delete=models.PROTECT, related_name="+")
    notify_grid = models.BooleanField("同时派给网格员", default=True)
    note = models.CharField("备注", max_length=200, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = "分派规则"
        verbose_name_plural = "分派规则"
        ordering = ["place__code", "category__order"]
        constraints = [
            models.UniqueConstraint(
                fields=["category", "place"],
                name="routing_rule_unique",
                violation_error_message="该区划已有此类别的分派规则",
            ),
            models.UniqueConstraint(
                fields=["place"],
                condition=Q(category__isnull=True),
                name="routing_rule_any_unique",
                violation_error_message="该区划已有“全部类别”的分派规则",
            ),
        ]

    def __str__(self):
        return f"{self.place} · {self.category or '全部类别'} → {self.unit}"


class WorkCalendarDay(models.Model):
    """An exception to the Monday–Friday working week: a public holiday, or a weekend made a working day (调休)."""

    date = models.DateField("日期", unique=True)
    is_workday = models.BooleanField("是否上班")
    name = models.CharField("说明", max_length=50, blank=True)

    class Meta:
        verbose_name = "工作日历"
        verbose_name_plural = "工作日历"
        ordering = ["date"]

    def __str__(self):
        return f"{self.date} {'上班' if self.is_workday else '休息'} {self.name}"


declare_unscoped(WorkCalendarDay, "全区统一的工作日历，只用于计算办理时限")


class CaseQuerySet(ScopedQuerySet):
    def open(self):
        return self.filter(state__in=OPEN_STATES)

    def finished(self):
        return self.filter(state__in=FINISHED_STATES)

    def public(self):
        """What anyone may see on the public map and list."""
        return self.filter(is_public=True)

    def overdue(self, now=None):
        return self.open().filter(deadline__lt=now or timezone.now())

    def for_queue(self, user):
        """The cases that wait for this user's action: their own, their unit's, or those they may dispatch
        (a dispatcher's whole region; a grant limited by a constraint, only the cases it matches)."""
        from shuxiang.core.permissions import grant_filter

        qs = self.restrict(user).open()
        dispatchable = grant_filter(user, "cases.case", "dispatch")
        if dispatchable is not None and not dispatchable:  # Q(): every case in the region
            return qs
        mine = Q(assignee=user) | Q(grid_worker=user)
        if user.unit_id:
            mine |= Q(unit_id=user.unit_id)
        if dispatchable is not None:
            mine |= dispatchable
        return qs.filter(mine)


@scoped("place")
class Case(models.Model):
    """One reported problem or assigned task, from submission to confirmation, with a deadline.

    `tracking_number` is what the reporter quotes; the reporter's own actions
    (add information, confirm, reopen, rate) need the secret key given at
    submission, stored only as a digest. The reporter's phone is ciphertext
    (`phone`, masked on output, revealed through core.services.do_reveal).
    """

    tracking_number = models.CharField("受理编号", max_length=20, unique=True)
    case_type = models.CharField("事件类型", max_length=40, default="complaint", db_index=True)
    category = models.ForeignKey(
        CaseCategory,
        verbose_name="类别",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="cases",
    )
    title = models.CharField("标题", max_length=100)
    description = models.TextField("问题描述", blank=True)
    place = models.ForeignKey("core.Place", verbose_name="区划", on_delete=models.PROTECT, related_name="+")
    latitude = models.FloatField("纬度", null=True, blank=True)
    longitude = models.FloatField("经度", null=True, blank=True)
    address = models.CharField("地址", max_length=200, blank=True)
    state = models.CharField("状态", max_length=16, choices=CaseState.choices, default=CaseState.SUBMITTED)
    priority = models.CharField("紧急程度", max_length=10, choices=Priority.choices, default=Priority.NORMAL)
    channel = models.CharField("来源渠道", max_length=10, choices=Channel.choices, default=Channel.WEB)
    is_public = models.BooleanField("公开", default=True, help_text="在公开地图和列表中出现（不含个人信息）")

    reporter_name = models.CharField("反映人", max_length=50, blank=True)
    phone = EncryptedTextField("联系电话", blank=True)
    phone_digest = models.CharField(max_length=64, blank=True, db_index=True, editable=False)
    person = models.ForeignKey(
        "core.Person",
        verbose_name="反映人档案",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    reporter_key_digest = models.CharField(max_length=64, blank=True, editable=False)

    unit = models.ForeignKey(
        "core.Unit",
        verbose_name="责任单位",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="cases",
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="承办人",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="assigned_cases",
    )
    grid_worker = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="网格员",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="grid_cases",
    )
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="登记人",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    accept_deadline = models.DateTimeField("受理时限", null=True, blank=True)
    deadline = models.DateTimeField("办理时限", null=True, blank=True, db_index=True)
    accepted_at = models.DateTimeField("受理时间", null=True, blank=True)
    dispatched_at = models.DateTimeField("派单时间", null=True, blank=True)
    resolved_at = models.DateTimeField("办结时间", null=True, blank=True)
    closed_at = models.DateTimeField("关闭时间", null=True, blank=True)
    is_overdue = models.BooleanField("超期", default=False)
    accept_overdue = models.BooleanField("超时未受理", default=False)
    escalation_level = models.PositiveSmallIntegerField("督办级别", default=0)
    escalated_to = models.ForeignKey(
        "core.Place",
        verbose_name="督办层级",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    escalated_at = models.DateTimeField("升级时间", null=True, blank=True)
    reopen_count = models.PositiveSmallIntegerField("重办次数", default=0)
    rating = models.PositiveSmallIntegerField("满意度", null=True, blank=True)
    rating_comment = models.CharField("评价意见", max_length=300, blank=True)
    status_notes = models.CharField("进展说明", max_length=300, blank=True)
    media_url = models.URLField(
        "外部图片链接", max_length=500, blank=True, help_text="Open311 提交的 media_url，仅记录不抓取"
    )

    extra = models.JSONField("扩展字段", default=dict, blank=True)
    source_ref = models.CharField("来源对象", max_length=80, blank=True, db_index=True)
    submission_key = models.CharField(max_length=80, null=True, blank=True, unique=True, editable=False)
    client_digest = models.CharField(
        max_length=64, blank=True, editable=False, help_text="匿名提交者地址的摘要，用于限流"
    )
    created_at = models.DateTimeField("提交时间", default=timezone.now, db_index=True)
    updated_at = models.DateTimeField("更新时间", auto_now=True)

    objects = CaseQuerySet.as_manager()

    class Meta:
        verbose_name = "事件"
        verbose_name_plural = "事件"
        ordering = ["-created_at", "-id"]
        indexes = [
            # The queues poll open cases by deadline (optionally one category): partial indexes keep them small.
            models.Index(fields=["deadline"], condition=Q(state__in=OPEN_STATES), name="case_open_deadline"),
            models.Index(
                fields=["category", "deadline"],
                condition=Q(state__in=OPEN_STATES),
                name="case_open_category_deadline",
            ),
            # Counting a township's open cases: one probe per place of the township instead of a heap scan.
            models.Index(
                fields=["place", "category"], condition=Q(state__in=OPEN_STATES), name="case_open_place"
            ),
            models.Index(fields=["unit", "state", "deadline"], name="case_unit_queue"),
            models.Index(fields=["client_digest", "created_at"], name="case_client_recent"),
            models.Index(
                fields=["is_public", "-created_at"], condition=Q(is_public=True), name="case_public_recent"
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(rating__isnull=True) | Q(rating__gte=1, rating__lte=5),
                name="case_rating_1_to_5",
                violation_error_message="评价应为1–5分",
            ),
            models.CheckConstraint(
                condition=Q(state__in=CaseState.values),
                name="case_state_valid",
                violation_error_message="状态无效",
            ),
        ]

    def __str__(self):
        return f"{self.tracking_number} {self.title}"

    @property
    def is_open(self):
        return self.state in OPEN_STATES

    @property
    def state_tag(self):
        return STATE_TAG.get(self.state, "")

    @property
    def phone_masked(self):
        return mask_phone(self.phone)

    @property
    def overdue_now(self):
        return self.is_open and self.deadline is not None and self.deadline < timezone.now()

    @property
    def type_label(self):
        from shuxiang.cases.registry import get_type

        case_type = get_type(self.case_type, default=None)
        return case_type.label if case_type else self.case_type


@scoped("case__place")
class CaseEvent(models.Model):
    """One line of a case's timeline: who did what, from which state to which, and why.

    Public events (`is_public`) are shown to the reporter and on the public
    page; internal notes are staff-only. The audit log holds the same change.
    """

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="events")
    action = models.CharField("动作", max_length=12, choices=CaseAction.choices)
    from_state = models.CharField("原状态", max_length=16, choices=CaseState.choices, blank=True)
    to_state = models.CharField("新状态", max_length=16, choices=CaseState.choices, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="操作人", null=True, blank=True, on_delete=models.SET_NULL
    )
    actor_label = models.CharField("操作人", max_length=100)
    note = models.TextField("说明", blank=True)
    is_public = models.BooleanField("对群众公开", default=True)
    unit = models.ForeignKey(
        "core.Unit", verbose_name="单位", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    data = models.JSONField(default=dict, blank=True)
    at = models.DateTimeField("时间", default=timezone.now)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = "办理记录"
        verbose_name_plural = "办理记录"
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["case", "at"], name="case_event_timeline")]

    def __str__(self):
        return f"{self.case.tracking_number} {self.get_action_display()}"

    @property
    def attachment_ids(self):
        return self.data.get("attachments", [])


class Open311Key(models.Model):
    """A key an outside Open311 client (a county app, a hotline's system) posts requests with.

    Open311 puts `api_key` in the query string, so it ends up in access logs and proxies; a user's
    API token there would hand out that user's whole account. An Open311 key can only post
    requests: it reads nothing beyond the public view, and revoking it touches no account. `name`
    is a free label for the client, not a user. Only the keyed digest is kept; the key is shown
    once, by `shuxiang open311 key NAME`.
    """

    name = models.CharField("客户端名称", max_length=100)
    key_digest = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField("签发时间", auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="签发人",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    revoked_at = models.DateTimeField("吊销时间", null=True, blank=True)
    last_used_at = models.DateTimeField("最近使用", null=True, blank=True)

    class Meta:
        verbose_name = "Open311 密钥"
        verbose_name_plural = "Open311 密钥"
        ordering = ["name", "-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["name"],
                condition=Q(revoked_at__isnull=True),
                name="open311_key_one_active_per_name",
                violation_error_message="该客户端已有有效的 Open311 密钥",
            )
        ]

    def __str__(self):
        return f"Open311 密钥：{self.name}"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None


declare_unscoped(Open311Key, "外部 Open311 客户端的凭据，只经 shuxiang open311 命令签发和吊销，只保存摘要")
