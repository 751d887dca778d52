"""Pages without an account: the exchange's listings and deal notices, a village's 三务公开 page, and a
member's own shares and payouts after identifying (ID number + one-time code). No personal data: a
person's name is masked, companies and cooperatives are named."""

from django.contrib import messages
from django.core.cache import cache
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_safe

from shuxiang.core.access import public_view
from shuxiang.core.actors import Actor
from shuxiang.core.errors import ServiceError
from shuxiang.core.models import Place
from shuxiang.core.pii import mask_name
from shuxiang.land import exchange, finance
from shuxiang.land.choices import EntryKind, ListingStatus, TransfereeKind
from shuxiang.land.models import Cooperative, Deal, Disclosure, Distribution, FinanceEntry, Listing, Payout

PUBLIC_STATUSES = (
    ListingStatus.PUBLISHED,
    ListingStatus.DEAL,
    ListingStatus.CONTRACTED,
    ListingStatus.FAILED,
)
TRIES_PER_HOUR = 10


def public_name(name: str, kind: str) -> str:
    return mask_name(name) if kind == TransfereeKind.PERSON else name


@public_view
@require_safe
def exchange_index(request):
    listings = (
        Listing.objects.filter(status__in=PUBLIC_STATUSES)
        .select_related("village", "village__parent")
        .prefetch_related("bids")
        .order_by("-publish_from")[:200]
    )
    return render(request, "land/public_exchange.html", {"listings": listings})


@public_view
@require_http_methods(["GET", "HEAD", "POST"])
def exchange_listing(request, code):
    """A listing's public page; during a deal's notice anyone may file an objection (POST `text`)."""
    listing = (
        Listing.objects.filter(code=code, status__in=PUBLIC_STATUSES)
        .select_related("village", "village__parent")
        .first()
    )
    if listing is None:
        raise Http404
    error = None
    if request.method == "POST":
        deal = Deal.objects.filter(listing=listing).first()
        key = f"land:objection:{request.META.get('REMOTE_ADDR', '')}"
        if deal is None:
            error = "该项目没有成交公示，无法提出异议"
        elif cache.get(key, 0) >= TRIES_PER_HOUR:
            error = "提交过于频繁，请稍后再试"
        else:
            cache.set(key, cache.get(key, 0) + 1, 3600)
            try:
                exchange.do_object(deal, actor=Actor.anonymous("public"), text=request.POST.get("text", ""))
                messages.success(request, "异议已提交，村民委员会和交易服务站将在公示期内答复")
                return redirect("land:listing_detail", code=code)
            except ServiceError as exc:
                error = exc.message
    bids = list(listing.bids.select_related("bidder").order_by("-amount", "placed_at"))
    sealed_open = listing.mode == "sealed" and listing.status == ListingStatus.PUBLISHED
    deal = Deal.objects.filter(listing=listing).select_related("bid__bidder").first()
    return render(
        request,
        "land/public_listing.html",
        {
            "listing": listing,
            "parcels": listing.parcels.all(),
            "bid_count": len(bids),
            "best": None if sealed_open or not bids else bids[0].amount,
            "deal": deal,
            "winner": public_name(deal.bid.bidder.name, deal.bid.bidder.kind) if deal else "",
            "objections": deal.objections.count() if deal else 0,
            "may_object": deal is not None
            and deal.transfer_id is None
            and timezone.localdate() <= deal.notice_until,
            "error": error,
        },
    )


@public_view
@require_safe
def open_village(request, code):
    """三务公开 (finances part): disclosed periods, their income and expenditure by category, dividends paid."""
    village = Place.objects.filter(code=code, level=3).select_related("parent").first()
    if village is None:
        raise Http404
    disclosures = list(Disclosure.objects.filter(village=village).order_by("-start")[:12])
    chosen = disclosures[0] if disclosures else None
    if request.GET.get("period"):
        chosen = next((d for d in disclosures if d.period == request.GET["period"]), chosen)
    entries = []
    if chosen is not None:
        entries = list(
            FinanceEntry.objects.filter(
                village=village, occurred_on__range=(chosen.start, chosen.end)
            ).order_by("occurred_on", "voucher_no")
        )
    by_category: dict[tuple[str, str], object] = {}
    for e in entries:
        key = (e.get_kind_display(), e.get_category_display())
        by_category[key] = by_category.get(key, 0) + e.amount
    runs = Distribution.objects.filter(
        cooperative__village=village, status__in=["township", "paid"]
    ).order_by("-period")
    return render(
        request,
        "land/public_open.html",
        {
            "village": village,
            "disclosures": disclosures,
            "chosen": chosen,
            "entries": entries,
            "by_category": sorted(by_category.items()),
            "totals": finance.totals(entries),
            "runs": runs,
            "coop": Cooperative.objects.filter(village=village).first(),
            "income": EntryKind.INCOME,
        },
    )


@public_view
@require_http_methods(["GET", "POST"])
def my_shares(request):
    """A member's own page: identify with the ID number and the one-time code from the cadre."""
    member = error = sent = None
    if request.method == "POST":
        ip = request.META.get("REMOTE_ADDR", "")
        key = f"land:my:{ip}"
        tries = cache.get(key, 0)
        if tries >= TRIES_PER_HOUR:
            error = "尝试次数过多，请一小时后再试"
        elif request.POST.get("action") == "send":
            cache.set(key, tries + 1, 3600)
            try:
                finance.do_send_member_code(
                    request.POST.get("id_number", ""), actor=Actor.anonymous("public")
                )
                # the same answer whether or not the number is a member's: no enumeration
                sent = "如该身份证号是已确认的成员且登记了手机号，查询码已发送到该手机（24小时内有效）；未收到请联系村干部。"
            except ServiceError as exc:
                error = exc.message
        else:
            cache.set(key, tries + 1, 3600)
            member = finance.identify_member(request.POST.get("id_number", ""), request.POST.get("code", ""))
            if member is None:
                error = "身份证号或查询码不正确（查询码只能使用一次，24小时内有效）"
    context = {
        "member": member,
        "error": error,
        "sent": sent,
        "id_number": request.POST.get("id_number", "") if sent else "",
    }
    if member is not None:
        context["holdings"] = member.holdings.all()
        context["payouts"] = (
            Payout.objects.filter(member=member, distribution__status__in=["township", "paid"])
            .select_related("distribution")
            .order_by("-distribution__period")
        )
        context["name"] = member.person.name
    return render(request, "land/public_my.html", context)
