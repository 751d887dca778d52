"""Grids (网格) of a village with their grid workers, and the patrols (巡查) they log on the phone.

A grid is an area of one village: a list of its hamlets, optionally a polygon. A hamlet belongs to at
most one grid and grid polygons of a village do not overlap (checked in the services). What a patrol
finds becomes a case of the right category on the case engine, linked here.
"""

from django.db import models
from django.urls import reverse

from shuxiang.core.scope import ScopedQuerySet, scoped
from shuxiang.governance.choices import (
    BRANCH_KINDS,
    CONSULTATION_MODES,
    DECISION_STAGES,
    DISPUTE_KINDS,
    MEETING_KINDS,
    MEMBER_STATUSES,
    OUTCOMES,
    SIDES,
)


@scoped("village")
class Grid(models.Model):
    """A grid of a village (网格化服务管理) and the grid workers responsible for it."""

    code = models.CharField("网格编码", max_length=20, unique=True)
    name = models.CharField("网格名称", max_length=60)
    village = models.ForeignKey(
        "core.Place", verbose_name="所在村", on_delete=models.PROTECT, related_name="+"
    )
    hamlets = models.ManyToManyField("core.Place", verbose_name="包含村民小组", blank=True, related_name="+")
    workers = models.ManyToManyField("core.User", verbose_name="网格员", blank=True, related_name="grids")
    geometry = models.JSONField("范围(GeoJSON)", null=True, blank=True)
    created_at = models.DateTimeField("建立时间", auto_now_add=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = "网格"
        verbose_name_plural = "网格"
        ordering = ["code"]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("governance:grid_detail", args=[self.code])


@scoped("grid__village")
class Patrol(models.Model):
    """One patrol of a grid worker: when, what was seen and checked, the route, photos, cases opened."""

    grid = models.ForeignKey(Grid, verbose_name="网格", on_delete=models.PROTECT, related_name="patrols")
    worker = models.ForeignKey(
        "core.User", verbose_name="网格员", null=True, on_delete=models.SET_NULL, related_name="+"
    )
    started_at = models.DateTimeField("开始时间", db_index=True)
    ended_at = models.DateTimeField("结束时间")
    seen = models.TextField("巡查情况", blank=True)
    checked = models.JSONField("巡查事项", default=list, blank=True)
    route = models.JSONField("轨迹", default=list, blank=True, help_text="[[经度, 纬度, 时间戳], …]")
    distance_m = models.PositiveIntegerField("轨迹长度（米）", default=0)
    cases = models.ManyToManyField("cases.Case", verbose_name="上报事件", blank=True, related_name="+")
    submission_key = models.CharField(max_length=64, unique=True, null=True, blank=True, editable=False)
    created_at = models.DateTimeField("录入时间", auto_now_add=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = "网格巡查"
        verbose_name_plural = "网格巡查"
        ordering = ["-started_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ended_at__gte=models.F("started_at")),
                name="governance_patrol_ends_after_start",
                violation_error_message="结束时间不能早于开始时间",
            )
        ]

    def __str__(self):
        return f"{self.grid.name} {self.started_at:%Y-%m-%d %H:%M}"

    @property
    def checked_labels(self) -> list[str]:
        from shuxiang.governance.choices import CHECKLIST_LABELS

        return [CHECKLIST_LABELS.get(code, code) for code in self.checked]


@scoped("place")
class Dispute(models.Model):
    """A dispute brought to mediation (矛盾纠纷调解), carried on the case engine (type
    governance.mediation) for its deadline and timeline. Parties are core.Person (ID numbers encrypted,
    masked); no public page ever shows them."""

    case = models.OneToOneField("cases.Case", verbose_name="事件", on_delete=models.PROTECT, related_name="+")
    place = models.ForeignKey("core.Place", verbose_name="发生地", on_delete=models.PROTECT, related_name="+")
    kind = models.CharField("纠纷类型", max_length=12, choices=DISPUTE_KINDS)
    mediator = models.ForeignKey(
        "core.User", verbose_name="调解员", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    outcome = models.CharField("调解结果", max_length=10, choices=OUTCOMES, blank=True)
    agreement_text = models.TextField("调解协议内容", blank=True)
    concluded_on = models.DateField("办结日期", null=True, blank=True)
    follow_up_on = models.DateField("回访日期", null=True, blank=True)
    follow_up_note = models.CharField("回访情况", max_length=500, blank=True)
    created_at = models.DateTimeField("登记时间", auto_now_add=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = "矛盾纠纷"
        verbose_name_plural = "矛盾纠纷"
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(outcome="agreed") | ~models.Q(agreement_text=""),
                name="governance_dispute_agreed_has_agreement",
                violation_error_message="调解成功须有调解协议",
            )
        ]

    def __str__(self):
        return f"{self.get_kind_display()} {self.case.tracking_number}"

    def get_absolute_url(self):
        return reverse("governance:dispute_detail", args=[self.pk])


@scoped("dispute__place")
class DisputeParty(models.Model):
    """A party of a dispute: the person (masked on every page) and their side."""

    dispute = models.ForeignKey(Dispute, on_delete=models.CASCADE, related_name="parties")
    person = models.ForeignKey(
        "core.Person", verbose_name="当事人", on_delete=models.PROTECT, related_name="+"
    )
    side = models.CharField("身份", max_length=12, choices=SIDES)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = "纠纷当事人"
        verbose_name_plural = "纠纷当事人"
        ordering = ["dispute", "side", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["dispute", "person"],
                name="governance_party_once",
                violation_error_message="同一当事人重复",
            )
        ]

    def __str__(self):
        return f"{self.get_side_display()}"


@scoped("dispute__place")
class MediationSession(models.Model):
    """One mediation session (调解记录): when, where, who mediated, what was said and agreed so far."""

    dispute = models.ForeignKey(Dispute, on_delete=models.CASCADE, related_name="sessions")
    held_on = models.DateField("调解日期")
    location = models.CharField("地点", max_length=100, blank=True)
    mediator = models.ForeignKey(
        "core.User", verbose_name="调解员", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    note = models.TextField("调解情况")

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = "调解记录"
        verbose_name_plural = "调解记录"
        ordering = ["held_on", "pk"]

    def __str__(self):
        return f"{self.held_on:%Y-%m-%d}"


@scoped("village")
class PartyBranch(models.Model):
    """A village's party organisation (党支部, 党总支 or 联合党支部): its name and when it was set up. Its
    members are listed only on staff pages, masked; the public page shows how many there are."""

    KINDS = BRANCH_KINDS

    village = models.ForeignKey("core.Place", verbose_name="村", on_delete=models.PROTECT, related_name="+")
    name = models.CharField("名称", max_length=60)
    kind = models.CharField("类型", max_length=10, choices=KINDS, default="branch")
    founded_on = models.DateField("成立日期", null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = "党组织"
        verbose_name_plural = "党组织"
        ordering = ["village__code", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["village", "name"],
                name="governance_branch_name_once",
                violation_error_message="本村已有同名党组织",
            )
        ]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("governance:branch_detail", args=[self.pk])


@scoped("branch__village")
class PartyMember(models.Model):
    """A party member of a branch: the person (core.Person: ID number encrypted, masked on every page and
    API answer), full or probationary, since when. A person belongs to one branch (a transfer moves them)."""

    STATUSES = MEMBER_STATUSES

    branch = models.ForeignKey(
        PartyBranch, verbose_name="党组织", on_delete=models.PROTECT, related_name="members"
    )
    person = models.OneToOneField(
        "core.Person", verbose_name="党员", on_delete=models.PROTECT, related_name="+"
    )
    status = models.CharField("党员类别", max_length=12, choices=STATUSES, default="full")
    joined_on = models.DateField("入党日期")
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = "党员"
        verbose_name_plural = "党员"
        ordering = ["branch", "joined_on", "pk"]

    def __str__(self):
        return self.get_status_display()


@scoped("village")
class PartyMeeting(models.Model):
    """A meeting of the village party branch (三会一课) or a remote-education session: when, topic,
    minutes (internal), attendance as counts — members are never listed here or on public pages."""

    village = models.ForeignKey("core.Place", verbose_name="村", on_delete=models.PROTECT, related_name="+")
    kind = models.CharField("类型", max_length=12, choices=MEETING_KINDS)
    held_on = models.DateField("日期")
    topic = models.CharField("主题", max_length=120)
    minutes = models.TextField("会议记录", blank=True)
    attended = models.PositiveSmallIntegerField("实到人数")
    expected = models.PositiveSmallIntegerField("应到人数")
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = "党组织会议"
        verbose_name_plural = "党组织会议"
        ordering = ["-held_on", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(attended__lte=models.F("expected"), expected__gte=1),
                name="governance_meeting_attendance",
                violation_error_message="实到人数不能多于应到人数",
            )
        ]

    def __str__(self):
        return f"{self.get_kind_display()} {self.held_on:%Y-%m-%d}"


@scoped("village")
class VillageDecision(models.Model):
    """A village affairs decision through 四议两公开: proposal, discussion, review, resolution (with the
    votes), disclosure of the resolution, disclosure of the result — each step dated, in order."""

    village = models.ForeignKey("core.Place", verbose_name="村", on_delete=models.PROTECT, related_name="+")
    title = models.CharField("事项", max_length=120)
    content = models.TextField("内容")
    stage = models.CharField("当前环节", max_length=12, choices=DECISION_STAGES, default="proposal")
    proposed_on = models.DateField("提议日期")
    discussed_on = models.DateField("商议日期", null=True, blank=True)
    reviewed_on = models.DateField("审议日期", null=True, blank=True)
    resolved_on = models.DateField("决议日期", null=True, blank=True)
    votes_for = models.PositiveSmallIntegerField("赞成", null=True, blank=True)
    votes_against = models.PositiveSmallIntegerField("反对", null=True, blank=True)
    votes_abstain = models.PositiveSmallIntegerField("弃权", null=True, blank=True)
    disclosed_on = models.DateField("决议公开日期", null=True, blank=True)
    result = models.TextField("实施结果", blank=True)
    result_disclosed_on = models.DateField("结果公开日期", null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = "村级重大事项决策"
        verbose_name_plural = "村级重大事项决策"
        ordering = ["-proposed_on", "-pk"]

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return reverse("governance:decision_detail", args=[self.pk])

    @property
    def disclosed_on_time(self) -> bool | None:
        from shuxiang.governance.choices import DISCLOSE_WITHIN_DAYS

        if self.resolved_on is None or self.disclosed_on is None:
            return None
        return (self.disclosed_on - self.resolved_on).days <= DISCLOSE_WITHIN_DAYS


@scoped("village")
class LegalAdviser(models.Model):
    """A village's legal adviser (一村一法律顾问): the lawyer (core.Person: phone encrypted, masked), their
    firm, the village they serve and since when."""

    village = models.ForeignKey("core.Place", verbose_name="村", on_delete=models.PROTECT, related_name="+")
    person = models.ForeignKey(
        "core.Person", verbose_name="法律顾问", on_delete=models.PROTECT, related_name="+"
    )
    firm = models.CharField("律师事务所/法律服务所", max_length=80)
    since = models.DateField("聘任日期")
    until = models.DateField("聘期截止", null=True, blank=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = "村法律顾问"
        verbose_name_plural = "村法律顾问"
        ordering = ["village__code", "-since"]

    def __str__(self):
        return f"{self.person.name}（{self.firm}）"


@scoped("village")
class Consultation(models.Model):
    """A legal consultation booked with the village's adviser: the question, answered in writing or at
    an appointment. The person asking is core.Person (masked)."""

    MODES = CONSULTATION_MODES

    village = models.ForeignKey("core.Place", verbose_name="村", on_delete=models.PROTECT, related_name="+")
    adviser = models.ForeignKey(
        LegalAdviser, verbose_name="法律顾问", on_delete=models.PROTECT, related_name="consultations"
    )
    asker = models.ForeignKey(
        "core.Person", verbose_name="咨询人", on_delete=models.PROTECT, related_name="+"
    )
    topic = models.CharField("事项", max_length=100)
    question = models.TextField("咨询内容")
    mode = models.CharField("答复方式", max_length=12, choices=MODES)
    appointment_at = models.DateTimeField("预约时间", null=True, blank=True)
    answer = models.TextField("答复", blank=True)
    answered_at = models.DateTimeField("答复时间", null=True, blank=True)
    created_at = models.DateTimeField("登记时间", auto_now_add=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = "法律咨询"
        verbose_name_plural = "法律咨询"
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(mode="appointment") | models.Q(appointment_at__isnull=False),
                name="governance_consultation_appointment_time",
                violation_error_message="预约面谈须有预约时间",
            )
        ]

    def __str__(self):
        return self.topic

    def get_absolute_url(self):
        return reverse("governance:consultation_detail", args=[self.pk])
