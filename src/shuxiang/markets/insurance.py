"""Agricultural insurance policies of the directory's entities (政策性农业保险保单): recording, correcting
and removing them, and who may.

Two kinds of writers. County staff (township and up, in their region) record the policies the insurers
hand the county — the subsidy programme already passes them through the bureaus. An insurer with a
directory-client account (DirectoryClient.kind 保险机构) reports its own policies over the API: the
insurer of such a policy is always the client's institution and the row carries the client's account,
which is what its grant (`{"insurer_account": "$user"}`) opens — never another insurer's policies.
An entity's consent is not asked for a policy to be recorded: consent governs what the directory
*shows* to banks and insurers, and an insurer already holds its own policyholders' policies.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal, InvalidOperation

from django.db import transaction

from shuxiang.core import audit
from shuxiang.core.actors import as_actor
from shuxiang.core.errors import Forbidden, ServiceError
from shuxiang.core.permissions import require
from shuxiang.markets.choices import ClientKind, InsuranceKind, InsuredUnit, Source
from shuxiang.markets.models import MAX_QUANTITY, MAX_SUM_INSURED, DirectoryClient, InsurancePolicy

# The fields a write may set (a correction may change any of them but the entity).
FIELDS = (
    "insurer",
    "number",
    "kind",
    "subject",
    "quantity",
    "unit",
    "sum_insured",
    "premium",
    "premium_subsidy",
    "starts_on",
    "ends_on",
    "claims_paid",
)
AMOUNTS = {
    "sum_insured": "保险金额",
    "premium": "保费",
    "premium_subsidy": "财政补贴保费",
    "claims_paid": "已决赔款",
}
# A policy runs at most this long: annual crop and livestock policies, machinery up to three years.
MAX_YEARS = 5


def insurer_client(actor) -> DirectoryClient | None:
    """The actor's directory-client settings when the actor is an outside client, else None (staff)."""
    from shuxiang.markets import directory

    user = as_actor(actor).person
    if user is None or not directory.is_client(user):
        return None
    return DirectoryClient.objects.filter(user=user).first()


def _decimal(values, name, label, errors, *, low=Decimal(0), high=Decimal(MAX_SUM_INSURED), above=False):
    raw = values.get(name)
    if raw is None or raw == "":
        errors[name] = [f"{label}必填"]
        return None
    try:
        value = Decimal(str(raw))
    except (InvalidOperation, ValueError):
        errors[name] = [f"{label}应为数字"]
        return None
    if not value.is_finite():
        errors[name] = [f"{label}应为数字"]
    elif (value <= low) if above else (value < low):
        errors[name] = [f"{label}应大于0" if above else f"{label}不能为负数"]
    elif value > high:
        errors[name] = [f"{label}超过{high:,}，明显不合理"]
    else:
        return value.quantize(Decimal("0.01"))
    return None


def _clean(values: dict) -> dict:
    """The policy's values checked together; every problem named on its field (nothing is written)."""
    errors: dict[str, list[str]] = {}
    out = dict(values)
    for name, label in (("insurer", "承保机构"), ("number", "保单号")):
        text = (values.get(name) or "").strip()
        if not text:
            errors[name] = [f"{label}必填"]
        out[name] = text
    out["subject"] = (values.get("subject") or "").strip()
    if values.get("kind") not in InsuranceKind.values:
        errors["kind"] = ["险种不在目录中"]
    if values.get("unit") not in InsuredUnit.values:
        errors["unit"] = ["单位应为 亩、头、羽、台、吨、箱 或 份"]
    out["quantity"] = _decimal(values, "quantity", "保险数量", errors, high=Decimal(MAX_QUANTITY), above=True)
    for name, label in AMOUNTS.items():
        if name in ("premium_subsidy", "claims_paid") and values.get(name) in (None, ""):
            out[name] = Decimal("0.00")
            continue
        out[name] = _decimal(values, name, label, errors)
    premium, subsidy = out.get("premium"), out.get("premium_subsidy")
    insured, claims = out.get("sum_insured"), out.get("claims_paid")
    if premium is not None and subsidy is not None and "premium_subsidy" not in errors and subsidy > premium:
        errors["premium_subsidy"] = ["财政补贴不能超过保费"]
    if premium is not None and insured is not None and "premium" not in errors and premium > insured:
        errors["premium"] = ["保费不能超过保险金额"]
    if claims is not None and insured is not None and "claims_paid" not in errors and claims > insured:
        errors["claims_paid"] = ["已决赔款不能超过保险金额"]
    start, end = values.get("starts_on"), values.get("ends_on")
    for name, day in (("starts_on", start), ("ends_on", end)):
        if not isinstance(day, date):
            errors[name] = ["日期必填"]
    if isinstance(start, date) and isinstance(end, date) and "ends_on" not in errors:
        if end <= start:
            errors["ends_on"] = ["保险止期应晚于起期"]
        elif (end - start).days > 366 * MAX_YEARS:
            errors["ends_on"] = [f"保险期间超过{MAX_YEARS}年，请核对"]
    if errors:
        raise ServiceError("invalid", "保单信息有误", errors)
    return out


def _check_duplicate(values, exclude_pk=None) -> None:
    clash = InsurancePolicy.objects.filter(insurer=values["insurer"], number=values["number"])
    if exclude_pk is not None:
        clash = clash.exclude(pk=exclude_pk)
    if clash.exists():
        raise ServiceError("duplicate", "该承保机构已登记此保单号", {"number": ["该承保机构已登记此保单号"]})


def _outside_insurer(actor) -> DirectoryClient | None:
    """None for staff; for an outside client its settings, refused unless it is an insurer."""
    if not _is_outside(actor):
        return None
    client = insurer_client(actor)
    if client is None or client.kind != ClientKind.INSURER:
        raise Forbidden("只有已登记为保险机构的接口账号可以报送保单")
    return client


def _insurer_account(actor, values):
    """An insurer client writes only as its own institution; staff's rows link the insurer's account when
    the insurer is a configured client (so the insurer reads them too)."""
    client = _outside_insurer(actor)
    if client is not None:
        if values["insurer"] != client.institution:
            raise ServiceError(
                "not_own_policy",
                f"只能报送本机构（{client.institution}）承保的保单",
                {"insurer": [f"应为 {client.institution}"]},
                status=403,
            )
        return client.user
    match = DirectoryClient.objects.filter(kind=ClientKind.INSURER, institution=values["insurer"]).first()
    return match.user if match else None


def _is_outside(actor) -> bool:
    from shuxiang.markets import directory

    person = as_actor(actor).person
    return person is not None and directory.is_client(person)


@transaction.atomic
def do_record_policy(*, actor, producer, source=Source.PHONE, **values) -> InsurancePolicy:
    """Record a policy of `producer` (in the actor's region; an insurer client: its own only).

    Refusals of permission or scope are 403/404 ServiceErrors; the request boundary audits them
    (core.access.record_refusal) after this transaction has rolled back, so the entry survives."""
    require(actor, "markets.insurancepolicy.add", producer.place)
    values = {k: values.get(k) for k in FIELDS}
    client = _outside_insurer(actor)
    if client is not None and not (values.get("insurer") or "").strip():
        values["insurer"] = client.institution  # an insurer reports as itself
    clean = _clean(values)
    account = _insurer_account(actor, clean)
    _check_duplicate(clean)
    policy = InsurancePolicy.objects.create(
        producer=producer,
        insurer_account=account,
        source=source,
        recorded_by=as_actor(actor).human,
        **clean,
    )
    audit.record_create(actor, policy)
    return policy


@transaction.atomic
def do_update_policy(policy: InsurancePolicy, *, actor, **changes) -> InsurancePolicy:
    """Correct a policy or bring its claims up to date (the entity stays; an insurer: its own only)."""
    require(actor, "markets.insurancepolicy.change", policy)
    _outside_insurer(actor)
    values = {k: changes.get(k, getattr(policy, k)) for k in FIELDS}
    clean = _clean(values)
    account = _insurer_account(actor, clean)
    _check_duplicate(clean, exclude_pk=policy.pk)
    before = audit.snapshot(policy)
    for name, value in clean.items():
        setattr(policy, name, value)
    policy.insurer_account = account
    policy.save()
    audit.record_update(actor, policy, before)
    return policy


@transaction.atomic
def do_delete_policy(policy: InsurancePolicy, *, actor) -> None:
    """Remove a policy entered by mistake (district level; the audit keeps what it was)."""
    require(actor, "markets.insurancepolicy.delete", policy)
    audit.record_delete(actor, policy)
    policy.delete()


# --- a file of policies (an insurer's or a bureau's list) ---------------------------------------

# The file's columns (first row) → the service's fields. The entity by its credit code.
IMPORT_COLUMNS = {
    "统一社会信用代码": "credit_code",
    "承保机构": "insurer",
    "保单号": "number",
    "险种": "kind",
    "保险标的": "subject",
    "保险数量": "quantity",
    "单位": "unit",
    "保险金额": "sum_insured",
    "保费": "premium",
    "财政补贴保费": "premium_subsidy",
    "保险起期": "starts_on",
    "保险止期": "ends_on",
    "已决赔款": "claims_paid",
}
COLUMN_OF = {v: k for k, v in IMPORT_COLUMNS.items()}
MAX_ROWS = 5_000


def _choice(value, choices):
    """A kind or unit as its Chinese label (水稻种植保险, 亩) or its code (rice, mu)."""
    value = (value or "").strip()
    labels = {label: code for code, label in choices}
    return labels.get(value, value)


@transaction.atomic
def do_import_policies(*, actor, rows) -> int:
    """All rows or none, every problem by row and column: the rows of core.importers.read_rows, each
    recorded by do_record_policy (so the same checks, permissions and audit as one policy)."""
    from shuxiang.core.importers import HEADER_ALIASES, ImportRejected, Problem
    from shuxiang.trace.models import Producer

    require(actor, "markets.insurancepolicy.add")
    if not rows:
        raise ServiceError("empty_file", "文件中没有保单行")
    if len(rows) > MAX_ROWS:
        raise ServiceError("too_many_rows", f"一次最多导入 {MAX_ROWS:,} 行，请分批导入")
    # core.importers reads some headers as its canonical names (统一社会信用代码 → code, 单位 → unit, for
    # the units' and places' files): read them back as this file's columns.
    back = {HEADER_ALIASES[c]: c for c in IMPORT_COLUMNS if c in HEADER_ALIASES}
    rows = [(n, {back.get(k, k): v for k, v in raw.items()}) for n, raw in rows]
    codes = {raw.get("统一社会信用代码", "").strip() for _, raw in rows}
    producers = {
        p.credit_code: p for p in Producer.objects.restrict(actor).filter(credit_code__in=codes - {""})
    }
    problems, created = [], 0
    for number, raw in rows:
        values = {field: raw.get(column, "") for column, field in IMPORT_COLUMNS.items()}
        producer = producers.get(values.pop("credit_code").strip())
        if producer is None:
            problems.append(Problem(number, "统一社会信用代码", "经营主体未登记或不在您的管辖范围内"))
            continue
        values["kind"] = _choice(values["kind"], InsuranceKind.choices)
        values["unit"] = _choice(values["unit"], InsuredUnit.choices)
        for name in ("starts_on", "ends_on"):
            try:
                values[name] = date.fromisoformat(values[name]) if values[name] else None
            except ValueError:
                problems.append(Problem(number, COLUMN_OF[name], "日期格式应为 YYYY-MM-DD"))
                values[name] = None
        try:
            with transaction.atomic():
                do_record_policy(actor=actor, producer=producer, source=Source.IMPORT, **values)
        except ServiceError as exc:
            if not exc.fields:
                problems.append(Problem(number, "", exc.message))
            for name, messages in exc.fields.items():
                problems.extend(Problem(number, COLUMN_OF.get(name, ""), m) for m in messages)
            continue
        created += 1
    if problems:
        raise ImportRejected(problems)
    return created
