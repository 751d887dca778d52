"""Samples from a lab's XLSX/CSV report: one row per sample, one column per factor.

Columns: 点位编码, 采样时间 (2025-06-01 09:30, or a date — then 09:00), 采样人, 检测机构, 报告编号, and a
column per factor named by its HJ 212 code (w21003) or its name (氨氮), values in the factor's unit.
Every row is checked and judged; if any row is refused, nothing is written and every refusal is listed.
"""

import re
from datetime import datetime, time

from django.db import transaction
from django.utils import timezone

from shuxiang.core.errors import ServiceError
from shuxiang.core.importers import ImportRejected, ImportResult, Problem
from shuxiang.ecology import services
from shuxiang.ecology.choices import SampleSource
from shuxiang.ecology.models import Factor, MonitoringPoint

FIXED = {
    "点位编码": "point",
    "采样时间": "taken_at",
    "采样人": "sampler",
    "检测机构": "lab",
    "报告编号": "report_number",
}
FORMATS = ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y/%m/%d %H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%dT%H:%M")


def _moment(text):
    text = (text or "").strip()
    for fmt in FORMATS:
        try:
            return timezone.make_aware(datetime.strptime(text, fmt))
        except ValueError:
            continue
    for fmt in ("%Y-%m-%d", "%Y/%m/%d"):
        try:
            return timezone.make_aware(datetime.combine(datetime.strptime(text, fmt).date(), time(9, 0)))
        except ValueError:
            continue
    return None


def import_samples(rows, *, actor) -> ImportResult:
    factors = {f.code: f for f in Factor.objects.all()}
    factors.update({f.name: f for f in list(factors.values())})
    points = {p.code: p for p in MonitoringPoint.objects.restrict(actor).select_related("standard")}
    result = ImportResult(kind="samples")
    problems = []
    with transaction.atomic():
        for number, row in rows:
            fixed = {field: row.get(header, "") for header, field in FIXED.items()}
            point = points.get(fixed["point"].strip())
            if point is None:
                problems.append(
                    Problem(number, "点位编码", f"点位“{fixed['point']}”不存在或不在您的管辖范围内")
                )
                continue
            taken_at = _moment(fixed["taken_at"])
            if taken_at is None:
                problems.append(Problem(number, "采样时间", "应写作 2025-06-01 09:30 或 2025-06-01"))
                continue
            values = []
            for header, text in row.items():
                if header in FIXED or not str(text).strip():
                    continue
                factor = factors.get(header.strip())
                if factor is None:
                    problems.append(Problem(number, header, "未知的监测因子（列名用 HJ 212 编码或因子名称）"))
                    continue
                values.append({"factor": factor.code, "value": text})
            try:
                with transaction.atomic():
                    services.do_record_sample(
                        point,
                        actor=actor,
                        taken_at=taken_at,
                        sampler=fixed["sampler"],
                        lab=fixed["lab"],
                        report_number=fixed["report_number"],
                        values=values,
                        source=SampleSource.IMPORT,
                    )
            except ServiceError as exc:
                details = "；".join(f"{k}：{'、'.join(v)}" for k, v in exc.fields.items()) or exc.message
                problems.append(Problem(number, "", details))
                continue
            result.created += 1
        if problems:
            raise ImportRejected(problems)
    return result


# --- the county's 美丽屋场 checklist --------------------------------------------------------------------

BEAUTY_COLUMNS = {"编号": "code", "内容": "name", "分值": "max_score", "排序": "order"}
BEAUTY_CODE_RE = re.compile(r"^[A-Za-z0-9_-]{1,20}$")


def import_beauty_items(rows, *, actor, source: str) -> ImportResult:
    """The county's 美丽屋场 checklist from a CSV/XLSX sheet (columns 编号, 内容, 分值, optional 排序).

    All or nothing: every row is checked (code 1–20 letters/digits, unique; content 1–100 characters;
    score a whole number 1–100) and any refusal writes nothing. Loaded, the file's items are the
    active checklist (an existing code is updated, a new one added) and every other item — the
    platform's placeholders included — is deactivated; past assessments keep their scores."""
    from shuxiang.core import audit
    from shuxiang.core.permissions import require
    from shuxiang.ecology.models import BeautyItem

    require(actor, "ecology.beautyitem.change")
    problems, clean, seen = [], [], set()
    for number, row in rows:
        values = {field: str(row.get(header, "") or "").strip() for header, field in BEAUTY_COLUMNS.items()}
        if not BEAUTY_CODE_RE.match(values["code"]):
            problems.append(Problem(number, "编号", "编号为 1–20 位字母、数字、下划线或连字符"))
            continue
        if values["code"] in seen:
            problems.append(Problem(number, "编号", f"编号“{values['code']}”重复"))
            continue
        seen.add(values["code"])
        if not 1 <= len(values["name"]) <= 100:
            problems.append(Problem(number, "内容", "内容不能为空，最多 100 字"))
            continue
        score = values["max_score"].removesuffix(".0")
        if not score.isdigit() or not 1 <= int(score) <= 100:
            problems.append(Problem(number, "分值", "分值为 1–100 的整数"))
            continue
        order = values["order"].removesuffix(".0")
        clean.append(
            (values["code"], values["name"], int(score), int(order) if order.isdigit() else len(clean))
        )
    if not clean and not problems:
        problems.append(Problem(0, "", "文件中没有评分项（表头应为 编号、内容、分值、排序）"))
    if problems:
        raise ImportRejected(problems)
    result = ImportResult(kind="beauty_items")
    source = (source or "")[:120]
    with transaction.atomic():
        existing = {i.code: i for i in BeautyItem.objects.select_for_update()}
        for code, name, score, order in clean:
            item = existing.get(code)
            if item is None:
                item = BeautyItem.objects.create(
                    code=code, name=name, max_score=score, order=order, source=source
                )
                audit.record_create(actor, item)
                result.created += 1
                continue
            before = audit.snapshot(item)
            item.name, item.max_score, item.order = name, score, order
            item.is_active, item.placeholder, item.source = True, False, source
            item.save()
            audit.record_update(actor, item, before)
            result.updated += 1
        for code, item in existing.items():
            if code not in seen and item.is_active:
                before = audit.snapshot(item)
                item.is_active = False
                item.save(update_fields=["is_active"])
                audit.record_update(actor, item, before)
    return result


RIVER_COLUMNS = {"河流": "name", "汇入": "flows_into", "汇入处里程": "joins_at_km", "河长": "length_km"}


def _km(text: str) -> float | None | str:
    """A kilometre figure from a cell: None when empty, the float, or "" when it is not a number ≥ 0."""
    if text == "":
        return None
    try:
        value = float(text)
    except ValueError:
        return ""
    return value if 0 <= value <= 10000 else ""


def import_rivers(rows, *, actor, source: str) -> ImportResult:
    """The county's river network (水系) from a CSV/XLSX sheet (columns 河流, 汇入, 汇入处里程, 河长).

    All or nothing: names 1–60 characters and unique; a river that flows into another names one of the
    file and the kilometre of that river where it enters (0–10000, within that river's length when it is
    given); no river flows, through others, into itself. Loaded, the file is the network: rivers in it are
    added or updated, rivers not in it are removed (points and sources keep their river names)."""
    from shuxiang.core import audit
    from shuxiang.core.permissions import require
    from shuxiang.ecology import rivers
    from shuxiang.ecology.models import River

    require(actor, "ecology.river.change")
    problems, clean, numbers = [], {}, {}
    for number, row in rows:
        values = {field: str(row.get(header, "") or "").strip() for header, field in RIVER_COLUMNS.items()}
        name = values["name"]
        if not 1 <= len(name) <= 60:
            problems.append(Problem(number, "河流", "河流名称不能为空，最多 60 字"))
            continue
        if name in clean:
            problems.append(Problem(number, "河流", f"河流“{name}”重复"))
            continue
        joins_at, length = _km(values["joins_at_km"]), _km(values["length_km"])
        if joins_at == "":
            problems.append(Problem(number, "汇入处里程", "汇入处里程为 0–10000 的公里数"))
            continue
        if length == "":
            problems.append(Problem(number, "河长", "河长为 0–10000 的公里数"))
            continue
        into = values["flows_into"] or None
        if into == name:
            problems.append(Problem(number, "汇入", "河流不能汇入自身"))
            continue
        if into and joins_at is None:
            problems.append(Problem(number, "汇入处里程", f"请填写在“{into}”上的汇入处里程"))
            continue
        if not into and joins_at is not None:
            problems.append(Problem(number, "汇入", "填写了汇入处里程，但没有填写汇入哪条河流"))
            continue
        clean[name] = (into, joins_at, length)
        numbers[name] = number
    for name, (into, joins_at, _) in clean.items():
        if into is None:
            continue
        if into not in clean:
            problems.append(Problem(numbers[name], "汇入", f"“{into}”不在本表中：请把它也列为一行"))
            continue
        length = clean[into][2]
        if length is not None and joins_at > length:
            problems.append(Problem(numbers[name], "汇入处里程", f"超过“{into}”的河长 {length:g} 公里"))
    if not problems:
        loop = rivers.cycle_in({name: (into, at) for name, (into, at, _) in clean.items()})
        if loop:
            problems.append(Problem(numbers[loop[0]], "汇入", "汇入关系成环：" + " → ".join(loop)))
    if not clean and not problems:
        problems.append(Problem(0, "", "文件中没有河流（表头应为 河流、汇入、汇入处里程、河长）"))
    if problems:
        raise ImportRejected(problems)
    result = ImportResult(kind="rivers")
    source = (source or "")[:120]
    with transaction.atomic():
        existing = {r.name: r for r in River.objects.select_for_update()}
        for name, river in list(existing.items()):
            if name not in clean:
                audit.record_delete(actor, river)
                river.delete()
                del existing[name]
        saved = {}
        for name, (_, _, length) in clean.items():  # first every river, then who flows into whom
            river = existing.get(name)
            if river is None:
                saved[name] = (River.objects.create(name=name, length_km=length, source=source), None)
                result.created += 1
            else:
                saved[name] = (river, audit.snapshot(river))
        for name, (into, joins_at, length) in clean.items():
            river, before = saved[name]
            river.flows_into = saved[into][0] if into else None
            river.joins_at_km, river.length_km, river.source = joins_at, length, source
            river.save()
            if before is None:
                audit.record_create(actor, river)
            else:
                audit.record_update(actor, river, before)
                result.updated += 1
    return result
