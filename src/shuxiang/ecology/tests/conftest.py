from datetime import timedelta

import pytest
from django.utils import timezone

from shuxiang.core.actors import OPERATOR
from shuxiang.ecology import services
from shuxiang.ecology.models import Standard


def gb3838():
    return Standard.objects.get(code="GB 3838", edition="2002")


@pytest.fixture
def section(places, cast):
    """A class III surface-water section in 清水村 (泉交河镇)."""
    return services.do_create_point(
        actor=OPERATOR,
        code="HS-DM-T01",
        name="清水河清水村断面",
        kind="surface_section",
        place=places.village_a,
        standard=gb3838(),
        grade="III",
        river="清水河",
        responsible_unit=cast.department.unit,
    )


@pytest.fixture
def source_point(places, cast):
    """A drinking-water source judged by GB 5749, with its protection zone."""
    lat, lng = places.village_a.latitude, places.village_a.longitude
    ring = [
        [lng - 0.01, lat - 0.01],
        [lng + 0.01, lat - 0.01],
        [lng + 0.01, lat + 0.01],
        [lng - 0.01, lat + 0.01],
        [lng - 0.01, lat - 0.01],
    ]
    return services.do_create_point(
        actor=OPERATOR,
        code="HS-SY-T01",
        name="清水村集中式饮用水水源地",
        kind="drinking_source",
        place=places.village_a,
        standard=Standard.objects.get(code="GB 5749", edition="2022"),
        protection_zones={
            "type": "FeatureCollection",
            "features": [
                {
                    "type": "Feature",
                    "properties": {"zone": "一级保护区"},
                    "geometry": {"type": "Polygon", "coordinates": [ring]},
                }
            ],
        },
    )


def hours_ago(n):
    return timezone.now() - timedelta(hours=n)


def clean_values(**overrides):
    """A class II sample at a river section (DO, CODMn, COD, BOD5, NH3-N, TP, pH)."""
    values = {
        "w01009": 6.5,
        "w01019": 3.0,
        "w01018": 14,
        "w01017": 2.5,
        "w21003": 0.4,
        "w21011": 0.08,
        "w01001": 7.4,
    }
    values.update(overrides)
    return [{"factor": k, "value": v} for k, v in values.items()]
