"""Village books in the open (财务公开): entries with vouchers, published disclosures, member codes."""

import secrets
from datetime import date, timedelta
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from shuxiang.core import audit, pii
from shuxiang.core.errors import ServiceError
from shuxiang.core.permissions import require
from shuxiang.land.choices import INCOME_CATEGORIES, EntryCategory, EntryKind
from shuxiang.land.coop import fixed_amount, period_range
from shuxiang.land.models import Disclosure, FinanceEntry, Member, MemberCode

# A disclosure is due by the 10th of the month after its period ends (月度/季度公开).
DUE_DAY = 10
CODE_TTL = timedelta(hours=24)


@transaction.atomic
def do_book_entry(
    *, actor, village, kind, category, amount, occurred_on, voucher_no, summary
) -> FinanceEntry:
    require(actor, "land.financeentry.add", village)
    errors: dict[str, list[str]] = {}
    if kind not in EntryKind.values:
        errors["kind"] = ["应为 income 或 expense"]
    if category not in EntryCategory.values:
        errors["category"] = ["科目无效"]
    elif kind in EntryKind.values and (category in INCOME_CATEGORIES) != (kind == EntryKind.INCOME):
        errors["category"] = ["科目与收支方向不符"]
    try:
        value = fixed_amount(amount)
        if value <= 0:
            errors["amount"] = ["金额应大于0"]
    except ServiceError as exc:
        errors.update(exc.fields)
        value = None
    if not isinstance(occurred_on, date) or occurred_on > timezone.localdate():
        errors["occurred_on"] = ["发生日期无效（不能晚于今天）"]
    if not (voucher_no or "").strip():
        errors["voucher_no"] = ["凭证号必填"]
    elif FinanceEntry.objects.filter(village=village, voucher_no=voucher_no.strip()).exists():
        errors["voucher_no"] = [f"凭证号 {voucher_no} 已登记"]
    if not (summary or "").strip():
        errors["summary"] = ["摘要必填"]
    if errors:
        raise ServiceError("invalid", "收支记录有误", errors)
    entry = FinanceEntry.objects.create(
        village=village,
        kind=kind,
        category=category,
        amount=value,
        occurred_on=occurred_on,
        voucher_no=voucher_no.strip(),
        summary=summary.strip()[:200],
    )
    audit.record_create(actor, entry)
    return entry


def due_on(end: date) -> date:
    nxt = end + timedelta(days=1)
    return date(nxt.year, nxt.month, DUE_DAY)


@transaction.atomic
def do_publish_disclosure(*, actor, village, period, note="", at=None) -> Disclosure:
    """Publish a month (2026-11) or quarter (2026-Q3) after it ended; on time by the 10th of the next month."""
    require(actor, "land.disclosure.add", village)
    if period.isdigit():
        raise ServiceError(
            "invalid_period", "公开期间应为月（2026-11）或季度（2026-Q3）", {"period": ["月或季度"]}
        )
    start, end = period_range(period)
    now = at or timezone.now()
    if timezone.localtime(now).date() <= end:
        raise ServiceError("period_open", f"{period} 尚未结束，结束后才能公开", {"period": ["期间未结束"]})
    if Disclosure.objects.filter(village=village, period=period).exists():
        raise ServiceError("duplicate", f"{period} 已公开", {"period": ["已公开"]})
    d = Disclosure.objects.create(
        village=village, period=period, start=start, end=end, due_on=due_on(end), published_at=now, note=note
    )
    audit.record_create(actor, d)
    return d


def totals(entries) -> dict:
    income = sum((e.amount for e in entries if e.kind == EntryKind.INCOME), Decimal(0))
    expense = sum((e.amount for e in entries if e.kind == EntryKind.EXPENSE), Decimal(0))
    return {"income": income, "expense": expense, "balance": income - expense}


@transaction.atomic
def do_issue_member_code(member: Member, *, actor) -> str:
    """A cadre issues a member a one-time code (valid 24 hours) for their phone page; returned once."""
    require(actor, "land.membercode.add", member)
    code = _new_code(member)
    audit.record(actor, "create", member, changes={"member_code": [None, "已发放查询码"]})
    return code


SMS_GAP = timedelta(seconds=60)  # one text per member per minute
SMS_PER_DAY = 5


def _new_code(member: Member) -> str:
    code = f"{secrets.randbelow(10**6):06d}"
    MemberCode.objects.filter(member=member, used_at__isnull=True).update(used_at=timezone.now())
    MemberCode.objects.create(
        member=member, digest=pii.digest(f"{member.pk}:{code}"), expires_at=timezone.now() + CODE_TTL
    )
    return code


@transaction.atomic
def do_send_member_code(id_number: str, *, actor):
    """A member asks for a one-time code on the public page: it goes by text message to the phone
    registered for them (core.Person.phone), or to the outbox when no SMS gateway is configured.

    Returns the TextMessage, or None when nothing was sent — the caller answers the same either way,
    so the page does not tell a stranger who is a member. Refused (ServiceError) only for a malformed
    ID number and for asking too often."""
    from shuxiang.land import sms
    from shuxiang.land.models import TextMessage

    try:
        normal = pii.normalize_id_number(id_number)
    except pii.PIIError as exc:
        raise ServiceError("invalid_id_number", exc.message, {"id_number": [exc.message]}) from None
    member = (
        Member.objects.filter(person__id_number_digest=pii.digest(normal), status="confirmed")
        .select_related("person", "cooperative__village")
        .first()
    )
    if member is None or not member.person.phone:
        return None
    now = timezone.now()
    recent = TextMessage.objects.filter(member=member, created_at__gt=now - timedelta(days=1))
    if recent.filter(created_at__gt=now - SMS_GAP).exists() or recent.count() >= SMS_PER_DAY:
        raise ServiceError(
            "too_often",
            "查询码发送过于频繁，请稍后再试（每分钟1条、每天最多5条）",
            {"id_number": ["过于频繁"]},
        )
    code = _new_code(member)
    text = f"【数乡】您的{member.cooperative.name}成员查询码为 {code}，24小时内有效，仅可使用一次。请勿告诉他人。"
    message = sms.send(member, text, secret=code)
    audit.record(
        actor,
        "create",
        member,
        changes={"member_code": [None, f"查询码短信（{message.get_status_display()}）"]},
    )
    return message


@transaction.atomic
def identify_member(id_number: str, code: str) -> Member | None:
    """The member with this ID number whose unused, unexpired code this is (the code is then spent)."""
    try:
        normal = pii.normalize_id_number(id_number)
    except pii.PIIError:
        return None
    member = (
        Member.objects.filter(person__id_number_digest=pii.digest(normal))
        .select_related("person", "cooperative")
        .first()
    )
    if member is None or not (code or "").strip().isdigit():
        return None
    found = MemberCode.objects.filter(
        member=member,
        digest=pii.digest(f"{member.pk}:{code.strip()}"),
        used_at__isnull=True,
        expires_at__gt=timezone.now(),
    ).first()
    if found is None:
        return None
    found.used_at = timezone.now()
    found.save(update_fields=["used_at"])
    return member
