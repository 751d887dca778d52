"""The village shareholding cooperative: members, the share register, and dividend runs to the fen.

Member identification goes proposed → village approval → township confirmation; a person belongs to one
cooperative at most. Shares are exact decimals per kind (人口股, 农龄股, 土地入股, and the cooperative's own
集体股 where the members voted to keep one). Under static management (增人不增股、减人不减股) a member
confirmed after the cooperative's cut-off date gets no new shares — they share their household's (户内共享)
by transfer — and a member who leaves keeps theirs. Transfers and inheritance stay inside the household.

A dividend run takes the amount the shareholders receive after reserves and gives each line its exact
share with the largest-remainder rule (land.dividends): the lines sum exactly to the amount. It is
approved by the village, then the township (then it is on the ledger and announced), then paid.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from fractions import Fraction
from typing import NamedTuple

from django.db import transaction
from django.utils import timezone

from shuxiang.core import audit
from shuxiang.core.errors import ServiceError
from shuxiang.core.permissions import require
from shuxiang.land import dividends, proof
from shuxiang.land.choices import (
    INCOME_CATEGORIES,
    DistributionStatus,
    EntryCategory,
    EntryKind,
    MemberBasis,
    MemberStatus,
    ShareKind,
    ShareManagement,
)
from shuxiang.land.models import (
    Cooperative,
    Distribution,
    FinanceEntry,
    Holding,
    Member,
    Payout,
    ShareChange,
)

NOTICE_DAYS = 7
COLLECTIVE = proof.COLLECTIVE


# --- the cooperative and its members -------------------------------------------------------------


@transaction.atomic
def do_create_cooperative(
    *,
    actor,
    village,
    name,
    cutoff_date,
    management=ShareManagement.STATIC,
    credit_code="",
    reserve_rate=Decimal("0.3"),
) -> Cooperative:
    require(actor, "land.cooperative.add", village)
    if getattr(village, "level", 3) != 3:
        raise ServiceError("invalid", "股份经济合作社应按行政村设立", {"village": ["应为行政村"]})
    if Cooperative.objects.filter(village=village).exists():
        raise ServiceError("duplicate", f"{village.name}已有股份经济合作社", {"village": ["已有合作社"]})
    errors: dict[str, list[str]] = {}
    if management not in ShareManagement.values:
        errors["management"] = ["static 或 periodic"]
    if not (name or "").strip():
        errors["name"] = ["名称必填"]
    credit_code = (credit_code or "").strip().upper()
    if credit_code and not re.fullmatch(r"[0-9A-HJ-NPQRTUWXY]{2}\d{6}[0-9A-HJ-NPQRTUWXY]{10}", credit_code):
        errors["credit_code"] = ["统一社会信用代码应为18位（数字和大写字母，不含 I O Z S V）"]
    if not isinstance(cutoff_date, date) or cutoff_date > timezone.localdate():
        errors["cutoff_date"] = ["成员界定基准日应为今天或以前的日期"]
    if isinstance(reserve_rate, float):
        raise TypeError("rates are Decimal")
    try:
        reserve_rate = Decimal(str(reserve_rate))
        if not Decimal(0) <= reserve_rate < Decimal(1) or reserve_rate != reserve_rate.quantize(
            Decimal("0.0001")
        ):
            raise ValueError
    except (ValueError, ArithmeticError):
        errors["reserve_rate"] = ["提取比例应在 0 到 1 之间（如 0.3 即 30%），最多四位小数"]
    if errors:
        raise ServiceError("invalid", "合作社信息有误", errors)
    coop = Cooperative.objects.create(
        village=village,
        name=name.strip(),
        cutoff_date=cutoff_date,
        management=management,
        credit_code=credit_code,
        reserve_rate=reserve_rate,
    )
    audit.record_create(actor, coop)
    return coop


def member_code(coop) -> str:
    last = Member.objects.filter(cooperative=coop).order_by("-code").values_list("code", flat=True).first()
    n = int(last[-4:]) + 1 if last else 1
    return f"{coop.village.code}{n:04d}"


@transaction.atomic
def do_propose_member(
    coop, *, actor, person, basis, basis_note="", household=None, bank_account="", bank_name=""
) -> Member:
    """成员身份确认, first step: a person proposed with the basis of their membership."""
    require(actor, "land.member.add", coop)
    if basis not in MemberBasis.values:
        raise ServiceError("invalid", "成员身份依据无效", {"basis": ["无效"]})
    other = Member.objects.filter(person=person).select_related("cooperative").first()
    if other is not None:
        raise ServiceError(
            "member_elsewhere",
            f"{person.name}已是{other.cooperative.name}的成员，一人只能是一个集体经济组织的成员",
            {"person": ["已是其他合作社成员" if other.cooperative_id != coop.pk else "已是本社成员"]},
        )
    if household is not None and household.village_id != coop.village_id:
        raise ServiceError("invalid", "所在农户应属于本村", {"household": ["不属于本村"]})
    account = re.sub(r"\s", "", bank_account or "")
    if account and not re.fullmatch(r"\d{12,23}", account):
        raise ServiceError("invalid", "收款账号应为12–23位数字", {"bank_account": ["12–23位数字"]})
    member = Member.objects.create(
        cooperative=coop,
        code=member_code(coop),
        person=person,
        household=household,
        basis=basis,
        basis_note=basis_note,
        bank_account=account,
        bank_name=bank_name,
    )
    audit.record(actor, "create", member, changes={"code": [None, member.code], "basis": [None, basis]})
    return member


@transaction.atomic
def do_propose_member_by_id(
    coop,
    *,
    actor,
    name,
    id_number,
    phone="",
    household="",
    basis,
    basis_note="",
    bank_account="",
    bank_name="",
) -> Member:
    """The form's and the API's way in: the person by ID number (registered in core.Person if new, the
    phone added if it was missing), the household by its 承包方 code in this village. All or nothing."""
    from shuxiang.core import pii
    from shuxiang.core import services as core_services
    from shuxiang.core.models import Person
    from shuxiang.land.models import Contractor

    require(actor, "land.member.add", coop)
    found = None
    if household:
        found = Contractor.objects.filter(code=household.strip(), village=coop.village).first()
        if found is None:
            raise ServiceError(
                "invalid", f"本村没有承包方 {household}", {"household": ["不是本村的承包方编码"]}
            )
    try:
        digest = pii.digest(pii.normalize_id_number(id_number))
    except pii.PIIError as exc:
        raise ServiceError("invalid", exc.message, {"id_number": [exc.message]}) from None
    person = Person.objects.filter(id_number_digest=digest).first()
    if person is None:
        person = core_services.do_create_person(
            actor=actor, name=name, place=coop.village, id_number=id_number, phone=phone or ""
        )
    else:
        if person.name != (name or "").strip():
            raise ServiceError(
                "name_mismatch", "该身份证号已登记为另一姓名，请核对", {"name": ["与身份证号登记的姓名不符"]}
            )
        if phone and not person.phone:
            core_services.do_update_person(person, actor=actor, phone=phone)
    return do_propose_member(
        coop,
        actor=actor,
        person=person,
        basis=basis,
        basis_note=basis_note,
        household=found,
        bank_account=bank_account,
        bank_name=bank_name,
    )


@transaction.atomic
def do_approve_member(member: Member, *, actor, at=None) -> Member:
    """The village's approval (村审核), then the township's confirmation (乡镇审核): one step per call."""
    now = at or timezone.now()
    before = audit.snapshot(member, ["status"])
    if member.status == MemberStatus.PROPOSED:
        require(actor, "land.member.approve", member)
        member.status, member.village_approved_at = MemberStatus.VILLAGE_APPROVED, now
    elif member.status == MemberStatus.VILLAGE_APPROVED:
        require(actor, "land.member.confirm", member)
        member.status, member.township_approved_at = MemberStatus.CONFIRMED, now
    else:
        raise ServiceError(
            "not_pending", f"该成员{member.get_status_display()}，无需审核", {"status": ["无需审核"]}
        )
    member.save(update_fields=["status", "village_approved_at", "township_approved_at"])
    audit.record_update(actor, member, before)
    return member


@transaction.atomic
def do_set_holding(member: Member | None, *, actor, coop=None, kind, shares, basis="") -> Holding:
    """A member's shares of one kind (or, with member None and kind collective, the 集体股)."""
    coop = coop or member.cooperative
    require(actor, "land.member.add", coop)
    if kind not in ShareKind.values:
        raise ServiceError("invalid", "股份类型无效", {"kind": ["无效"]})
    if not isinstance(shares, Decimal):
        raise TypeError("shares are Decimal")
    try:
        dividends.to_units(shares)
    except dividends.AllocationError as exc:
        raise ServiceError(exc.code, exc.message, {"shares": [exc.message]}) from None
    if shares < 0:
        raise ServiceError("invalid", "股数不能为负", {"shares": ["不能为负"]})
    if (member is None) != (kind == ShareKind.COLLECTIVE):
        raise ServiceError(
            "invalid", "集体股由合作社持有，成员不能持有集体股", {"kind": ["集体股只属于合作社"]}
        )
    if member is not None:
        if member.cooperative_id != coop.pk:
            raise ServiceError("invalid", "成员不属于该合作社", {"member": ["不属于该合作社"]})
        if member.status != MemberStatus.CONFIRMED:
            raise ServiceError(
                "not_confirmed", "成员身份经村、乡镇审核确认后才能配股", {"member": ["未确认"]}
            )
        existing = Holding.objects.filter(cooperative=coop, member=member, kind=kind).first()
        late = (
            member.township_approved_at
            and timezone.localtime(member.township_approved_at).date() > coop.cutoff_date
        )
        if coop.management == ShareManagement.STATIC and existing is None and late:
            raise ServiceError(
                "static_shares",
                f"本社实行静态管理（增人不增股），{coop.cutoff_date} 以后确认的成员通过户内共享（股份转让）获得股份",
                {"shares": ["静态管理不新增股份"]},
            )
    holding, created = Holding.objects.get_or_create(
        cooperative=coop, member=member, kind=kind, defaults={"shares": shares, "basis": basis}
    )
    if not created:
        before = audit.snapshot(holding)
        holding.shares, holding.basis = shares, basis or holding.basis
        holding.save(update_fields=["shares", "basis"])
        audit.record_update(actor, holding, before)
    else:
        audit.record_create(actor, holding)
    ShareChange.objects.create(
        cooperative=coop, kind=kind, to_member=member, shares=shares, reason="配股" if created else "调整"
    )
    return holding


@transaction.atomic
def do_allocate_shares(coop, *, actor, kind, shares: Decimal, basis="", members=None) -> list[Holding]:
    """股权量化 in one go: `shares` of `kind` to each member given, or (members None) to every confirmed
    member who holds none of that kind yet — under static management only those confirmed by the
    cut-off date (later ones share their household's). All or nothing: one refusal writes no line."""
    require(actor, "land.member.add", coop)
    if kind not in ShareKind.values or kind == ShareKind.COLLECTIVE:
        raise ServiceError("invalid", "批量配股的股份类型应为人口股、农龄股或土地入股", {"kind": ["无效"]})
    if not isinstance(shares, Decimal) or shares <= 0:
        raise ServiceError("invalid", "每人股数应大于0", {"shares": ["应大于0"]})
    if members is None:
        holders = Holding.objects.filter(cooperative=coop, kind=kind, member__isnull=False).values(
            "member_id"
        )
        members = coop.members.filter(status=MemberStatus.CONFIRMED).exclude(pk__in=holders)
        if coop.management == ShareManagement.STATIC:
            late = [
                m.pk
                for m in members
                if m.township_approved_at
                and timezone.localtime(m.township_approved_at).date() > coop.cutoff_date
            ]
            members = members.exclude(pk__in=late)
        members = list(members.select_related("person").order_by("code"))
    if not members:
        raise ServiceError(
            "nothing_to_do",
            f"没有需要配{ShareKind(kind).label}的成员（已确认且尚未持有）",
            {"kind": ["没有成员"]},
        )
    return [do_set_holding(m, actor=actor, coop=coop, kind=kind, shares=shares, basis=basis) for m in members]


def _same_household(a: Member, b: Member) -> bool:
    return (
        a.household_id is not None
        and a.household_id == b.household_id
        and a.cooperative_id == b.cooperative_id
    )


def _take(member: Member, kind: str, shares: Decimal) -> Holding:
    holding = Holding.objects.select_for_update().filter(member=member, kind=kind).first()
    if holding is None or holding.shares < shares:
        have = holding.shares if holding else Decimal(0)
        raise ServiceError(
            "insufficient",
            f"{member.person.name}只有{ShareKind(kind).label} {have} 股",
            {"shares": ["超过持有股数"]},
        )
    holding.shares -= shares
    holding.save(update_fields=["shares"])
    return holding


def _give(coop, member: Member, kind: str, shares: Decimal):
    holding, created = Holding.objects.get_or_create(
        cooperative=coop, member=member, kind=kind, defaults={"shares": shares}
    )
    if not created:
        holding.shares += shares
        holding.save(update_fields=["shares"])


@transaction.atomic
def do_transfer_shares(
    from_member: Member, to_member: Member, *, actor, kind, shares: Decimal, reason="户内转让"
) -> ShareChange:
    """Shares move inside a household only (户内共享); the household's total is unchanged."""
    require(actor, "land.member.add", from_member.cooperative)
    if not _same_household(from_member, to_member):
        raise ServiceError(
            "other_household", "股份只能在同一农户内转让或继承", {"to_member": ["不在同一农户"]}
        )
    if to_member.status != MemberStatus.CONFIRMED:
        raise ServiceError("not_confirmed", "受让人应为已确认的成员", {"to_member": ["未确认"]})
    if not isinstance(shares, Decimal) or shares <= 0:
        raise ServiceError("invalid", "转让股数应大于0", {"shares": ["应大于0"]})
    _take(from_member, kind, shares)
    _give(from_member.cooperative, to_member, kind, shares)
    change = ShareChange.objects.create(
        cooperative=from_member.cooperative,
        kind=kind,
        from_member=from_member,
        to_member=to_member,
        shares=shares,
        reason=reason,
    )
    audit.record(
        actor, "update", from_member, changes={"shares_to": [None, f"{to_member.code} {kind} {shares}"]}
    )
    return change


def parse_fraction(value) -> Fraction:
    try:
        f = Fraction(str(value).strip())
    except (ValueError, ZeroDivisionError):
        raise ServiceError(
            "invalid", f"份额「{value}」不是分数（如 1/3）", {"heirs": [f"{value} 不是分数"]}
        ) from None
    if f <= 0:
        raise ServiceError("invalid", "份额应大于0", {"heirs": ["应大于0"]})
    return f


@transaction.atomic
def do_inherit_shares(deceased: Member, *, actor, heirs: dict) -> list[ShareChange]:
    """A deceased member's shares pass to heirs in the household in fractions that sum exactly to 1.

    Each kind is split with the largest-remainder rule on 1/10000 shares, so nothing is lost or made up.
    """
    require(actor, "land.member.add", deceased.cooperative)
    if not heirs:
        raise ServiceError("invalid", "请指定继承人及份额", {"heirs": ["必填"]})
    fractions = {m: parse_fraction(f) for m, f in heirs.items()}
    total = sum(fractions.values(), Fraction(0))
    if total != 1:
        raise ServiceError(
            "shares_do_not_sum", f"继承份额合计为 {total}，应正好为 1", {"heirs": [f"合计 {total}，应为 1"]}
        )
    for heir in fractions:
        if (
            heir.pk == deceased.pk
            or not _same_household(deceased, heir)
            or heir.status != MemberStatus.CONFIRMED
        ):
            raise ServiceError(
                "other_household",
                f"{heir.person.name}不是同一农户内已确认的成员",
                {"heirs": ["应为同户成员"]},
            )
    changes = []
    heirs_sorted = sorted(fractions, key=lambda m: m.code)
    for holding in Holding.objects.select_for_update().filter(member=deceased, shares__gt=0).order_by("kind"):
        weights = [
            (m, Decimal(fractions[m].numerator) / Decimal(fractions[m].denominator)) for m in heirs_sorted
        ]
        # split in 1/10000 shares: amounts "in fen" of shares×100, then back to four places
        lines = _split_exact(holding.shares, [fractions[m] for m in heirs_sorted])
        for (heir, _), part in zip(weights, lines, strict=True):
            if part > 0:
                _give(deceased.cooperative, heir, holding.kind, part)
                changes.append(
                    ShareChange.objects.create(
                        cooperative=deceased.cooperative,
                        kind=holding.kind,
                        from_member=deceased,
                        to_member=heir,
                        shares=part,
                        reason="继承",
                    )
                )
        holding.shares = Decimal("0")
        holding.save(update_fields=["shares"])
    before = audit.snapshot(deceased, ["status"])
    deceased.status = MemberStatus.LEFT
    deceased.save(update_fields=["status"])
    audit.record_update(actor, deceased, before)
    return changes


def _split_exact(shares: Decimal, weights: list[Fraction]) -> list[Decimal]:
    units = dividends.to_units(shares)
    exact = [units * w for w in weights]
    floors = [e.numerator // e.denominator for e in exact]
    order = sorted(range(len(weights)), key=lambda i: (-(exact[i] - floors[i]), i))
    for i in order[: units - sum(floors)]:
        floors[i] += 1
    return [Decimal(u).scaleb(-4) for u in floors]


# --- dividends -------------------------------------------------------------------------------------


@dataclass
class Run:
    """What a run computes (a dry run stops here): the lines in member-code order, collective last."""

    cooperative: Cooperative
    period: str
    amount: Decimal
    total_shares: Decimal
    per_share: Fraction
    # [(Holder or None for the 集体股, shares in 1/10000 units, payout in fen)]: integers, the exact
    # values; `payouts` gives them as Decimals
    lines: list
    digest: str

    @property
    def payouts(self):
        """(Holder or None, shares, amount) with shares and yuan as Decimals."""
        for holder, units, fen in self.lines:
            yield holder, Decimal(units).scaleb(-4), Decimal(fen).scaleb(-2)

    def as_json(self) -> dict:
        return {
            "amount": str(self.amount),
            "payouts": [
                {"member": m.code if m is not None else COLLECTIVE, "shares": str(s), "amount": str(a)}
                for m, s, a in self.payouts
            ],
        }


class Holder(NamedTuple):
    """A shareholder line's member as a run needs it (no model instance: a run over 50,000 members
    would otherwise build and decrypt 50,000 rows it does not show)."""

    pk: int
    code: str


REGISTER_SQL = """
SELECT h.member_id, m.code, CAST(ROUND(SUM(h.shares) * 10000) AS BIGINT)
FROM land_holding h JOIN land_member m ON m.id = h.member_id
WHERE h.cooperative_id = %s AND m.status = %s AND h.shares > 0
GROUP BY h.member_id, m.code
ORDER BY m.code
"""


def register_units(coop) -> list[tuple[Holder | None, int]]:
    """Confirmed members' total shares in 1/10000 units (all kinds), by member code; then the 集体股.

    One statement, integers straight from the database (each stored share has four decimal places, so
    the rounded sum is exact): no model instance or Decimal per row for a run over 50,000 members."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(REGISTER_SQL, [coop.pk, MemberStatus.CONFIRMED])
        lines = [(Holder(pk, code), units) for pk, code, units in cursor.fetchall()]
    collective = (
        Holding.objects.filter(cooperative=coop, member__isnull=True, shares__gt=0)
        .values_list("shares", flat=True)
        .first()
    )
    if collective is not None:
        lines.append((None, dividends.to_units(collective)))
    return lines


def register(coop) -> list[tuple[Holder | None, Decimal]]:
    """The same register with shares as Decimals."""
    return [(h, Decimal(u).scaleb(-4)) for h, u in register_units(coop)]


def compute(coop, *, period: str, amount: Decimal) -> Run:
    """The exact run for `amount` over the current register (no writes)."""
    if not isinstance(amount, Decimal):
        raise TypeError("amount is Decimal")
    if amount <= 0:
        raise ServiceError("invalid", "分红总额应大于0", {"amount": ["应大于0"]})
    holders = register_units(coop)
    try:
        fens = dividends.allocate_units(dividends.to_fen(amount), [u for _, u in holders])
    except dividends.AllocationError as exc:
        raise ServiceError(exc.code, exc.message, {"amount": [exc.message]}) from None
    total_units = sum(u for _, u in holders)
    digest = hashlib.sha256(
        "|".join([str(amount), *(f"{h.code if h else COLLECTIVE}:{u}" for h, u in holders)]).encode()
    ).hexdigest()
    return Run(
        cooperative=coop,
        period=period,
        amount=amount,
        total_shares=Decimal(total_units).scaleb(-4),
        per_share=Fraction(dividends.to_fen(amount), 100) / Fraction(total_units, dividends.SHARE_UNIT),
        lines=[(h, u, f) for (h, u), f in zip(holders, fens, strict=True)],
        digest=digest,
    )


PERIOD = re.compile(r"(\d{4})(?:-(Q[1-4]|\d{2}))?")


def period_range(period: str) -> tuple[date, date]:
    m = PERIOD.fullmatch(period or "")
    if not m:
        raise ServiceError(
            "invalid_period", "分配期间应写作 2025、2025-Q4 或 2025-12", {"period": ["格式错误"]}
        )
    year, part = int(m.group(1)), m.group(2)
    if part is None:
        return date(year, 1, 1), date(year, 12, 31)
    if part.startswith("Q"):
        q = int(part[1])
        start = date(year, 3 * q - 2, 1)
        end = date(year + (q == 4), (3 * q) % 12 + 1, 1) - timedelta(days=1)
        return start, end
    month = int(part)
    if not 1 <= month <= 12:
        raise ServiceError("invalid_period", "月份应为 01–12", {"period": ["月份错误"]})
    return date(year, month, 1), date(year + (month == 12), month % 12 + 1, 1) - timedelta(days=1)


def period_income(coop, period: str) -> Decimal | None:
    """The period's income (None when nothing was booked), added up in Decimal — not by the database,
    which on SQLite would add REAL numbers."""
    start, end = period_range(period)
    amounts = FinanceEntry.objects.filter(
        village=coop.village,
        kind=EntryKind.INCOME,
        category__in=INCOME_CATEGORIES,
        occurred_on__range=(start, end),
    ).values_list("amount", flat=True)
    amounts = list(amounts)
    return sum(amounts, Decimal("0.00")) if amounts else None


def fixed_amount(value) -> Decimal:
    """An amount typed by a person or a command line: yuan with at most two decimals, as Decimal."""
    if isinstance(value, float):
        raise TypeError("money is Decimal")
    try:
        d = Decimal(str(value).replace(",", "").strip())
    except Exception:
        raise ServiceError("invalid", f"金额「{value}」不是数字", {"amount": ["不是数字"]}) from None
    if not d.is_finite() or d != d.quantize(Decimal("0.01")):
        raise ServiceError("amount_precision", "金额最多两位小数（精确到分）", {"amount": ["最多两位小数"]})
    return d.quantize(Decimal("0.01"))


@transaction.atomic
def do_compute_distribution(coop, *, actor, period: str, amount: Decimal | None = None) -> Distribution:
    """Compute (or recompute, before approval) a period's run and store its lines.

    Without `amount`: the period's income less the cooperative's reserve rate. With it: what the
    shareholders receive; the income recorded for the period must cover it, the rest is reserves.
    """
    require(actor, "land.distribution.add", coop)
    period_range(period)
    income = period_income(coop, period)
    if income is None:
        raise ServiceError(
            "no_income",
            f"{coop.village.name} {period} 没有收益记录，请先登记收入（试算可用 --dry-run）",
            {"period": ["没有收益记录"]},
        )
    if amount is None:
        amount = (income * (1 - coop.reserve_rate)).quantize(Decimal("0.01"))
    elif amount > income:
        raise ServiceError(
            "over_income", f"分红总额 {amount} 元超过本期收益 {income} 元", {"amount": ["超过本期收益"]}
        )
    run = compute(coop, period=period, amount=amount)
    existing = Distribution.objects.select_for_update().filter(cooperative=coop, period=period).first()
    if existing is not None and existing.status != DistributionStatus.COMPUTED:
        raise ServiceError(
            "already_approved",
            f"{period} 的分配方案已{existing.get_status_display()}，不能重新测算",
            {"period": ["已审批"]},
        )
    values = {
        "income": income,
        "reserves": income - amount,
        "amount": amount,
        "total_shares": run.total_shares,
        "per_share": f"{run.per_share.numerator}/{run.per_share.denominator}",
        "inputs_digest": run.digest,
        "computed_at": timezone.now(),
    }
    if existing is None:
        dist = Distribution.objects.create(cooperative=coop, period=period, **values)
        audit.record_create(actor, dist)
    else:
        before = audit.snapshot(existing)
        for k, v in values.items():
            setattr(existing, k, v)
        existing.save()
        existing.payouts.all().delete()
        dist = existing
        audit.record_update(actor, dist, before)
    Payout.objects.bulk_create(
        [
            Payout(distribution=dist, member_id=m.pk if m else None, shares=s, amount=a)
            for m, s, a in run.payouts
        ],
        batch_size=5000,
    )
    return dist


@transaction.atomic
def do_approve_distribution(dist: Distribution, *, actor, at=None) -> Distribution:
    """One approval step: the village's (村审批), then the township's (乡镇审批: on the ledger, 公示 starts)."""
    dist = Distribution.objects.select_for_update().select_related("cooperative__village").get(pk=dist.pk)
    now = at or timezone.now()
    before = audit.snapshot(dist)
    if dist.status == DistributionStatus.COMPUTED:
        require(actor, "land.distribution.approve", dist)
        dist.status, dist.village_approved_at = DistributionStatus.VILLAGE_APPROVED, now
        dist.save(update_fields=["status", "village_approved_at"])
    elif dist.status == DistributionStatus.VILLAGE_APPROVED:
        require(actor, "land.distribution.confirm", dist)
        dist.status, dist.township_approved_at = DistributionStatus.TOWNSHIP_APPROVED, now
        dist.notice_until = timezone.localtime(now).date() + timedelta(days=NOTICE_DAYS)
        entry = proof.record(dist, actor=actor, subject=f"land.cooperative:{dist.cooperative_id}")
        dist.ledger_hash = entry.hash
        dist.save(update_fields=["status", "township_approved_at", "notice_until", "ledger_hash"])
    else:
        raise ServiceError(
            "not_pending", f"该分配方案{dist.get_status_display()}，无需审批", {"status": ["无需审批"]}
        )
    audit.record_update(actor, dist, before)
    return dist


def require_payable(dist: Distribution, actor):
    require(actor, "land.distribution.pay", dist)
    if dist.status not in (DistributionStatus.TOWNSHIP_APPROVED, DistributionStatus.PAID):
        raise ServiceError(
            "not_approved",
            "分配方案尚未经村和乡镇审批，不能生成发放文件",
            {"status": [dist.get_status_display()]},
            status=409,
        )


@transaction.atomic
def do_mark_paid(dist: Distribution, *, actor, at=None) -> Distribution:
    """The bank has paid: booked as the village's dividend expenditure (shown in 财务公开)."""
    require_payable(dist, actor)
    now = at or timezone.now()
    if dist.status == DistributionStatus.PAID:
        raise ServiceError("already_paid", "该分配方案已发放", {"status": ["已发放"]})
    if dist.notice_until and timezone.localtime(now).date() <= dist.notice_until:
        raise ServiceError(
            "in_notice", f"公示期至 {dist.notice_until}，期满后才能发放", {"status": ["公示期未满"]}
        )
    before = audit.snapshot(dist)
    dist.status, dist.paid_at = DistributionStatus.PAID, now
    dist.save(update_fields=["status", "paid_at"])
    audit.record_update(actor, dist, before)
    entry = FinanceEntry.objects.create(
        village=dist.cooperative.village,
        kind=EntryKind.EXPENSE,
        category=EntryCategory.DIVIDEND,
        amount=dist.amount,
        occurred_on=timezone.localtime(now).date(),
        voucher_no=f"FH{dist.period}-{dist.pk}",
        summary=f"{dist.period} 年度成员股份分红",
    )
    audit.record_create(actor, entry)
    return dist


PAYOUT_HEADERS = ["成员编号", "姓名", "开户行", "收款账号", "股数", "金额（元）"]


def payout_rows(dist: Distribution):
    """The bank's payout file: member lines only (the 集体股 stays with the cooperative), full accounts."""
    for p in (
        dist.payouts.filter(member__isnull=False).select_related("member__person").order_by("member__code")
    ):
        yield [
            p.member.code,
            p.member.person.name,
            p.member.bank_name,
            p.member.bank_account,
            str(p.shares),
            str(p.amount),
        ]
