"""Garbage trucks: registry refusals write nothing, visits from a synthetic JT/T 808 track (stops, not
passing by), the track check of records, pages and API for staff, and scope (a township sees its trucks)."""

from datetime import timedelta

import pytest
from django.utils import timezone

from shuxiang.core.actors import OPERATOR, Actor
from shuxiang.core.errors import ServiceError
from shuxiang.ecology import services, trucks
from shuxiang.ecology.models import CollectionRecord, Truck
from shuxiang.iot import services as iot
from shuxiang.machinery.work import TrackPoint

DEG_M = 111_200.0  # metres per degree of latitude


@pytest.fixture(autouse=True)
def fresh_registry():
    """The ingest engine caches the device registry per process; each test's devices are new rows."""
    iot.caches.clear()
    yield
    iot.caches.clear()


@pytest.fixture
def terminal(places):
    device, _ = iot.do_register_device(
        actor=OPERATOR, code="013900009999", protocol="jt808", place=places.township_a, name="清运车终端"
    )
    return device


@pytest.fixture
def bins(places):
    v = places.village_a
    a = services.do_create_collection_point(
        actor=OPERATOR, code="LJ-V01", name="村部收集点", place=v, latitude=v.latitude, longitude=v.longitude
    )
    b = services.do_create_collection_point(
        actor=OPERATOR,
        code="LJ-V02",
        name="屋场收集点",
        place=v,
        latitude=v.latitude + 1000 / DEG_M,
        longitude=v.longitude,
    )
    return a, b


@pytest.fixture
def truck(places, terminal):
    return trucks.do_register_truck(
        actor=OPERATOR, plate="湘H D1234", unit="泉交河镇环卫站", place=places.township_a,
        capacity_t=5, terminal_code=terminal.code,
    )  # fmt: skip


def drive(start, lat0, lon0, *, stop_at=None):
    """A fix every 30 s going north 2 km at ~36 km/h (300 m/step), stopping 4 min at `stop_at` metres."""
    fixes, t, y = [], start, 0.0
    while y <= 2000:
        fixes.append(TrackPoint(ts=t, lat=lat0 + y / DEG_M, lon=lon0, speed=36.0))
        t += timedelta(seconds=30)
        if stop_at is not None and y < stop_at <= y + 300:
            for _ in range(9):
                fixes.append(TrackPoint(ts=t, lat=lat0 + stop_at / DEG_M, lon=lon0 + 0.00005, speed=0.0))
                t += timedelta(seconds=30)
        y += 300
    return fixes


def store(device, fixes):
    iot.do_ingest(
        [
            iot.Message(
                device.code,
                [
                    ("lat", p.ts, p.lat),
                    ("lon", p.ts, p.lon),
                    ("speed", p.ts, p.speed),
                    ("positioned", p.ts, 1.0),
                ],
            )
            for p in fixes
        ],
        actor=Actor.system("listener"),
    )


def test_plate_is_canonical_and_refusals_write_nothing(places, terminal, truck):
    assert truck.plate == "湘H·D1234"
    with pytest.raises(ServiceError) as caught:
        trucks.do_register_truck(actor=OPERATOR, plate="湘HD1234", unit="另一单位", place=places.township_a)
    assert "plate" in caught.value.fields
    other, _ = iot.do_register_device(
        actor=OPERATOR, code="43090300HS0000000000DM77", protocol="hj212", place=places.township_a, name="站"
    )
    with pytest.raises(ServiceError) as caught:
        trucks.do_register_truck(
            actor=OPERATOR, plate="湘H·D5678", unit="站", place=places.township_a, terminal_code=other.code
        )
    assert "terminal" in caught.value.fields
    with pytest.raises(ServiceError) as caught:  # the same terminal on a second truck
        trucks.do_register_truck(
            actor=OPERATOR, plate="湘H·D5678", unit="站", place=places.township_a, terminal_code=terminal.code
        )
    assert "terminal" in caught.value.fields
    with pytest.raises(ServiceError) as caught:
        trucks.do_register_truck(actor=OPERATOR, plate="湘H·D5678", unit="站", place=places.village_a)
    assert "place" in caught.value.fields
    assert Truck.objects.count() == 1


def test_a_stop_is_a_visit_and_passing_by_is_not(places, bins):
    a, b = bins
    start = timezone.now() - timedelta(hours=3)
    v = places.village_a
    visits = trucks.find_visits(drive(start, v.latitude, v.longitude, stop_at=1000), [a, b])
    assert [x.point.code for x in visits] == ["LJ-V02"]  # drove past 村部 (start), stopped 4 min at 屋场
    assert visits[0].minutes >= 2
    assert trucks.find_visits(drive(start, v.latitude, v.longitude), [a, b]) == []


def test_track_check_of_records(places, bins, truck, terminal, cast):
    a, b = bins
    v = places.village_a
    now = timezone.now()
    start = now - timedelta(hours=3)
    store(terminal, drive(start, v.latitude, v.longitude, stop_at=1000))

    def record(point, at, plate="湘HD1234"):
        return services.do_record_collection(
            point, actor=OPERATOR, collected_at=at, weight_kg=200, transfer_station="转运站", truck=plate
        )

    ok = record(b, start + timedelta(minutes=30))
    missed = record(a, start + timedelta(minutes=30))
    no_track = record(b, now - timedelta(days=2))
    manual = record(b, start, plate="湘H·X0001")
    assert ok.registered_truck == truck and manual.registered_truck is None
    checks = trucks.check_records(CollectionRecord.objects.select_related("registered_truck", "point"))
    assert checks == {ok.pk: "符合", missed.pk: "未到达", no_track.pk: "无轨迹"}
    assert trucks.unmatched_count(cast.township_a, now - timedelta(days=7)) == 1
    track, visits = trucks.visits_of_day(truck, timezone.localdate(start + timedelta(minutes=3)))
    assert track and [x.point.pk for x in visits] == [b.pk]


def test_truck_pages_api_and_scope(client_for, api_for, cast, places, truck, terminal, bins):
    start = timezone.now() - timedelta(minutes=90)
    day = timezone.localdate(start).isoformat()
    store(terminal, drive(start, places.village_a.latitude, places.village_a.longitude, stop_at=1000))
    c = client_for(cast.township_a)
    assert "湘H·D1234" in c.get("/sanitation/trucks/").content.decode()
    page = c.get(f"/sanitation/trucks/{truck.pk}/?date={day}").content.decode()
    assert 'id="track-map"' in page and 'id="visits"' in page and "屋场收集点" in page
    assert c.get(f"/sanitation/trucks/{truck.pk}/?date=bad").status_code == 200
    assert c.get(f"/sanitation/trucks/{truck.pk}/track.json").json()["type"] == "FeatureCollection"
    assert 'id="kpi-unmatched"' in c.get("/sanitation/").content.decode()
    added = c.post(
        "/sanitation/trucks/add/",
        {"plate": "湘H·D2222", "unit": "泉交河镇环卫站", "place": places.township_a.code, "is_active": "on"},
    )
    assert added.status_code == 302
    plain = Truck.objects.get(plate="湘H·D2222")
    assert "没有轨迹" in c.get(f"/sanitation/trucks/{plain.pk}/").content.decode()
    api = api_for(cast.township_a)
    listing = api.get("/api/v1/sanitation/trucks/").json()
    assert listing["count"] == 2 and listing["results"][0]["place"] == places.township_a.code
    visits = api.get(f"/api/v1/sanitation/trucks/{truck.pk}/visits/?date={day}").json()
    assert visits["count"] == 1 and visits["results"][0]["point"] == "LJ-V02"
    changed = api.patch(f"/api/v1/sanitation/trucks/{truck.pk}/", {"capacity_t": 8}, format="json")
    assert changed.status_code == 200 and changed.json()["capacity_t"] == 8
    made = api.post(
        "/api/v1/sanitation/trucks/",
        {"plate": "湘H·D3333", "unit": "环卫站", "place": places.township_a.code},
        format="json",
    )
    assert made.status_code == 201, made.content
    bad = api.post(
        "/api/v1/sanitation/trucks/",
        {"plate": "湘H·D3333", "unit": "环卫站", "place": places.township_a.code},
        format="json",
    )
    assert bad.status_code == 400 and "plate" in bad.json()["fields"]
    # scope: another township sees none of them, the grid worker may not register
    other = api_for(cast.township_b)
    assert other.get("/api/v1/sanitation/trucks/").json()["count"] == 0
    assert other.get(f"/api/v1/sanitation/trucks/{truck.pk}/").status_code == 404
    assert client_for(cast.township_b).get(f"/sanitation/trucks/{truck.pk}/").status_code == 404
    assert api_for(cast.grid_a).post("/api/v1/sanitation/trucks/", {}, format="json").status_code == 403


def test_the_demo_truck_stops_at_its_points_and_one_record_is_not_matched(places, bins):
    from types import SimpleNamespace

    from shuxiang.ecology import demo

    ctx = SimpleNamespace(townships=[places.township_a], district=places.district)
    demo._trucks(ctx, list(bins), timezone.now())
    assert (
        Truck.objects.count() == 3
        and Truck.objects.filter(synthetic=True, terminal__isnull=False).count() == 1
    )
    records = CollectionRecord.objects.select_related("registered_truck", "point").order_by("collected_at")
    assert sorted(trucks.check_records(records).values()) == ["未到达", "符合"]
