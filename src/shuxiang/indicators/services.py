"""Every write to indicators: definitions, targets, values, validation rules.

Ledgers (plan) call `do_record_value` for what townships and units report;
`do_refresh_computed` stores what registries count. Nothing else writes values.
Each takes a typed actor (core.actors) and passes the one gate (`require`) first.
"""

from decimal import Decimal, InvalidOperation

from django.db import transaction

from shuxiang.core import audit
from shuxiang.core.actors import as_actor
from shuxiang.core.choices import PlaceLevel
from shuxiang.core.errors import ServiceError
from shuxiang.core.models import Place, Unit
from shuxiang.core.permissions import require
from shuxiang.indicators import expressions
from shuxiang.indicators.choices import (
    Importance,
    IndicatorKind,
    IndicatorSource,
    MissingValueStrategy,
    Operator,
    PeriodAggregation,
    UnitAggregation,
)
from shuxiang.indicators.models import DataValue, Indicator, Target, ValidationRule
from shuxiang.indicators.periods import parse_period
from shuxiang.indicators.registry import lock_reason, sources
from shuxiang.indicators.rollup import bump_data_version

INDICATOR_FIELDS = {
    "name",
    "description",
    "kind",
    "unit",
    "factor",
    "decimals",
    "numerator_label",
    "denominator_label",
    "source",
    "computed_by",
    "entry_level",
    "period_aggregation",
    "unit_aggregation",
    "designated_unit",
    "min_value",
    "max_value",
    "higher_is_better",
    "green_at",
    "yellow_at",
    "is_active",
    "order",
}


def to_decimal(value, *, field, label="数值") -> Decimal | None:
    """A figure typed by a person: "12", "12.5", "1,200" → Decimal; blank → None; text → refused."""
    if value is None:
        return None
    if isinstance(value, bool):
        raise ServiceError("invalid_number", f"{label}应为数字", {field: ["应为数字"]})
    if isinstance(value, int | float | Decimal):
        number = Decimal(str(value))
    else:
        text = str(value).strip().replace(",", "").replace("，", "")
        if not text:
            return None
        try:
            number = Decimal(text)
        except InvalidOperation:
            raise ServiceError(
                "invalid_number", f"{label}「{value}」不是数字", {field: [f"「{value}」不是数字"]}
            ) from None
    if not number.is_finite():
        raise ServiceError("invalid_number", f"{label}应为有限数字", {field: ["应为有限数字"]})
    return number


# --- definitions ----------------------------------------------------------------------------


def _validate_indicator(fields: dict) -> dict:
    errors: dict[str, list[str]] = {}
    if not str(fields.get("name") or "").strip():
        errors["name"] = ["指标名称必填"]
    if fields.get("kind") not in IndicatorKind.values:
        errors["kind"] = ["类型应为 number（数值）或 ratio（比率）"]
    if fields.get("source") not in IndicatorSource.values:
        errors["source"] = ["来源应为 reported（填报）或 computed（计算）"]
    elif fields["source"] == IndicatorSource.COMPUTED and fields.get("computed_by") not in sources:
        errors["computed_by"] = [f"未注册的计算来源「{fields.get('computed_by')}」"]
    if fields.get("period_aggregation", PeriodAggregation.LAST) not in PeriodAggregation.values:
        errors["period_aggregation"] = ["年度汇总方式应为 sum 或 last"]
    rule = fields.get("unit_aggregation", UnitAggregation.SUM)
    if rule not in UnitAggregation.values:
        errors["unit_aggregation"] = [
            "多单位汇总方式应为 sum（合计）、designated（以指定单位为准）或 max（取最大值）"
        ]
    elif rule == UnitAggregation.DESIGNATED and fields.get("designated_unit") is None:
        errors["designated_unit"] = ["以指定单位为准时须指定填报单位"]
    if fields.get("designated_unit") is not None and not isinstance(fields["designated_unit"], Unit):
        errors["designated_unit"] = ["应为单位"]
    if fields.get("entry_level") not in (None, 1, 2, 3, 4):
        errors["entry_level"] = ["填报层级应为 1–4"]
    lo, hi = fields.get("min_value"), fields.get("max_value")
    if lo is not None and hi is not None and lo > hi:
        errors["max_value"] = ["最大值不能小于最小值"]
    if fields.get("yellow_at", 80) > fields.get("green_at", 100):
        errors["yellow_at"] = ["黄灯阈值不能高于绿灯阈值"]
    return errors


@transaction.atomic
def do_save_indicator(*, actor, code, **fields) -> Indicator:
    """Create the indicator `code` or update its definition (a plan file re-load is an update)."""
    require(actor, "indicator.define")
    unknown = set(fields) - INDICATOR_FIELDS
    if unknown:
        raise ServiceError("invalid", f"未知字段：{'、'.join(sorted(unknown))}")
    code = str(code or "").strip()
    for name in ("min_value", "max_value"):
        if name in fields:
            fields[name] = to_decimal(fields[name], field=name)
    existing = Indicator.objects.filter(code=code).first()
    merged = {f: getattr(existing, f) for f in INDICATOR_FIELDS} if existing else {}
    merged.update(fields)
    errors = _validate_indicator(merged)
    if not code:
        errors["code"] = ["指标代码必填"]
    if errors:
        raise ServiceError("invalid", "指标定义有误", errors)
    if existing:
        before = audit.snapshot(existing)
        for name, value in fields.items():
            setattr(existing, name, value)
        existing.save()
        audit.record_update(actor, existing, before)
        return existing
    indicator = Indicator.objects.create(code=code, **fields)
    audit.record_create(actor, indicator)
    return indicator


@transaction.atomic
def do_set_target(indicator: Indicator, *, place: Place, year, value, note="", actor) -> Target:
    require(actor, "indicator.define", place)
    number = to_decimal(value, field="value", label="目标值")
    if number is None:
        raise ServiceError("required", "请填写目标值", {"value": ["必填"]})
    try:
        year = int(year)
    except (TypeError, ValueError):
        raise ServiceError("invalid", "年度应为四位数字", {"year": ["应为四位数字"]}) from None
    target = Target.objects.filter(indicator=indicator, place=place, year=year).first()
    if target:
        before = audit.snapshot(target)
        target.value, target.note = number, note
        target.save(update_fields=["value", "note"])
        audit.record_update(actor, target, before)
        return target
    target = Target.objects.create(indicator=indicator, place=place, year=year, value=number, note=note)
    audit.record_create(actor, target)
    return target


# --- values ---------------------------------------------------------------------------------


def _changed(indicator):
    """Cached roll-ups of the indicator are stale: now (for reads later in this transaction) and
    again on commit (for other processes that cached the old figures meanwhile)."""
    bump_data_version(indicator.pk)
    transaction.on_commit(lambda: bump_data_version(indicator.pk))


def clean_figure(indicator: Indicator, *, value=None, numerator=None, denominator=None, field=None):
    """(numerator, denominator) for one entered figure, or (None, None) when left blank.

    Refuses text, a missing half of a ratio, a zero or negative denominator and values
    outside the indicator's range, naming the field.
    """
    field = field or indicator.code
    if indicator.kind == IndicatorKind.NUMBER:
        number = to_decimal(value if value is not None else numerator, field=field, label=indicator.name)
        if number is None:
            return None, None
        result, den = number, None
    else:
        num = to_decimal(
            numerator, field=field, label=f"{indicator.name}（{indicator.numerator_label or '分子'}）"
        )
        den = to_decimal(
            denominator, field=field, label=f"{indicator.name}（{indicator.denominator_label or '分母'}）"
        )
        if num is None and den is None:
            return None, None
        if num is None or den is None:
            raise ServiceError(
                "incomplete_ratio", f"{indicator.name}需同时填写分子和分母", {field: ["分子、分母都要填写"]}
            )
        if den <= 0:
            raise ServiceError(
                "invalid_denominator", f"{indicator.name}的分母应大于 0", {field: ["分母应大于 0"]}
            )
        if num < 0:
            raise ServiceError(
                "out_of_range", f"{indicator.name}的分子不能为负数", {field: ["分子不能为负数"]}
            )
        number, result = num, num / den * indicator.factor
    if indicator.min_value is not None and result < indicator.min_value:
        raise ServiceError(
            "out_of_range",
            f"{indicator.name}不能小于 {indicator.min_value.normalize()}{indicator.unit}",
            {field: [f"不能小于 {indicator.min_value.normalize()}"]},
        )
    if indicator.max_value is not None and result > indicator.max_value:
        raise ServiceError(
            "out_of_range",
            f"{indicator.name}不能大于 {indicator.max_value.normalize()}{indicator.unit}",
            {field: [f"不能大于 {indicator.max_value.normalize()}"]},
        )
    return number, den


@transaction.atomic
def do_record_value(
    indicator: Indicator,
    *,
    place: Place,
    period,
    actor,
    value=None,
    numerator=None,
    denominator=None,
    source_ref="",
    unit: Unit | None = None,
) -> DataValue | None:
    """Store (or, when blank, remove) one reporter's figure. Returns the value, or None when removed.

    The reporter is `unit` (a bureau's form) or, without one, the place itself (a township's or
    village's form): only that reporter's value is written, never another's. A value an app has
    locked (an approved ledger form) is refused until the approval is withdrawn.
    """
    require(actor, "indicator.report", place)
    field = indicator.code
    if indicator.source != IndicatorSource.REPORTED:
        raise ServiceError(
            "not_reported", f"{indicator.name}由系统计算，不能填报", {field: ["系统计算，不能填报"]}
        )
    if not indicator.is_active:
        raise ServiceError("inactive", f"{indicator.name}已停用", {field: ["已停用"]})
    period = parse_period(period)
    if period.is_year:
        raise ServiceError(
            "quarter_required", "指标数据按季度填报（如 2025Q4），年度值由季度汇总", {"period": ["应为季度"]}
        )
    if indicator.entry_level and place.level != indicator.entry_level:
        raise ServiceError(
            "wrong_level",
            f"{indicator.name}应在{PlaceLevel(indicator.entry_level).label}一级填报",
            {field: ["填报层级不对"]},
        )
    num, den = clean_figure(indicator, value=value, numerator=numerator, denominator=denominator, field=field)
    existing = (  # ordered by pk: the default ordering joins Place, which FOR UPDATE would lock too
        DataValue.objects.select_for_update()
        .filter(indicator=indicator, place=place, period=period.code, unit=unit)
        .order_by("pk")
        .first()
    )
    if (existing is None and num is None) or (
        existing is not None and num == existing.numerator and den == existing.denominator
    ):
        return existing  # nothing changes: not a write, so neither audited nor refused by a lock
    reason = lock_reason(indicator, place, period.code, unit)
    if reason:
        raise ServiceError("value_locked", reason, {field: ["已审定，不能修改"]})
    user = as_actor(actor).human
    if num is None:
        if existing:
            audit.record_delete(actor, existing)
            existing.delete()
            _changed(indicator)
        return None
    if existing:
        before = audit.snapshot(existing)
        existing.numerator, existing.denominator = num, den
        existing.source_ref, existing.updated_by = source_ref, user
        existing.save(update_fields=["numerator", "denominator", "source_ref", "updated_by", "updated_at"])
        audit.record_update(actor, existing, before)
        _changed(indicator)
        return existing
    data_value = DataValue.objects.create(
        indicator=indicator,
        place=place,
        period=period.code,
        unit=unit,
        numerator=num,
        denominator=den,
        source_ref=source_ref,
        updated_by=user,
    )
    audit.record_create(actor, data_value)
    _changed(indicator)
    return data_value


@transaction.atomic
def do_refresh_computed(indicator: Indicator, period, *, actor) -> int:
    """Recount a computed indicator from its registry for `period`; replaces that period's values."""
    require(actor, "indicator.refresh")
    period = parse_period(period)
    if period.is_year:
        raise ServiceError("quarter_required", "计算类指标按季度留存快照（如 2025Q4），年度值由季度汇总")
    if indicator.source != IndicatorSource.COMPUTED:
        raise ServiceError("not_computed", f"{indicator.name}是填报类指标，无需计算")
    source = sources.get(indicator.computed_by)
    if source is None:
        raise ServiceError("unknown_source", f"计算来源「{indicator.computed_by}」未注册")
    rows = [
        DataValue(
            indicator=indicator,
            place_id=place_id,
            period=period.code,
            numerator=Decimal(num),
            denominator=None if den is None else Decimal(den),
            source_ref="computed",
        )
        for place_id, num, den in source.compute(period)
    ]
    DataValue.objects.filter(indicator=indicator, period=period.code).delete()
    DataValue.objects.bulk_create(rows, batch_size=2000)
    _changed(indicator)
    audit.record(
        actor,
        "update",
        indicator,
        changes={"refreshed": [None, period.code], "values": [None, len(rows)]},
        object_repr=f"重新计算 {indicator.name} {period.label}",
    )
    return len(rows)


# --- validation rules -----------------------------------------------------------------------


@transaction.atomic
def do_save_validation_rule(
    *,
    actor,
    code,
    name,
    instruction,
    left,
    operator,
    right="",
    importance=Importance.HIGH,
    missing_value_strategy=MissingValueStrategy.SKIP_IF_ANY_VALUE_MISSING,
    data_set="",
) -> ValidationRule:
    require(actor, "indicator.define")
    errors: dict[str, list[str]] = {}
    if operator not in Operator.values:
        errors["operator"] = ["未知运算符"]
    if importance not in Importance.values:
        errors["importance"] = ["重要性应为 high / medium / low"]
    if missing_value_strategy not in MissingValueStrategy.values:
        errors["missing_value_strategy"] = ["未知的缺失值处理方式"]
    known = set(Indicator.objects.values_list("code", flat=True))
    for side, expression in (("left", left), ("right", right)):
        if side == "right" and operator in (Operator.COMPULSORY_PAIR, Operator.EXCLUSIVE_PAIR) and not right:
            errors[side] = ["成对规则两侧都要填写"]
            continue
        if side == "right" and not expression:
            errors[side] = ["必填"]
            continue
        try:
            expressions.check(expression)
        except expressions.ExpressionError as exc:
            errors[side] = [str(exc)]
            continue
        unknown = {key.split(".")[0] for key in expressions.operands(expression)} - known
        if unknown:
            errors[side] = [f"未知指标：{'、'.join(sorted(unknown))}"]
    if errors:
        raise ServiceError("invalid", "校验规则有误", errors)
    fields = {
        "name": name,
        "instruction": instruction,
        "left": left,
        "operator": operator,
        "right": right,
        "importance": importance,
        "missing_value_strategy": missing_value_strategy,
        "data_set": data_set,
    }
    rule = ValidationRule.objects.filter(code=code).first()
    if rule:
        before = audit.snapshot(rule)
        for key, value in fields.items():
            setattr(rule, key, value)
        rule.save()
        audit.record_update(actor, rule, before)
        return rule
    rule = ValidationRule.objects.create(code=code, **fields)
    audit.record_create(actor, rule)
    return rule
