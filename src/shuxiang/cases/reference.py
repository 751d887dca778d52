"""Writes to the cases engine's reference data: categories with their deadlines, the routing table
and the working calendar. Categories and the calendar are district-wide; a routing line is inside
the region of whoever writes it. All need `case.configure`.
"""

import re

from django.db import transaction

from shuxiang.cases.choices import DeadlineUnit
from shuxiang.cases.models import CaseCategory, RoutingRule, WorkCalendarDay
from shuxiang.cases.registry import get_type
from shuxiang.core import audit
from shuxiang.core.errors import ServiceError
from shuxiang.core.models import Unit
from shuxiang.core.permissions import require
from shuxiang.core.services import resolve_place


def category_by_code(code) -> CaseCategory:
    if isinstance(code, CaseCategory):
        return code
    category = CaseCategory.objects.filter(code=(code or "").strip(), is_active=True).first()
    if category is None:
        raise ServiceError("unknown_category", "请选择问题类别", {"category": ["类别不存在或已停用"]})
    return category


@transaction.atomic
def do_save_category(
    *,
    actor,
    code,
    name,
    category=None,
    description="",
    group="",
    case_type="complaint",
    is_public=True,
    is_sensitive=False,
    deadline_amount=5,
    deadline_unit=DeadlineUnit.CALENDAR_DAYS,
    accept_hours=24,
    order=100,
    is_active=True,
) -> CaseCategory:
    """Create a category, or update `category`; deadlines apply to cases opened afterwards."""
    require(actor, "case.configure")
    errors: dict[str, list[str]] = {}

    code = (code or "").strip()
    if not re.fullmatch(r"[a-z0-9][a-z0-9_-]{1,39}", code):
        errors["code"] = ["代码为2–40位小写字母、数字、_ 或 -"]
    elif CaseCategory.objects.filter(code=code).exclude(pk=category.pk if category else None).exists():
        errors["code"] = [f"代码 {code} 已存在"]
    if not (name or "").strip():
        errors["name"] = ["名称必填"]
    if get_type(case_type, default=None) is None:
        errors["case_type"] = ["事件类型未注册"]
    if deadline_unit not in DeadlineUnit.values:
        errors["deadline_unit"] = ["时限单位只能是工作小时或自然日"]
    try:
        deadline_amount = int(deadline_amount)
        if deadline_amount <= 0:
            raise ValueError
    except (TypeError, ValueError):
        errors["deadline_amount"] = ["办理时限应为正整数"]
    try:
        accept_hours = int(accept_hours)
        if accept_hours < 0:
            raise ValueError
    except (TypeError, ValueError):
        errors["accept_hours"] = ["受理时限应为不小于0的整数（小时）"]
    if errors:
        raise ServiceError("invalid", "类别信息有误", errors)
    values = {
        "code": code,
        "name": name.strip(),
        "description": (description or "").strip(),
        "group": (group or "").strip(),
        "case_type": case_type,
        "is_public": bool(is_public),
        "is_sensitive": bool(is_sensitive),
        "deadline_amount": deadline_amount,
        "deadline_unit": deadline_unit,
        "accept_hours": accept_hours,
        "order": int(order or 100),
        "is_active": bool(is_active),
    }
    if category is None:
        category = CaseCategory.objects.create(**values)
        audit.record_create(actor, category)
        return category
    before = audit.snapshot(category)
    for key, value in values.items():
        setattr(category, key, value)
    category.save()
    audit.record_update(actor, category, before)
    return category


@transaction.atomic
def do_save_routing_rule(
    *, actor, place, unit, category=None, notify_grid=True, note="", rule=None
) -> RoutingRule:
    """Add a line to the routing table, or change `rule`. A township may route only inside itself."""
    require(actor, "case.configure")
    place = resolve_place(place)
    require(actor, "case.configure", place)
    if rule is not None:
        require(actor, "case.configure", rule)
    category = category_by_code(category) if category not in (None, "") else None
    if not isinstance(unit, Unit):
        unit = Unit.objects.filter(pk=unit).first() if unit not in (None, "") else None
    if unit is None or not unit.is_active:
        raise ServiceError("unknown_unit", "请选择启用中的责任单位", {"unit": ["单位不存在或已停用"]})
    clash = RoutingRule.objects.filter(place=place, category=category).exclude(pk=rule.pk if rule else None)
    if clash.exists():
        raise ServiceError(
            "duplicate_rule",
            f"{place.name}已有“{category or '全部类别'}”的分派规则",
            {"category": ["重复的分派规则"]},
        )
    values = {
        "place": place,
        "unit": unit,
        "category": category,
        "notify_grid": bool(notify_grid),
        "note": (note or "")[:200],
    }
    if rule is None:
        rule = RoutingRule.objects.create(**values)
        audit.record_create(actor, rule)
        return rule
    before = audit.snapshot(rule)
    for key, value in values.items():
        setattr(rule, key, value)
    rule.save()
    audit.record_update(actor, rule, before)
    return rule


@transaction.atomic
def do_delete_routing_rule(rule: RoutingRule, *, actor) -> None:
    require(actor, "case.configure", rule)
    audit.record_delete(actor, rule)
    rule.delete()


@transaction.atomic
def do_set_calendar_day(*, actor, date, is_workday, name="") -> WorkCalendarDay:
    """A public holiday (is_workday False) or a make-up working day (True) for deadline counting."""
    require(actor, "case.configure")
    day, created = WorkCalendarDay.objects.get_or_create(
        date=date, defaults={"is_workday": bool(is_workday), "name": (name or "")[:50]}
    )
    if created:
        audit.record_create(actor, day)
        return day
    before = audit.snapshot(day)
    day.is_workday, day.name = bool(is_workday), (name or "")[:50]
    day.save()
    audit.record_update(actor, day, before)
    return day
