"""Sample objects of the farmland app's URL-reachable models, for the scope walk."""

import itertools
from datetime import date

from shuxiang.core.actors import OPERATOR
from shuxiang.farmland import facilities, services
from shuxiang.farmland.models import (
    Facility,
    Finding,
    Parcel,
    Planting,
    RiceAdvisory,
    RiceSeason,
    RiceVariety,
    SeedlingBatch,
)
from shuxiang.farmland.tests.layerfiles import import_fields, lonlat_field
from shuxiang.testing import sample

_n = itertools.count(1)


def _parcel(place, marker, kind="cultivated"):
    village = place.parent if place.level == 4 else place
    n = next(_n)
    lng, lat = village.longitude or 112.5, village.latitude or 28.5
    import_fields(
        village,
        kind,
        # a place of its own beside the village, near it however many worlds a test run builds
        [lonlat_field(0.01 + 0.002 * (n % 20), 0.01, lng=lng, lat=lat)],
        prefix=f"S{n:03d}-",
        props={"DLMC": marker},
    )
    return Parcel.objects.get(code=f"S{n:03d}-0001", kind=kind)


@sample(Parcel)
def make_parcel(place, marker):
    # the list shows codes, the detail its land class: the marker is both
    parcel = _parcel(place, marker)
    Parcel.objects.filter(pk=parcel.pk).update(code=marker[:40], land_class=marker[:20])
    parcel.refresh_from_db()
    return parcel


@sample(Planting)
def make_planting(place, marker):
    parcel = _parcel(place, marker)
    return services.do_record_planting(
        actor=OPERATOR,
        parcel=parcel,
        season="2026-early",
        crop="rice",
        area_mu=1,
        variety=marker[:60],
        grower_name=marker,
    )


@sample(Finding)
def make_finding(place, marker):
    parcel = _parcel(place, marker, kind="permanent")
    planting = services.do_record_planting(
        actor=OPERATOR, parcel=parcel, season="2026-early", crop="citrus", area_mu=1, variety=marker[:60]
    )
    finding = Finding.objects.get(planting=planting)
    Finding.objects.filter(pk=finding.pk).update(description=marker)
    finding.refresh_from_db()
    return finding


def _variety():
    return RiceVariety.objects.get_or_create(
        name="湘早籼45号",
        defaults={
            "rice_type": "early",
            "growth_days": 108,
            "stages": [["分蘖期", 30]],
            "tasks": [[25, "施分蘖肥"]],
        },
    )[0]


@sample(RiceSeason)
def make_rice_season(place, marker):
    parcel = _parcel(place, marker)
    Parcel.objects.filter(pk=parcel.pk).update(code=marker[:40])
    parcel.refresh_from_db()
    return services.do_record_rice_season(
        actor=OPERATOR,
        parcel=parcel,
        season="2026-early",
        variety=_variety(),
        sowing_date=date(2026, 3, 25),
        transplant="machine",
        grower_name=marker,
    )


@sample(SeedlingBatch)
def make_batch(place, marker):
    village = place.parent if place.level == 4 else place
    n = next(_n)
    factory = services.do_create_seedling_factory(
        actor=OPERATOR, code=f"YYGC{n:03d}", name=f"育秧工厂{n}", place=village, capacity_trays=100000
    )
    return services.do_create_batch(
        actor=OPERATOR,
        factory=factory,
        code=marker[:30],
        variety=_variety(),
        trays=1000,
        sowing_date=date(2026, 3, 10),
        target_transplant_date=date(2026, 4, 8),
        customer=marker,
    )


@sample(Facility)
def make_facility(place, marker):
    village = place.parent if place.level == 4 else place
    n = next(_n)
    project = services.do_create_project(
        actor=OPERATOR, code=f"HBNT-S{n:04d}", name=f"项目{n}", year=2024, place=village.parent or village,
        investment=100, planned_area_mu=1000,
    )  # fmt: skip
    return facilities.do_register_facility(
        actor=OPERATOR, project=project, code=f"SF{n:04d}", kind="pump", name=marker[:60], place=village,
        latitude=village.latitude or 28.5, longitude=village.longitude or 112.5, caretaker=marker[:60],
    )  # fmt: skip


@sample(RiceAdvisory)
def make_advisory(place, marker):
    from datetime import timedelta

    from django.utils import timezone

    from shuxiang.warnings import services as warnings

    area = place.parent if place.level == 4 else place
    now = timezone.now()
    source = warnings.do_create_warning(
        actor=OPERATOR, signal_type="cold_wave", colour="blue", headline=marker[:100], description=marker,
        areas=[area.code], expires=now + timedelta(days=2),
    )  # fmt: skip
    return RiceAdvisory.objects.create(
        source=source, place=area, hazard="cold_dew_wind", start=timezone.localdate(), days=2, colour="blue",
        forecast=marker, villages=[{"code": area.code, "name": marker, "township": "", "area_mu": 1.0}],
        area_mu=1.0,
    )  # fmt: skip
