"""Refrigerated vehicles over JT/T 808: the cargo temperature (vendor item 0xE3, signed) through the real
TCP front end; an excursion becomes a compliance record on each lot on board and on its trace pages,
like a cold store's. Loading never past the vehicle's capacity; bad input writes nothing."""

import struct
from datetime import UTC, datetime, timedelta

import pytest

from shuxiang.core.actors import OPERATOR
from shuxiang.core.errors import ServiceError
from shuxiang.iot import jt808
from shuxiang.iot.models import AlarmRule, Device
from shuxiang.iot.tests.test_jt808 import Terminal, jt808_server  # noqa: F401  (the server fixture)
from shuxiang.livestock import coldchain
from shuxiang.livestock.models import ColdVehicle, VehicleExcursion, VehicleLoad
from shuxiang.trace import services as trace


def temp_item(celsius: float) -> bytes:
    return struct.pack(">h", round(celsius * 10))


def test_the_cargo_temperature_item_is_read_signed_in_tenths_of_a_degree():
    ts = datetime(2026, 8, 1, 10, 0, tzinfo=UTC)
    body = jt808.location_body(lat=28.5, lon=112.4, time=ts, extras={0xE3: temp_item(-18.6)})
    values = {k: v for k, _t, v in jt808.parse_location(body).values()}
    assert values["cargo_temp"] == pytest.approx(-18.6)
    warm = jt808.location_body(lat=28.5, lon=112.4, time=ts, extras={0xE3: temp_item(6.5)})
    assert {k: v for k, _t, v in jt808.parse_location(warm).values()}["cargo_temp"] == pytest.approx(6.5)


@pytest.fixture
def lot(pond, producer):
    product = trace.do_create_product(producer, actor=OPERATOR, name="赫山黄颡鱼", category="aquatic")
    return trace.do_create_lot(
        product, actor=OPERATOR, lot_number="HS-HSY-0902", origin=pond.plot, quantity=3000
    )


def _vehicle(places, producer, terminal="013912340001"):
    return coldchain.do_register_vehicle(
        actor=OPERATOR,
        plate="湘H6C521",
        name="泉交河冷链配送车",
        producer=producer,
        place=places.village_a,
        temp_class="frozen",
        capacity_t=8,
        terminal=terminal,
    )


def test_a_vehicle_gets_a_jt808_terminal_and_its_classes_limit_on_the_cargo_temperature(places, producer):
    vehicle = _vehicle(places, producer)
    assert vehicle.device.protocol == "jt808" and vehicle.device.kind == "cold_vehicle"
    rule = AlarmRule.objects.get(device=vehicle.device)
    assert (rule.key, rule.threshold, rule.duration_minutes) == ("cargo_temp", -15, 30)
    assert "livestock.cold_excursion" in rule.actions


def test_a_bad_plate_or_terminal_is_refused_and_nothing_is_written(places, producer):
    with pytest.raises(ServiceError) as exc:
        coldchain.do_register_vehicle(
            actor=OPERATOR,
            plate="ABC",
            name="x",
            producer=producer,
            place=places.village_a,
            temp_class="frozen",
            capacity_t=0,
        )
    assert {"plate", "capacity_t"} <= set(exc.value.fields)
    with pytest.raises(ServiceError) as exc:
        _vehicle(places, producer, terminal="12345")
    assert "terminal" in exc.value.fields and "手机号" in exc.value.fields["terminal"][0]
    assert not ColdVehicle.objects.exists() and not Device.objects.filter(kind="cold_vehicle").exists()


def test_loading_past_the_vehicles_capacity_is_refused(places, producer, lot):
    vehicle = _vehicle(places, producer)
    coldchain.do_load_lot(vehicle, actor=OPERATOR, lot=lot, quantity_t=6)
    with pytest.raises(ServiceError) as exc:
        coldchain.do_load_lot(vehicle, actor=OPERATOR, lot="HS-HSY-0902", quantity_t=3)
    assert exc.value.code in ("over_capacity", "already_loaded")
    with pytest.raises(ServiceError) as exc:
        coldchain.do_load_lot(vehicle, actor=OPERATOR, lot="NO-SUCH-LOT", quantity_t=1)
    assert "lot" in exc.value.fields
    assert VehicleLoad.objects.count() == 1


@pytest.mark.services
def test_an_excursion_reported_over_jt808_is_a_compliance_record_on_each_lot_on_board(
    jt808_server,  # noqa: F811
    places,
    producer,
    lot,
    cast,
    client_for,
    api_for,
):
    vehicle = _vehicle(places, producer)
    start = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=2)
    # loaded over the API by the district's staff, as the dispatcher's system would
    answer = api_for(cast.district).post(
        f"/api/v1/coldchain/vehicles/{vehicle.pk}/loads/",
        {"lot": "HS-HSY-0902", "quantity_t": 2.5, "destination": "益阳市生鲜配送中心"},
        format="json",
    )
    assert answer.status_code == 201, answer.content
    VehicleLoad.objects.filter(vehicle=vehicle).update(loaded_at=start - timedelta(hours=1))
    t = Terminal(jt808_server.port, vehicle.device.code)
    t.login()
    temps = [-18.5, -13.0, -12.0, -11.2, -11.8, -12.5, -13.0, -13.5, -14.0, -18.0, -18.6]  # 40 min warm
    for i, temp in enumerate(temps):
        body = jt808.location_body(
            lat=28.40 + i * 0.005,
            lon=112.40 + i * 0.005,
            time=start + timedelta(minutes=5 * i),
            speed=52,
            extras={0xE3: temp_item(temp)},
        )
        t.send(jt808.LOCATION, body)
        assert t.reply_result()[2] == jt808.OK
    t.close()
    excursion = VehicleExcursion.objects.get(vehicle=vehicle)
    assert list(excursion.lots.all()) == [lot] and excursion.limit == -15
    assert excursion.peak == pytest.approx(-11.2) and excursion.ended_at is not None
    assert excursion.latitude == pytest.approx(28.40, abs=0.05)
    event = lot.events.get(biz_step="inspecting")
    assert event.test_passed is False and "湘H6C521" in event.note and "冷冻" in event.note
    page = client_for(cast.district).get(f"/trace/lots/{lot.pk}/").content.decode()
    assert "冷链温度合规" in page
    # the lot is not shipped before someone has looked at it
    with pytest.raises(ServiceError) as exc:
        trace.do_record_event(lot, actor=OPERATOR, biz_step="shipping", counterparty="益阳市生鲜配送中心")
    assert exc.value.code == "failed_test"
    vehicle_page = client_for(cast.district).get(f"/coldchain/vehicles/{vehicle.pk}/").content.decode()
    assert "温度超标合规记录" in vehicle_page and "HS-HSY-0902" in vehicle_page
    listing = api_for(cast.district).get("/api/v1/coldchain/vehicles/").json()
    row = listing["results"][0]
    assert listing["count"] == 1 and row["plate"] == "湘H6C521"
    assert row["temperature"] == pytest.approx(-18.6) and row["on_board"][0]["lot"] == "HS-HSY-0902"


def test_a_vehicle_is_registered_loaded_and_unloaded_in_the_browser(places, producer, lot, cast, client_for):
    c = client_for(cast.district)
    bad = c.post(
        "/coldchain/vehicles/new/",
        {
            "plate": "湘H",
            "name": "配送车",
            "producer": producer.pk,
            "place": places.village_a.pk,
            "temp_class": "chilled",
            "capacity_t": 4,
        },
    )
    assert bad.status_code == 400 and "车牌号格式" in bad.content.decode()
    assert not ColdVehicle.objects.exists()
    ok = c.post(
        "/coldchain/vehicles/new/",
        {
            "plate": "湘H7D308",
            "name": "泉交河生鲜配送车",
            "producer": producer.pk,
            "place": places.village_a.pk,
            "temp_class": "chilled",
            "capacity_t": 4,
            "terminal": "013912340002",
        },
    )
    vehicle = ColdVehicle.objects.get(plate="湘H7D308")
    assert ok.status_code == 302 and vehicle.device.code == "013912340002"
    c.post(f"/coldchain/vehicles/{vehicle.pk}/loads/", {"lot": "HS-HSY-0902", "quantity_t": 1.5})
    load = VehicleLoad.objects.get(vehicle=vehicle)
    page = c.get(f"/coldchain/vehicles/{vehicle.pk}/").content.decode()
    assert "HS-HSY-0902" in page and "卸车" in page
    assert "湘H7D308" in c.get("/coldchain/vehicles/").content.decode()
    c.post(f"/coldchain/loads/{load.pk}/unload/")
    load.refresh_from_db()
    assert load.unloaded_at is not None
    # a village cadre sees the vehicle (staff view in region) but may not load it
    cadre = client_for(cast.village_a)
    assert cadre.get(f"/coldchain/vehicles/{vehicle.pk}/").status_code == 200
    refused = cadre.post(f"/coldchain/vehicles/{vehicle.pk}/loads/", {"lot": "HS-HSY-0902", "quantity_t": 1})
    assert refused.status_code == 403 and VehicleLoad.objects.filter(unloaded_at__isnull=True).count() == 0
