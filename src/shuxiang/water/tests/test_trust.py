"""Who may do what with reservoirs and pump stations (issue 12): client roles see nothing, a person's
registration is carried into iot on their behalf, alarm actions run as the water system actor, and no
string is an actor."""

from datetime import timedelta

import pytest
from django.utils import timezone

from shuxiang.core.actors import OPERATOR, Actor
from shuxiang.core.models import AuditEntry
from shuxiang.iot import services as iot
from shuxiang.iot.models import Alarm, AlarmRule, Device
from shuxiang.water import services
from shuxiang.water.models import PumpStation, Reservoir
from shuxiang.water.tests.conftest import rtu_code

pytestmark = pytest.mark.django_db

RESERVOIR = {
    "scale": "small2",
    "dam_type": "earth",
    "capacity": 20.0,
    "normal_level": 85.0,
    "flood_limit_level": 84.5,
    "crest_elevation": 87.0,
}


@pytest.fixture
def station(places, cast):
    return services.do_create_pump_station(
        actor=OPERATOR,
        code="HS-BZ-TT1",
        place=places.village_a,
        name="试验排灌站",
        pump_count=1,
        rated_power_kw=55,
        rated_current_a=100,
        installed_year=2010,
        last_maintenance_on=timezone.localdate() - timedelta(days=10),
    )


def test_water_services_refuse_a_bare_string_actor(places, reservoir, station):
    for actor in ("cli", "water", None):
        with pytest.raises(TypeError):
            services.do_create_reservoir(
                actor=actor, code="HS-SK-STR", place=places.village_a, name="库", **RESERVOIR
            )
        with pytest.raises(TypeError):
            services.do_update_reservoir_levels(reservoir, actor=actor, flood_limit_level=84.0)
        with pytest.raises(TypeError):
            services.do_record_maintenance(station, actor=actor)
    assert not Reservoir.objects.filter(code="HS-SK-STR").exists()
    reservoir.refresh_from_db()
    assert reservoir.flood_limit_level == 84.5


def test_no_client_role_sees_reservoirs_or_pump_stations(cast, api_for, client_for, reservoir, station):
    api_urls = [
        "/api/v1/water/reservoirs/",
        f"/api/v1/water/reservoirs/{reservoir.pk}/",
        "/api/v1/water/pump-stations/",
        f"/api/v1/water/pump-stations/{station.pk}/",
    ]
    web_urls = [
        "/water/reservoirs/",
        "/water/reservoirs/map.json",
        f"/water/reservoirs/{reservoir.pk}/",
        "/water/pumps/",
        f"/water/pumps/{station.pk}/",
    ]
    for name, user in cast.clients().items():
        api, web = api_for(user), client_for(user)
        for url in api_urls:
            assert api.get(url).status_code == 403, f"{name} {url}"
        for url in web_urls:
            assert web.get(url).status_code == 403, f"{name} {url}"
        assert web.post(f"/water/pumps/{station.pk}/maintenance/").status_code == 403


def test_staff_keep_seeing_the_reservoirs_of_their_region(cast, api_for, reservoir):
    for user in cast.staff().values():
        listed = api_for(user).get("/api/v1/water/reservoirs/").json()["results"]
        assert [r["code"] for r in listed] == [reservoir.code], user.username
    assert api_for(cast.township_b).get("/api/v1/water/reservoirs/").json()["results"] == []
    assert api_for(cast.township_b).get(f"/api/v1/water/reservoirs/{reservoir.pk}/").status_code == 404


def test_a_person_s_reservoir_registers_its_rtu_and_rules_on_their_behalf(places, cast):
    reservoir = services.do_create_reservoir(
        actor=cast.department,
        code="HS-SK-OB1",
        place=places.village_a,
        rtu_code=rtu_code(),
        name="代办水库",
        **RESERVOIR,
    )
    device_entry = AuditEntry.objects.get(object_type="iot.device", action="create")
    assert device_entry.actor == cast.department and "water" in device_entry.actor_label
    rules = AuditEntry.objects.filter(object_type="iot.alarmrule", action="create")
    assert rules.count() == 3 and set(rules.values_list("actor", flat=True)) == {cast.department.pk}
    assert Device.objects.get(pk=reservoir.device_id).place == places.village_a


def test_a_reservoir_outside_the_region_registers_nothing_in_iot(places, cast):
    from shuxiang.core.grants import do_create_grant

    do_create_grant(actor=OPERATOR, role="township", object_type="water.reservoir", actions=["add"])
    with pytest.raises(services.ServiceError) as refused:
        services.do_create_reservoir(
            actor=cast.township_b,
            code="HS-SK-OUT",
            place=places.village_a,
            rtu_code=rtu_code(),
            name="外库",
            **RESERVOIR,
        )
    assert refused.value.code == "out_of_scope"
    assert not Reservoir.objects.exists() and not Device.objects.exists()


def test_a_reservoir_alarm_s_case_is_opened_by_the_water_system_actor(
    reservoir, django_capture_on_commit_callbacks
):
    from shuxiang.cases.models import Case

    rule = AlarmRule.objects.get(device=reservoir.device, name="超汛限水位")
    iot.do_update_rule(rule, actor=OPERATOR, actions=["water.open_case"])
    at = timezone.now() - timedelta(minutes=1)
    with django_capture_on_commit_callbacks(execute=True):
        iot.do_ingest_one(
            reservoir.device.code, [("Z", at, 85.0)], actor=Actor.device(reservoir.device.code), now=at
        )
    case = Case.objects.get(extra__alarm=Alarm.objects.get().pk)
    opened = AuditEntry.objects.filter(object_type="cases.case", object_id=str(case.pk)).earliest("pk")
    assert opened.actor is None and opened.actor_label == "system:water"


def test_pump_maintenance_is_for_those_granted_it(cast, client_for, station):
    assert client_for(cast.grid_a).post(f"/water/pumps/{station.pk}/maintenance/").status_code == 403
    response = client_for(cast.township_a).post(f"/water/pumps/{station.pk}/maintenance/")
    assert response.status_code == 302
    assert client_for(cast.township_b).post(f"/water/pumps/{station.pk}/maintenance/").status_code == 404
    assert PumpStation.objects.get(pk=station.pk).last_maintenance_on == timezone.localdate()
