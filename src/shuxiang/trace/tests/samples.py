from decimal import Decimal

from django.utils import timezone

from shuxiang.testing import sample
from shuxiang.trace import codes
from shuxiang.trace.models import (
    Base,
    Certificate,
    DirectoryEntry,
    EnvironmentTest,
    Lot,
    Plot,
    Producer,
    Product,
    TraceEvent,
)

_serial = iter(range(1, 1_000_000))


@sample(Producer)
def make_producer(place, marker):
    return Producer.objects.create(name=marker, kind="household", place=place)


@sample(DirectoryEntry)
def make_directory_entry(place, marker):
    return DirectoryEntry.objects.get(pk=make_producer(place, marker).pk)


@sample(Base)
def make_base(place, marker):
    return Base.objects.create(
        producer=make_producer(place, marker + "主体"), name=marker, kind="planting", place=place
    )


@sample(Plot)
def make_plot(place, marker):
    return Plot.objects.create(base=make_base(place, marker + "基地"), name=marker, place=place)


@sample(Product)
def make_product(place, marker):
    n = next(_serial)
    return Product.objects.create(
        producer=make_producer(place, marker + "主体"),
        name=marker,
        category="rice",
        gtin=codes.internal_gtin(90000 + n),
    )


@sample(Lot)
def make_lot(place, marker):
    product = make_product(place, marker)
    plot = Plot.objects.create(
        base=Base.objects.create(
            producer=product.producer, name=marker + "基地", kind="planting", place=place
        ),
        name="1号地块",
        place=place,
    )
    n = next(_serial)
    return Lot.objects.create(
        product=product, lot_number=f"S{n}", origin=plot, quantity=Decimal(100), short_code=f"SAMPLE{n:04d}"
    )


@sample(TraceEvent)
def make_event(place, marker):
    lot = make_lot(place, marker)
    return TraceEvent.objects.create(
        lot=lot,
        biz_step="planting",
        disposition="active",
        event_time=timezone.now(),
        place=place,
        note=marker,
        recorded_by="test",
    )


@sample(EnvironmentTest)
def make_environment_test(place, marker):
    return EnvironmentTest.objects.create(
        plot=make_plot(place, marker + "地块"),
        kind="soil",
        tested_on=timezone.localdate(),
        agency=marker,
        passed=True,
        summary=marker,
    )


@sample(Certificate)
def make_certificate(place, marker):
    lot = make_lot(place, marker)
    return Certificate.objects.create(
        lot=lot, number=f"HG{lot.short_code}", quantity=Decimal(10), issued_by="test", statement=marker
    )
