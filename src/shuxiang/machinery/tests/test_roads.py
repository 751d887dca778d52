"""Rural roads: the register by grade and length, patrols, damage → a 道路破损 case."""

from datetime import timedelta

import pytest
from django.utils import timezone

from shuxiang.core.actors import OPERATOR
from shuxiang.core.errors import ServiceError
from shuxiang.machinery import services
from shuxiang.machinery.models import Road, RoadInspection

pytestmark = pytest.mark.django_db


@pytest.fixture
def road(places):
    return services.do_register_road(
        actor=OPERATOR,
        place=places.village_a,
        code="Y012430903",
        name="清水村—泉交河镇公路",
        grade="village",
        length_km=3.6,
        geometry={"type": "LineString", "coordinates": [[112.60, 28.47], [112.62, 28.48]]},
    )


@pytest.fixture
def road_category(db):
    from shuxiang.cases import reference
    from shuxiang.cases.choices import DeadlineUnit

    return reference.do_save_category(
        actor=OPERATOR,
        code="road",
        name="道路破损",
        deadline_amount=16,
        deadline_unit=DeadlineUnit.WORK_HOURS,
        accept_hours=8,
    )


def test_damage_found_on_patrol_opens_a_road_damage_case(places, cast, road, road_category):
    from shuxiang.cases.models import Case

    inspection = services.do_record_inspection(
        road,
        actor=cast.grid_a,
        inspected_on=timezone.localdate(),
        condition="poor",
        damaged=True,
        note="K1+200 处路面塌陷约2平方米",
        latitude=28.475,
        longitude=112.61,
    )
    case = Case.objects.get(pk=inspection.case_id)
    assert case.category == road_category and "塌陷" in case.description
    assert Road.objects.get(pk=road.pk).condition == "poor"
    calm = services.do_record_inspection(
        road, actor=cast.grid_a, inspected_on=timezone.localdate(), condition="good"
    )
    assert calm.case_id is None and Case.objects.count() == 1


def test_bad_roads_and_patrols_are_refused_whole(places, cast, road):
    with pytest.raises(ServiceError) as exc:
        services.do_register_road(
            actor=OPERATOR, place=places.village_a, code="Y012430903", name="", grade="motorway", length_km=-1
        )
    assert {"code", "name", "grade", "length_km"} <= set(exc.value.fields)
    with pytest.raises(ServiceError) as exc:
        services.do_record_inspection(
            road,
            actor=cast.grid_a,
            inspected_on=timezone.localdate() + timedelta(days=1),
            condition="x",
            damaged=True,
        )
    assert {"inspected_on", "condition", "note"} <= set(exc.value.fields)
    assert not RoadInspection.objects.exists()


def test_roads_pages_and_api_by_region(places, cast, road, client_for, api_for):
    c = client_for(cast.township_a)
    page = c.get("/roads/", HTTP_USER_AGENT="Mobile").content.decode()
    assert "清水村—泉交河镇公路" in page and "3.6" in page
    assert c.get(f"/roads/{road.pk}/").status_code == 200
    assert client_for(cast.township_b).get(f"/roads/{road.pk}/").status_code == 404
    response = client_for(cast.grid_a).post(
        f"/roads/{road.pk}/inspections/",
        {"inspected_on": timezone.localdate().isoformat(), "condition": "fair"},
    )
    assert response.status_code == 302 and RoadInspection.objects.count() == 1
    body = api_for(cast.district).get("/api/v1/roads/").json()
    assert body["count"] == 1 and body["results"][0]["place"] == places.village_a.code
    geo = api_for(cast.district).get("/api/v1/roads/?format=geojson").json()
    assert geo["features"][0]["geometry"]["type"] == "LineString"
    assert api_for(cast.township_b).get("/api/v1/roads/").json()["count"] == 0
