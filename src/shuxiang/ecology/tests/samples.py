"""Objects of the ecology app for the route-walking scope and access tests (core/tests/test_scope_walk.py)."""

from django.utils import timezone

from shuxiang.ecology.models import (
    BeautyAssessment,
    CollectionPoint,
    CollectionRecord,
    ForestStand,
    MonitoringPoint,
    PollutionSource,
    Sample,
    Standard,
    Truck,
)
from shuxiang.testing import sample

_n = [0]


def _next():
    _n[0] += 1
    return _n[0]


@sample(MonitoringPoint)
def make_point(place, marker):
    return MonitoringPoint.objects.create(
        code=f"SAMPLE-DM{_next():04d}",
        name=marker,
        kind="surface_section",
        place=place,
        standard=Standard.objects.get(code="GB 3838", edition="2002"),
        grade="III",
        latitude=place.latitude,
        longitude=place.longitude,
    )


@sample(Sample)
def make_sample(place, marker):
    point = make_point(place, marker)
    return Sample.objects.create(
        point=point,
        taken_at=timezone.now(),
        sampler=marker,
        standard=point.standard,
        meets=True,
        water_class="II",
    )


@sample(PollutionSource)
def make_source(place, marker):
    return PollutionSource.objects.create(
        code=f"SAMPLE-WR{_next():04d}",
        name=marker,
        kind="livestock_farm",
        place=place,
        latitude=place.latitude or 28.5,
        longitude=place.longitude or 112.4,
    )


@sample(CollectionPoint)
def make_collection_point(place, marker):
    return CollectionPoint.objects.create(code=f"SAMPLE-LJ{_next():04d}", name=marker, place=place)


@sample(CollectionRecord)
def make_collection_record(place, marker):
    return CollectionRecord.objects.create(
        point=make_collection_point(place, marker),
        collected_at=timezone.now(),
        weight_kg=120,
        transfer_station=marker,
    )


@sample(Truck)
def make_truck(place, marker):
    return Truck.objects.create(plate=f"湘H·S{_next():05d}", unit=marker, place=place)


@sample(BeautyAssessment)
def make_beauty_assessment(place, marker):
    return BeautyAssessment.objects.create(
        place=place, period=f"20{_next() % 90 + 10}Q1", scores={}, total=80, max_total=100, note=marker
    )


@sample(ForestStand)
def make_forest_stand(place, marker):
    lng, lat = place.longitude or 112.4, place.latitude or 28.5
    ring = [[lng, lat], [lng + 0.001, lat], [lng + 0.001, lat + 0.001], [lng, lat + 0.001], [lng, lat]]
    return ForestStand.objects.create(
        code=marker[:40],
        place=place,
        forest_type="arbor",
        species=marker[:30],
        geometry={"type": "Polygon", "coordinates": [ring]},
        area_m2=10_800,
        min_lon=lng,
        min_lat=lat,
        max_lon=lng + 0.001,
        max_lat=lat + 0.001,
        version=1,
        changed_at=timezone.now(),
    )
