"""Grain purchase and stocks (粮食购销领域数字化监管): buyers and depots, purchases from farmers,
monthly stock reports, and the anomalies the development and reform bureau must check — a price
below the state minimum purchase price, a stock report that does not reconcile — each opening a
case (one per buyer and month) in the cases engine."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from django.apps import apps
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone

from shuxiang.core import audit
from shuxiang.core.actors import Actor
from shuxiang.core.errors import ServiceError
from shuxiang.core.permissions import require
from shuxiang.markets.choices import BuyerKind, GrainGrade, GrainVariety
from shuxiang.markets.models import GrainBuyer, GrainPurchase, GrainStock, MinimumPrice

CATEGORY = "grain-anomaly"
CATEGORY_DEFAULTS = {
    "name": "粮食购销异常",
    "description": "低于最低收购价收购、库存账实不符等粮食购销异常：核查并反馈",
    "group": "市场",
    "is_public": False,
    "is_sensitive": False,
    "deadline_amount": 40,  # 5 working days of 8 hours
    "deadline_unit": "work_hours",
    "accept_hours": 24,
}
# How far a stock report may be off before it does not reconcile (tonnes).
RECONCILE_TOLERANCE_T = Decimal("0.5")
# Payment is due this many days after purchase unless the record says otherwise.
PAYMENT_DAYS = 5


def ensure_case_category(sender=None, using="default", **kwargs):
    """粮食购销异常 exists among the case categories after every migrate (an edited row stays)."""
    from shuxiang.cases.models import CaseCategory

    CaseCategory.objects.using(using).get_or_create(code=CATEGORY, defaults=CATEGORY_DEFAULTS)
    # An earlier version wrote "work_days", a unit the deadline clock does not know (it counted calendar
    # days and the page showed the raw code): such a row becomes the same 5 working days in hours.
    CaseCategory.objects.using(using).filter(code=CATEGORY, deadline_unit="work_days").update(
        deadline_unit="work_hours", deadline_amount=CATEGORY_DEFAULTS["deadline_amount"]
    )


def _bureau():
    """The county's development and reform bureau (its unit holds the plan duty and 发改 in its name)."""
    from shuxiang.core.models import Unit

    return Unit.objects.filter(is_active=True, name__contains="发展和改革").order_by("pk").first()


def open_anomaly_case(*, place, title, description, ref):
    """A case for the bureau, or a note on the one already open for the same buyer and month."""
    if not apps.is_installed("shuxiang.cases"):
        return None
    from shuxiang.cases import services as cases
    from shuxiang.cases.choices import OPEN_STATES
    from shuxiang.cases.models import Case

    system = Actor.system("markets")
    existing = Case.objects.filter(source_ref=ref, state__in=OPEN_STATES).order_by("-pk").first()
    if existing is not None:
        return cases.do_add_note(existing, actor=system, note=description)
    return cases.do_open_case(
        actor=system,
        category=CATEGORY,
        title=title[:100],
        description=description,
        place=place,
        unit=_bureau(),
        channel="system",
        is_public=False,
        source_ref=ref,
    )


@transaction.atomic
def do_create_buyer(*, actor, name, kind, place, credit_code="", licence="", capacity_t=None) -> GrainBuyer:
    require(actor, "markets.grainbuyer.add", place)
    errors = {}
    if not (name or "").strip():
        errors["name"] = ["名称必填"]
    elif GrainBuyer.objects.filter(name=name.strip()).exists():
        errors["name"] = ["该收购主体已登记"]
    if kind not in BuyerKind.values:
        errors["kind"] = ["类型无效"]
    if errors:
        raise ServiceError("invalid", "收购主体信息有误", errors)
    buyer = GrainBuyer.objects.create(
        name=name.strip(),
        kind=kind,
        place=place,
        credit_code=credit_code,
        licence=licence,
        capacity_t=capacity_t,
    )
    audit.record_create(actor, buyer)
    return buyer


def minimum_price(variety: str, grade: int, day: date) -> Decimal | None:
    row = MinimumPrice.objects.filter(variety=variety, year=day.year).first()
    return None if row is None else row.for_grade(grade)


@transaction.atomic
def do_record_purchase(
    *, actor, buyer, farmer, variety, grade, weight_kg, price, purchased_on, due_on=None, paid_on=None
) -> GrainPurchase:
    """A purchase from a farmer. Below the minimum purchase price: stored (it happened) and a case
    is opened for the bureau."""
    require(actor, "markets.grainpurchase.add", buyer)
    errors = {}
    today = timezone.localdate()
    if variety not in GrainVariety.values:
        errors["variety"] = ["品种无效"]
    if grade not in GrainGrade.values:
        errors["grade"] = ["等级应为1–5"]
    if weight_kg is None or weight_kg <= 0 or weight_kg > 1_000_000:
        errors["weight_kg"] = ["重量应在0–1,000,000公斤之间"]
    if price is None or price <= 0 or price > 50:
        errors["price"] = ["收购价应在0–50元/公斤之间"]
    if purchased_on is None or purchased_on > today:
        errors["purchased_on"] = ["收购日期不能晚于今天"]
    if paid_on is not None and purchased_on is not None and paid_on < purchased_on:
        errors["paid_on"] = ["付款日期不能早于收购日期"]
    if farmer is None:
        errors["farmer"] = ["请选择售粮农户"]
    if errors:
        raise ServiceError("invalid", "收购记录有误", errors)
    floor = minimum_price(variety, grade, purchased_on)
    purchase = GrainPurchase.objects.create(
        buyer=buyer,
        farmer=farmer,
        variety=variety,
        grade=grade,
        weight_kg=weight_kg,
        price=price,
        purchased_on=purchased_on,
        due_on=due_on or purchased_on + timedelta(days=PAYMENT_DAYS),
        paid_on=paid_on,
        below_minimum=floor is not None and Decimal(price) < floor,
    )
    audit.record_create(actor, purchase)
    if purchase.below_minimum:
        purchase.case = open_anomaly_case(
            place=buyer.place,
            title=f"{buyer.name}低于最低收购价收购{purchase.get_variety_display()}",
            description=(
                f"{purchased_on:%Y-%m-%d} {buyer.name}按 {price} 元/公斤收购{purchase.get_grade_display()}"
                f"{purchase.get_variety_display()} {weight_kg} 公斤，低于最低收购价 {floor} 元/公斤。请核查。"
            ),
            ref=f"markets.grain:{buyer.pk}:{purchased_on:%Y-%m}:price",
        )
        purchase.save(update_fields=["case"])
    return purchase


@transaction.atomic
def do_mark_paid(purchase: GrainPurchase, *, actor, paid_on) -> GrainPurchase:
    require(actor, "markets.grainpurchase.change", purchase)
    if paid_on is None or paid_on < purchase.purchased_on or paid_on > timezone.localdate():
        raise ServiceError("invalid", "付款日期有误", {"paid_on": ["应在收购日期与今天之间"]})
    before = audit.snapshot(purchase)
    purchase.paid_on = paid_on
    purchase.save(update_fields=["paid_on"])
    audit.record_update(actor, purchase, before)
    return purchase


def purchased_tonnes(depot, month: date, variety: str) -> Decimal:
    end = (month.replace(day=28) + timedelta(days=4)).replace(day=1)
    kg = GrainPurchase.objects.filter(
        buyer=depot, variety=variety, purchased_on__gte=month, purchased_on__lt=end
    ).aggregate(s=Sum("weight_kg"))["s"]
    return (kg or Decimal(0)) / 1000


@transaction.atomic
def do_report_stock(
    *, actor, depot, month, variety, opening_t, purchased_t, sold_t, closing_t, loss_t=Decimal(0)
) -> GrainStock:
    """A depot's month. Stored as reported; when opening + purchased − sold − loss ≠ closing, or
    `purchased` differs from the purchase records, the report is marked and a case opened."""
    require(actor, "markets.grainstock.add", depot)
    errors = {}
    if month is None or month.day != 1 or month > timezone.localdate():
        errors["month"] = ["月份应为已到的某月1日"]
    if variety not in GrainVariety.values:
        errors["variety"] = ["品种无效"]
    for name, value in (
        ("opening_t", opening_t),
        ("purchased_t", purchased_t),
        ("sold_t", sold_t),
        ("closing_t", closing_t),
        ("loss_t", loss_t),
    ):
        if value is None or value < 0:
            errors[name] = ["应为不小于0的数"]
    if not errors and GrainStock.objects.filter(depot=depot, month=month, variety=variety).exists():
        raise ServiceError("duplicate", "该粮库本月此品种已报", {"month": ["已报"]}, status=409)
    if errors:
        raise ServiceError("invalid", "库存月报有误", errors)
    problems = []
    gap = opening_t + purchased_t - sold_t - loss_t - closing_t
    if abs(gap) > RECONCILE_TOLERANCE_T:
        problems.append(f"期初+收购−销售−损耗与期末相差 {gap:.3f} 吨")
    recorded = purchased_tonnes(depot, month, variety)
    if abs(recorded - purchased_t) > RECONCILE_TOLERANCE_T:
        problems.append(f"报送收购 {purchased_t} 吨，收购记录合计 {recorded:.3f} 吨")
    stock = GrainStock.objects.create(
        depot=depot,
        month=month,
        variety=variety,
        opening_t=opening_t,
        purchased_t=purchased_t,
        sold_t=sold_t,
        loss_t=loss_t,
        closing_t=closing_t,
        anomaly="；".join(problems)[:200],
    )
    audit.record_create(actor, stock)
    if problems:
        stock.case = open_anomaly_case(
            place=depot.place,
            title=f"{depot.name}{month:%Y年%m月}库存账实不符",
            description=f"{depot.name}{month:%Y年%m月}{stock.get_variety_display()}库存月报：{stock.anomaly}。请核查。",
            ref=f"markets.grain:{depot.pk}:{month:%Y-%m}:stock",
        )
        stock.save(update_fields=["case"])
    return stock
