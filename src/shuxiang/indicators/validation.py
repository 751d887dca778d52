"""Running validation rules over the figures of one form (DHIS2's data-entry validation)."""

from dataclasses import dataclass
from decimal import Decimal

from shuxiang.indicators import expressions
from shuxiang.indicators.choices import Importance, MissingValueStrategy, Operator
from shuxiang.indicators.models import Indicator, ValidationRule

COMPARE = {
    Operator.EQUAL_TO: lambda a, b: a == b,
    Operator.NOT_EQUAL_TO: lambda a, b: a != b,
    Operator.GREATER_THAN: lambda a, b: a > b,
    Operator.GREATER_THAN_OR_EQUAL_TO: lambda a, b: a >= b,
    Operator.LESS_THAN: lambda a, b: a < b,
    Operator.LESS_THAN_OR_EQUAL_TO: lambda a, b: a <= b,
}


@dataclass
class Violation:
    rule: ValidationRule
    left: Decimal | None
    right: Decimal | None

    @property
    def blocking(self) -> bool:
        return self.rule.importance == Importance.HIGH

    def as_text(self) -> str:
        def fmt(v):
            return "空" if v is None else f"{v.normalize():f}"

        return f"{self.rule.name}：{self.rule.instruction}（左侧 {fmt(self.left)}，右侧 {fmt(self.right)}）"


def operand_values(figures: dict[str, tuple[Decimal, Decimal | None]]) -> dict[str, Decimal]:
    """Operands from {indicator code: (numerator, denominator)}: a ratio's value and its parts."""
    factors = dict(Indicator.objects.filter(code__in=list(figures)).values_list("code", "factor"))
    values = {}
    for code, (num, den) in figures.items():
        if num is None:
            continue
        if den is None:
            values[code] = num
        else:
            values[f"{code}.numerator"], values[f"{code}.denominator"] = num, den
            values[code] = num / den * factors.get(code, 1) if den else None
    return values


def run_rules(rules, figures: dict[str, tuple[Decimal, Decimal | None]]) -> list[Violation]:
    values = operand_values(figures)
    violations = []
    for rule in rules:
        if rule.operator in (Operator.COMPULSORY_PAIR, Operator.EXCLUSIVE_PAIR):
            left_present = all(values.get(k) is not None for k in expressions.operands(rule.left))
            right_present = all(values.get(k) is not None for k in expressions.operands(rule.right))
            bad = (
                left_present != right_present
                if rule.operator == Operator.COMPULSORY_PAIR
                else (left_present and right_present)
            )
            if bad:
                violations.append(Violation(rule, None, None))
            continue
        never_skip = rule.missing_value_strategy == MissingValueStrategy.NEVER_SKIP
        try:
            left, left_missing = expressions.evaluate(rule.left, values, missing_as_zero=True)
            right, right_missing = expressions.evaluate(rule.right, values, missing_as_zero=True)
        except expressions.ExpressionError:
            continue  # a zero divisor means the rule does not apply to these figures
        used = expressions.operands(rule.left) + expressions.operands(rule.right)
        missing = left_missing + right_missing
        if not never_skip and missing:
            skip_all = rule.missing_value_strategy == MissingValueStrategy.SKIP_IF_ALL_VALUES_MISSING
            if not skip_all or len(missing) == len(used):
                continue
        if not COMPARE[rule.operator](left, right):
            violations.append(Violation(rule, left, right))
    return violations


def validate(data_set: str, figures) -> list[Violation]:
    rules = ValidationRule.objects.filter(is_active=True, data_set__in=[data_set, ""]).order_by("code")
    return run_rules(rules, figures)
