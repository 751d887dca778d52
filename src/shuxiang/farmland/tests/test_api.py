"""The API contract: paginated lists, GeoJSON with ?format=geojson, place codes, one error shape, scope."""

import pytest

from shuxiang.farmland.models import Finding, Planting

pytestmark = pytest.mark.django_db


def test_parcels_are_a_paginated_list_filtered_by_kind_and_village(fields_a, field_b, api_for, cast, places):
    body = (
        api_for(cast.district)
        .get(f"/api/v1/farmland/parcels/?kind=permanent&village={places.village_a.code}")
        .json()
    )
    assert body["count"] == 3
    row = body["results"][0]
    assert row["code"] == "P0001" and row["kind"] == "permanent"
    assert row["village"] == places.village_a.code
    assert isinstance(row["area_mu"], float) and row["area_mu"] > 10


def test_parcels_as_geojson_carry_code_kind_and_areas_as_numbers(fields_a, api_for, cast, places):
    response = api_for(cast.township_a).get(
        f"/api/v1/farmland/parcels/?format=geojson&kind=permanent&village={places.village_a.code}"
    )
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/geo+json")
    body = response.json()
    assert body["type"] == "FeatureCollection" and len(body["features"]) == 3
    props = body["features"][0]["properties"]
    assert props["code"] == "P0001" and props["kind"] == "permanent"
    assert isinstance(props["area_m2"], float) and isinstance(props["area_mu"], float)
    assert props["area_mu"] == pytest.approx(props["area_m2"] / (10000 / 15), abs=0.01)
    assert body["features"][0]["geometry"]["type"] == "Polygon"


def test_a_township_officer_sees_only_their_townships_polygons(fields_a, field_b, api_for, cast):
    api = api_for(cast.township_a)
    codes = {r["code"] for r in api.get("/api/v1/farmland/parcels/?page_size=100").json()["results"]}
    assert codes == {"P0001", "P0002", "P0003"}
    assert api.get(f"/api/v1/farmland/parcels/{field_b.pk}/").status_code == 404


def test_a_planting_is_declared_through_the_api_and_a_non_grain_one_opens_a_finding(fields_a, api_for, cast):
    response = api_for(cast.grid_a).post(
        "/api/v1/farmland/plantings/",
        {"parcel": "P0002", "season": "2026-early", "crop": "peach", "area_mu": "3.5", "grower_name": "李四"},
        format="json",
    )
    assert response.status_code == 201, response.json()
    assert response.json()["crop_display"] == "桃"
    assert Finding.objects.get().planting_id == response.json()["id"]
    listed = api_for(cast.township_a).get("/api/v1/farmland/plantings/?season=2026-early").json()
    assert listed["count"] == 1
    findings = api_for(cast.township_a).get("/api/v1/farmland/findings/").json()
    assert findings["results"][0]["case"] is not None


@pytest.mark.parametrize(
    ("body", "field", "text"),
    [
        ({"parcel": "NOPE", "season": "2026-early", "crop": "rice", "area_mu": "1"}, "parcel", "不存在"),
        (
            {"parcel": "P0001", "season": "2026-early", "crop": "rice", "area_mu": "999"},
            "area_mu",
            "超过图斑面积",
        ),
        ({"parcel": "P0001", "season": "春季", "crop": "rice", "area_mu": "1"}, "season", "季节格式"),
        ({"parcel": "P0001", "season": "2026-early", "crop": "opium", "area_mu": "1"}, "crop", ""),
    ],
)
def test_a_bad_planting_is_a_400_in_chinese_and_nothing_is_written(
    fields_a, api_for, cast, body, field, text
):
    response = api_for(cast.grid_a).post("/api/v1/farmland/plantings/", body, format="json")
    assert response.status_code == 400
    error = response.json()
    assert error["code"] == "invalid" and field in error["fields"]
    assert text in " ".join(error["fields"][field])
    assert Planting.objects.count() == 0


def test_a_planting_on_another_townships_polygon_is_unknown_to_the_caller(field_b, api_for, cast):
    response = api_for(cast.grid_a).post(
        "/api/v1/farmland/plantings/",
        {"parcel": "B0001", "season": "2026-early", "crop": "rice", "area_mu": "1"},
        format="json",
    )
    assert response.status_code == 400 and "不在您的管辖范围内" in response.json()["fields"]["parcel"][0]
    assert Planting.objects.count() == 0


def test_a_bad_season_filter_is_a_400(api_for, cast):
    response = api_for(cast.district).get("/api/v1/farmland/plantings/?season=2026")
    assert response.status_code == 400 and "season" in response.json()["fields"]


def test_client_roles_get_nothing(fields_a, api_for, cast):
    for path in ("/api/v1/farmland/parcels/", "/api/v1/farmland/findings/", "/api/v1/rice/fields/"):
        assert api_for(cast.bank).get(path).status_code == 403
