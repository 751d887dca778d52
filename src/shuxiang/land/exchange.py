"""The rural property-rights exchange (农村产权交易): listing → bids → deal → public notice → contract.

The clock decides: bids are taken only between `publish_from` and `publish_until`; closing before the
deadline is refused. In open ascending bidding each bid must beat the best so far by the minimum
increment; sealed bids are hidden until the close, one per bidder. The deal goes to the highest valid
bid (ties: the earlier one); a listing has one deal at most (a database constraint too). The notice runs
`notice_days` days; an objection holds the contract until it is answered. Every step is audited and
chained on the ledger (stream "land").
"""

from datetime import timedelta
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone

from shuxiang.core import audit
from shuxiang.core.errors import ServiceError
from shuxiang.core.permissions import require
from shuxiang.land import proof
from shuxiang.land.choices import AssetKind, BidMode, ListingStatus, TransfereeKind
from shuxiang.land.models import Bid, Bidder, Deal, Listing, Objection
from shuxiang.land.services import _money, do_record_transfer


def _subject(listing) -> str:
    return f"land.listing:{listing.pk}"


def listing_code(village) -> str:
    year = timezone.localdate().year
    n = Listing.objects.filter(code__startswith=f"CQ{village.code[:6]}{year}").count() + 1
    return f"CQ{village.code[:6]}{year}{n:05d}"


@transaction.atomic
def do_create_listing(
    *,
    actor,
    village,
    title,
    reserve_price,
    term_years,
    parcels=(),
    asset_kind=AssetKind.LAND,
    description="",
    conditions="",
    mode=BidMode.OPEN,
    min_increment=Decimal("100.00"),
    notice_days=5,
) -> Listing:
    require(actor, "land.listing.add", village)
    errors: dict[str, list[str]] = {}
    reserve = _money(reserve_price, "reserve_price", errors, allow_zero=False)
    step = _money(min_increment, "min_increment", errors, allow_zero=False)
    if not (title or "").strip():
        errors["title"] = ["项目名称必填"]
    if not isinstance(term_years, int) or not 1 <= term_years <= 30:
        errors["term_years"] = ["流转年限应为 1–30 年（不超过承包期剩余年限）"]
    if mode not in BidMode.values:
        errors["mode"] = ["竞价方式应为 open 或 sealed"]
    if asset_kind not in AssetKind.values:
        errors["asset_kind"] = ["标的类型无效"]
    parcels = list(parcels)
    if any(p.village_id != village.pk for p in parcels):
        errors["parcels"] = ["地块应属于出让的村"]
    if asset_kind == AssetKind.LAND and not parcels:
        errors["parcels"] = ["土地经营权挂牌至少包含一个地块"]
    if not isinstance(notice_days, int) or not 1 <= notice_days <= 30:
        errors["notice_days"] = ["公示天数应为 1–30 天"]
    if errors:
        raise ServiceError("invalid", "挂牌信息有误", errors)
    area = sum((p.area_m2 or Decimal(0) for p in parcels), Decimal(0)) or None
    listing = Listing.objects.create(
        code=listing_code(village),
        village=village,
        title=title.strip(),
        asset_kind=asset_kind,
        description=description,
        conditions=conditions,
        area_m2=area,
        reserve_price=reserve,
        min_increment=step,
        term_years=term_years,
        mode=mode,
        notice_days=notice_days,
    )
    listing.parcels.set(parcels)
    audit.record_create(actor, listing)
    return listing


@transaction.atomic
def do_publish_listing(listing: Listing, *, actor, days: int = 10, start=None) -> Listing:
    """挂牌: open for bids from `start` (now) for `days` days; the terms go on the ledger."""
    require(actor, "land.listing.change", listing)
    listing = Listing.objects.select_for_update().get(pk=listing.pk)
    if listing.status != ListingStatus.DRAFT:
        raise ServiceError(
            "not_draft", "只有待挂牌的项目可以挂牌", {"status": [listing.get_status_display()]}
        )
    if not isinstance(days, int) or not 5 <= days <= 60:
        raise ServiceError("invalid", "挂牌期应为 5–60 天", {"days": ["5–60 天"]})
    before = audit.snapshot(listing)
    listing.publish_from = start or timezone.now()
    listing.publish_until = listing.publish_from + timedelta(days=days)
    listing.status = ListingStatus.PUBLISHED
    listing.save(update_fields=["publish_from", "publish_until", "status"])
    audit.record_update(actor, listing, before)
    proof.record(listing, actor=actor, subject=_subject(listing))
    return listing


@transaction.atomic
def do_register_bidder(*, actor, name, kind, place, certificate_no="", phone="") -> Bidder:
    require(actor, "land.bidder.add", place)
    errors = {}
    if not (name or "").strip():
        errors["name"] = ["名称必填"]
    if kind not in TransfereeKind.values:
        errors["kind"] = ["类型无效"]
    if errors:
        raise ServiceError("invalid", "竞买人信息有误", errors)
    bidder = Bidder.objects.create(
        name=name.strip(), kind=kind, place=place, certificate_no=certificate_no, phone=phone
    )
    audit.record(actor, "create", bidder, changes={"name": [None, bidder.name], "kind": [None, kind]})
    return bidder


@transaction.atomic
def do_place_bid(listing: Listing, *, actor, bidder: Bidder, amount, at=None) -> Bid:
    """A registered bidder's bid, taken only while the listing is published and open."""
    require(actor, "land.bid.add", listing)
    listing = Listing.objects.select_for_update().get(pk=listing.pk)
    now = at or timezone.now()
    errors: dict[str, list[str]] = {}
    value = _money(amount, "amount", errors, allow_zero=False)
    if errors:
        raise ServiceError("invalid", "报价应为大于0、最多两位小数的金额", errors)
    if listing.status != ListingStatus.PUBLISHED:
        raise ServiceError(
            "not_open", f"该项目{listing.get_status_display()}，不接受报价", {"listing": ["不接受报价"]}
        )
    if now < listing.publish_from:
        raise ServiceError("not_open", "挂牌尚未开始，不接受报价", {"listing": ["尚未开始"]})
    if now >= listing.publish_until:
        raise ServiceError("closed", "挂牌已截止，不接受报价", {"listing": ["已截止"]})
    if value < listing.reserve_price:
        raise ServiceError(
            "below_reserve", f"报价低于底价 {listing.reserve_price} 元/年", {"amount": ["低于底价"]}
        )
    if listing.mode == BidMode.OPEN:
        best = listing.bids.aggregate(m=Max("amount"))["m"]
        if best is not None and value < best + listing.min_increment:
            raise ServiceError(
                "too_low",
                f"公开竞价须高于当前最高价 {best} 元至少 {listing.min_increment} 元",
                {"amount": [f"至少 {best + listing.min_increment}"]},
            )
    elif listing.bids.filter(bidder=bidder).exists():
        raise ServiceError("already_bid", "密封报价每位竞买人只能报价一次", {"bidder": ["已报价"]})
    bid = Bid.objects.create(listing=listing, bidder=bidder, amount=value, placed_at=now)
    audit.record_create(actor, bid)
    proof.record(bid, actor=actor, subject=_subject(listing))
    return bid


@transaction.atomic
def do_close_listing(listing: Listing, *, actor, at=None) -> Deal | None:
    """After the deadline: the deal to the highest bid (earliest on a tie), or 流拍 without bids."""
    require(actor, "land.listing.change", listing)
    listing = Listing.objects.select_for_update().get(pk=listing.pk)
    now = at or timezone.now()
    if Deal.objects.filter(listing=listing).exists():
        raise ServiceError("already_dealt", "该项目已成交，不能再次成交", {"listing": ["已成交"]})
    if listing.status != ListingStatus.PUBLISHED:
        raise ServiceError(
            "not_open", f"该项目{listing.get_status_display()}，不能截止成交", {"listing": ["状态不符"]}
        )
    if now < listing.publish_until:
        raise ServiceError("too_early", "挂牌期未满，不能提前截止", {"listing": ["挂牌期未满"]})
    before = audit.snapshot(listing)
    best = (
        listing.bids.filter(amount__gte=listing.reserve_price).order_by("-amount", "placed_at", "pk").first()
    )
    if best is None:
        listing.status = ListingStatus.FAILED
        listing.save(update_fields=["status"])
        audit.record_update(actor, listing, before)
        return None
    try:
        with transaction.atomic():
            deal = Deal.objects.create(
                listing=listing,
                bid=best,
                amount=best.amount,
                made_at=now,
                notice_until=timezone.localtime(now).date() + timedelta(days=listing.notice_days),
            )
    except IntegrityError:
        raise ServiceError("already_dealt", "该项目已成交，不能再次成交", {"listing": ["已成交"]}) from None
    listing.status = ListingStatus.DEAL
    listing.save(update_fields=["status"])
    audit.record_update(actor, listing, before)
    audit.record_create(actor, deal)
    proof.record(deal, actor=actor, subject=_subject(listing))
    return deal


@transaction.atomic
def do_object(deal: Deal, *, actor, text, at=None) -> Objection:
    """An objection received during the notice period."""
    require(actor, "land.objection.add", deal)
    now = at or timezone.now()
    if not (text or "").strip():
        raise ServiceError("invalid", "异议内容必填", {"text": ["必填"]})
    if timezone.localtime(now).date() > deal.notice_until:
        raise ServiceError("notice_over", "公示期已结束，不再受理异议", {"text": ["公示期已结束"]})
    objection = Objection.objects.create(deal=deal, text=text.strip()[:2000], received_at=now)
    audit.record_create(actor, objection)
    proof.record(objection, actor=actor, subject=_subject(deal.listing))
    return objection


@transaction.atomic
def do_answer_objection(objection: Objection, *, actor, answer) -> Objection:
    require(actor, "land.listing.change", objection.deal.listing)
    if not (answer or "").strip():
        raise ServiceError("invalid", "答复内容必填", {"answer": ["必填"]})
    before = audit.snapshot(objection)
    objection.answer, objection.answered_at = answer.strip(), timezone.now()
    objection.save(update_fields=["answer", "answered_at"])
    audit.record_update(actor, objection, before)
    return objection


@transaction.atomic
def do_contract_deal(deal: Deal, *, actor, start, at=None):
    """After the notice with every objection answered: the transfer contract with the winning bidder."""
    require(actor, "land.listing.change", deal.listing)
    deal = Deal.objects.select_for_update().select_related("listing", "bid__bidder").get(pk=deal.pk)
    now = at or timezone.now()
    if deal.transfer_id:
        raise ServiceError("already_contracted", "该成交已签约", {"deal": ["已签约"]})
    if timezone.localtime(now).date() <= deal.notice_until:
        raise ServiceError(
            "in_notice", f"公示期至 {deal.notice_until}，期满后才能签约", {"deal": ["公示期未满"]}
        )
    if deal.objections.filter(answered_at__isnull=True).exists():
        raise ServiceError("objection_open", "有未答复的异议，不能签约", {"deal": ["有未答复的异议"]})
    listing = deal.listing
    transfer = None
    parcels = list(listing.parcels.all())
    if parcels:
        end = start.replace(year=start.year + listing.term_years)
        transfer = do_record_transfer(
            actor=actor,
            parcels=parcels,
            transferee=deal.bid.bidder.name,
            transferee_kind=deal.bid.bidder.kind,
            start=start,
            end=end,
            annual_rent=deal.amount,
            signed_on=timezone.localtime(now).date(),
        )
    before = audit.snapshot(listing)
    deal.transfer = transfer
    deal.save(update_fields=["transfer"])
    listing.status = ListingStatus.CONTRACTED
    listing.save(update_fields=["status"])
    audit.record_update(actor, listing, before)
    return deal


# --- for other modules (the needs market links land-rental needs here) -------------------------------


def parcels_for_listing(actor, village, codes) -> list:
    """The village's parcels named by `codes` that the actor may see; any code not found refuses all."""
    from shuxiang.land.models import Parcel

    codes = [str(c).strip() for c in codes if str(c).strip()]
    found = list(Parcel.objects.restrict(actor).filter(village=village, code__in=codes))
    missing = sorted(set(codes) - {p.code for p in found})
    if missing:
        raise ServiceError(
            "invalid",
            f"地块 {', '.join(missing)} 不存在或不在{village.name}",
            {"parcels": [f"{', '.join(missing)} 不存在或不在本村"]},
        )
    return found


def listing_summaries(codes=None, *, under=None, open_only=False, limit=None) -> list[dict]:
    """Public facts of listings (what /land/exchange/ shows anyway): by code, or the ones open for bids
    in a place's subtree, newest first. Only listings the public may see (published and later)."""
    from shuxiang.land.public import PUBLIC_STATUSES

    qs = Listing.objects.select_related("village", "village__parent")
    if codes is not None:
        qs = qs.filter(code__in=list(codes))
    if open_only:
        now = timezone.now()
        qs = qs.filter(status=ListingStatus.PUBLISHED, publish_until__gt=now)
    if under is not None:
        qs = qs.filter(village__path__startswith=under.path)
    qs = qs.order_by("-publish_from", "-pk")
    if limit:
        qs = qs[:limit]
    return [
        {
            "code": x.code,
            "title": x.title,
            "status": x.status,
            "status_display": x.get_status_display(),
            "public": x.status in PUBLIC_STATUSES,
            "village": f"{x.village.parent.name if x.village.parent_id else ''}{x.village.name}",
            "area_mu": x.area_mu,
            "reserve_price": x.reserve_price,
            "term_years": x.term_years,
            "publish_until": x.publish_until,
            "url": f"/land/exchange/{x.code}/",
        }
        for x in qs
    ]
