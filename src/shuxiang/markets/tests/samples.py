"""Sample objects for the scope walk (core/tests/test_scope_walk.py): each shows `marker` on its lists."""

import itertools
from datetime import date, timedelta
from decimal import Decimal

from django.utils import timezone

from shuxiang.core.actors import OPERATOR
from shuxiang.core.models import Person
from shuxiang.markets import brands, commerce, grain, services
from shuxiang.markets.models import (
    Brand,
    CollectionPoint,
    CommerceStation,
    DirectoryLookup,
    GrainBuyer,
    GrainPurchase,
    GrainStock,
    InsurancePolicy,
    LiveSession,
    Method,
    PriceObservation,
    SalesReport,
    Seller,
    WarningLevel,
)
from shuxiang.testing import sample

_n = itertools.count(1)


def _village(place):
    return place.parent if place.level == 4 else place


@sample(CollectionPoint)
def make_point(place, marker):
    return services.do_create_point(
        actor=OPERATOR, code=f"S-PT-{next(_n)}", name=marker, kind="farmers", place=_village(place)
    )


def _product(marker):
    n = next(_n)
    return services.do_create_product(
        actor=OPERATOR,
        code=f"s-{n}",
        name=marker,
        category="grain",
        unit="元/公斤",
        min_price="1",
        max_price="10",
    )


@sample(PriceObservation)
def make_price(place, marker):
    point = make_point(place, marker)
    return PriceObservation.objects.create(
        point=point,
        product=_product(f"{marker}品"),
        observed_on=timezone.localdate(),
        price=Decimal("2.50"),
        source="phone",
    )


@sample(WarningLevel)
def make_level(place, marker):
    method = Method.objects.get(code="alps")
    return WarningLevel.objects.create(
        product=_product(marker),
        place=_village(place).parent,
        method=method,
        period_start=date(2026, 1, 1),
        value=2.5,
        level="crisis",
        is_current=True,
    )


@sample(CommerceStation)
def make_station(place, marker):
    return commerce.do_create_station(
        actor=OPERATOR, code=f"S-ST-{next(_n)}", name=marker, kind="village", place=_village(place)
    )


@sample(SalesReport)
def make_sales(place, marker):
    station = make_station(place, marker)
    month = (timezone.localdate().replace(day=1) - timedelta(days=1)).replace(day=1)
    return SalesReport.objects.create(
        month=month,
        station=station,
        place=station.place,
        platform="pdd",
        product=marker,
        amount=Decimal(1000),
        orders=10,
        source="api",
    )


def _buyer(place, marker):
    return GrainBuyer.objects.create(name=f"{marker}{next(_n)}", kind="depot", place=_village(place).parent)


@sample(GrainPurchase)
def make_purchase(place, marker):
    buyer = _buyer(place, marker)
    buyer.name = marker
    buyer.save(update_fields=["name"])
    farmer = Person.objects.create(name=f"{marker}户", place=place)
    day = timezone.localdate() - timedelta(days=3)
    return grain.do_record_purchase(
        actor=OPERATOR,
        buyer=buyer,
        farmer=farmer,
        variety="late_indica",
        grade=3,
        weight_kg=Decimal(1000),
        price=Decimal("2.700"),
        purchased_on=day,
    )


@sample(GrainStock)
def make_stock(place, marker):
    depot = _buyer(place, marker)
    depot.name = marker
    depot.save(update_fields=["name"])
    return GrainStock.objects.create(
        depot=depot,
        month=date(2025, 10, 1),
        variety="late_indica",
        opening_t=1,
        purchased_t=0,
        sold_t=0,
        closing_t=1,
    )


@sample(DirectoryLookup)
def make_lookup(place, marker):
    from shuxiang.core.models import User
    from shuxiang.trace.tests.samples import make_producer

    producer = make_producer(place, f"{marker}主体")
    client = User.objects.filter(role="bank").first() or User.objects.order_by("pk").first()
    return DirectoryLookup.objects.create(
        client=client,
        institution=marker,
        producer=producer,
        route="/api/v1/directory/entities/",
        outcome="served",
    )


@sample(Seller)
def make_seller(place, marker):
    return commerce.do_create_seller(actor=OPERATOR, name=marker, place=_village(place))


@sample(LiveSession)
def make_session(place, marker):
    return commerce.do_record_live_session(
        actor=OPERATOR,
        seller=make_seller(place, f"{marker}主体"),
        host=marker,
        platform="douyin",
        held_on=timezone.localdate(),
        viewers=100,
        orders=10,
        amount=Decimal("500"),
    )


@sample(Brand)
def make_brand(place, marker):
    village = _village(place)
    township = village.parent if village.level == 3 else village
    return brands.do_create_brand(
        actor=OPERATOR, name=marker, kind="township", place=township, products="样品"
    )


@sample(InsurancePolicy)
def make_policy(place, marker):
    from shuxiang.markets import insurance
    from shuxiang.trace.tests.samples import make_producer

    today = timezone.localdate()
    return insurance.do_record_policy(
        actor=OPERATOR,
        producer=make_producer(place, f"{marker}主体"),
        insurer=marker,
        number=f"S-POL-{next(_n)}",
        kind="rice",
        quantity=Decimal("10"),
        unit="mu",
        sum_insured=Decimal("10000"),
        premium=Decimal("600"),
        starts_on=today - timedelta(days=10),
        ends_on=today + timedelta(days=300),
    )
