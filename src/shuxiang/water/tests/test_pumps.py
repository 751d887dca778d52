from datetime import date, timedelta

import pytest
from django.utils import timezone

from shuxiang.core.actors import OPERATOR, Actor
from shuxiang.core.errors import ServiceError
from shuxiang.iot import services as iot
from shuxiang.water import services
from shuxiang.water.health import assess
from shuxiang.water.models import PumpStation


@pytest.fixture
def station(places, cast):
    return services.do_create_pump_station(
        actor=OPERATOR,
        code="HS-BZ-T01",
        place=places.village_a,
        device_code="PUMP-T01",
        name="清水排灌站",
        pump_count=2,
        rated_power_kw=220,
        rated_current_a=400,
        installed_year=2005,
        last_maintenance_on=timezone.localdate() - timedelta(days=30),
        hours_at_maintenance=1000,
        owner_unit=cast.department.unit,
    )


def report(station, **values):
    return iot.do_ingest_one(
        station.device.code,
        [(k, timezone.now(), v) for k, v in values.items()],
        actor=Actor.device(station.device.code),
    )


def test_a_healthy_station_scores_100(station):
    report(station, I=300, VIB=1.5, RH=1100)
    stations = services.with_health_inputs(PumpStation.objects.filter(pk=station.pk))
    s = stations.get()
    h = assess(s, {"I": s.current, "VIB": s.vib, "RH": s.hours}, s.alarms_30d)
    assert (h.score, h.grade, h.maintenance_due) == (100, "良好", False)


def test_vibration_overload_and_running_hours_lower_the_score_with_reasons(station, cast, client_for):
    report(station, I=450, VIB=7.5, RH=2600)
    page = client_for(cast.township_a).get(f"/water/pumps/{station.pk}/").content.decode()
    assert "振动 7.5 mm/s" in page and "为额定的 112%" in page and "维护后已运行 1600 小时" in page
    assert "已到期" in page
    listing = client_for(cast.township_a).get("/water/pumps/").content.decode()
    assert "较差" in listing


def test_recording_maintenance_restarts_the_interval(station, cast, client_for):
    report(station, RH=2600)
    r = client_for(cast.township_a).post(
        f"/water/pumps/{station.pk}/maintenance/", {"on": timezone.localdate().isoformat()}
    )
    assert r.status_code == 302
    station.refresh_from_db()
    assert station.hours_at_maintenance == 2600 and station.last_maintenance_on == timezone.localdate()


def test_a_maintenance_date_in_the_future_is_refused_and_nothing_changes(station, cast):
    before = station.last_maintenance_on
    with pytest.raises(ServiceError) as exc:
        services.do_record_maintenance(
            station, actor=cast.township_a, on=timezone.localdate() + timedelta(days=1)
        )
    assert exc.value.fields == {"on": ["不能是未来日期"]}
    station.refresh_from_db()
    assert station.last_maintenance_on == before


def test_another_township_cannot_record_maintenance(station, cast, client_for):
    r = client_for(cast.township_b).post(f"/water/pumps/{station.pk}/maintenance/", {"on": "2026-01-01"})
    assert r.status_code == 404


def test_pump_api_reports_health_and_maintenance_due(station, cast, api_for):
    report(station, VIB=5.0)
    row = api_for(cast.district).get("/api/v1/water/pump-stations/").json()["results"][0]
    assert row["health_score"] == 75 and row["maintenance_due"] is False
    assert row["maintenance_due_on"] == (station.last_maintenance_on + timedelta(days=180)).isoformat()


def test_maintenance_falls_due_on_the_date_even_when_idle(station):
    station.last_maintenance_on = date(2020, 1, 1)
    assert station.is_maintenance_due(running_hours=None)
