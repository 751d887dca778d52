"""Maps people can read: the boundaries endpoint every map draws from, and the optional base map with the
content security policy that follows it."""

import json

import pytest
import shapely
from django.template import Context, Template
from django.test import override_settings

from shuxiang.core.actors import OPERATOR
from shuxiang.core.boundaries import do_import_boundaries, set_boundary
from shuxiang.core.checks import check_base_layer
from shuxiang.core.models import Place

COUNTY_URL = "/places/430903000000/boundaries.geojson"


def draw(place, shape):
    set_boundary(place, shape, actor=OPERATOR, source="测试")


def round_township(lng, lat, radius=0.05):
    return shapely.Point(lng, lat).buffer(radius, quad_segs=256)  # 1 024 vertices: room to simplify


def img_src(response):
    policy = dict(part.strip().split(" ", 1) for part in response["Content-Security-Policy"].split(";"))
    return policy["img-src"]


def test_anyone_reads_the_countys_township_boundaries_simplified_and_cacheable(places, client):
    draw(places.district, shapely.box(112.2, 28.3, 112.8, 28.9))
    draw(places.township_a, round_township(112.60, 28.47))
    draw(places.township_b, round_township(112.52, 28.69))

    response = client.get(COUNTY_URL)

    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/geo+json")
    assert response["Cache-Control"] == "public, max-age=600"
    data = response.json()
    assert data["place"] == {"code": "430903000000", "name": "赫山区", "level": 1, "parent": None}
    assert [f["properties"]["name"] for f in data["features"]] == ["泉交河镇", "兰溪镇"]
    township = data["features"][0]
    assert len(township["geometry"]["coordinates"][0]) < 200  # simplified for the screen
    shape = shapely.geometry.shape(township["geometry"])
    assert shape.contains(shapely.Point(*township["properties"]["label"]))  # labels sit inside their shape
    assert shape.area == pytest.approx(round_township(112.60, 28.47).area, rel=0.01)
    assert data["outline"]["properties"]["code"] == "430903000000"

    again = client.get(COUNTY_URL, HTTP_IF_NONE_MATCH=response["ETag"])
    assert again.status_code == 304


def test_a_child_without_a_boundary_is_its_centre_point(places, client):
    draw(places.township_a, round_township(112.60, 28.47))

    features = client.get(COUNTY_URL).json()["features"]

    assert features[1]["properties"]["name"] == "兰溪镇"
    assert features[1]["geometry"] == {"type": "Point", "coordinates": [112.52, 28.69]}


def test_an_import_shows_on_the_maps_at_once_although_the_answer_is_cached(
    places, client, tmp_path, django_capture_on_commit_callbacks
):
    assert client.get(COUNTY_URL).json()["features"][0]["geometry"]["type"] == "Point"
    path = tmp_path / "乡镇界.geojson"
    feature = {"type": "Feature", "properties": {"code": "430903103000"}, "geometry": None}
    feature["geometry"] = shapely.geometry.mapping(round_township(112.60, 28.47))
    path.write_text(json.dumps({"type": "FeatureCollection", "features": [feature]}))

    with django_capture_on_commit_callbacks(execute=True):
        do_import_boundaries(path, actor=OPERATOR)

    assert client.get(COUNTY_URL).json()["features"][0]["geometry"]["type"] == "Polygon"


def test_a_villages_outline_is_public_but_its_hamlets_only_for_staff_of_its_region(
    cast, places, client, client_for
):
    url = f"/places/{places.village_a.code}/boundaries.geojson"
    draw(places.hamlet_a, round_township(112.601, 28.471, 0.002))

    draw(places.village_a, round_township(112.60, 28.47, 0.01))

    for outside in (client, client_for(cast.township_b)):
        answer = outside.get(url).json()
        assert answer["outline"]["properties"]["name"] == "清水村" and answer["features"] == []
    assert client.get(f"/places/{places.hamlet_a.code}/boundaries.geojson").status_code == 404
    response = client_for(cast.township_a).get(url)
    assert response.status_code == 200
    assert [f["properties"]["name"] for f in response.json()["features"]] == ["清水村第1村民小组"]
    assert "no-store" in response["Cache-Control"]  # a signed-in answer stays out of shared caches


def test_an_unknown_place_is_404_and_the_endpoint_only_reads(places, client):
    assert client.get("/places/430903999999/boundaries.geojson").status_code == 404
    assert client.post(COUNTY_URL).status_code == 405


def test_without_a_base_map_images_come_only_from_our_own_origin(places, client):
    response = client.get("/report/")

    assert img_src(response) == "'self' data: blob:"
    page = response.content.decode()
    assert f'data-boundaries="{COUNTY_URL}" data-base-layer=""' in page
    assert 'id="village-search"' in page


@override_settings(TIANDITU_KEY="0123abcd")
def test_with_tianditu_the_csp_adds_exactly_its_tile_hosts(places, client):
    response = client.get("/report/")

    hosts = img_src(response).split()[3:]
    assert hosts == [f"https://t{i}.tianditu.gov.cn" for i in range(8)]
    assert "connect-src 'self'" in response["Content-Security-Policy"]
    page = response.content.decode()
    assert "vec_w/wmts" in page and "cva_w/wmts" in page and "tk=0123abcd" in page


@override_settings(TILE_URL="https://tiles.county.gov.cn:8443/base/{z}/{x}/{y}.png")
def test_a_self_hosted_tile_server_adds_exactly_its_host(places, client):
    assert img_src(client.get("/report/")) == "'self' data: blob: https://tiles.county.gov.cn:8443"
    assert check_base_layer() == []


@override_settings(TILE_URL="/tiles/{z}/{x}/{y}.png")
def test_tiles_served_by_the_platform_itself_need_no_outside_host(places, client):
    assert img_src(client.get("/report/")) == "'self' data: blob:"


@override_settings(TILE_URL="https://webrd01.is.autonavi.com/appmaptile?x={x}&y={y}&z={z}")
def test_gcj02_tiles_are_refused_by_a_system_check_and_never_drawn(places, client):
    assert [p.id for p in check_base_layer()] == ["shuxiang.E020"]
    assert "GCJ-02" in check_base_layer()[0].msg
    response = client.get("/report/")
    assert "autonavi" not in response["Content-Security-Policy"]
    assert 'data-base-layer=""' in response.content.decode()


def test_tencent_and_baidu_tiles_are_refused_too():
    for url in (
        "https://rt1.map.gtimg.com/tile?z={z}&x={x}&y={y}",
        "https://online1.map.bdimg.com/tile/?x={x}&y={y}&z={z}",
    ):
        with override_settings(TILE_URL=url):
            assert [p.id for p in check_base_layer()] == ["shuxiang.E020"]


def test_misconfigured_base_maps_are_named_by_stable_ids():
    with override_settings(TILE_URL="https://a.example.cn/{z}/{x}/{y}.png", TIANDITU_KEY="abc"):
        assert [p.id for p in check_base_layer()] == ["shuxiang.E021"]
    with override_settings(TILE_URL="https://{s}.example.cn/{z}/{x}/{y}.png"):
        assert [p.id for p in check_base_layer()] == ["shuxiang.E022"]
    with override_settings(TILE_URL="ftp://example.cn/tiles"):
        assert {p.id for p in check_base_layer()} == {"shuxiang.E022"}
    with override_settings(TIANDITU_KEY="abc", TIANDITU_MATRIX="gcj"):
        assert [p.id for p in check_base_layer()] == ["shuxiang.E023"]
    assert check_base_layer() == []


@override_settings(TIANDITU_KEY="0123abcd", TIANDITU_MATRIX="c", TIANDITU_LAYER="img")
def test_tianditus_cgcs2000_matrix_draws_on_a_longitude_latitude_map(places):
    html = Template("{% load maps %}<div{% map_attrs place %}></div>").render(
        Context({"place": Place.objects.get(code="430903103000")})
    )

    assert 'data-boundaries="/places/430903103000/boundaries.geojson"' in html
    assert "&quot;crs&quot;: &quot;EPSG4326&quot;" in html and "&quot;zoom_offset&quot;: 1" in html
    assert "img_c/wmts" in html and "cia_c/wmts" in html
