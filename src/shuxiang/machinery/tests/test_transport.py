"""城乡客运 on the same terminals: stops served and trips read from the buses' tracks, the village indicator."""

from datetime import datetime, time, timedelta

import pytest
from django.utils import timezone

from shuxiang.core.actors import OPERATOR
from shuxiang.core.errors import ServiceError
from shuxiang.iot import services as iot
from shuxiang.machinery import services
from shuxiang.machinery.models import BusRoute
from shuxiang.machinery.tests.conftest import phone
from shuxiang.machinery.tests.samples import lonlat
from shuxiang.machinery.work import TrackPoint

pytestmark = pytest.mark.django_db


@pytest.fixture
def route(places):
    device, _ = iot.do_register_device(
        actor=OPERATOR, code=phone(), protocol="jt808", place=places.township_a
    )
    stops = []
    for i, (x, place) in enumerate(
        ((0, places.village_a), (3000, places.hamlet_a), (6000, places.village_a))
    ):
        lon, lat = lonlat(x, 0)
        stops.append({"name": f"站{i + 1}", "place": place, "latitude": lat, "longitude": lon})
    return services.do_register_route(
        actor=OPERATOR,
        place=places.township_a,
        code="K101",
        name="泉交河—清水村",
        stops=stops,
        device_codes=[device.code],
    )


def drive(route, start, xs):
    """The bus at x metres along the route, one fix a minute."""
    from shuxiang.machinery.tests.conftest import store_track

    points = []
    for k, x in enumerate(xs):
        lon, lat = lonlat(x, 0)
        points.append(TrackPoint(start + timedelta(minutes=k), lat, lon, 30.0))

    class Holder:  # store_track wants something with .device.code
        device = route.devices.get()

    store_track(Holder, points)


def test_stops_reached_and_trips_are_read_from_the_bus_track(places, cast, route, client_for):
    yesterday = timezone.make_aware(datetime.combine(timezone.localdate() - timedelta(days=1), time(7)))
    drive(route, yesterday, [*range(0, 6001, 500), *range(6000, -1, -500)])
    day = timezone.make_aware(datetime.combine(timezone.localdate() - timedelta(days=1), time.min))
    visits = services.stops_served(route, day, day + timedelta(days=1))
    # out and back: the middle stop twice, the far terminus once (the bus turns there), the start twice
    assert [visits[s.pk] for s in route.stops.order_by("sequence")] == [2, 2, 1]
    assert services.trips(route, day, day + timedelta(days=1)) == 2
    page = client_for(cast.township_a).get("/transport/", HTTP_USER_AGENT="Mobile").content.decode()
    assert "泉交河—清水村" in page and "昨日班次 <b>2</b>" in page
    assert "泉交河—清水村" not in client_for(cast.township_b).get("/transport/").content.decode()


def test_a_stop_no_bus_reached_shows_and_the_indicator_counts_villages_served(places, route):
    from shuxiang.indicators.models import DataValue, Indicator
    from shuxiang.indicators.services import do_refresh_computed

    yesterday = timezone.make_aware(datetime.combine(timezone.localdate() - timedelta(days=1), time(7)))
    drive(route, yesterday, range(0, 3001, 500))  # turns back before the last stop
    indicator = Indicator.objects.get(code="transport_villages_served_daily")
    today = timezone.localdate()
    do_refresh_computed(indicator, f"{today.year}Q{(today.month - 1) // 3 + 1}", actor=OPERATOR)
    values = {v.place_id: (v.numerator, v.denominator) for v in DataValue.objects.filter(indicator=indicator)}
    assert values == {places.village_a.pk: (1, 1), places.hamlet_a.pk: (1, 1)}


def test_a_route_needs_two_stops_with_positions_and_known_buses(places):
    with pytest.raises(ServiceError) as exc:
        services.do_register_route(
            actor=OPERATOR,
            place=places.township_a,
            code="K9",
            name="x",
            stops=[{"name": "a", "place": places.village_a, "latitude": 95, "longitude": 112}],
            device_codes=["0999"],
        )
    assert {"stops", "devices"} <= set(exc.value.fields)
    assert not BusRoute.objects.exists()


def drive_timed(route, day, legs):
    """The bus along `legs` [(HH:MM, x metres), …] one fix a minute, straight between consecutive legs."""
    from shuxiang.machinery.tests.conftest import store_track

    points = []
    for (t1, x1), (t2, x2) in zip(legs, legs[1:], strict=False):
        a = timezone.make_aware(datetime.combine(day, time.fromisoformat(t1)))
        b = timezone.make_aware(datetime.combine(day, time.fromisoformat(t2)))
        steps = int((b - a).total_seconds() // 60)
        for k in range(steps):
            lon, lat = lonlat(x1 + (x2 - x1) * k / steps, 0)
            points.append(TrackPoint(a + timedelta(minutes=k), lat, lon, 0.0 if x1 == x2 else 25.0))
    t, x = legs[-1]
    lon, lat = lonlat(x, 0)
    points.append(
        TrackPoint(timezone.make_aware(datetime.combine(day, time.fromisoformat(t))), lat, lon, 0.0)
    )

    class Holder:
        device = route.devices.get()

    store_track(Holder, points)


def test_punctuality_compares_each_timetabled_call_with_the_bus_track(
    places, cast, route, client_for, api_for
):
    services.do_set_timetable(
        route, actor=cast.township_a, offsets="0 10 20", out_times="07:00", back_times="07:40"
    )
    day = timezone.localdate() - timedelta(days=1)
    drive_timed(
        route,
        day,
        [
            ("07:00", 0),
            ("07:01", 0),  # leaves the first stop at 07:01: on time
            ("07:09", 3000),  # at the middle stop 07:09 (timetable 07:10): on time
            ("07:10", 3000),
            ("07:28", 6000),  # at the terminus 07:28 (07:20): 8 minutes late
            ("07:41", 6000),  # leaves it back at 07:41 (07:40): on time
            ("07:51", 3000),  # the middle stop 07:51 (07:50): on time; then it stops reporting
        ],
    )
    result = services.punctuality(route, day)
    out, back = result.departures
    assert [c.status for c in out.calls] == ["on_time", "on_time", "late"]
    assert out.terminus.deviation_min == 8
    assert [c.status for c in back.calls] == ["on_time", "on_time", "missed"]
    assert (result.on_time, result.late, result.missed, result.on_time_pct) == (4, 1, 1, 66.7)
    assert result.run == 1  # the return never reached the first stop

    page = client_for(cast.township_a).get("/transport/", HTTP_USER_AGENT="Mobile").content.decode()
    assert '昨日准点率 <b class="on-time">66.7%</b>' in page
    detail = client_for(cast.township_a).get(f"/transport/{route.pk}/").content.decode()
    assert "66.7%" in detail and "晚点" in detail and "未到站" in detail and "07:28" in detail
    body = api_for(cast.district).get(f"/api/v1/transport/routes/{route.code}/punctuality/?date={day}").json()
    assert body["on_time_pct"] == 66.7 and body["departures_run"] == 1
    assert [c["status"] for c in body["departures"][0]["calls"]] == ["on_time", "on_time", "late"]
    assert body["departures"][0]["calls"][2]["deviation_min"] == 8.0
    listed = api_for(cast.district).get("/api/v1/transport/routes/").json()["results"]
    assert listed[0]["timetable"] == {"out": ["07:00"], "back": ["07:40"]}
    assert [s["offset_min"] for s in listed[0]["stops"]] == [0, 10, 20]
    assert (
        api_for(cast.township_b).get(f"/api/v1/transport/routes/{route.code}/punctuality/").status_code == 404
    )


def test_a_bad_timetable_is_refused_and_nothing_changes(places, cast, route, client_for, api_for):
    services.do_set_timetable(route, actor=OPERATOR, offsets=[0, 10, 20], out_times=["07:00"])
    with pytest.raises(ServiceError) as exc:
        services.do_set_timetable(route, actor=OPERATOR, offsets=[0, 30, 20], out_times=["7点"])
    assert {"offsets", "out_times"} <= set(exc.value.fields)
    response = client_for(cast.township_a).post(
        f"/transport/{route.pk}/timetable/", {"offsets": "0 10", "out_times": "08:00", "back_times": ""}
    )
    assert response.status_code == 400 and "应填 3 个运行时分" in response.content.decode()
    assert (
        client_for(cast.village_a).post(f"/transport/{route.pk}/timetable/", {"offsets": "0 1 2"}).status_code
        == 403
    )  # a village cadre has no say over a township's route
    ok = client_for(cast.township_a).post(
        f"/transport/{route.pk}/timetable/", {"offsets": "0 10 20", "out_times": "07:00", "back_times": ""}
    )
    assert ok.status_code == 302
    # a village cadre may not change timetables (the gate refuses before any lookup)
    refused = api_for(cast.village_a).put(
        f"/api/v1/transport/routes/{route.code}/timetable/",
        {"offsets": [0, 5, 9], "out": ["05:00"]},
        format="json",
    )
    assert refused.status_code == 403
    bad = api_for(cast.township_a).put(
        f"/api/v1/transport/routes/{route.code}/timetable/",
        {"offsets": [0, 5, 9], "out": ["25:00"]},
        format="json",
    )
    assert bad.status_code == 400 and "out_times" in str(bad.json())
    assert [f"{d.departs_at:%H:%M}" for d in route.departures.all()] == ["07:00"]
    assert [s.offset_min for s in route.stops.order_by("sequence")] == [0, 10, 20]
    ok = api_for(cast.township_a).put(
        f"/api/v1/transport/routes/{route.code}/timetable/",
        {"offsets": [0, 12, 25], "out": ["06:30", "12:00"], "back": ["07:10"]},
        format="json",
    )
    assert ok.status_code == 200 and ok.json()["timetable"] == {"out": ["06:30", "12:00"], "back": ["07:10"]}
    from shuxiang.core.models import AuditEntry

    assert AuditEntry.objects.filter(object_type="machinery.busroute", action="update").exists()


def test_the_demo_routes_have_timetables_and_yesterdays_punctuality_from_their_buses(places):
    """The demo's buses (machinery.demo._buses) on two villages of a township: a timetable, yesterday's runs
    mostly on time, a late departure shown late, everything computed from the stored tracks."""
    import random
    from types import SimpleNamespace

    from shuxiang.core import services as core
    from shuxiang.machinery import demo

    second = core.do_create_place(
        actor=OPERATOR,
        code="430903103202",
        name="试验村",
        level=places.village_a.level,
        kind=places.village_a.kind,
        parent=places.township_a,
        latitude=places.village_a.latitude + 0.03,
        longitude=places.village_a.longitude + 0.02,
        synthetic=True,
    )
    demo._buses(SimpleNamespace(townships=[places.township_a]), [places.village_a, second], random.Random(7))
    route = BusRoute.objects.get()
    assert route.departures.count() == 8 and route.stops.first().offset_min == 0
    result = services.punctuality(route, timezone.localdate() - timedelta(days=1))
    assert result.due == 16 and result.run == 8  # every departure left and arrived
    assert result.missed == 0 and 60 <= result.on_time_pct < 100  # one departure runs 11 minutes late
    assert result.late >= 1
