"""The exchange lifecycle with the clock moved: publish, bids, close, notice, objection, contract."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
import time_machine
from django.utils import timezone

from shuxiang.core.actors import OPERATOR
from shuxiang.core.errors import ServiceError
from shuxiang.land import exchange
from shuxiang.land.models import Deal, Listing, Transfer
from shuxiang.ledger.models import LedgerEntry

pytestmark = pytest.mark.django_db
START = timezone.make_aware(timezone.datetime(2026, 3, 2, 9, 0))


@pytest.fixture
def listing(places, village_parcels):
    x = exchange.do_create_listing(
        actor=OPERATOR,
        village=places.village_a,
        title="清水村机动地经营权出租",
        reserve_price=Decimal("6000.00"),
        term_years=5,
        parcels=village_parcels[:3],
        min_increment=Decimal("200.00"),
        notice_days=5,
    )
    with time_machine.travel(START, tick=False):
        exchange.do_publish_listing(x, actor=OPERATOR, days=10)
    x.refresh_from_db()
    return x


@pytest.fixture
def bidders(places):
    return [
        exchange.do_register_bidder(actor=OPERATOR, name=name, kind=kind, place=places.township_a)
        for name, kind in (("益阳稻香农业有限公司", "company"), ("张建国", "person"))
    ]


def test_the_highest_bid_wins_and_the_deal_is_contracted_after_the_notice(listing, bidders):
    with time_machine.travel(START + timedelta(days=1), tick=False):
        exchange.do_place_bid(listing, actor=OPERATOR, bidder=bidders[0], amount=Decimal("6000.00"))
        exchange.do_place_bid(listing, actor=OPERATOR, bidder=bidders[1], amount=Decimal("6200.00"))
        exchange.do_place_bid(listing, actor=OPERATOR, bidder=bidders[0], amount=Decimal("6800.00"))
    with time_machine.travel(START + timedelta(days=10, minutes=1), tick=False):
        deal = exchange.do_close_listing(listing, actor=OPERATOR)
    assert deal.amount == Decimal("6800.00") and deal.bid.bidder == bidders[0]
    assert deal.notice_until == date(2026, 3, 17)
    with time_machine.travel(START + timedelta(days=12), tick=False):
        objection = exchange.do_object(deal, actor=OPERATOR, text="报价时间有疑问")
        with pytest.raises(ServiceError) as early:
            exchange.do_contract_deal(deal, actor=OPERATOR, start=date(2026, 4, 1))
        assert early.value.code == "in_notice"
    with time_machine.travel(START + timedelta(days=16), tick=False):
        with pytest.raises(ServiceError) as held:
            exchange.do_contract_deal(deal, actor=OPERATOR, start=date(2026, 4, 1))
        assert held.value.code == "objection_open"
        exchange.do_answer_objection(objection, actor=OPERATOR, answer="经核查报价均在挂牌期内")
        exchange.do_contract_deal(deal, actor=OPERATOR, start=date(2026, 4, 1))
    transfer = Transfer.objects.get()
    assert transfer.annual_rent == Decimal("6800.00") and transfer.end == date(2031, 4, 1)
    assert Listing.objects.get().status == "contracted"
    keys = set(LedgerEntry.objects.filter(stream="land").values_list("key", flat=True))
    assert f"land.listing:{listing.pk}" in keys and f"land.deal:{deal.pk}" in keys
    from shuxiang.ledger import services as ledger

    assert ledger.verify("land").ok
    Deal.objects.filter(pk=deal.pk).update(amount=Decimal("5000.00"))  # an edit behind the services
    assert not ledger.verify("land").ok


def test_the_public_may_object_during_the_notice_on_the_listing_page(listing, bidders, client):
    with time_machine.travel(START + timedelta(days=1), tick=False):
        exchange.do_place_bid(listing, actor=OPERATOR, bidder=bidders[0], amount=Decimal("6000.00"))
    with time_machine.travel(START + timedelta(days=11), tick=False):
        deal = exchange.do_close_listing(listing, actor=OPERATOR)
        page = client.get(f"/land/exchange/{listing.code}/").content.decode()
        assert "益阳稻香农业有限公司" in page and "6000.00" in page
        response = client.post(f"/land/exchange/{listing.code}/", {"text": "竞价人与村干部有亲属关系"})
        assert response.status_code == 302
    assert deal.objections.get().text == "竞价人与村干部有亲属关系"


def test_bids_after_the_close_or_below_the_reserve_or_not_beating_the_best_are_refused(listing, bidders):
    with time_machine.travel(START + timedelta(days=1), tick=False):
        with pytest.raises(ServiceError) as low:
            exchange.do_place_bid(listing, actor=OPERATOR, bidder=bidders[0], amount=Decimal("5999.99"))
        assert low.value.code == "below_reserve" and "底价" in low.value.message
        exchange.do_place_bid(listing, actor=OPERATOR, bidder=bidders[0], amount=Decimal("6000.00"))
        with pytest.raises(ServiceError) as small:
            exchange.do_place_bid(listing, actor=OPERATOR, bidder=bidders[1], amount=Decimal("6100.00"))
        assert small.value.code == "too_low"
    with time_machine.travel(START + timedelta(days=10, seconds=1), tick=False):
        with pytest.raises(ServiceError) as late:
            exchange.do_place_bid(listing, actor=OPERATOR, bidder=bidders[1], amount=Decimal("9000.00"))
        assert late.value.code == "closed" and "截止" in late.value.message
    assert listing.bids.count() == 1


def test_a_second_deal_on_the_same_listing_is_refused(listing, bidders):
    with time_machine.travel(START + timedelta(days=1), tick=False):
        exchange.do_place_bid(listing, actor=OPERATOR, bidder=bidders[0], amount=Decimal("6000.00"))
    with time_machine.travel(START + timedelta(days=11), tick=False):
        exchange.do_close_listing(listing, actor=OPERATOR)
        Listing.objects.filter(pk=listing.pk).update(status="published")  # as if someone reopened it by hand
        with pytest.raises(ServiceError) as again:
            exchange.do_close_listing(listing, actor=OPERATOR)
    assert again.value.code == "already_dealt" and Deal.objects.count() == 1


def test_closing_before_the_deadline_is_refused_and_no_bids_means_failed(listing):
    with time_machine.travel(START + timedelta(days=3), tick=False), pytest.raises(ServiceError) as early:
        exchange.do_close_listing(listing, actor=OPERATOR)
    assert early.value.code == "too_early"
    with time_machine.travel(START + timedelta(days=11), tick=False):
        assert exchange.do_close_listing(listing, actor=OPERATOR) is None
    assert Listing.objects.get().status == "failed"


def test_sealed_bids_are_one_per_bidder_and_hidden_on_the_public_page_until_the_close(
    places, village_parcels, bidders, client
):
    x = exchange.do_create_listing(
        actor=OPERATOR,
        village=places.village_a,
        title="鱼塘出租",
        reserve_price=Decimal("3000.00"),
        term_years=3,
        parcels=village_parcels[5:6],
        mode="sealed",
    )
    exchange.do_publish_listing(x, actor=OPERATOR, days=10)
    exchange.do_place_bid(x, actor=OPERATOR, bidder=bidders[0], amount=Decimal("4321.00"))
    with pytest.raises(ServiceError):
        exchange.do_place_bid(x, actor=OPERATOR, bidder=bidders[0], amount=Decimal("5000.00"))
    page = client.get(f"/land/exchange/{x.code}/").content.decode()
    assert "密封报价，截止后公布" in page and "4,321" not in page and "4321" not in page
