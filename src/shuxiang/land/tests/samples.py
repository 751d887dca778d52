"""Samples for the platform's scope walk: one object per routed land model in a given hamlet's village."""

import itertools
from datetime import date
from decimal import Decimal

import shapely

from shuxiang.core import services as core_services
from shuxiang.core.actors import OPERATOR
from shuxiang.core.geometry import to_geojson
from shuxiang.land.models import (
    Contract,
    Cooperative,
    Distribution,
    FinanceEntry,
    Listing,
    Member,
    Parcel,
    Transfer,
)
from shuxiang.testing import sample

_seq = itertools.count(1)


def _parcel(place, marker):
    village = place.parent
    n = next(_seq)
    lng, lat = (village.longitude or 112.6) + n * 0.001, (village.latitude or 28.47)
    shape = shapely.box(lng, lat, lng + 0.0003, lat + 0.0003)
    return Parcel.objects.create(
        code=f"{place.code}{90000 + n:05d}",
        name=marker,
        issuer=place,
        village=village,
        geometry=to_geojson(shape),
        registered_area_m2=Decimal("900"),
        measured_area_m2=Decimal("905"),
        longitude=lng,
        latitude=lat,
    )


@sample(Parcel)
def make_parcel(place, marker):
    return _parcel(place, marker)


@sample(Contract)
def make_contract(place, marker):
    from shuxiang.land.models import Contractor

    head = core_services.do_create_person(actor=OPERATOR, name=marker[:20], place=place)
    contractor = Contractor.objects.create(
        code=f"{place.code}{next(_seq):04d}", issuer=place, village=place.parent, head=head
    )
    contract = Contract.objects.create(
        code=f"{contractor.code}J", contractor=contractor, start=date(2018, 1, 1), end=date(2048, 1, 1)
    )
    contract.parcels.set([_parcel(place, marker)])
    return contract


@sample(Transfer)
def make_transfer(place, marker):
    t = Transfer.objects.create(
        code=f"LZ{next(_seq):08d}",
        village=place.parent,
        transferee=marker,
        transferee_kind="company",
        start=date(2025, 1, 1),
        end=date(2030, 1, 1),
        area_m2=Decimal("900"),
        annual_rent=Decimal("800"),
        signed_on=date(2025, 1, 1),
    )
    t.parcels.set([_parcel(place, marker)])
    return t


@sample(Listing)
def make_listing(place, marker):
    return Listing.objects.create(
        code=f"CQ{next(_seq):010d}",
        village=place.parent,
        title=marker,
        reserve_price=Decimal("5000"),
        term_years=5,
    )


def _coop(place):
    coop = Cooperative.objects.filter(village=place.parent).first()
    return coop or Cooperative.objects.create(
        village=place.parent, name=f"{place.parent.name}股份经济合作社", cutoff_date=date(2020, 12, 31)
    )


@sample(Cooperative)
def make_cooperative(place, marker):
    coop = _coop(place)
    coop.name = marker
    coop.save(update_fields=["name"])
    return coop


@sample(Member)
def make_member(place, marker):
    coop = _coop(place)
    person = core_services.do_create_person(actor=OPERATOR, name=marker[:20], place=place)
    return Member.objects.create(
        cooperative=coop, code=f"{place.parent.code}{next(_seq):04d}", person=person, basis="hukou"
    )


@sample(Distribution)
def make_distribution(place, marker):
    from django.utils import timezone

    return Distribution.objects.create(
        cooperative=_coop(place),
        period=marker[:20],
        amount=Decimal("100"),
        total_shares=Decimal("1"),
        per_share="100/1",
        inputs_digest="0" * 64,
        computed_at=timezone.now(),
    )


@sample(FinanceEntry)
def make_finance_entry(place, marker):
    return FinanceEntry.objects.create(
        village=place.parent,
        kind="income",
        category="land_rent",
        amount=Decimal("100"),
        occurred_on=date(2025, 5, 1),
        voucher_no=f"S{next(_seq):06d}",
        summary=marker,
    )
