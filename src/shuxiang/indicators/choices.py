from django.db import models


class IndicatorKind(models.TextChoices):
    NUMBER = "number", "数值"
    RATIO = "ratio", "比率"


class IndicatorSource(models.TextChoices):
    REPORTED = "reported", "台账填报"
    COMPUTED = "computed", "登记台账计算"


class PeriodAggregation(models.TextChoices):
    """How quarter values make a year: flows add up (sales), stocks take the latest quarter (coverage)."""

    SUM = "sum", "按季累计"
    LAST = "last", "取最近一季"


class UnitAggregation(models.TextChoices):
    """How the figures several units report for one place and period make that place's figure
    (DHIS2 aggregates over attribute option combinations the same way): a flow each unit owns a
    part of adds up; a figure every unit reports for the whole place is taken from the unit the
    indicator names, or as the largest reported."""

    SUM = "sum", "合计"
    DESIGNATED = "designated", "以指定单位为准"
    MAX = "max", "取最大值"


class Operator(models.TextChoices):
    EQUAL_TO = "equal_to", "等于"
    NOT_EQUAL_TO = "not_equal_to", "不等于"
    GREATER_THAN = "greater_than", "大于"
    GREATER_THAN_OR_EQUAL_TO = "greater_than_or_equal_to", "大于等于"
    LESS_THAN = "less_than", "小于"
    LESS_THAN_OR_EQUAL_TO = "less_than_or_equal_to", "小于等于"
    COMPULSORY_PAIR = "compulsory_pair", "必须同时填写"
    EXCLUSIVE_PAIR = "exclusive_pair", "不能同时填写"


class Importance(models.TextChoices):
    HIGH = "high", "高（阻止报送）"
    MEDIUM = "medium", "中（提示）"
    LOW = "low", "低（提示）"


class MissingValueStrategy(models.TextChoices):
    SKIP_IF_ANY_VALUE_MISSING = "skip_if_any_value_missing", "任一值缺失则跳过"
    SKIP_IF_ALL_VALUES_MISSING = "skip_if_all_values_missing", "全部缺失才跳过"
    NEVER_SKIP = "never_skip", "从不跳过（缺失按0计）"


class Light(models.TextChoices):
    """Traffic light of progress to target; the value is the CSS tag suffix."""

    GREEN = "ok", "达标"
    YELLOW = "warn", "接近"
    RED = "danger", "滞后"
    NONE = "none", "无目标"
