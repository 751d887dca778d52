import json

from django.utils import timezone

from shuxiang.housing.models import Appraisal, House, Renovation
from shuxiang.housing.tests.helpers import appraise, house, id_number, photo


def test_house_list_is_paginated_filtered_and_uses_place_codes(places, cast, api_for):
    a = house(places.hamlet_a, owner_name="王大山", owner_id_number=id_number(41))
    house(places.hamlet_b)
    appraise(a, "C")
    api = api_for(cast.township_a)
    data = api.get("/api/v1/housing/houses/").json()
    assert data["count"] == 1 and data["results"][0]["place"] == places.hamlet_a.code
    assert data["results"][0]["owner"] == "王*山"  # masked
    assert api.get("/api/v1/housing/houses/?grade=dangerous").json()["count"] == 1
    assert api.get("/api/v1/housing/houses/?grade=A").json()["count"] == 0
    assert api.get(f"/api/v1/housing/houses/{a.code}/").json()["grade"] == "C"


def test_house_list_as_geojson(places, cast, api_for):
    h = house(places.hamlet_a, latitude=28.4712, longitude=112.6015)
    r = api_for(cast.township_a).get("/api/v1/housing/houses/?format=geojson")
    assert r.status_code == 200 and r["Content-Type"].startswith("application/geo+json")
    data = r.json()
    assert data["type"] == "FeatureCollection" and data["count"] == 1
    feature = data["features"][0]
    assert feature["id"] == h.code and feature["geometry"]["coordinates"] == [112.6015, 28.4712]


def test_other_township_s_house_is_a_404(places, cast, api_for):
    b = house(places.hamlet_b)
    assert api_for(cast.township_a).get(f"/api/v1/housing/houses/{b.code}/").status_code == 404


def test_registering_through_the_api_and_bad_input_in_chinese(places, cast, api_for):
    api = api_for(cast.village_a)
    ok = api.post(
        "/api/v1/housing/houses/",
        {"place": places.hamlet_a.code, "structure": "frame", "floors": 2, "use": "living"},
        format="json",
    )
    assert ok.status_code == 201 and ok.json()["code"].startswith(places.hamlet_a.code)
    bad = api.post(
        "/api/v1/housing/houses/",
        {
            "place": places.hamlet_a.code,
            "structure": "frame",
            "floors": 2,
            "owner_name": "某人",
            "owner_id_number": "123",
        },
        format="json",
    )
    assert bad.status_code == 400 and "owner_id_number" in bad.json()["fields"]
    assert bad.json()["code"] and bad.json()["message"]
    outside = api.post(
        "/api/v1/housing/houses/",
        {"place": places.hamlet_b.code, "structure": "frame", "floors": 2},
        format="json",
    )
    assert outside.status_code in (403, 404)
    assert House.objects.count() == 1


def test_an_appraisal_from_the_phone_api_with_photos(places, cast, api_for):
    h = house(places.hamlet_a, key_group="monitored")
    api = api_for(cast.grid_a)
    findings = [
        {"part": "foundation", "level": "none"},
        {"part": "load_bearing", "level": "local", "note": "裂缝"},
    ]
    r = api.post(
        "/api/v1/housing/appraisals/",
        {
            "house": h.code,
            "grade": "C",
            "appraised_on": timezone.localdate().isoformat(),
            "appraiser_name": "赵工",
            "findings": json.dumps(findings),
            "photos": [photo()],
            "submission_key": "api-1",
        },
        format="multipart",
    )
    assert r.status_code == 201, r.content
    body = r.json()
    assert body["grade"] == "C" and len(body["findings"]) == 2 and len(body["photos"]) == 1
    assert Renovation.objects.filter(house=h).count() == 1
    listed = api.get(f"/api/v1/housing/appraisals/?house={h.code}").json()
    assert listed["count"] == 1


def test_a_d_appraisal_without_photos_through_the_api_is_a_400_and_writes_nothing(places, cast, api_for):
    h = house(places.hamlet_a, key_group="dibao")
    r = api_for(cast.grid_a).post(
        "/api/v1/housing/appraisals/",
        {
            "house": h.code,
            "grade": "D",
            "appraised_on": timezone.localdate().isoformat(),
            "appraiser_name": "赵工",
            "findings": [{"part": "foundation", "level": "whole"}],
        },
        format="json",
    )
    assert r.status_code == 400
    assert {"photos", "findings"} <= set(r.json()["fields"])
    assert not Appraisal.objects.exists() and not Renovation.objects.exists()
    junk = api_for(cast.grid_a).post(
        "/api/v1/housing/appraisals/",
        {
            "house": h.code,
            "grade": "Z",
            "appraised_on": "2026-13-01",
            "appraiser_name": "",
            "findings": "nope",
        },
        format="json",
    )
    assert junk.status_code == 400 and {"grade", "appraised_on", "findings"} <= set(junk.json()["fields"])
