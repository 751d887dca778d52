"""Machine registry import from XLSX/CSV (one machine per row): all rows or none."""

from django.db import transaction

from shuxiang.core.errors import ServiceError
from shuxiang.core.importers import ImportRejected, ImportResult, Problem
from shuxiang.core.models import Place
from shuxiang.machinery import services
from shuxiang.machinery.choices import MachineKind, OwnerKind

# Chinese header → field
COLUMNS = {
    "农机编号": "code",
    "名称": "name",
    "机具类型": "kind",
    "生产厂家": "make",
    "型号": "model",
    "牌证号": "plate",
    "出厂编号": "serial_number",
    "所有者类型": "owner_kind",
    "所有者": "owner_name",
    "所在区划代码": "place",
    "作业幅宽（m）": "implement_width_m",
    "作业单价（元/亩）": "price_per_mu",
    "下次年检": "inspection_due_on",
    "终端手机号": "device_code",
}
KIND_LABELS = {k.label: k.value for k in MachineKind} | {k.value: k.value for k in MachineKind}
OWNER_LABELS = (
    {k.label: k.value for k in OwnerKind}
    | {k.value: k.value for k in OwnerKind}
    | {"合作社": "cooperative", "农机专业合作社": "cooperative", "服务中心": "centre", "个人": "farmer"}
)
FIELD_COLUMNS = {v: k for k, v in COLUMNS.items()}


def import_machines(rows, *, actor) -> ImportResult:
    """Register every row's machine through `do_register_machine`; any problem and nothing is written."""
    from datetime import date
    from decimal import Decimal, InvalidOperation

    result = ImportResult(kind="machines")
    problems = []
    with transaction.atomic():
        for number, raw in rows:
            row = {COLUMNS.get(k, k): v for k, v in raw.items()}
            fields = {
                k: row.get(k, "")
                for k in ("code", "name", "make", "model", "plate", "serial_number", "owner_name")
            }
            fields["kind"] = KIND_LABELS.get(row.get("kind", ""), row.get("kind", ""))
            fields["owner_kind"] = OWNER_LABELS.get(row.get("owner_kind", ""), row.get("owner_kind", ""))
            try:
                fields["implement_width_m"] = float(row.get("implement_width_m") or "x")
            except ValueError:
                problems.append(Problem(number, "作业幅宽（m）", "应为数字"))
                continue
            try:
                fields["price_per_mu"] = Decimal(row.get("price_per_mu") or "0")
            except InvalidOperation:
                problems.append(Problem(number, "作业单价（元/亩）", "应为数字"))
                continue
            if row.get("inspection_due_on"):
                try:
                    fields["inspection_due_on"] = date.fromisoformat(row["inspection_due_on"])
                except ValueError:
                    problems.append(Problem(number, "下次年检", "日期格式应为 YYYY-MM-DD"))
                    continue
            place = Place.objects.filter(code=row.get("place", "")).first()
            if place is None:
                problems.append(Problem(number, "所在区划代码", f"区划代码“{row.get('place', '')}”不存在"))
                continue
            try:
                with transaction.atomic():
                    services.do_register_machine(
                        actor=actor, place=place, device_code=row.get("device_code", ""), **fields
                    )
            except ServiceError as exc:
                for field, messages in (exc.fields or {"": [exc.message]}).items():
                    for message in messages:
                        problems.append(Problem(number, FIELD_COLUMNS.get(field, ""), message))
                continue
            result.created += 1
        if problems:
            raise ImportRejected(problems)
    return result
