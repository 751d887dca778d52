"""Loading a plan data file (YAML, format shuxiang-plan/1): the whole document as data.

Everything is checked before anything is written; a bad file is refused with every
problem listed and nothing stored. Loading the same file again changes nothing;
loading a new version updates the plan in place (tasks keep their ledgers).
"""

import hashlib
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

import yaml
from django.db import transaction

from shuxiang.core import audit
from shuxiang.core import services as core_services
from shuxiang.core.choices import UnitKind
from shuxiang.core.errors import ServiceError
from shuxiang.core.models import Place, Unit
from shuxiang.core.permissions import require
from shuxiang.indicators import services as indicator_services
from shuxiang.indicators.models import Indicator
from shuxiang.plan.choices import UnitRole
from shuxiang.plan.models import Plan, PlanTarget, Section, Task, TaskUnit
from shuxiang.plan.permissions import MANAGE, carried

FORMAT = "shuxiang-plan/1"
DEFAULT_FILE = Path(__file__).parent / "data" / "heshan-2022-2025.yaml"


@dataclass
class LoadResult:
    plan: Plan
    created: bool
    tasks: int
    units_created: list[str] = field(default_factory=list)
    unchanged: bool = False


def read_file(path) -> tuple[dict, str]:
    path = Path(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise ServiceError("bad_file", f"无法读取方案文件：{path}") from exc
    try:
        data = yaml.safe_load(raw.decode("utf-8"))
    except (UnicodeDecodeError, yaml.YAMLError) as exc:
        raise ServiceError("bad_file", f"方案文件不是有效的 UTF-8 YAML：{exc}") from exc
    if not isinstance(data, dict):
        raise ServiceError("bad_file", "方案文件内容应为一个映射（YAML 对象）")
    return data, hashlib.sha256(raw).hexdigest()


def _problems(data: dict) -> list[str]:
    """Every reason the file cannot be loaded, in Chinese."""
    problems = []
    if data.get("format") != FORMAT:
        problems.append(f"format 应为 {FORMAT}")
    for key in ("code", "title", "version", "district", "start_year", "end_year", "sections", "tasks"):
        if not data.get(key):
            problems.append(f"缺少 {key}")
    if problems:
        return problems
    district = Place.objects.filter(code=str(data["district"]), level=1).first()
    if district is None:
        problems.append(f"区县代码 {data['district']} 不存在")
        return problems
    # Another county's units and places have the same names (县农业农村局): only this county's count.
    county_units = Unit.objects.filter(place__path__startswith=district.path)
    section_codes = [s.get("code") for s in data["sections"]]
    if len(set(section_codes)) != len(section_codes):
        problems.append("章节编号重复")
    for s in data["sections"]:
        if s.get("parent") and s["parent"] not in section_codes:
            problems.append(f"章节 {s.get('code')} 的上级 {s['parent']} 不存在")
    indicator_codes = {i.get("code") for i in data.get("indicators", [])} | set(
        Indicator.objects.values_list("code", flat=True)
    )
    unit_names = set()
    for u in data.get("units", []):
        unit_names |= {u.get("short"), u.get("name"), *u.get("aliases", [])}
    for spec in data.get("indicators", []):
        name = spec.get("designated_unit")
        if name and name not in unit_names and not county_units.filter(name=name).exists():
            problems.append(f"指标 {spec.get('code')} 的指定填报单位「{name}」未在 units 中列出")
    # A form owns its reporter's values (indicator × place × quarter × unit): an indicator in two
    # tasks would give one reporter two forms writing the same value.
    in_task: dict[str, int] = {}
    for t in data["tasks"]:
        for code in t.get("indicators", []):
            if code in in_task and in_task[code] != t.get("number"):
                problems.append(f"指标 {code} 同时列在任务 {in_task[code]} 和任务 {t.get('number')} 中")
            in_task.setdefault(code, t.get("number"))
    numbers = [t.get("number") for t in data["tasks"]]
    if len(set(numbers)) != len(numbers):
        problems.append("任务序号重复")
    if sorted(n for n in numbers if isinstance(n, int)) != list(range(1, len(numbers) + 1)):
        problems.append("任务序号应从 1 起连续编号")
    all_targets = [(f"章节 {s.get('code')}", t) for s in data["sections"] for t in s.get("targets", [])]
    for t in data["tasks"]:
        where = f"任务 {t.get('number')}"
        for key in ("title", "text", "section"):
            if not t.get(key):
                problems.append(f"{where} 缺少 {key}")
        if t.get("section") and t["section"] not in section_codes:
            problems.append(f"{where} 的章节 {t['section']} 不存在")
        if not t.get("lead_units"):
            problems.append(f"{where} 没有牵头单位")
        for name in [*t.get("lead_units", []), *t.get("responsible_units", [])]:
            if name not in unit_names and not county_units.filter(name=name).exists():
                problems.append(f"{where} 的单位「{name}」未在 units 中列出")
        for code in t.get("indicators", []):
            if code not in indicator_codes:
                problems.append(f"{where} 的指标 {code} 未定义")
        all_targets += [(where, target) for target in t.get("targets", [])]
    for where, target in all_targets:
        if not target.get("quote"):
            problems.append(f"{where} 的目标缺少原文 quote")
        if target.get("indicator") and target["indicator"] not in indicator_codes:
            problems.append(f"{where} 的目标指标 {target['indicator']} 未定义")
        place = target.get("place", "district")
        if (
            place != "district"
            and not Place.objects.filter(code=str(place), path__startswith=district.path).exists()
        ):
            problems.append(f"{where} 的目标区划 {place} 不在 {district.name} 之内")
        if target.get("value") is not None:
            try:
                Decimal(str(target["value"]))
            except ArithmeticError:
                problems.append(f"{where} 的目标值「{target['value']}」不是数字")
    return problems


def _resolve_units(data, district, actor) -> tuple[dict[str, Unit], list[str]]:
    """{name as written in the plan: Unit}, creating the bureaus and companies the registry lacks."""
    existing = list(Unit.objects.filter(place=district))
    by_name = {u.name: u for u in existing} | {u.short_name: u for u in existing if u.short_name}
    resolved, created = {}, []
    for spec in data.get("units", []):
        names = [spec["short"], spec.get("name", spec["short"]), *spec.get("aliases", [])]
        unit = next((by_name[n] for n in names if n in by_name), None)
        if unit is None:
            kind = UnitKind.COMPANY if spec.get("kind") == "company" else UnitKind.BUREAU
            unit = core_services.do_create_unit(
                actor=actor,
                name=spec.get("name", spec["short"]),
                short_name=spec["short"],
                kind=kind,
                place=district,
            )
            by_name[unit.name] = by_name[spec["short"]] = unit
            created.append(unit.name)
        for n in names:
            resolved[n] = unit
    return resolved, created


def _place_of_target(target, district):
    place = target.get("place", "district")
    return district if place == "district" else Place.objects.get(code=str(place))


@transaction.atomic
def load_plan(data: dict, *, sha256: str, actor) -> LoadResult:
    """Load or update the plan from a checked file. Units, indicators, rules and targets it names are
    written through their own apps' services, on the loading person's behalf (or as the operator)."""
    require(actor, MANAGE)
    problems = _problems(data)
    if problems:
        raise ServiceError(
            "invalid_plan_file",
            f"方案文件有 {len(problems)} 处错误，未载入任何内容",
            {"file": problems},
        )
    district = Place.objects.get(code=str(data["district"]), level=1)
    plan = Plan.objects.filter(code=data["code"]).first()
    if plan and plan.source_sha256 == sha256:
        return LoadResult(plan, False, plan.tasks.count(), unchanged=True)
    elsewhere = carried(actor)
    units, created_units = _resolve_units(data, district, elsewhere)
    for spec in data.get("indicators", []):
        spec = dict(spec)
        if spec.get("designated_unit"):
            name = spec["designated_unit"]
            spec["designated_unit"] = (
                units.get(name)
                or Unit.objects.filter(name=name, place__path__startswith=district.path).first()
            )
        indicator_services.do_save_indicator(actor=elsewhere, code=spec.pop("code"), **spec)
    for spec in data.get("validation_rules", []):
        indicator_services.do_save_validation_rule(actor=elsewhere, **spec)
    fields = {
        "title": data["title"],
        "subtitle": data.get("subtitle", ""),
        "version": str(data["version"]),
        "district": district,
        "start_year": int(data["start_year"]),
        "end_year": int(data["end_year"]),
        "preamble": data.get("preamble", ""),
        "source_sha256": sha256,
    }
    was_created = plan is None
    if plan is None:
        plan = Plan.objects.create(code=data["code"], **fields)
        audit.record_create(actor, plan)
    else:
        before = audit.snapshot(plan)
        for key, value in fields.items():
            setattr(plan, key, value)
        plan.save()
        audit.record_update(actor, plan, before)

    # Sections: upsert by code, parents after.
    sections = {}
    for order, spec in enumerate(data["sections"]):
        section, _ = Section.objects.update_or_create(
            plan=plan,
            code=spec["code"],
            defaults={"title": spec["title"], "text": spec.get("text", ""), "order": order, "parent": None},
        )
        sections[spec["code"]] = section
    for spec in data["sections"]:
        if spec.get("parent"):
            sections[spec["code"]].parent = sections[spec["parent"]]
            sections[spec["code"]].save(update_fields=["parent"])
    plan.targets.all().delete()
    target_order = 0

    def add_targets(specs, *, section=None, task=None):
        nonlocal target_order
        for spec in specs:
            indicator = Indicator.objects.get(code=spec["indicator"]) if spec.get("indicator") else None
            place = _place_of_target(spec, district)
            value = None if spec.get("value") is None else Decimal(str(spec["value"]))
            year = spec.get("year")
            PlanTarget.objects.create(
                plan=plan,
                section=section,
                task=task,
                indicator=indicator,
                quote=spec["quote"],
                year=year,
                value=value,
                place=place,
                order=target_order,
            )
            target_order += 1
            if indicator and value is not None and year:
                indicator_services.do_set_target(
                    indicator, place=place, year=year, value=value, note=spec["quote"][:200], actor=elsewhere
                )

    for spec in data["sections"]:
        add_targets(spec.get("targets", []), section=sections[spec["code"]])
    numbers = [t["number"] for t in data["tasks"]]
    stale = plan.tasks.exclude(number__in=numbers)
    if stale.filter(entries__isnull=False).exists():
        raise ServiceError("task_in_use", "新文件删去了已有台账的任务，不能载入（未写入任何内容）")
    stale.delete()
    for spec in data["tasks"]:
        task, _ = Task.objects.update_or_create(
            plan=plan,
            number=spec["number"],
            defaults={
                "section": sections[spec["section"]],
                "seed_number": spec.get("seed_number", spec["number"]),
                "title": spec["title"],
                "text": spec["text"],
                "all_townships": bool(spec.get("all_townships", True)),
                "village_reporting": bool(spec.get("village_reporting", False)),
            },
        )
        task.indicators.set(Indicator.objects.filter(code__in=spec.get("indicators", [])))
        task.task_units.all().delete()
        for role, key in ((UnitRole.LEAD, "lead_units"), (UnitRole.RESPONSIBLE, "responsible_units")):
            for order, name in enumerate(spec.get(key, [])):
                unit = units.get(name) or Unit.objects.get(name=name, place__path__startswith=district.path)
                TaskUnit.objects.get_or_create(
                    task=task, unit=unit, role=role, defaults={"label": name, "order": order}
                )
        add_targets(spec.get("targets", []), task=task)
    return LoadResult(plan, was_created, len(numbers), created_units)


def load_file(path=DEFAULT_FILE, *, actor) -> LoadResult:
    data, sha = read_file(path)
    return load_plan(data, sha256=sha, actor=actor)


def current_plan(user=None) -> Plan | None:
    """The latest plan loaded — of the user's county when a user (or actor) is given: one platform
    may host several counties, each with its own plan. Without a user (tasks, the demo): the latest."""
    plans = Plan.objects.order_by("-loaded_at")
    if user is not None:
        from shuxiang.core.scope import user_scope_path

        path = user_scope_path(user)
        if path is None:
            return None
        if path:
            root = path.split("/")[1]
            return plans.filter(district__code=root).first()
    return plans.first()
