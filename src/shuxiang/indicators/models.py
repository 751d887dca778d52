from django.conf import settings
from django.db import models
from django.db.models import Q

from shuxiang.core.choices import PlaceLevel
from shuxiang.core.scope import ScopedQuerySet, declare_unscoped, scoped
from shuxiang.indicators.choices import (
    Importance,
    IndicatorKind,
    IndicatorSource,
    MissingValueStrategy,
    Operator,
    PeriodAggregation,
    UnitAggregation,
)


class Indicator(models.Model):
    """Something the district measures against a target: "自然村光纤通达率", "农产品网络销售额".

    A number is summed over the place tree; a ratio keeps numerator and denominator
    apart so that a township's 95 % is the sum of its hamlets, not the mean of their
    percentages. Values are either entered in quarterly ledgers (`reported`) or
    computed from a registry by a source an app registers (`computed`).

    Several units may report the same indicator for the same place (eight bureaus fill task 6's
    reservoir figures for the district): each keeps its own value, and `unit_aggregation` says how
    they make the place's figure — their sum, the `designated_unit`'s, or the largest.
    """

    code = models.SlugField("指标代码", max_length=60, unique=True)
    name = models.CharField("指标名称", max_length=100)
    description = models.TextField("说明", blank=True)
    kind = models.CharField("类型", max_length=10, choices=IndicatorKind.choices)
    unit = models.CharField("计量单位", max_length=20, blank=True)
    factor = models.PositiveIntegerField("系数", default=1, help_text="比率乘以的系数，百分比为 100")
    decimals = models.PositiveSmallIntegerField("小数位", default=1)
    numerator_label = models.CharField("分子", max_length=60, blank=True)
    denominator_label = models.CharField("分母", max_length=60, blank=True)
    source = models.CharField("数据来源", max_length=10, choices=IndicatorSource.choices)
    computed_by = models.CharField("计算来源", max_length=60, blank=True)
    entry_level = models.PositiveSmallIntegerField(
        "填报层级", choices=PlaceLevel.choices, null=True, blank=True, help_text="空表示各层级均可（计数类）"
    )
    period_aggregation = models.CharField(
        "年度汇总方式", max_length=10, choices=PeriodAggregation.choices, default=PeriodAggregation.LAST
    )
    unit_aggregation = models.CharField(
        "多单位填报汇总方式",
        max_length=12,
        choices=UnitAggregation.choices,
        default=UnitAggregation.SUM,
        help_text="同一区划同一期间有多个单位填报时，本级数如何得出",
    )
    designated_unit = models.ForeignKey(
        "core.Unit",
        verbose_name="指定填报单位",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="汇总方式为“以指定单位为准”时，以该单位填报数为准",
    )
    min_value = models.DecimalField("最小值", max_digits=16, decimal_places=4, null=True, blank=True)
    max_value = models.DecimalField("最大值", max_digits=16, decimal_places=4, null=True, blank=True)
    higher_is_better = models.BooleanField("越高越好", default=True)
    green_at = models.PositiveSmallIntegerField("绿灯阈值(%)", default=100)
    yellow_at = models.PositiveSmallIntegerField("黄灯阈值(%)", default=80)
    is_active = models.BooleanField("启用", default=True)
    order = models.PositiveIntegerField("排序", default=0)

    class Meta:
        verbose_name = "指标"
        verbose_name_plural = "指标"
        ordering = ["order", "code"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(source="computed") | ~Q(computed_by=""),
                name="indicator_computed_has_source",
                violation_error_message="计算类指标必须指定计算来源",
            ),
            models.CheckConstraint(
                condition=~Q(unit_aggregation="designated") | Q(designated_unit__isnull=False),
                name="indicator_designated_has_unit",
                violation_error_message="汇总方式为“以指定单位为准”时必须指定填报单位",
            ),
            models.CheckConstraint(
                condition=Q(yellow_at__lte=models.F("green_at")),
                name="indicator_light_thresholds_ordered",
                violation_error_message="黄灯阈值不能高于绿灯阈值",
            ),
        ]

    def __str__(self):
        return self.name

    @property
    def is_ratio(self):
        return self.kind == IndicatorKind.RATIO

    @property
    def unit_rule_text(self) -> str:
        """How several units' figures make the place's figure, as a page says it: "按合计"."""
        if self.unit_aggregation == UnitAggregation.DESIGNATED and self.designated_unit_id:
            unit = self.designated_unit
            return f"以{unit.short_name or unit.name}填报数为准"
        if self.unit_aggregation == UnitAggregation.MAX:
            return "按最大值"
        return "按合计"


declare_unscoped(Indicator, "definitions are district-wide reference data every signed-in user reads")


@scoped("place")
class Target(models.Model):
    """The value an indicator should reach at a place by the end of a year (行动目标的目标值)."""

    indicator = models.ForeignKey(Indicator, on_delete=models.CASCADE, related_name="targets")
    place = models.ForeignKey("core.Place", verbose_name="区划", on_delete=models.PROTECT, related_name="+")
    year = models.PositiveSmallIntegerField("年度")
    value = models.DecimalField("目标值", max_digits=16, decimal_places=4)
    note = models.CharField("依据", max_length=200, blank=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = "指标目标"
        verbose_name_plural = "指标目标"
        ordering = ["indicator", "year", "place__code"]
        constraints = [
            models.UniqueConstraint(
                fields=["indicator", "place", "year"],
                name="target_unique",
                violation_error_message="该指标在该区划、该年度已有目标值",
            )
        ]

    def __str__(self):
        return f"{self.indicator} {self.year} {self.place}：{self.value}"


@scoped("place")
class DataValue(models.Model):
    """One reporter's figure for one indicator, place and quarter ("2025Q3").

    The reporter is `unit` (a bureau filling its ledger form for the district) or, when blank,
    the place itself (a township's or village's own form, a computed count). Each reporter owns
    its value — one unit's save never touches another's (DHIS2 keeps values per attribute option
    combination the same way); the place's figure is derived by the indicator's
    `unit_aggregation`. For a ratio, `numerator`/`denominator` are stored (a hamlet with fibre is
    1/1, without 0/1); for a number, only `numerator`. Roll-ups sum these over the subtree.
    """

    indicator = models.ForeignKey(Indicator, on_delete=models.CASCADE, related_name="values")
    place = models.ForeignKey("core.Place", verbose_name="区划", on_delete=models.PROTECT, related_name="+")
    period = models.CharField("期间", max_length=8)
    unit = models.ForeignKey(
        "core.Unit",
        verbose_name="填报单位",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="空表示该区划本级填报（乡镇、村台账或系统计算）",
    )
    numerator = models.DecimalField("数值/分子", max_digits=18, decimal_places=4)
    denominator = models.DecimalField("分母", max_digits=18, decimal_places=4, null=True, blank=True)
    source_ref = models.CharField("来源", max_length=60, blank=True, help_text="如 ledger:12 或 computed")
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = "指标数据"
        verbose_name_plural = "指标数据"
        ordering = ["indicator", "period", "place__code"]
        constraints = [
            models.UniqueConstraint(
                fields=["indicator", "place", "period", "unit"],
                condition=Q(unit__isnull=False),
                name="datavalue_unique_unit",
                violation_error_message="该单位在该区划、该期间已填报此指标",
            ),
            models.UniqueConstraint(
                fields=["indicator", "place", "period"],
                condition=Q(unit__isnull=True),
                name="datavalue_unique_place",
                violation_error_message="该指标在该区划、该期间已有本级数据",
            ),
            models.CheckConstraint(
                condition=Q(denominator__isnull=True) | Q(denominator__gte=0),
                name="datavalue_denominator_not_negative",
                violation_error_message="分母不能为负数",
            ),
        ]
        indexes = [models.Index(fields=["indicator", "period"], name="datavalue_ind_period_idx")]

    def __str__(self):
        who = f" {self.unit}" if self.unit_id else ""
        return f"{self.indicator} {self.period} {self.place}{who}"


class ValidationRule(models.Model):
    """A DHIS2-style check between two expressions over one place's values for one period.

    `left`/`right` are arithmetic over `#{indicator_code}` (a ratio's value; `.numerator`
    and `.denominator` name its parts). A violated high-importance rule blocks completion
    of the form it belongs to (`data_set`, e.g. "task:11"); others only warn.
    """

    code = models.SlugField("规则代码", max_length=60, unique=True)
    name = models.CharField("规则名称", max_length=100)
    instruction = models.CharField("违反时提示", max_length=200)
    left = models.CharField("左侧表达式", max_length=300)
    operator = models.CharField("运算符", max_length=30, choices=Operator.choices)
    right = models.CharField("右侧表达式", max_length=300, blank=True)
    importance = models.CharField(
        "重要性", max_length=10, choices=Importance.choices, default=Importance.HIGH
    )
    missing_value_strategy = models.CharField(
        "缺失值处理",
        max_length=30,
        choices=MissingValueStrategy.choices,
        default=MissingValueStrategy.SKIP_IF_ANY_VALUE_MISSING,
    )
    data_set = models.CharField("适用表单", max_length=40, blank=True, db_index=True)
    is_active = models.BooleanField("启用", default=True)

    class Meta:
        verbose_name = "校验规则"
        verbose_name_plural = "校验规则"
        ordering = ["data_set", "code"]

    def __str__(self):
        return self.name


declare_unscoped(ValidationRule, "definitions are district-wide reference data")
