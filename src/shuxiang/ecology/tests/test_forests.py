"""The forest-resource layer (林业资源数据库): the forestry bureau's stand file imported from GeoJSON, zipped
Shapefile or GeoPackage (reprojected, columns in English, pinyin or Chinese), checked whole — one bad stand and
nothing is written, every one named in Chinese —, areas measured from the shapes, updated by code on re-import;
seen by region in the list, the API (GeoJSON too) and on the one map."""

import json

import numpy as np
import pyogrio.raw
import pytest
import shapely
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from pyproj import Geod, Transformer

from shuxiang.core.actors import OPERATOR
from shuxiang.core.errors import Forbidden
from shuxiang.core.models import AuditEntry
from shuxiang.ecology import forests
from shuxiang.ecology.models import ForestImport, ForestStand

GEOD = Geod(ellps="GRS80")


def square(lng, lat, size=0.002):
    return [[lng, lat], [lng + size, lat], [lng + size, lat + size], [lng, lat + size], [lng, lat]]


def feature(props, ring=None, geometry=None):
    return {
        "type": "Feature",
        "properties": props,
        "geometry": geometry if geometry is not None else {"type": "Polygon", "coordinates": [ring]},
    }


def collection(*features):
    return json.dumps({"type": "FeatureCollection", "features": list(features)}, ensure_ascii=False).encode()


def upload(content, name="heshan-xiaoban.geojson"):
    return SimpleUploadedFile(name, content, content_type="application/geo+json")


def geodesic_mu(ring) -> float:
    lons, lats = zip(*ring, strict=True)
    area, _ = GEOD.polygon_area_perimeter(lons, lats)
    return abs(area) / (10_000 / 15)


@pytest.fixture
def layer(places):
    """Two stands in 清水村 (泉交河镇), one in 荷花村 (兰溪镇), in the bureau's pinyin columns."""
    a, b = places.village_a, places.village_b
    return collection(
        feature(
            {"XBBH": "QS-001", "ZLDWDM": a.code, "DI_LEI": "乔木林地", "SEN_LIN_LB": "国家级公益林",
             "QI_YUAN": "天然林", "YOU_SHI_SZ": "马尾松", "面积（公顷）": 4.3},
            square(a.longitude + 0.01, a.latitude + 0.01),
        ),
        feature(
            {"XBBH": "QS-002", "ZLDWDM": a.code, "DI_LEI": "竹林", "SEN_LIN_LB": "商品林",
             "QI_YUAN": "人工", "YOU_SHI_SZ": "毛竹", "面积（公顷）": 2.1},
            square(a.longitude + 0.013, a.latitude + 0.01, 0.0015),
        ),
        feature(
            {"XBBH": "HH-001", "ZLDWDM": b.code, "DI_LEI": "灌木林地", "SEN_LIN_LB": "",
             "QI_YUAN": "", "YOU_SHI_SZ": "", "面积（公顷）": None},
            square(b.longitude - 0.01, b.latitude - 0.01, 0.001),
        ),
    )  # fmt: skip


@pytest.fixture
def imported(layer, client_for, cast):
    response = client_for(cast.district).post("/ecology/forests/import/", {"file": upload(layer)})
    assert response.status_code == 302, response.content.decode()
    return {s.code: s for s in ForestStand.objects.all()}


def test_a_geojson_layer_is_imported_with_types_and_areas_measured_in_mu(imported, places, cast):
    assert set(imported) == {"QS-001", "QS-002", "HH-001"}
    pine = imported["QS-001"]
    assert (pine.forest_type, pine.category, pine.origin, pine.species) == (
        "arbor",
        "public_welfare",
        "natural",
        "马尾松",
    )
    assert pine.place == places.village_a
    assert imported["QS-002"].forest_type == "bamboo" and imported["QS-002"].origin == "planted"
    assert imported["HH-001"].forest_type == "shrub" and imported["HH-001"].category == ""
    # measured on the ellipsoid from the shape (not taken from the file), as pyproj's geodesic area says
    ring = square(places.village_a.longitude + 0.01, places.village_a.latitude + 0.01)
    assert pine.area_mu == pytest.approx(geodesic_mu(ring), rel=1e-4)
    assert 60 < pine.area_mu < 70
    # the declared 4.3 公顷 kept beside it, in 亩
    assert pine.declared_area_mu == pytest.approx(64.5)
    assert imported["HH-001"].declared_area_mu is None
    assert pine.min_lon == pytest.approx(ring[0][0]) and pine.max_lat == pytest.approx(ring[2][1])
    record = ForestImport.objects.get()
    assert (record.version, record.added, record.file_name) == (1, 3, "heshan-xiaoban.geojson")
    assert record.townships == sorted(["泉交河镇", "兰溪镇"])
    entry = AuditEntry.objects.get(object_type="ecology.forestimport", action="import")
    assert entry.changes["added"] == 3 and entry.changes["version"] == 1


def test_a_geopackage_in_gauss_kruger_metres_with_chinese_columns_is_reprojected(places, tmp_path, capsys):
    """Written with pyogrio as the bureau would deliver it: CGCS2000 3-degree zone 37 (EPSG:4525)."""
    a = places.village_a
    to_gk = Transformer.from_crs("EPSG:4490", "EPSG:4525", always_xy=True)
    rings = [square(a.longitude + 0.02, a.latitude, 0.003), square(a.longitude + 0.03, a.latitude, 0.002)]
    shapes = [shapely.Polygon([to_gk.transform(x, y) for x, y in ring]) for ring in rings]
    path = tmp_path / "赫山区林地小班.gpkg"
    pyogrio.raw.write(
        str(path),
        np.array([shapely.to_wkb(s) for s in shapes], dtype=object),
        [
            np.array(["GP-01", "GP-02"], dtype=object),
            np.array([a.code, a.code], dtype=object),
            np.array(["其他林地", "疏林地"], dtype=object),
            np.array(["省级公益林", "商品林"], dtype=object),
            np.array(["杉木", "油茶"], dtype=object),
            np.array([0.0, 0.0], dtype="float64"),
        ],
        ["小班编号", "村代码", "林地类型", "森林类别", "优势树种", "面积"],
        layer="XB",
        driver="GPKG",
        geometry_type="Polygon",
        crs="EPSG:4525",
    )
    with pytest.raises(CommandError) as refused:  # a declared area of 0 is refused, naming both stands
        call_command("forests", str(path))
    assert "第1个要素（GP-01）：面积应大于 0" in str(refused.value)
    assert not ForestStand.objects.exists()

    areas = [geodesic_mu(r) for r in rings]
    pyogrio.raw.write(
        str(path),
        np.array([shapely.to_wkb(s) for s in shapes], dtype=object),
        [
            np.array(["GP-01", "GP-02"], dtype=object),
            np.array([a.code, a.code], dtype=object),
            np.array(["其他林地", "疏林地"], dtype=object),
            np.array(["省级公益林", "商品林"], dtype=object),
            np.array(["杉木", "油茶"], dtype=object),
            np.array([round(areas[0], 1), round(areas[1], 1)], dtype="float64"),
        ],
        ["小班编号", "村代码", "林地类型", "森林类别", "优势树种", "面积"],
        layer="XB",
        driver="GPKG",
        geometry_type="Polygon",
        crs="EPSG:4525",
    )
    call_command("forests", str(path))
    out = capsys.readouterr().out
    assert "林地图层第1版已导入：新增 2 个小班" in out and "EPSG:4525" in out and "申报面积单位：亩" in out
    stand = ForestStand.objects.get(code="GP-01")
    lng, lat = stand.geometry["coordinates"][0][0]
    assert 112.6 < lng < 112.7 and 28.4 < lat < 28.5  # back in longitude/latitude
    assert stand.area_mu == pytest.approx(areas[0], rel=1e-3)
    assert stand.declared_area_mu == pytest.approx(round(areas[0], 1))  # a bare 面积 here is in 亩
    assert ForestStand.objects.get(code="GP-02").forest_type == "other"  # 疏林地 is 三调's 其他林地


def test_a_bare_area_column_in_hectares_is_read_as_hectares(places):
    a = places.village_a
    ring = square(a.longitude + 0.01, a.latitude - 0.01)
    hectares = round(geodesic_mu(ring) * (10_000 / 15) / 10_000, 2)
    features = [(1, {"code": "HA-1", "village": a.code, "DLBM": "0301", "MJ": hectares}, None)]
    features = [(1, features[0][1], shapely.Polygon(ring))]
    result = forests.do_import_forest_features(
        features, actor=OPERATOR, fields=["code", "village", "DLBM", "MJ"], source="t"
    )
    stand = ForestStand.objects.get(code="HA-1")
    assert result.area_unit == "ha" and stand.forest_type == "arbor"
    assert stand.declared_area_mu == pytest.approx(stand.area_mu, rel=0.01)


def test_a_bad_file_is_refused_whole_with_every_bad_stand_named_in_chinese(places, client_for, cast):
    a = places.village_a
    bowtie = [[a.longitude, a.latitude], [a.longitude + 0.002, a.latitude + 0.002],
              [a.longitude + 0.002, a.latitude], [a.longitude, a.latitude + 0.002], [a.longitude, a.latitude]]  # fmt: skip
    content = collection(
        feature({"小班编号": "OK-1", "村代码": a.code, "林地类型": "乔木林地"}, square(a.longitude, a.latitude)),
        feature({"小班编号": "BAD-TYPE", "村代码": a.code, "林地类型": "果园"}, square(a.longitude + 0.01, a.latitude)),
        feature({"小班编号": "OK-1", "村代码": a.code, "林地类型": "竹林地"}, square(a.longitude + 0.02, a.latitude)),
        feature({"小班编号": "TWIST", "村代码": a.code, "林地类型": "乔木林地"}, bowtie),
        feature({"小班编号": "EMPTY", "村代码": a.code, "林地类型": "乔木林地"}, geometry={"type": "Polygon", "coordinates": []}),
        feature({"小班编号": "FAR", "村代码": a.code, "林地类型": "乔木林地"}, square(116.4, 39.9)),
        feature({"小班编号": "NOWHERE", "村代码": "430903999201", "林地类型": "乔木林地"}, square(a.longitude + 0.03, a.latitude)),
        feature({"小班编号": "CAT", "村代码": a.code, "林地类型": "灌木林地", "森林类别": "防护林"}, square(a.longitude + 0.04, a.latitude)),
    )  # fmt: skip
    response = client_for(cast.district).post("/ecology/forests/import/", {"file": upload(content)})
    assert response.status_code == 200
    page = response.content.decode()
    assert "导入未执行" in page and "未写入任何数据" in page
    for expected in (
        "第2个要素（BAD-TYPE）：林地类型“果园”无法识别",
        "第3个要素（OK-1）：小班编号 OK-1 重复（与第1个要素相同）",
        "第4个要素（TWIST）：图形无效：",
        "第5个要素（EMPTY）：没有图形",
        "第6个要素（FAR）：图形在本区县范围之外",
        "第7个要素（NOWHERE）：区划代码 430903999201 不在系统中",
        "第8个要素（CAT）：森林类别“防护林”无法识别",
    ):
        assert expected in page, expected
    assert not ForestStand.objects.exists() and not ForestImport.objects.exists()


def test_overlapping_stands_and_a_file_without_a_code_column_are_refused(places, cast):
    a = places.village_a
    overlapping = [
        (1, {"code": "O-1", "village": a.code, "forest_type": "乔木林地"}, shapely.Polygon(square(a.longitude, a.latitude))),
        (2, {"code": "O-2", "village": a.code, "forest_type": "乔木林地"}, shapely.Polygon(square(a.longitude + 0.001, a.latitude))),
    ]  # fmt: skip
    with pytest.raises(forests.ImportRejected) as refused:
        forests.do_import_forest_features(
            overlapping, actor=cast.district, fields=["code", "village", "forest_type"]
        )
    assert "第2个要素（O-2）：与第1个要素（O-1）重叠约" in refused.value.problems[0].as_text()
    with pytest.raises(forests.ServiceError) as no_code:
        forests.do_import_forest_features(
            [(1, {"名称": "x", "village": a.code, "forest_type": "乔木林地"}, overlapping[0][2])],
            actor=cast.district,
            fields=["名称", "village", "forest_type"],
        )
    assert "找不到小班编号字段" in no_code.value.message
    assert not ForestStand.objects.exists()


def test_reimport_updates_by_code_and_retires_only_in_the_townships_the_file_covers(
    imported, places, client_for, cast
):
    a = places.village_a
    update = collection(
        feature(
            {"XBBH": "QS-001", "ZLDWDM": a.code, "DI_LEI": "乔木林地", "SEN_LIN_LB": "公益林",
             "QI_YUAN": "天然林", "YOU_SHI_SZ": "马尾松", "面积（公顷）": 4.3},
            square(a.longitude + 0.01, a.latitude + 0.01),
        ),  # unchanged
        feature(
            {"XBBH": "QS-003", "ZLDWDM": a.code, "DI_LEI": "乔木林地", "YOU_SHI_SZ": "杉木"},
            square(a.longitude + 0.013, a.latitude + 0.01, 0.0015),
        ),  # QS-002's bamboo replanted as a new stand
    )  # fmt: skip
    response = client_for(cast.district).post(
        "/ecology/forests/import/", {"file": upload(update, "2026年度更新.geojson")}
    )
    assert response.status_code == 302
    record = ForestImport.objects.get(version=2)
    assert (record.added, record.changed, record.unchanged, record.retired) == (1, 0, 1, 1)
    assert record.townships == ["泉交河镇"]
    stands = {s.code: s for s in ForestStand.objects.all()}
    assert stands["QS-001"].pk == imported["QS-001"].pk and stands["QS-001"].version == 1
    assert stands["QS-002"].retired_at is not None and stands["QS-002"].version == 2
    assert stands["HH-001"].retired_at is None  # 兰溪镇 was not in the file: left as it was
    listed = client_for(cast.district).get("/ecology/forests/").content.decode()
    assert "QS-003" in listed and "QS-002" not in listed


def test_a_township_officer_sees_only_their_township_in_the_list_and_the_api(
    imported, client_for, api_for, cast
):
    page = client_for(cast.township_a).get("/ecology/forests/").content.decode()
    assert "QS-001" in page and "QS-002" in page
    assert "HH-001" not in page and "兰溪镇" not in page
    assert 'id="forest-count">2<' in page
    data = api_for(cast.township_a).get("/api/v1/ecology/forests/").json()
    assert data["count"] == 2 and {r["code"] for r in data["results"]} == {"QS-001", "QS-002"}
    assert client_for(cast.township_a).get(f"/ecology/forests/{imported['HH-001'].pk}/").status_code == 404
    assert (
        api_for(cast.township_a).get(f"/api/v1/ecology/forests/{imported['HH-001'].pk}/").status_code == 404
    )
    everything = api_for(cast.district).get("/api/v1/ecology/forests/").json()
    assert everything["count"] == 3


def test_the_list_filters_and_totals_by_type_and_township(imported, client_for, cast, places):
    page = client_for(cast.district).get("/ecology/forests/").content.decode()
    assert 'id="forest-count">3<' in page and 'id="forest-townships"' in page
    assert "泉交河镇" in page and "兰溪镇" in page and "乔木林地" in page
    bamboo = client_for(cast.district).get("/ecology/forests/?forest_type=bamboo").content.decode()
    assert 'id="forest-count">1<' in bamboo and "QS-002" in bamboo and "QS-001" not in bamboo
    lanxi = client_for(cast.district).get(f"/ecology/forests/?township={places.township_b.code}")
    assert 'id="forest-count">1<' in lanxi.content.decode()
    welfare = client_for(cast.district).get("/ecology/forests/?category=public_welfare").content.decode()
    assert 'id="forest-count">1<' in welfare and "QS-001" in welfare
    expected = round(imported["QS-001"].area_mu + imported["QS-002"].area_mu + imported["HH-001"].area_mu, 2)
    assert forests.totals(forests.current())["mu"] == pytest.approx(expected, abs=0.02)


def test_the_api_answers_geojson_with_code_type_and_area_and_a_bounding_box_filter(
    imported, api_for, cast, places
):
    response = api_for(cast.district).get("/api/v1/ecology/forests/?format=geojson&forest_type=arbor")
    assert response.status_code == 200 and response["Content-Type"].startswith("application/geo+json")
    body = response.json()
    assert body["type"] == "FeatureCollection" and len(body["features"]) == 1
    props = body["features"][0]["properties"]
    assert props["code"] == "QS-001" and props["forest_type_display"] == "乔木林地"
    assert props["area_mu"] == imported["QS-001"].area_mu
    assert body["features"][0]["geometry"]["type"] == "Polygon"
    b = places.village_b
    box = f"{b.longitude - 0.02},{b.latitude - 0.02},{b.longitude},{b.latitude}"
    near_b = api_for(cast.district).get(f"/api/v1/ecology/forests/?format=geojson&bbox={box}").json()
    assert [f["properties"]["code"] for f in near_b["features"]] == ["HH-001"]
    bad = api_for(cast.district).get("/api/v1/ecology/forests/?bbox=north-of-here")
    assert bad.status_code == 400 and "bbox" in bad.json()["fields"]


def test_a_township_officer_may_not_import_and_the_refusal_is_audited(layer, client_for, cast):
    response = client_for(cast.township_a).post("/ecology/forests/import/", {"file": upload(layer)})
    assert response.status_code == 403
    assert AuditEntry.objects.filter(action="refused", object_id="ecology:forest_import").exists()
    with pytest.raises(Forbidden):
        forests.import_upload(layer, "x.geojson", actor=cast.township_a)
    with pytest.raises(CommandError):  # and a file that is not there is a clear error for the CLI
        call_command("forests", "/nonexistent/forests.geojson")
    assert not ForestStand.objects.exists()


def test_the_one_map_offers_the_forest_layer_with_its_legend_and_a_stand_page_draws_it(
    imported, client_for, cast
):
    page = client_for(cast.township_a).get("/ecology/map/").content.decode()
    assert 'data-forests-url="/api/v1/ecology/forests/?format=geojson"' in page
    assert 'id="forest-legend"' in page and "竹林地" in page and "vendor/leaflet/leaflet.js" in page
    stand = client_for(cast.township_a).get(f"/ecology/forests/{imported['QS-001'].pk}/").content.decode()
    assert 'id="stand-map"' in stand and "stand-geojson" in stand and "马尾松" in stand
    assert "64.5 亩" in stand and "国家级公益林" in stand  # the file's own attributes are kept
    imports = client_for(cast.district).get("/ecology/forests/import/").content.decode()
    assert "第 1 版" in imports and "heshan-xiaoban.geojson" in imports


def test_the_forest_area_indicator_counts_the_current_stands_per_village(imported, places):
    from shuxiang.ecology.indicators import forest_area
    from shuxiang.indicators.periods import parse_period

    rows = {pk: value for pk, value, _ in forest_area(parse_period("2026Q1"))}
    expected = imported["QS-001"].area_mu + imported["QS-002"].area_mu
    assert float(rows[places.village_a.pk]) == pytest.approx(expected, abs=0.1)
    assert float(rows[places.village_b.pk]) == pytest.approx(imported["HH-001"].area_mu, abs=0.1)
