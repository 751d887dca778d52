"""The needs market ↔ the rural property-rights exchange (农村产权交易, `shuxiang.land`).

A land-rental need (租赁 · 土地) posted on the market can become an exchange listing: the village cadre
records how the holder agreed (签字同意书, 电话确认 …), names the parcels from the land register, the
reserve price and the term, and the exchange's own service (`land.exchange.do_create_listing`, which
checks `land.listing.add` in the village) writes the listing as 待挂牌; the exchange desk publishes it.
The posting keeps the listing's code and from then on sends people to the exchange's public page.
The other way round, listings open for bids are shown on the market (`open_listings`).

Only the land module's public functions are called (`land.exchange`), and only when it is installed.
"""

from django.apps import apps
from django.db import transaction
from django.utils import timezone

from shuxiang.core import audit
from shuxiang.core import services as core_services
from shuxiang.core.actors import as_actor
from shuxiang.core.choices import Role
from shuxiang.core.errors import ServiceError
from shuxiang.core.permissions import require
from shuxiang.villager.choices import PostingKind, PostingStatus
from shuxiang.villager.market import NUMBERS_MESSAGE, _changed, personal_numbers_in, township_of
from shuxiang.villager.models import Posting

MAX_PARCELS = 50


def exchange_installed() -> bool:
    return apps.is_installed("shuxiang.land")


def is_land_rental(posting: Posting) -> bool:
    return posting.kind == PostingKind.RENTAL and posting.category == "land"


def may_go_to_exchange(posting: Posting) -> bool:
    """A land-rental need not yet listed, still current (pending or public)."""
    return (
        exchange_installed()
        and is_land_rental(posting)
        and not posting.exchange_code
        and posting.status in (PostingStatus.PENDING, PostingStatus.PUBLISHED)
    )


def _village_of(posting: Posting):
    place = posting.place
    while place.level > 3 and place.parent_id:
        place = place.parent
    return place if place.level == 3 else None


@transaction.atomic
def do_list_on_exchange(
    posting: Posting,
    *,
    actor,
    consent,
    parcels,
    reserve_price,
    term_years,
    mode="open",
    conditions="",
    notice_days=5,
) -> Posting:
    """Take a land-rental need to the exchange as a listing (待挂牌), with the holder's consent."""
    require(actor, "villager.posting.exchange", posting)
    actor = as_actor(actor)
    if not exchange_installed():
        raise ServiceError("no_exchange", "本平台未启用农村产权交易模块", {})
    posting = Posting.objects.select_for_update().select_related("place").get(pk=posting.pk)
    if not is_land_rental(posting):
        raise ServiceError(
            "not_land_rental", "只有“租赁·土地”类需求可以转入产权交易", {"kind": ["不是土地租赁"]}
        )
    if posting.exchange_code:
        raise ServiceError(
            "already_listed",
            f"该需求已转入产权交易（挂牌编号 {posting.exchange_code}）",
            {},
            status=409,
        )
    if posting.status not in (PostingStatus.PENDING, PostingStatus.PUBLISHED):
        raise ServiceError(
            "not_current", f"该需求{posting.get_status_display()}，不能转入产权交易", {}, status=409
        )
    errors: dict[str, list[str]] = {}
    consent = str(consent or "").strip()
    if len(consent) < 4:
        errors["consent"] = ["请写明出租方如何同意挂牌（如：户主签字同意书已存村委）"]
    elif len(consent) > 100:
        errors["consent"] = ["不超过100个字"]
    elif personal_numbers_in(consent):
        errors["consent"] = [NUMBERS_MESSAGE]
    conditions = str(conditions or "").strip()
    if len(conditions) > 500:
        errors["conditions"] = ["不超过500个字"]
    codes = [str(c).strip() for c in (parcels or []) if str(c).strip()]
    if not codes:
        errors["parcels"] = ["请填写要挂牌的地块编码（19位，可在“地块”中查到）"]
    elif len(codes) > MAX_PARCELS:
        errors["parcels"] = [f"一次最多{MAX_PARCELS}个地块"]
    village = _village_of(posting)
    if village is None:
        errors["place"] = ["需求所在地须是村（社区）：请先由村委核实具体村"]
    if errors:
        raise ServiceError("invalid", "转入产权交易的信息有误", errors)

    from shuxiang.land import exchange

    found = exchange.parcels_for_listing(actor, village, codes)
    body = posting.body
    if posting.price:
        body += f"\n出租方期望：{posting.price}"
    listing = exchange.do_create_listing(
        actor=actor,
        village=village,
        title=f"{posting.title}（需求集市第{posting.pk}号）"[:100],
        reserve_price=reserve_price,
        term_years=term_years,
        parcels=found,
        description=body,
        conditions=conditions,
        mode=mode,
        notice_days=notice_days,
    )
    before = audit.snapshot(posting)
    posting.exchange_code = listing.code
    posting.exchange_consent = consent
    posting.exchange_by = actor.human
    posting.exchange_at = timezone.now()
    posting.save(update_fields=["exchange_code", "exchange_consent", "exchange_by", "exchange_at"])
    audit.record_update(actor, posting, before)
    _changed()
    desk = core_services.users_at([township_of(village)], [Role.TOWNSHIP])
    title = f"土地流转需求转入产权交易，待挂牌：{listing.code} {posting.title}"
    url = f"/land/listings/{listing.code}/"
    recipients = [u for u in desk if u != actor.human]
    if posting.poster_id and posting.poster_id != getattr(actor.human, "pk", None):
        poster = [posting.poster]
        transaction.on_commit(
            lambda: core_services.notify(
                poster,
                title=f"您的土地出租信息已转入农村产权交易中心：{listing.code}",
                url=f"/land/exchange/{listing.code}/",
                kind="market",
            )
        )
    if recipients:
        transaction.on_commit(lambda: core_services.notify(recipients, title=title, url=url, kind="market"))
    return posting


def listing_of(posting: Posting) -> dict | None:
    """The exchange listing a posting became (its public facts), if any."""
    if not posting.exchange_code or not exchange_installed():
        return None
    from shuxiang.land import exchange

    found = exchange.listing_summaries([posting.exchange_code])
    return found[0] if found else None


def open_listings(place=None, limit=5) -> list[dict]:
    """Exchange listings open for bids (in a township's or village's subtree), for the market page."""
    if not exchange_installed():
        return []
    from shuxiang.land import exchange

    return exchange.listing_summaries(under=place, open_only=True, limit=limit)
