import json
from datetime import timedelta

from django.utils import timezone

from shuxiang.core.actors import OPERATOR, Actor
from shuxiang.iot.models import Reading, Rejection, Sensor

URL = "/api/v1/iot/telemetry"


def post(client, token, body, raw=False):
    return client.post(
        URL,
        data=body if raw else json.dumps(body),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Token {token}",
    )


def test_device_posts_thingsboard_json_in_all_three_shapes_and_every_value_is_stored(
    anon_api, device_factory
):
    device, creds = device_factory(name="一号水库")
    ms = int((timezone.now() - timedelta(minutes=5)).timestamp() * 1000)
    assert post(anon_api, creds["token"], {"ts": ms, "values": {"Z": 85.2, "VT": 12.1}}).status_code == 200
    assert post(anon_api, creds["token"], [{"ts": ms + 60000, "values": {"Z": 85.3}}]).status_code == 200
    r = post(anon_api, creds["token"], {"Z": 85.4, "PJ": 0.5})
    assert r.status_code == 200, r.content
    assert r.json() == {"stored": 2, "duplicates": 0}
    assert Reading.objects.filter(sensor__device=device).count() == 5
    assert Sensor.objects.get(device=device, key="Z").last_value == 85.4


def test_a_resent_message_is_answered_but_stored_only_once(anon_api, device_factory):
    device, creds = device_factory()
    body = {"ts": int(timezone.now().timestamp() * 1000), "values": {"Z": 1.0}}
    assert post(anon_api, creds["token"], body).json() == {"stored": 1, "duplicates": 0}
    assert post(anon_api, creds["token"], body).json() == {"stored": 0, "duplicates": 1}
    assert Reading.objects.filter(sensor__device=device).count() == 1


def test_latest_values_api_shows_each_key_with_its_time(anon_api, api_for, cast, device_factory):
    device, creds = device_factory()
    post(anon_api, creds["token"], {"Z": 3.5, "VT": 12.0})
    r = api_for(cast.district).get(f"/api/v1/iot/devices/{device.code}/latest/")
    assert r.status_code == 200
    values = r.json()["values"]
    assert values["Z"]["value"] == 3.5 and values["VT"]["value"] == 12.0
    assert values["Z"]["ts"]


def test_wrong_token_is_refused_and_counted(anon_api, device_factory):
    device_factory()
    r = post(anon_api, "not-a-token", {"Z": 1})
    assert r.status_code == 401
    assert r.json()["code"] == "wrong_token"
    assert Rejection.objects.get(reason="wrong_token").count == 1


def test_malformed_json_is_refused_with_a_chinese_message_and_counted_against_the_device(
    anon_api, device_factory
):
    device, creds = device_factory()
    r = post(anon_api, creds["token"], b"{not json", raw=True)
    assert r.status_code == 400
    assert r.json()["code"] == "bad_json" and "JSON" in r.json()["message"]
    post(anon_api, creds["token"], b"[1, 2]", raw=True)
    assert Rejection.objects.get(device=device, reason="bad_json").count == 1
    assert Rejection.objects.get(device=device, reason="bad_payload").count == 1
    assert not Reading.objects.exists()


def test_one_value_outside_the_sensor_range_rejects_the_whole_message(anon_api, device_factory):
    device, creds = device_factory(sensors=[{"key": "Z", "min_value": 0, "max_value": 120}, {"key": "VT"}])
    r = post(anon_api, creds["token"], {"VT": 12.0, "Z": 999})
    assert r.status_code == 400
    assert r.json()["code"] == "out_of_range" and "Z" in r.json()["fields"]
    assert not Reading.objects.exists()
    assert Rejection.objects.get(device=device, reason="out_of_range").count == 1


def test_readings_stamped_far_in_the_future_are_refused(anon_api, device_factory):
    device, creds = device_factory()
    ms = int((timezone.now() + timedelta(hours=2)).timestamp() * 1000)
    r = post(anon_api, creds["token"], {"ts": ms, "values": {"Z": 1}})
    assert r.status_code == 400 and r.json()["code"] == "future"
    assert not Reading.objects.exists()


def test_text_values_are_refused_as_not_numeric(anon_api, device_factory):
    _, creds = device_factory()
    r = post(anon_api, creds["token"], {"Z": "high"})
    assert r.status_code == 400 and r.json()["code"] == "not_numeric"


def test_a_device_token_opens_no_other_endpoint(anon_api, device_factory, places):
    _, creds = device_factory()
    anon_api.credentials(HTTP_AUTHORIZATION=f"Token {creds['token']}")
    assert anon_api.get("/api/v1/iot/devices/").status_code == 401
    assert anon_api.get("/api/v1/places/").status_code == 401


def test_a_user_token_is_not_accepted_as_a_device_token(anon_api, api_for, cast):
    from shuxiang.core.services import do_issue_token

    key = do_issue_token(cast.district, actor=OPERATOR)
    assert post(anon_api, key, {"Z": 1}).status_code == 401


def test_a_disabled_device_is_refused(anon_api, device_factory):
    from shuxiang.iot.services import do_set_device_active

    device, creds = device_factory()
    do_set_device_active(device, actor=OPERATOR, is_active=False)
    r = post(anon_api, creds["token"], {"Z": 1})
    assert r.status_code == 400 and r.json()["code"] == "inactive"


def test_readings_api_returns_a_time_window_in_order(anon_api, api_for, cast, device_factory):
    device, creds = device_factory()
    base = (timezone.now() - timedelta(hours=3)).replace(microsecond=0)
    body = [
        {"ts": int((base + timedelta(minutes=10 * i)).timestamp() * 1000), "values": {"Z": i}}
        for i in range(6)
    ]
    post(anon_api, creds["token"], body)
    start = (base + timedelta(minutes=10)).isoformat()
    end = (base + timedelta(minutes=40)).isoformat()
    r = api_for(cast.district).get(
        "/api/v1/iot/readings/", {"device": device.code, "key": "Z", "start": start, "end": end}
    )
    assert r.status_code == 200, r.content
    assert [row["value"] for row in r.json()["results"]] == [1, 2, 3]


def test_township_officer_gets_404_for_another_townships_device(api_for, cast, device_factory, places):
    device, _ = device_factory(place=places.hamlet_b)
    r = api_for(cast.township_a).get(f"/api/v1/iot/devices/{device.code}/latest/")
    assert r.status_code == 404
    r = api_for(cast.township_a).get("/api/v1/iot/readings/", {"device": device.code, "key": "Z"})
    assert r.status_code == 404


def test_a_flood_from_an_unknown_device_is_counted_without_a_lookup_per_message(
    django_assert_max_num_queries, places
):
    from shuxiang.iot import services

    services.do_ingest(
        [services.Message("GHOST-1", [("Z", timezone.now(), 1.0)])], actor=Actor.system("listener")
    )
    with django_assert_max_num_queries(8):
        services.do_ingest(
            [services.Message("GHOST-1", [("Z", timezone.now(), 1.0)]) for _ in range(200)],
            actor=Actor.system("listener"),
        )
    assert Rejection.objects.get(device_code="GHOST-1").count == 201
