"""The work plan as data, the registries its targets count, quarterly ledgers and the annual assessment."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from shuxiang.core.scope import ScopedQuerySet, declare_unscoped, scoped
from shuxiang.plan.choices import (
    STATUS_TAG,
    ApprovalLevel,
    EntryStatus,
    ServicePointKind,
    UnitRole,
    Verdict,
)

# --- the plan ----------------------------------------------------------------------------------


class Plan(models.Model):
    """A county's digital-village work plan (工作方案), loaded from its versioned data file."""

    code = models.SlugField("方案代码", max_length=60, unique=True)
    title = models.CharField("标题", max_length=200)
    subtitle = models.CharField("副标题", max_length=200, blank=True)
    version = models.CharField("版本", max_length=60)
    district = models.ForeignKey(
        "core.Place", verbose_name="区县", on_delete=models.PROTECT, related_name="+"
    )
    start_year = models.PositiveSmallIntegerField("起始年度")
    end_year = models.PositiveSmallIntegerField("目标年度")
    preamble = models.TextField("前言", blank=True)
    source_sha256 = models.CharField("文件摘要", max_length=64)
    loaded_at = models.DateTimeField("载入时间", default=timezone.now)

    class Meta:
        verbose_name = "工作方案"
        verbose_name_plural = "工作方案"
        ordering = ["-loaded_at"]

    def __str__(self):
        return self.title


class Section(models.Model):
    """A part of the plan: 一、行动目标; 二、重点任务 and its groups (一)…(九); 三、保障措施."""

    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="sections")
    code = models.CharField("编号", max_length=10)
    title = models.CharField("标题", max_length=100)
    text = models.TextField("正文", blank=True)
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.CASCADE, related_name="children"
    )
    order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        verbose_name = "方案章节"
        verbose_name_plural = "方案章节"
        ordering = ["plan", "order"]
        constraints = [
            models.UniqueConstraint(
                fields=["plan", "code"], name="section_code_unique", violation_error_message="章节编号重复"
            )
        ]

    def __str__(self):
        return f"{self.code} {self.title}"


class Task(models.Model):
    """A key task (重点任务) with its lead and responsible units, indicators and targets."""

    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="tasks")
    section = models.ForeignKey(
        Section, verbose_name="所属章节", on_delete=models.PROTECT, related_name="tasks"
    )
    number = models.PositiveSmallIntegerField("任务序号")
    seed_number = models.PositiveSmallIntegerField("原文编号", help_text="原文的编号（原文两个任务都编为15）")
    title = models.CharField("任务", max_length=100)
    text = models.TextField("原文")
    all_townships = models.BooleanField("各乡镇、街道、园区负责", default=True)
    village_reporting = models.BooleanField("村级填报台账", default=False)
    indicators = models.ManyToManyField("indicators.Indicator", blank=True, related_name="tasks")

    class Meta:
        verbose_name = "重点任务"
        verbose_name_plural = "重点任务"
        ordering = ["plan", "number"]
        constraints = [
            models.UniqueConstraint(
                fields=["plan", "number"], name="task_number_unique", violation_error_message="任务序号重复"
            )
        ]

    def __str__(self):
        return f"{self.number}. {self.title}"

    @property
    def data_set(self) -> str:
        """The validation-rule form code of this task's ledger."""
        return f"task:{self.number}"


class TaskUnit(models.Model):
    """A unit named in a task's parenthesis, as lead (牵头) or responsible (责任), in the plan's order."""

    task = models.ForeignKey(Task, on_delete=models.CASCADE, related_name="task_units")
    unit = models.ForeignKey("core.Unit", on_delete=models.PROTECT, related_name="plan_tasks")
    role = models.CharField("角色", max_length=12, choices=UnitRole.choices)
    label = models.CharField("原文写法", max_length=60)
    order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        verbose_name = "任务单位"
        verbose_name_plural = "任务单位"
        ordering = ["task", "role", "order"]
        constraints = [
            models.UniqueConstraint(
                fields=["task", "unit", "role"], name="task_unit_unique", violation_error_message="单位重复"
            )
        ]

    def __str__(self):
        return f"{self.task.number} {self.get_role_display()} {self.label}"


class PlanTarget(models.Model):
    """A quantified target as the plan words it ("自然村光纤通达率达到100%"), tied to an indicator."""

    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="targets")
    section = models.ForeignKey(
        Section, null=True, blank=True, on_delete=models.CASCADE, related_name="targets"
    )
    task = models.ForeignKey(Task, null=True, blank=True, on_delete=models.CASCADE, related_name="targets")
    indicator = models.ForeignKey(
        "indicators.Indicator", null=True, blank=True, on_delete=models.PROTECT, related_name="plan_targets"
    )
    quote = models.CharField("原文", max_length=300)
    year = models.PositiveSmallIntegerField("年度", null=True, blank=True)
    value = models.DecimalField("目标值", max_digits=16, decimal_places=4, null=True, blank=True)
    place = models.ForeignKey("core.Place", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        verbose_name = "方案目标"
        verbose_name_plural = "方案目标"
        ordering = ["plan", "order"]

    def __str__(self):
        return self.quote


for _model in (Plan, Section, Task, TaskUnit, PlanTarget):
    declare_unscoped(_model, "the published plan: every signed-in user reads all of it")


# --- registries the targets count --------------------------------------------------------------


@scoped("place")
class NetworkCoverage(models.Model):
    """Network coverage of one hamlet, village or township (4G, 5G, fibre, cable TV, bandwidth).

    Blank means "not surveyed" and counts as not covered. Hamlets (自然村) carry 4G and
    fibre; villages cable TV, 5G and government-network bandwidth; townships 5G in the
    centre and bandwidth, as the plan's targets are worded.
    """

    place = models.OneToOneField(
        "core.Place", verbose_name="区划", on_delete=models.PROTECT, related_name="coverage"
    )
    has_4g = models.BooleanField("4G覆盖", null=True, blank=True)
    has_5g = models.BooleanField("5G覆盖", null=True, blank=True)
    has_fibre = models.BooleanField("光纤通达", null=True, blank=True)
    has_cable_tv = models.BooleanField("有线电视连通", null=True, blank=True)
    bandwidth_mbps = models.PositiveIntegerField("政务网带宽(Mbps)", null=True, blank=True)
    surveyed_on = models.DateField("调查日期", null=True, blank=True)
    note = models.CharField("备注", max_length=200, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = "网络覆盖登记"
        verbose_name_plural = "网络覆盖登记"
        ordering = ["place__code"]
        constraints = [
            models.CheckConstraint(
                condition=Q(bandwidth_mbps__isnull=True) | Q(bandwidth_mbps__lte=1_000_000),
                name="coverage_bandwidth_range",
                violation_error_message="带宽应在 0–1000000 Mbps 之间",
            )
        ]

    def __str__(self):
        return f"{self.place} 网络覆盖"


@scoped("place")
class ServicePoint(models.Model):
    """A service point the plan counts: a village e-commerce logistics point, a library or
    cultural-centre branch, a remote-medical point in a township hospital or village clinic."""

    place = models.ForeignKey(
        "core.Place", verbose_name="所在区划", on_delete=models.PROTECT, related_name="+"
    )
    kind = models.CharField("类型", max_length=20, choices=ServicePointKind.choices)
    name = models.CharField("名称", max_length=100)
    address = models.CharField("地址", max_length=200, blank=True)
    opened_on = models.DateField("建成日期", null=True, blank=True)
    is_active = models.BooleanField("在用", default=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = "服务网点"
        verbose_name_plural = "服务网点"
        ordering = ["place__code", "kind", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["place", "kind", "name"],
                name="service_point_unique",
                violation_error_message="该区划已登记同名同类网点",
            )
        ]

    def __str__(self):
        return self.name


# --- quarterly dispatch ------------------------------------------------------------------------


class LedgerRound(models.Model):
    """One quarter's dispatch (季调度): every township and unit reports by the deadline."""

    plan = models.ForeignKey(Plan, on_delete=models.PROTECT, related_name="rounds")
    year = models.PositiveSmallIntegerField("年度")
    quarter = models.PositiveSmallIntegerField("季度")
    period = models.CharField("期间", max_length=8)
    deadline = models.DateTimeField("报送截止")
    opened_at = models.DateTimeField("下发时间", auto_now_add=True)
    opened_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)

    class Meta:
        verbose_name = "季度调度"
        verbose_name_plural = "季度调度"
        ordering = ["-period"]
        constraints = [
            models.UniqueConstraint(
                fields=["plan", "period"],
                name="round_period_unique",
                violation_error_message="该季度已下发台账",
            ),
            models.CheckConstraint(
                condition=Q(quarter__gte=1, quarter__lte=4),
                name="round_quarter_range",
                violation_error_message="季度应为 1–4",
            ),
        ]

    def __str__(self):
        return f"{self.year}年第{self.quarter}季度调度"


declare_unscoped(LedgerRound, "a quarter's round is district-wide; its entries are scoped")


@scoped("place")
class LedgerEntry(models.Model):
    """One ledger form (工作台账): one township, village or unit reporting on one task for one quarter.

    `approval_level` is where it is approved so far: village forms go to the township
    (2) and then the district (1); township and unit forms straight to the district.
    Approved data is locked; unapproving goes back down one level at a time.
    """

    round = models.ForeignKey(LedgerRound, on_delete=models.CASCADE, related_name="entries")
    task = models.ForeignKey(Task, on_delete=models.PROTECT, related_name="entries")
    place = models.ForeignKey(
        "core.Place", verbose_name="填报区划", on_delete=models.PROTECT, related_name="+"
    )
    unit = models.ForeignKey(
        "core.Unit",
        verbose_name="填报单位",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    status = models.CharField("状态", max_length=12, choices=EntryStatus.choices, default=EntryStatus.DRAFT)
    progress = models.TextField("工作进展", blank=True)
    problems = models.TextField("存在问题", blank=True)
    approval_level = models.PositiveSmallIntegerField(
        "审批进度", choices=ApprovalLevel.choices, null=True, blank=True
    )
    submitted_at = models.DateTimeField("报送时间", null=True, blank=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    on_time = models.BooleanField("按时报送", null=True, blank=True)
    approved_at = models.DateTimeField("审定时间", null=True, blank=True)
    reopened_until = models.DateTimeField("补报截止", null=True, blank=True)
    return_reason = models.CharField("退回原因", max_length=300, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = "工作台账"
        verbose_name_plural = "工作台账"
        ordering = ["round", "task__number", "place__code", "unit__name"]
        constraints = [
            models.UniqueConstraint(
                fields=["round", "task", "unit"],
                condition=Q(unit__isnull=False),
                name="entry_unique_unit",
                violation_error_message="该单位本季度已有此任务台账",
            ),
            models.UniqueConstraint(
                fields=["round", "task", "place"],
                condition=Q(unit__isnull=True),
                name="entry_unique_place",
                violation_error_message="该区划本季度已有此任务台账",
            ),
        ]
        indexes = [models.Index(fields=["round", "status"], name="entry_round_status_idx")]

    def __str__(self):
        return f"{self.reporter_name} · 任务{self.task.number} · {self.round.period}"

    @property
    def reporter_name(self) -> str:
        return self.unit.short_name or self.unit.name if self.unit_id else self.place.name

    @property
    def status_tag(self) -> str:
        return STATUS_TAG.get(self.status, "")

    def lock_time(self):
        """When the form stops accepting changes: the deadline, or a later reopening by the district."""
        if self.reopened_until and self.reopened_until > self.round.deadline:
            return self.reopened_until
        return self.round.deadline

    def is_open_for_input(self, now=None) -> bool:
        now = now or timezone.now()
        return self.status in (EntryStatus.DRAFT, EntryStatus.RETURNED) and now <= self.lock_time()


# --- annual assessment -------------------------------------------------------------------------


class AssessmentScheme(models.Model):
    """How a year's assessment (年考核) is scored: weights of the parts and the verdict rules."""

    plan = models.ForeignKey(Plan, on_delete=models.PROTECT, related_name="schemes")
    year = models.PositiveSmallIntegerField("年度")
    name = models.CharField("名称", max_length=100)
    weight_kpi = models.DecimalField("指标完成权重", max_digits=5, decimal_places=2, default=50)
    weight_timeliness = models.DecimalField("台账按时权重", max_digits=5, decimal_places=2, default=20)
    weight_assignments = models.DecimalField("交办办结权重", max_digits=5, decimal_places=2, default=20)
    weight_manual = models.DecimalField("评议权重", max_digits=5, decimal_places=2, default=10)
    manual_default = models.DecimalField("未评议时评议分", max_digits=5, decimal_places=2, default=80)
    commend_top = models.PositiveSmallIntegerField("表彰名额", default=3)
    criticize_below = models.DecimalField("通报批评分数线", max_digits=5, decimal_places=2, default=60)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "考核方案"
        verbose_name_plural = "考核方案"
        ordering = ["-year"]
        constraints = [
            models.UniqueConstraint(
                fields=["plan", "year"],
                name="scheme_year_unique",
                violation_error_message="该年度已有考核方案",
            )
        ]

    def __str__(self):
        return self.name


declare_unscoped(AssessmentScheme, "the scoring rules are published to every assessed township and unit")


@scoped("place")
class ManualScore(models.Model):
    """A score given by the assessors (评议分) to one township or unit, with the reason."""

    scheme = models.ForeignKey(AssessmentScheme, on_delete=models.CASCADE, related_name="manual_scores")
    place = models.ForeignKey("core.Place", on_delete=models.PROTECT, related_name="+")
    unit = models.ForeignKey("core.Unit", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    score = models.DecimalField("评议分", max_digits=5, decimal_places=2)
    reason = models.CharField("理由", max_length=300)
    given_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    given_at = models.DateTimeField(auto_now=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = "评议分"
        verbose_name_plural = "评议分"
        constraints = [
            models.CheckConstraint(
                condition=Q(score__gte=0, score__lte=100),
                name="manual_score_range",
                violation_error_message="评议分应在 0–100 之间",
            )
        ]

    def __str__(self):
        return f"{self.scheme} {self.place} {self.score}"


@scoped("place")
class AssessmentResult(models.Model):
    """One township's or unit's computed score, rank and verdict, with how it was computed."""

    scheme = models.ForeignKey(AssessmentScheme, on_delete=models.CASCADE, related_name="results")
    place = models.ForeignKey("core.Place", on_delete=models.PROTECT, related_name="+")
    unit = models.ForeignKey("core.Unit", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    group = models.CharField("考核组", max_length=20)
    subject = models.CharField("考核对象", max_length=100)
    kpi_score = models.DecimalField("指标完成分", max_digits=6, decimal_places=2)
    timeliness_score = models.DecimalField("台账按时分", max_digits=6, decimal_places=2)
    assignment_score = models.DecimalField("交办办结分", max_digits=6, decimal_places=2)
    manual_score = models.DecimalField("评议分", max_digits=6, decimal_places=2)
    total = models.DecimalField("总分", max_digits=6, decimal_places=2)
    rank = models.PositiveSmallIntegerField("名次")
    verdict = models.CharField("结果", max_length=12, choices=Verdict.choices, default=Verdict.NONE)
    explanation = models.JSONField("计算过程", default=dict)
    computed_at = models.DateTimeField(auto_now_add=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = "考核结果"
        verbose_name_plural = "考核结果"
        ordering = ["scheme", "group", "rank"]

    def __str__(self):
        return f"{self.subject} {self.total}"
