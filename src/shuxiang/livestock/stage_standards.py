"""Editing the barn environment standards by stage (栏舍环境标准) in the browser or over the API.

The animal-husbandry office (`livestock.stagestandard.change`: admin, district, department) changes a
stage's temperature band, gas ceilings and minutes; the row replaces the stage's line of
data/standards.yaml for every later "一键应用" and page. Rules already applied on barns of that stage
follow the change when they still carry the old figure (a rule staff tuned on the iot rule page is
left as they set it). Every change is audited with its before and after.
"""

from django.db import transaction

from shuxiang.core import audit
from shuxiang.core.actors import as_actor
from shuxiang.core.errors import ServiceError
from shuxiang.core.permissions import require
from shuxiang.livestock import standards
from shuxiang.livestock.choices import Stage
from shuxiang.livestock.models import Pen, StageStandard

# rule name suffix (services.barn_rules) → the figure it compares with
RULE_FIGURES = {
    "温度过高": "t_max",
    "温度过低": "t_min",
    "氨气超标": "nh3",
    "硫化氢超标": "h2s",
    "二氧化碳超标": "co2",
}
LIMITS = {
    "t_min": ("最低温度", -10, 45),
    "t_max": ("最高温度", -10, 45),
    "nh3": ("氨气上限", 0, 200),
    "h2s": ("硫化氢上限", 0, 100),
    "co2": ("二氧化碳上限", 300, 10000),
    "minutes": ("持续分钟", 1, 1440),
}


def _validate(values: dict) -> tuple[dict, dict]:
    clean, errors = {}, {}
    for field, (label, low, high) in LIMITS.items():
        value = values.get(field)
        if value in (None, ""):
            errors[field] = [f"请填写{label}"]
            continue
        if isinstance(value, bool) or not isinstance(value, int | float):
            try:
                value = float(value)
            except (TypeError, ValueError):
                errors[field] = [f"{label}应为数字"]
                continue
        if field == "minutes":
            if value != int(value):
                errors[field] = ["持续分钟应为整数"]
                continue
            value = int(value)
        if not low <= value <= high:
            errors[field] = [f"{label}应在 {low:g}～{high:g} 之间"]
            continue
        clean[field] = value
    if "t_min" in clean and "t_max" in clean and clean["t_min"] >= clean["t_max"]:
        errors["t_max"] = ["最高温度应高于最低温度"]
    return clean, errors


@transaction.atomic
def do_update_stage_standard(stage, *, actor, update_rules=True, **values) -> tuple[StageStandard, int]:
    """Set a stage's figures; returns the row and how many applied rules followed the change."""
    require(actor, "livestock.stagestandard.change")
    if stage not in Stage.values:
        raise ServiceError("invalid", "阶段无效", {"stage": ["阶段应为产房、保育舍、育肥舍或妊娠舍"]})
    unknown = set(values) - set(LIMITS)
    if unknown:
        raise ServiceError("invalid", "栏舍环境标准有误", {f: ["未知字段"] for f in unknown})
    clean, errors = _validate(values)
    if errors:
        raise ServiceError("invalid", "栏舍环境标准有误", errors)
    old = standards.barn_stage(stage)
    row = StageStandard.objects.select_for_update().filter(stage=stage).first()
    a = as_actor(actor)
    person = a.person if a.is_person else None
    if row is None:
        row = StageStandard.objects.create(stage=stage, updated_by=person, **clean)
        audit.record(
            actor,
            "update",
            row,
            changes={f: [old[f], clean[f]] for f in LIMITS if old[f] != clean[f]},
            object_repr=f"栏舍环境标准 {row}",
        )
    else:
        before = audit.snapshot(row)
        for f, v in clean.items():
            setattr(row, f, v)
        row.updated_by = person
        row.save()
        audit.record_update(actor, row, before)
    followed = _follow(stage, old, clean, actor) if update_rules else 0
    return row, followed


def _follow(stage, old: dict, new: dict, actor) -> int:
    """Applied rules of the stage's barns that still carry the old figure take the new one."""
    from shuxiang.iot import services as iot
    from shuxiang.iot.models import AlarmRule
    from shuxiang.livestock.services import into_iot

    label = Stage(stage).label
    devices = Pen.objects.filter(stage=stage, environment__isnull=False).values("environment_id")
    n = 0
    for rule in AlarmRule.objects.filter(device_id__in=devices, name__startswith=label):
        figure = RULE_FIGURES.get(rule.name.removeprefix(label))
        if figure is None:
            continue
        changes = {}
        if rule.threshold == old[figure] and new[figure] != old[figure]:
            changes["threshold"] = new[figure]
        if rule.duration_minutes == old["minutes"] and new["minutes"] != old["minutes"]:
            changes["duration_minutes"] = new["minutes"]
        if changes:
            iot.do_update_rule(rule, actor=into_iot(actor), **changes)
            n += 1
    return n
