from django.utils import timezone

from shuxiang.core.actors import OPERATOR
from shuxiang.livestock import coldchain, ponds, services
from shuxiang.livestock.models import ColdStore, ColdVehicle, DiseaseReport, Farm, Pen, Pond, VehicleLoad
from shuxiang.testing import sample
from shuxiang.trace.models import Producer

_n = [0]


def _next():
    _n[0] += 1
    return _n[0]


def _producer(place, marker):
    return Producer.objects.create(name=marker + "主体", kind="household", place=place)


def _farm(place, marker, kind="pig"):
    return services.do_create_farm(
        actor=OPERATOR,
        code=f"SAMPLE-YZ{_next():04d}",
        name=marker,
        kind=kind,
        producer=_producer(place, marker),
        place=place,
    )


@sample(Farm)
def make_farm(place, marker):
    return _farm(place, marker)


@sample(Pen)
def make_pen(place, marker):
    return services.do_create_pen(
        _farm(place, marker), actor=OPERATOR, code=f"P{_next():04d}", stage="finishing", capacity=100
    )


@sample(Pond)
def make_pond(place, marker):
    farm = _farm(place, marker + "渔场", kind="fish")
    return ponds.do_create_pond(
        farm, actor=OPERATOR, code=f"SAMPLE-CT{_next():04d}", name=marker, species="bass", area_mu=8
    )


@sample(ColdStore)
def make_cold_store(place, marker):
    return coldchain.do_create_cold_store(
        actor=OPERATOR,
        code=f"SAMPLE-LK{_next():04d}",
        name=marker,
        producer=_producer(place, marker),
        place=place,
        temp_class="chilled",
        capacity_t=100,
    )


@sample(ColdVehicle)
def make_cold_vehicle(place, marker):
    return coldchain.do_register_vehicle(
        actor=OPERATOR,
        plate=f"湘H{_next():05d}",
        name=marker,
        producer=_producer(place, marker),
        place=place,
        temp_class="chilled",
        capacity_t=10,
    )


@sample(VehicleLoad)
def make_vehicle_load(place, marker):
    from shuxiang.testing import samples
    from shuxiang.trace.models import Lot

    lot = samples[Lot](place, marker)
    return coldchain.do_load_lot(make_cold_vehicle(place, marker), actor=OPERATOR, lot=lot, quantity_t=1)


@sample(DiseaseReport)
def make_report(place, marker):
    return DiseaseReport.objects.create(
        place=place,
        species="pig",
        symptoms=marker,
        disease=marker[:40],
        latitude=place.latitude or 28.5,
        longitude=place.longitude or 112.5,
        reported_at=timezone.now(),
    )
