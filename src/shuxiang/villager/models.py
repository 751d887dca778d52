"""Services for villagers: the needs market (网上需求集市) and employment monitoring.

A posting is public once a cadre has approved it; the poster's phone is encrypted at rest and never
shown — people reach the poster through an inquiry the platform relays (see `Inquiry`).
"""

import secrets

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse

from shuxiang.core.pii import EncryptedTextField
from shuxiang.core.scope import ScopedQuerySet, scoped
from shuxiang.villager.choices import (
    Category,
    Condition,
    CountSource,
    EmploymentStatus,
    Group,
    HeritageCategory,
    HeritageKind,
    HeritageLevel,
    PosterKind,
    PostingKind,
    PostingStatus,
    RecordSource,
    ReportReason,
    Sector,
    SiteKind,
)


def new_token() -> str:
    return secrets.token_urlsafe(18)


@scoped("place")
class Posting(models.Model):
    """One posting on the needs market: a job, a job wanted, something to rent, a service, produce
    or inputs offered or wanted. `place` is the village (or township) it is about; the public sees it
    between approval and `expires_on`. An anonymous poster manages it through the
    secret `key` of their private link."""

    kind = models.CharField("类别", max_length=12, choices=PostingKind.choices)
    category = models.CharField("细类", max_length=16, choices=Category.choices)
    title = models.CharField("标题", max_length=40)
    body = models.TextField("详细说明", max_length=1000)
    price = models.CharField("报酬/价格", max_length=40, blank=True)
    place = models.ForeignKey("core.Place", verbose_name="所在地", on_delete=models.PROTECT, related_name="+")
    contact_name = models.CharField("联系人称呼", max_length=20)
    phone = EncryptedTextField("联系电话")
    phone_digest = models.CharField(max_length=64, db_index=True, editable=False)
    poster = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="发布账号",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    poster_kind = models.CharField("发布人", max_length=10, choices=PosterKind.choices)
    verified_note = models.CharField("核实说明", max_length=100, blank=True)
    status = models.CharField("状态", max_length=10, choices=PostingStatus.choices, default="pending")
    moderation_note = models.CharField("审核意见", max_length=200, blank=True)
    moderated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="审核人",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    moderated_at = models.DateTimeField("审核时间", null=True, blank=True)
    created_at = models.DateTimeField("提交时间", db_index=True)
    published_at = models.DateTimeField("发布时间", null=True, blank=True)
    expires_on = models.DateField("有效期至")
    report_count = models.PositiveSmallIntegerField("被举报次数", default=0)
    key = models.CharField(max_length=32, unique=True, default=new_token, editable=False)
    source_digest = models.CharField(max_length=64, blank=True, editable=False)
    # A land-rental need a village cadre took, with the holder's consent, to the rural property-rights
    # exchange (shuxiang.land): the listing's code there, how the consent was given, who and when.
    exchange_code = models.CharField("产权交易挂牌编号", max_length=30, blank=True)
    exchange_consent = models.CharField("出租方同意情况", max_length=100, blank=True)
    exchange_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="转挂牌人",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    exchange_at = models.DateTimeField("转挂牌时间", null=True, blank=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = "需求信息"
        verbose_name_plural = "需求信息"
        ordering = ["-published_at", "-pk"]
        indexes = [
            # The public list: newest first among published postings, with or without a kind; full
            # indexes (SQLite cannot use a partial one when the status arrives as a bound parameter).
            models.Index(fields=["status", "-published_at", "-id"], name="villager_posting_public_idx"),
            models.Index(fields=["status", "kind", "-published_at", "-id"], name="villager_posting_kind_idx"),
            # The API's count of live postings in a township: answered from the index alone.
            models.Index(fields=["status", "kind", "expires_on", "place"], name="villager_posting_count_idx"),
            models.Index(fields=["status", "expires_on", "place"], name="villager_posting_live_idx"),
            models.Index(fields=["status", "created_at"], name="villager_posting_queue_idx"),
        ]

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return reverse("villager:posting_public", args=[self.pk])

    @property
    def is_verified(self) -> bool:
        return self.poster_kind != PosterKind.RESIDENT


@scoped("posting__place")
class Inquiry(models.Model):
    """Someone answering a posting through the platform: their message and the phone they agree to
    give to this poster only (encrypted; shown on the poster's own page, never on the public one)."""

    posting = models.ForeignKey(Posting, on_delete=models.CASCADE, related_name="inquiries")
    name = models.CharField("称呼", max_length=20)
    phone = EncryptedTextField("电话")
    phone_digest = models.CharField(max_length=64, db_index=True, editable=False)
    message = models.CharField("留言", max_length=300)
    created_at = models.DateTimeField("时间")

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = "联系留言"
        verbose_name_plural = "联系留言"
        ordering = ["-created_at"]

    def __str__(self):
        return f"{self.posting} · {self.name}"


@scoped("posting__place")
class Report(models.Model):
    """A report of abuse (fraud, false or illegal content). Enough reports take a posting off the
    public list and back into the moderation queue."""

    posting = models.ForeignKey(Posting, on_delete=models.CASCADE, related_name="reports")
    reason = models.CharField("原因", max_length=10, choices=ReportReason.choices)
    note = models.CharField("说明", max_length=200, blank=True)
    source_digest = models.CharField(max_length=64, blank=True, editable=False)
    created_at = models.DateTimeField("时间")
    handled = models.BooleanField("已处理", default=False)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = "举报"
        verbose_name_plural = "举报"
        ordering = ["-created_at"]

    def __str__(self):
        return f"{self.posting} · {self.get_reason_display()}"


@scoped("job__place")
class Match(models.Model):
    """A job put in front of someone looking for work: a job-wanted posting, or a person whose latest
    employment record says not working (then their village's cadres are told)."""

    job = models.ForeignKey(Posting, on_delete=models.CASCADE, related_name="matches")
    seeker = models.ForeignKey(
        Posting, null=True, blank=True, on_delete=models.CASCADE, related_name="seeker_matches"
    )
    person = models.ForeignKey(
        "core.Person", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    created_at = models.DateTimeField("匹配时间")

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = "岗位匹配"
        verbose_name_plural = "岗位匹配"
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["job", "seeker"], name="villager_match_seeker_once"),
            models.UniqueConstraint(fields=["job", "person"], name="villager_match_person_once"),
            models.CheckConstraint(
                condition=Q(seeker__isnull=False) | Q(person__isnull=False), name="villager_match_has_someone"
            ),
        ]

    def __str__(self):
        return f"{self.job} ↔ {self.seeker or self.person}"


# --- employment -----------------------------------------------------------------------------------


@scoped("place")
class EmploymentRecord(models.Model):
    """One person's employment in one quarter (脱贫人口、农民工、乡村青年就业监测): where they work, in
    which sector. `place` is where the person lives, copied when the record is written, so the
    township's statistics stay as they were reported."""

    person = models.ForeignKey("core.Person", verbose_name="人员", on_delete=models.PROTECT, related_name="+")
    place = models.ForeignKey("core.Place", verbose_name="居住地", on_delete=models.PROTECT, related_name="+")
    group = models.CharField("监测群体", max_length=16, choices=Group.choices)
    year = models.PositiveSmallIntegerField("年度")
    quarter = models.PositiveSmallIntegerField("季度")
    status = models.CharField("就业状态", max_length=16, choices=EmploymentStatus.choices)
    sector = models.CharField("行业", max_length=16, choices=Sector.choices, blank=True)
    employer = models.CharField("就业单位/地点", max_length=60, blank=True)
    wanted_sector = models.CharField("求职意向", max_length=16, choices=Sector.choices, blank=True)
    source = models.CharField("来源", max_length=8, choices=RecordSource.choices)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    recorded_at = models.DateTimeField("更新时间")

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = "就业监测记录"
        verbose_name_plural = "就业监测记录"
        ordering = ["-year", "-quarter", "place__code", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["person", "year", "quarter"],
                name="villager_employment_once_per_quarter",
                violation_error_message="该人员本季度已有就业记录",
            ),
            models.CheckConstraint(condition=Q(quarter__gte=1, quarter__lte=4), name="villager_quarter_1_4"),
        ]

    def __str__(self):
        return f"{self.person} {self.year}Q{self.quarter}"

    @property
    def period(self) -> str:
        return f"{self.year}Q{self.quarter}"


@scoped("place")
class TrainingCourse(models.Model):
    """A vocational-skills course (职业技能培训) open to the people the plan watches."""

    name = models.CharField("课程名称", max_length=60)
    place = models.ForeignKey("core.Place", verbose_name="举办地", on_delete=models.PROTECT, related_name="+")
    sector = models.CharField("行业", max_length=16, choices=Sector.choices)
    organiser = models.CharField("承办单位", max_length=60)
    starts_on = models.DateField("开班日期")
    ends_on = models.DateField("结业日期")
    capacity = models.PositiveSmallIntegerField("名额")

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = "技能培训班"
        verbose_name_plural = "技能培训班"
        ordering = ["-starts_on", "name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_on__gte=models.F("starts_on")), name="villager_course_dates"
            ),
        ]

    def __str__(self):
        return self.name


@scoped("course__place")
class Enrollment(models.Model):
    """One person on one course; `completed` once they finished it (结业)."""

    course = models.ForeignKey(TrainingCourse, on_delete=models.CASCADE, related_name="enrollments")
    person = models.ForeignKey("core.Person", verbose_name="学员", on_delete=models.PROTECT, related_name="+")
    enrolled_at = models.DateTimeField("报名时间")
    completed = models.BooleanField("已结业", default=False)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = "培训报名"
        verbose_name_plural = "培训报名"
        ordering = ["course", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["course", "person"],
                name="villager_enrol_once",
                violation_error_message="该人员已报名此课程",
            )
        ]

    def __str__(self):
        return f"{self.course} · {self.person}"


# --- culture and heritage ---------------------------------------------------------------------------


@scoped("place")
class HeritageItem(models.Model):
    """An intangible-heritage item (非遗: a craft, a song, a custom, with its inheritors) or a cultural
    relic (文物: a building, a site, a carving, with its protection level and condition). Published
    items have a public exhibition page; their images, audio and video are public attachments."""

    kind = models.CharField("类别", max_length=12, choices=HeritageKind.choices)
    category = models.CharField("门类", max_length=16, choices=HeritageCategory.choices)
    name = models.CharField("名称", max_length=60)
    place = models.ForeignKey("core.Place", verbose_name="所在地", on_delete=models.PROTECT, related_name="+")
    level = models.CharField("级别", max_length=12, choices=HeritageLevel.choices, default="none")
    inheritors = models.CharField("代表性传承人", max_length=200, blank=True)
    description = models.TextField("简介", max_length=4000)
    condition = models.CharField("保存状况", max_length=10, choices=Condition.choices, blank=True)
    inspected_on = models.DateField("最近巡查", null=True, blank=True)
    latitude = models.FloatField("纬度", null=True, blank=True)
    longitude = models.FloatField("经度", null=True, blank=True)
    is_published = models.BooleanField("公开展览", default=True)
    created_at = models.DateTimeField("登记时间")

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = "非遗与文物"
        verbose_name_plural = "非遗与文物"
        ordering = ["kind", "place__code", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["place", "name"],
                name="villager_heritage_unique",
                violation_error_message="该地已登记同名项目",
            )
        ]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("villager:culture_item", args=[self.pk])


@scoped("item__place")
class Inspection(models.Model):
    """A relic's condition inspection (巡查) with its photos; damage opens a case."""

    item = models.ForeignKey(HeritageItem, on_delete=models.CASCADE, related_name="inspections")
    inspected_on = models.DateField("巡查日期")
    condition = models.CharField("保存状况", max_length=10, choices=Condition.choices)
    note = models.CharField("情况说明", max_length=500, blank=True)
    inspector = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    case_number = models.CharField("事件编号", max_length=30, blank=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = "文物巡查"
        verbose_name_plural = "文物巡查"
        ordering = ["-inspected_on", "-pk"]

    def __str__(self):
        return f"{self.item} {self.inspected_on}"


# --- tourism --------------------------------------------------------------------------------------


@scoped("place")
class TouristSite(models.Model):
    """A scenic area, a key tourism village, a homestay (民宿) or a farm stay, with its licence and
    grade, and the visitors it can take in a day (`capacity`): counts past CROWDED_SHARE of it warn
    the township."""

    kind = models.CharField("类型", max_length=12, choices=SiteKind.choices)
    name = models.CharField("名称", max_length=60)
    place = models.ForeignKey("core.Place", verbose_name="所在地", on_delete=models.PROTECT, related_name="+")
    grade = models.CharField("等级", max_length=20, blank=True, help_text="如 4A、三星级民宿、省级重点村")
    licence_no = models.CharField("经营许可证号", max_length=40, blank=True)
    licence_valid_until = models.DateField("许可有效期至", null=True, blank=True)
    rating = models.DecimalField("游客评分", max_digits=2, decimal_places=1, null=True, blank=True)
    capacity = models.PositiveIntegerField("日最大承载量（人次）")
    description = models.TextField("简介", max_length=2000, blank=True)
    latitude = models.FloatField("纬度", null=True, blank=True)
    longitude = models.FloatField("经度", null=True, blank=True)
    is_published = models.BooleanField("公开", default=True)
    counter = models.OneToOneField(
        "iot.Device",
        verbose_name="客流计数器",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="tourist_site",
    )

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = "旅游点"
        verbose_name_plural = "旅游点"
        ordering = ["kind", "place__code", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["place", "name"],
                name="villager_site_unique",
                violation_error_message="该地已登记同名旅游点",
            ),
            models.CheckConstraint(condition=Q(capacity__gte=1), name="villager_site_capacity_positive"),
        ]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("villager:tourism_site", args=[self.pk])


@scoped("site__place")
class VisitCount(models.Model):
    """A day's visitors at a site, entered by hand or summed from its counter (one row per day)."""

    site = models.ForeignKey(TouristSite, on_delete=models.CASCADE, related_name="visits")
    day = models.DateField("日期")
    count = models.PositiveIntegerField("游客人次")
    source = models.CharField("来源", max_length=8, choices=CountSource.choices, default="manual")
    recorded_at = models.DateTimeField("填报时间")

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = "游客量"
        verbose_name_plural = "游客量"
        ordering = ["-day", "site"]
        constraints = [
            models.UniqueConstraint(
                fields=["site", "day"],
                name="villager_visit_once_per_day",
                violation_error_message="该日已填报",
            )
        ]

    def __str__(self):
        return f"{self.site} {self.day}"

    @property
    def share(self) -> float:
        return self.count / self.site.capacity if self.site.capacity else 0.0
