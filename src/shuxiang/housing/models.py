"""Rural houses and their safety: the registry, appraisals, renovation of key households' dangerous
houses, and inspections of self-built business houses (经营性自建房).

Owners are core.Person (ID numbers and phones encrypted there, masked on output); a house may be
linked to a monitoring household, whose housing grade follows the house's latest appraisal.
"""

from django.db import models
from django.db.models import Q
from django.urls import reverse

from shuxiang.core.scope import ScopedQuerySet, scoped
from shuxiang.housing import choices as c


@scoped("place")
class House(models.Model):
    """A rural house (农房) on the place tree, with the code printed on its QR plate.

    `grade` is the latest appraisal's grade (blank: not yet appraised); `dangerous_since` is the day
    a C/D grade was first found and not yet cleared, which is how long the house has been open.
    `key_group` says which low-income group the owner household belongs to, if any: a C/D house of
    such a household must be renovated (动态清零).
    """

    code = models.CharField("房屋编码", max_length=20, unique=True)
    place = models.ForeignKey(
        "core.Place", verbose_name="所在村民小组", on_delete=models.PROTECT, related_name="+"
    )
    address = models.CharField("门牌地址", max_length=120, blank=True)
    owner = models.ForeignKey(
        "core.Person", verbose_name="户主", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    household = models.ForeignKey(
        "monitoring.Household",
        verbose_name="农户（防返贫监测）",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="houses",
    )
    key_group = models.CharField("重点对象类别", max_length=16, choices=c.KeyGroup.choices, blank=True)
    structure = models.CharField("结构类型", max_length=16, choices=c.Structure.choices)
    floors = models.PositiveSmallIntegerField("层数")
    year_built = models.PositiveSmallIntegerField("建成年份", null=True, blank=True)
    floor_area = models.DecimalField("建筑面积（m²）", max_digits=8, decimal_places=1, null=True, blank=True)
    use = models.CharField("用途", max_length=10, choices=c.Use.choices, default=c.Use.LIVING)
    business_kind = models.CharField("经营类型", max_length=12, choices=c.BusinessKind.choices, blank=True)
    business_name = models.CharField("经营名称", max_length=60, blank=True)
    latitude = models.FloatField("纬度", null=True, blank=True)
    longitude = models.FloatField("经度", null=True, blank=True)
    grade = models.CharField("安全等级", max_length=1, choices=c.Grade.choices, blank=True)
    appraised_on = models.DateField("最近鉴定日期", null=True, blank=True)
    dangerous_since = models.DateField("危房认定日期", null=True, blank=True)
    created_at = models.DateTimeField("登记时间", auto_now_add=True)
    updated_at = models.DateTimeField("更新时间", auto_now=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = "农房"
        verbose_name_plural = "农房"
        ordering = ["code"]
        constraints = [
            models.CheckConstraint(
                condition=Q(floors__gte=1, floors__lte=12),
                name="housing_house_floors_1_12",
                violation_error_message="层数应为1–12层",
            ),
            models.CheckConstraint(
                condition=Q(use="living", business_kind="") | ~Q(use="living"),
                name="housing_house_living_no_business",
                violation_error_message="自住房屋不填经营类型",
            ),
        ]
        indexes = [
            models.Index(fields=["place", "grade"], name="housing_house_place_grade"),
            models.Index(fields=["grade"], condition=~Q(key_group=""), name="housing_house_key_grade"),
            models.Index(fields=["place"], condition=~Q(use="living"), name="housing_house_business"),
        ]

    def __str__(self):
        return self.code

    def get_absolute_url(self):
        return reverse("housing:house_detail", args=[self.code])

    @property
    def is_business(self) -> bool:
        return self.use in c.BUSINESS_USES

    @property
    def is_dangerous(self) -> bool:
        return self.grade in c.DANGEROUS

    @property
    def grade_tag(self) -> str:
        return c.GRADE_TAG.get(self.grade, "")


@scoped("house__place")
class Appraisal(models.Model):
    """One safety appraisal (安全性鉴定) of a house: the grade, the findings part by part, photos.

    Survey appraisals come from the phone; an acceptance appraisal is written when a renovation is
    accepted. The house's grade is always its latest appraisal's.
    """

    house = models.ForeignKey(House, verbose_name="房屋", on_delete=models.CASCADE, related_name="appraisals")
    kind = models.CharField(
        "类型", max_length=12, choices=c.AppraisalKind.choices, default=c.AppraisalKind.SURVEY
    )
    grade = models.CharField("鉴定等级", max_length=1, choices=c.Grade.choices)
    appraised_on = models.DateField("鉴定日期")
    appraiser = models.ForeignKey(
        "core.User", verbose_name="录入人", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    appraiser_name = models.CharField("鉴定人", max_length=50)
    appraiser_org = models.CharField("鉴定单位", max_length=80, blank=True)
    conclusion = models.TextField("鉴定意见", blank=True)
    latitude = models.FloatField("现场纬度", null=True, blank=True)
    longitude = models.FloatField("现场经度", null=True, blank=True)
    submission_key = models.CharField(max_length=64, unique=True, null=True, blank=True, editable=False)
    created_at = models.DateTimeField("录入时间", auto_now_add=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = "房屋安全鉴定"
        verbose_name_plural = "房屋安全鉴定"
        ordering = ["-appraised_on", "-pk"]
        indexes = [models.Index(fields=["house", "-appraised_on", "-id"], name="housing_appraisal_latest")]

    def __str__(self):
        return f"{self.house.code} {self.appraised_on:%Y-%m-%d} {self.grade}级"

    @property
    def grade_tag(self) -> str:
        return c.GRADE_TAG.get(self.grade, "")


@scoped("appraisal__house__place")
class AppraisalFinding(models.Model):
    """What the appraiser found on one part of the house (地基基础, 承重结构 …)."""

    appraisal = models.ForeignKey(Appraisal, on_delete=models.CASCADE, related_name="findings")
    part = models.CharField("部位", max_length=16, choices=c.Part.choices)
    level = models.CharField("危险程度", max_length=8, choices=c.Finding.choices)
    note = models.CharField("说明", max_length=300, blank=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = "鉴定发现"
        verbose_name_plural = "鉴定发现"
        ordering = ["appraisal", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["appraisal", "part"],
                name="housing_finding_one_per_part",
                violation_error_message="每个部位只填一条鉴定发现",
            )
        ]

    def __str__(self):
        return f"{self.get_part_display()}：{self.get_level_display()}"


@scoped("house__place")
class Renovation(models.Model):
    """A renovation project (危房改造) of a key household's C/D house, tracked on the case engine.

    Opened automatically by the appraisal that found the danger; closed only by an acceptance
    (竣工验收) with photos and a safe grade, which also clears the house from the "zero" count.
    """

    house = models.ForeignKey(
        House, verbose_name="房屋", on_delete=models.PROTECT, related_name="renovations"
    )
    appraisal = models.ForeignKey(
        Appraisal, verbose_name="认定鉴定", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    kind = models.CharField("改造方式", max_length=12, choices=c.RenovationKind.choices)
    status = models.CharField(
        "状态", max_length=12, choices=c.RenovationStatus.choices, default=c.RenovationStatus.PLANNED
    )
    subsidy = models.DecimalField("补助资金（元）", max_digits=10, decimal_places=2, null=True, blank=True)
    contractor = models.CharField("施工单位/工匠", max_length=80, blank=True)
    started_on = models.DateField("开工日期", null=True, blank=True)
    deadline = models.DateField("完成时限")
    accepted_on = models.DateField("验收日期", null=True, blank=True)
    acceptance = models.ForeignKey(
        Appraisal, verbose_name="验收鉴定", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    case = models.ForeignKey(
        "cases.Case", verbose_name="事件", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    note = models.CharField("备注", max_length=300, blank=True)
    created_at = models.DateTimeField("立项时间", auto_now_add=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = "危房改造"
        verbose_name_plural = "危房改造"
        ordering = ["deadline", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["house"],
                condition=~Q(status="accepted"),
                name="housing_one_open_renovation",
                violation_error_message="该房屋已有未验收的改造项目",
            ),
            models.CheckConstraint(
                condition=~Q(status="accepted") | Q(accepted_on__isnull=False, acceptance__isnull=False),
                name="housing_renovation_accepted_with_acceptance",
                violation_error_message="改造项目须经竣工验收才能完成",
            ),
        ]

    def __str__(self):
        return f"{self.house.code} {self.get_kind_display()}"

    def get_absolute_url(self):
        return reverse("housing:renovation_detail", args=[self.pk])

    @property
    def is_open(self) -> bool:
        return self.status != c.RenovationStatus.ACCEPTED


@scoped("house__place")
class BusinessInspection(models.Model):
    """One inspection of a self-built business house (经营性自建房排查整治, 2022 campaign): structure
    safety, business safety and legality, each item checked; hazards found open a rectification case
    with a deadline, closed only with evidence."""

    house = models.ForeignKey(
        House, verbose_name="房屋", on_delete=models.PROTECT, related_name="business_inspections"
    )
    inspected_on = models.DateField("排查日期")
    inspector = models.ForeignKey(
        "core.User", verbose_name="排查人", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    hazards = models.JSONField("隐患", default=list, blank=True)
    result = models.CharField("结论", max_length=10, choices=c.InspectionResult.choices)
    note = models.CharField("说明", max_length=500, blank=True)
    deadline = models.DateField("整改时限", null=True, blank=True)
    case = models.ForeignKey(
        "cases.Case",
        verbose_name="整治事件",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    rectified_on = models.DateField("销号日期", null=True, blank=True)
    rectification_note = models.CharField("整改情况", max_length=500, blank=True)
    created_at = models.DateTimeField("录入时间", auto_now_add=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = "经营性自建房排查"
        verbose_name_plural = "经营性自建房排查"
        ordering = ["-inspected_on", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(result="hazard") | Q(deadline__isnull=False),
                name="housing_inspection_hazard_has_deadline",
                violation_error_message="存在隐患的须填写整改时限",
            ),
            models.CheckConstraint(
                condition=~Q(result="rectified") | Q(rectified_on__isnull=False),
                name="housing_inspection_rectified_has_date",
                violation_error_message="销号须有日期",
            ),
        ]

    def __str__(self):
        return f"{self.house.code} {self.inspected_on:%Y-%m-%d}"

    def get_absolute_url(self):
        return reverse("housing:inspection_detail", args=[self.pk])

    @property
    def hazard_labels(self) -> list[str]:
        labels = dict(c.Hazard.choices)
        return [labels.get(h, h) for h in self.hazards]
