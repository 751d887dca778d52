"""Return-to-poverty monitoring (防止返贫动态监测): the household registry, the
clue queue fed by three discovery channels and the platform's rules, the
identification and risk-elimination procedures, and assistance.

Identity numbers and phones never live here: a member links to core.Person,
where they are encrypted and masked. Health, disability and income are
sensitive too (PIPL art. 28); they stay in this app, shown only to roles that
hold `monitoring.health`, and never on the public notice.
"""

from decimal import Decimal

from django.db import models
from django.db.models import Q

from shuxiang.core.scope import ScopedQuerySet, declare_unscoped, scoped
from shuxiang.monitoring import choices as c


@scoped("place")
class Household(models.Model):
    """A rural household (户) on the registry, the unit of monitoring.

    `changed_at` moves whenever anything a rule reads changes (members,
    income, 三保障 status), so a rule run can look only at what changed.
    """

    number = models.CharField("户编号", max_length=32, unique=True)
    place = models.ForeignKey(
        "core.Place", verbose_name="所在村民小组", on_delete=models.PROTECT, related_name="households"
    )
    category = models.CharField("农户类别", max_length=16, choices=c.Category.choices)
    lifted_year = models.PositiveSmallIntegerField("脱贫年度", null=True, blank=True)
    housing_grade = models.CharField("住房安全等级", max_length=1, choices=c.HousingGrade.choices, blank=True)
    water_safe = models.BooleanField("饮水安全", default=True)
    status = models.CharField(
        "监测状态", max_length=16, choices=c.MonitoringStatus.choices, default=c.MonitoringStatus.NONE
    )
    monitored_type = models.CharField(
        "监测对象类型", max_length=16, choices=c.MonitoredType.choices, blank=True
    )
    identified_on = models.DateField("纳入监测日期", null=True, blank=True)
    eliminated_on = models.DateField("风险消除日期", null=True, blank=True)
    changed_at = models.DateTimeField("数据变更时间", db_index=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = "农户"
        verbose_name_plural = "农户"
        ordering = ["place__code", "number"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status="monitored", monitored_type__gt="") | ~Q(status="monitored"),
                name="monitored_household_has_type",
                violation_error_message="监测对象必须有监测类型",
            ),
        ]
        indexes = [models.Index(fields=["status", "monitored_type"])]

    def __str__(self):
        return self.number

    @property
    def head(self):
        for member in self.members.all():
            if member.relation == c.Relation.HEAD:
                return member
        return None

    @property
    def guarantee_failures(self) -> list[str]:
        """The 三保障 + 饮水安全 items that fail, in words (reads prefetched members)."""
        failures = []
        members = list(self.members.all())
        if any(m.schooling == c.Schooling.DROPOUT for m in members):
            failures.append("义务教育：有失学辍学")
        if any(not m.medical_insured for m in members):
            failures.append("基本医疗：有成员未参加城乡居民医保")
        if self.housing_grade in c.UNSAFE_HOUSING:
            failures.append(f"住房安全：{self.get_housing_grade_display()}")
        if not self.water_safe:
            failures.append("饮水安全：未达标")
        return failures


@scoped("household__place")
class Member(models.Model):
    """A person in a household. The person (name, ID, phone) is core.Person; a
    person belongs to at most one household (the one-to-one link enforces it)."""

    household = models.ForeignKey(Household, on_delete=models.CASCADE, related_name="members")
    person = models.OneToOneField(
        "core.Person", verbose_name="人员", on_delete=models.PROTECT, related_name="household_membership"
    )
    relation = models.CharField("与户主关系", max_length=16, choices=c.Relation.choices)
    labour = models.CharField("劳动能力", max_length=16, choices=c.Labour.choices, default=c.Labour.NORMAL)
    health = models.CharField("健康状况", max_length=16, choices=c.Health.choices, default=c.Health.HEALTHY)
    disability_grade = models.PositiveSmallIntegerField("残疾等级", null=True, blank=True)
    schooling = models.CharField(
        "在校情况", max_length=16, choices=c.Schooling.choices, default=c.Schooling.NOT_APPLICABLE
    )
    medical_insured = models.BooleanField("参加城乡居民医保", default=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = "家庭成员"
        verbose_name_plural = "家庭成员"
        ordering = ["household", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["household"],
                condition=Q(relation="head"),
                name="one_head_per_household",
                violation_error_message="每户只能有一名户主",
            ),
            models.CheckConstraint(
                condition=Q(disability_grade__isnull=True)
                | Q(disability_grade__gte=1, disability_grade__lte=4),
                name="disability_grade_1_to_4",
                violation_error_message="残疾等级应为1–4级",
            ),
        ]
        indexes = [
            # the 三保障 rule's member tests: tiny partial indexes instead of scanning every member
            models.Index(fields=["household"], condition=Q(medical_insured=False), name="member_uninsured"),
            models.Index(fields=["household"], condition=Q(schooling="dropout"), name="member_dropout"),
        ]

    def __str__(self):
        return self.person.name


@scoped("household__place")
class IncomeRecord(models.Model):
    """One year's household income (元/年) by source, and the eligible out-of-pocket
    expenses (合规自付支出) deducted before dividing by the household size."""

    household = models.ForeignKey(Household, on_delete=models.CASCADE, related_name="incomes")
    year = models.PositiveSmallIntegerField("年度")
    wage = models.DecimalField("工资性收入", max_digits=12, decimal_places=2, default=Decimal("0"))
    production = models.DecimalField("生产经营性收入", max_digits=12, decimal_places=2, default=Decimal("0"))
    property_income = models.DecimalField("财产性收入", max_digits=12, decimal_places=2, default=Decimal("0"))
    transfer = models.DecimalField("转移性收入", max_digits=12, decimal_places=2, default=Decimal("0"))
    expenses = models.DecimalField("合规自付支出", max_digits=12, decimal_places=2, default=Decimal("0"))
    gross = models.DecimalField("家庭总收入", max_digits=12, decimal_places=2)
    size = models.PositiveSmallIntegerField("家庭人口")
    per_capita_net = models.DecimalField("人均纯收入", max_digits=12, decimal_places=2)
    recorded_at = models.DateTimeField(auto_now=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = "收入记录"
        verbose_name_plural = "收入记录"
        ordering = ["household", "-year"]
        constraints = [
            models.UniqueConstraint(
                fields=["household", "year"],
                name="one_income_record_per_year",
                violation_error_message="该户该年度已有收入记录",
            ),
            models.CheckConstraint(
                condition=Q(
                    wage__gte=0, production__gte=0, property_income__gte=0, transfer__gte=0, expenses__gte=0
                ),
                name="income_amounts_not_negative",
                violation_error_message="收入和支出金额不能为负数",
            ),
            models.CheckConstraint(
                condition=Q(size__gte=1),
                name="income_size_positive",
                violation_error_message="家庭人口至少1人",
            ),
        ]
        indexes = [models.Index(fields=["year", "household"])]

    def __str__(self):
        return f"{self.household.number} {self.year}年"


@scoped("household__place")
class HouseholdRisk(models.Model):
    """A risk type found at identification; several per household, exactly one primary."""

    household = models.ForeignKey(Household, on_delete=models.CASCADE, related_name="risks")
    risk_type = models.CharField("风险类型", max_length=20, choices=c.RiskType.choices)
    is_primary = models.BooleanField("主要风险", default=False)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = "风险类型"
        verbose_name_plural = "风险类型"
        ordering = ["-is_primary", "risk_type"]
        constraints = [
            models.UniqueConstraint(
                fields=["household", "risk_type"],
                name="risk_type_once",
                violation_error_message="风险类型重复",
            ),
            models.UniqueConstraint(
                fields=["household"],
                condition=Q(is_primary=True),
                name="one_primary_risk",
                violation_error_message="只能有一个主要风险类型",
            ),
        ]

    def __str__(self):
        return self.get_risk_type_display()


class MonitoringThreshold(models.Model):
    """监测收入标准: the per-capita net income line a province sets for a year
    (元/人/年), with the document that set it. Maintained by administrators;
    no figure is built into the code."""

    province = models.CharField("省级区划代码", max_length=2, help_text="身份证/区划代码前2位，湖南为43")
    province_name = models.CharField("省份", max_length=20)
    year = models.PositiveSmallIntegerField("年度")
    amount = models.DecimalField("监测收入标准（元/人/年）", max_digits=10, decimal_places=2)
    document = models.CharField("依据文件", max_length=200, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "监测收入标准"
        verbose_name_plural = "监测收入标准"
        ordering = ["province", "-year"]
        constraints = [
            models.UniqueConstraint(
                fields=["province", "year"],
                name="one_threshold_per_province_year",
                violation_error_message="该省该年度的监测收入标准已存在",
            ),
            models.CheckConstraint(
                condition=Q(amount__gt=0), name="threshold_positive", violation_error_message="标准必须大于0"
            ),
        ]

    def __str__(self):
        return f"{self.province_name}{self.year}年 {self.amount}元"


class Rule(models.Model):
    """A monitoring rule as data: which comparison (`kind`), its parameter (a
    percentage) and the years it applies to. The engine turns each into one
    set-based statement; administrators change parameters, not code."""

    code = models.SlugField("规则编号", max_length=40, unique=True)
    name = models.CharField("名称", max_length=100)
    kind = models.CharField("比较方式", max_length=32, choices=c.RuleKind.choices)
    parameter = models.DecimalField(
        "参数（%）",
        max_digits=6,
        decimal_places=2,
        null=True,
        blank=True,
        help_text="收入下降超过X%、刚性支出超过收入的Y%；低于标准规则为标准的百分比（通常100）",
    )
    valid_from_year = models.PositiveSmallIntegerField("起始年度")
    valid_to_year = models.PositiveSmallIntegerField("截止年度", null=True, blank=True)
    is_active = models.BooleanField("启用", default=True)
    description = models.TextField("说明", blank=True)

    class Meta:
        verbose_name = "监测规则"
        verbose_name_plural = "监测规则"
        ordering = ["code"]

    def __str__(self):
        return self.name

    def applies_to(self, year: int) -> bool:
        return self.valid_from_year <= year and (self.valid_to_year is None or year <= self.valid_to_year)


class RuleRun(models.Model):
    """One run of the rules, so the next incremental run knows where to start."""

    year = models.PositiveSmallIntegerField("年度")
    incremental = models.BooleanField("增量", default=False)
    since = models.DateTimeField("起点", null=True, blank=True)
    started_at = models.DateTimeField("开始")
    finished_at = models.DateTimeField("结束", null=True, blank=True)
    flagged = models.JSONField("各规则新增线索", default=dict)
    actor_label = models.CharField("执行者", max_length=100, blank=True)

    class Meta:
        verbose_name = "规则运行记录"
        verbose_name_plural = "规则运行记录"
        ordering = ["-started_at"]

    def __str__(self):
        return f"{self.year}年规则运行 {self.started_at:%Y-%m-%d %H:%M}"


@scoped("place")
class Clue(models.Model):
    """A risk clue (线索) in the one queue every discovery channel feeds: a
    self-declaration, a cadre's concern, a department's data, or a platform rule.

    A rule's clue names the rule and the figures that triggered it; a household
    is flagged at most once per rule and period.
    """

    place = models.ForeignKey("core.Place", verbose_name="所在地", on_delete=models.PROTECT, related_name="+")
    household = models.ForeignKey(
        Household, verbose_name="农户", null=True, blank=True, on_delete=models.CASCADE, related_name="clues"
    )
    person = models.ForeignKey(
        "core.Person", verbose_name="人员", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    channel = models.CharField("来源渠道", max_length=20, choices=c.Channel.choices)
    source = models.CharField("来源", max_length=100, blank=True, help_text="部门名称或规则编号")
    rule = models.ForeignKey(Rule, null=True, blank=True, on_delete=models.PROTECT, related_name="clues")
    period = models.PositiveSmallIntegerField("年度", null=True, blank=True)
    risk_types = models.JSONField("可能的风险类型", default=list, blank=True)
    summary = models.TextField("情况说明")
    figures = models.JSONField("触发数据", default=dict, blank=True)
    consent = models.BooleanField("已授权核查", default=False)
    reporter = models.ForeignKey(
        "core.User", verbose_name="登记人", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    status = models.CharField("状态", max_length=16, choices=c.ClueStatus.choices, default=c.ClueStatus.NEW)
    note = models.TextField("处理意见", blank=True)
    created_at = models.DateTimeField("发现时间")
    handled_at = models.DateTimeField("处理时间", null=True, blank=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = "风险线索"
        verbose_name_plural = "风险线索"
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["household", "rule", "period"],
                condition=Q(rule__isnull=False),
                name="one_flag_per_rule_and_period",
                violation_error_message="该户已因同一规则在本年度预警",
            ),
        ]
        indexes = [
            models.Index(fields=["status", "place"], name="open_clue_queue", condition=Q(status="new")),
        ]

    def __str__(self):
        # no summary here: it may describe illness, and str() ends up in the audit log
        return f"{self.get_channel_display()}线索 #{self.pk}"


@scoped("place")
class AlertBatch(models.Model):
    """One file or API push of department data; the records themselves become
    clues (when they match a registered person) and are not kept otherwise."""

    place = models.ForeignKey("core.Place", on_delete=models.PROTECT, related_name="+")
    kind = models.CharField("预警类型", max_length=16, choices=c.AlertKind.choices)
    source = models.CharField("推送单位", max_length=100)
    received = models.PositiveIntegerField("记录数")
    matched = models.PositiveIntegerField("匹配数")
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = "部门预警批次"
        verbose_name_plural = "部门预警批次"
        ordering = ["-created_at"]

    def __str__(self):
        return f"{self.source} {self.get_kind_display()}（{self.received}条）"


@scoped("household__place")
class Visit(models.Model):
    """A cadre's visit: screening (排查) or the monthly follow-up of a monitored household."""

    household = models.ForeignKey(Household, on_delete=models.CASCADE, related_name="visits")
    purpose = models.CharField("走访类型", max_length=16, choices=c.VisitPurpose.choices)
    visitor = models.ForeignKey(
        "core.User", verbose_name="走访人", on_delete=models.PROTECT, related_name="+"
    )
    visited_on = models.DateField("走访日期")
    notes = models.TextField("走访情况")
    concern = models.BooleanField("发现返贫致贫风险", default=False)
    income_estimate = models.DecimalField(
        "人均纯收入测算（元/年）", max_digits=12, decimal_places=2, null=True, blank=True
    )
    income_estimate = models.DecimalField(
        "人均纯收入测算（元/年）", max_digits=12, decimal_places=2, null=True, blank=True
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = "走访记录"
        verbose_name_plural = "走访记录"
        ordering = ["-visited_on", "-id"]

    def __str__(self):
        return f"{self.household.number} {self.get_purpose_display()} {self.visited_on}"


@scoped("household__place")
class Measure(models.Model):
    """An assistance measure (帮扶措施) for a monitored household."""

    household = models.ForeignKey(Household, on_delete=models.CASCADE, related_name="measures")
    kind = models.CharField("措施类型", max_length=24, choices=c.MeasureKind.choices)
    description = models.CharField("内容", max_length=200)
    cadre = models.ForeignKey(
        "core.User", verbose_name="责任干部", on_delete=models.PROTECT, related_name="+"
    )
    unit = models.ForeignKey("core.Unit", verbose_name="责任单位", on_delete=models.PROTECT, related_name="+")
    start_on = models.DateField("开始日期")
    end_on = models.DateField("结束日期", null=True, blank=True)
    amount = models.DecimalField("金额（元）", max_digits=12, decimal_places=2, null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = "帮扶措施"
        verbose_name_plural = "帮扶措施"
        ordering = ["-start_on", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(end_on__isnull=True) | Q(end_on__gte=models.F("start_on")),
                name="measure_end_after_start",
                violation_error_message="结束日期不能早于开始日期",
            ),
            models.CheckConstraint(
                condition=Q(amount__isnull=True) | Q(amount__gte=0),
                name="measure_amount_not_negative",
                violation_error_message="金额不能为负数",
            ),
        ]

    def __str__(self):
        return f"{self.get_kind_display()}：{self.description}"


@scoped("household__place")
class Procedure(models.Model):
    """One run of the national procedure for a household: identification as a
    monitored household (监测对象识别) or risk elimination (风险消除).

    The order of steps (入户核实 → 民主评议并公示 → 乡镇审核 → 县级审定) and the
    15-day limit are enforced by the case engine (case type
    `monitoring.identification` / `monitoring.elimination`); this row keeps
    what each step recorded.
    """

    household = models.ForeignKey(Household, on_delete=models.CASCADE, related_name="procedures")
    kind = models.CharField("程序", max_length=16, choices=c.ProcedureKind.choices)
    clue = models.ForeignKey(
        Clue, null=True, blank=True, on_delete=models.SET_NULL, related_name="procedures"
    )
    stage = models.CharField("当前环节", max_length=16, choices=c.Stage.choices, default=c.Stage.HOME_VISIT)
    case = models.OneToOneField(
        "cases.Case", null=True, blank=True, on_delete=models.PROTECT, related_name="monitoring_procedure"
    )
    started_at = models.DateTimeField("起算时间", help_text="识别程序从首条风险线索起算")
    due_at = models.DateTimeField("办结时限")
    # 入户核实
    consent_signed = models.BooleanField("农户已签署授权承诺书", default=False)
    visit_notes = models.TextField("入户核实情况", blank=True)
    visited_by = models.ForeignKey(
        "core.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    visited_on = models.DateField("核实日期", null=True, blank=True)
    proposed_type = models.CharField("拟认定类型", max_length=16, choices=c.MonitoredType.choices, blank=True)
    proposed_risks = models.JSONField("拟认定风险类型", default=list, blank=True)
    primary_risk = models.CharField("主要风险类型", max_length=20, choices=c.RiskType.choices, blank=True)
    # 民主评议 + 公示
    review_notes = models.TextField("民主评议意见", blank=True)
    notice_from = models.DateField("公示开始", null=True, blank=True)
    notice_to = models.DateField("公示结束", null=True, blank=True)
    notice_token = models.CharField(max_length=32, blank=True, db_index=True)
    # 乡镇审核 / 县级审定
    township_notes = models.TextField("乡镇审核意见", blank=True)
    county_notes = models.TextField("县级审定意见", blank=True)
    decided_at = models.DateTimeField("审定时间", null=True, blank=True)
    approved = models.BooleanField("通过", null=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = "识别/消除程序"
        verbose_name_plural = "识别/消除程序"
        ordering = ["-started_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["household"],
                condition=Q(decided_at__isnull=True),
                name="one_open_procedure_per_household",
                violation_error_message="该户已有进行中的识别或风险消除程序",
            ),
        ]

    def __str__(self):
        return f"{self.household.number} {self.get_kind_display()}"


declare_unscoped(MonitoringThreshold, "省级参考数据，所有登录用户可读，仅管理员维护")
declare_unscoped(Rule, "平台规则参数，所有登录用户可读，仅管理员维护")
declare_unscoped(RuleRun, "规则运行的内部记录，无人按区域浏览")
