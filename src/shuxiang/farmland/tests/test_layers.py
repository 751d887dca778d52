"""Importing farmland layers: two coordinate systems with known areas, versions on re-import, the CLI
contract, and bad files refused whole with nothing written."""

import io

import pytest
import shapely
from django.core.management import CommandError, call_command
from pyproj import Geod

from shuxiang.core import geometry
from shuxiang.core.errors import Forbidden, ServiceError
from shuxiang.core.importers import ImportRejected
from shuxiang.farmland.layers import do_import_layer
from shuxiang.farmland.models import LayerImport, Parcel, ParcelVersion
from shuxiang.farmland.tests.layerfiles import LAT, LNG, gk_field, lonlat_field, write

pytestmark = pytest.mark.django_db

# Rectangles of known size (metres) drawn in CGCS2000 3-degree Gauss-Krüger zone 37 (EPSG:4525).
GK_FIELDS = [(0, 0, 200, 150), (250, 0, 120, 80), (0, 200, 333.3, 100), (400, 300, 90, 60)]


def gk_file(tmp_path, name="永久基本农田.gpkg", fields=GK_FIELDS, codes=None, driver="GPKG"):
    rows = [
        (gk_field(dx, dy, w, h), {"TBBH": (codes or {}).get(i, f"JB{i + 1:03d}"), "DLMC": "水田"})
        for i, (dx, dy, w, h) in enumerate(fields)
    ]
    return write(tmp_path / name, rows, crs=4525, driver=driver, fields=("TBBH", "DLMC"))


def test_a_gauss_kruger_geopackage_is_imported_with_areas_within_a_tenth_of_a_percent(places, tmp_path):
    out = io.StringIO()
    call_command(
        "farmland", "import", str(gk_file(tmp_path)), "--kind", "permanent", "--village", places.village_a.code,
        stdout=out,
    )  # fmt: skip

    assert "新增 4 个图斑" in out.getvalue()
    assert "EPSG:4525" in out.getvalue()
    for i, (_, _, w, h) in enumerate(GK_FIELDS):
        parcel = Parcel.objects.get(kind="permanent", code=f"JB{i + 1:03d}")
        assert parcel.place == places.village_a
        assert parcel.land_class == "水田"
        assert abs(parcel.area_m2 - w * h) / (w * h) <= 0.001
        assert parcel.area_mu == pytest.approx(w * h / (10000 / 15), rel=0.001)
        # stored as CGCS2000 longitude/latitude near the village
        shape = geometry.from_geojson(parcel.geometry)
        assert abs(shape.centroid.x - LNG) < 0.01 and abs(shape.centroid.y - LAT) < 0.01


def test_a_cgcs2000_geojson_with_village_codes_is_imported_with_ellipsoidal_areas(places, tmp_path):
    rows = [
        (lonlat_field(0.0, 0.0, 0.002), {"code": "GD001", "ZLDWDM": places.village_a.code + "0000000"}),
        (lonlat_field(0.003, 0.0, 0.001), {"code": "GD002", "ZLDWDM": places.village_a.code + "0000000"}),
        (
            lonlat_field(0.0, 0.0, 0.002, lng=112.52, lat=28.69),
            {"code": "GD003", "ZLDWDM": places.village_b.code},
        ),
    ]
    path = write(tmp_path / "耕地.geojson", rows, crs=4490, driver="GeoJSON", fields=("code", "ZLDWDM"))
    result = do_import_layer(path, actor=_operator(), kind="cultivated")

    assert result.added == 3
    geod = Geod(ellps="GRS80")
    for shape, props in rows:
        parcel = Parcel.objects.get(kind="cultivated", code=props["code"])
        expected = abs(geod.geometry_area_perimeter(shape)[0])
        assert abs(parcel.area_m2 - expected) / expected <= 0.001
    assert Parcel.objects.get(code="GD003").place == places.village_b
    assert LayerImport.objects.get().place == places.district  # spans two townships


def test_reimporting_a_changed_polygon_keeps_the_old_one_as_a_version_with_who_and_what(
    places, cast, tmp_path
):
    do_import_layer(gk_file(tmp_path), actor=_operator(), kind="permanent", village=places.village_a)
    bigger = [(0, 0, 220, 150), *GK_FIELDS[1:]]
    result = do_import_layer(
        gk_file(tmp_path, "第二版.gpkg", bigger),
        actor=cast.department,
        kind="permanent",
        village=places.village_a,
    )

    assert (result.added, result.changed, result.unchanged, result.retired) == (0, 1, 3, 0)
    parcel = Parcel.objects.get(kind="permanent", code="JB001")
    assert parcel.version == 2
    assert parcel.area_m2 == pytest.approx(220 * 150, rel=0.001)
    assert parcel.changed_by == cast.department
    old = ParcelVersion.objects.get(parcel=parcel)
    assert old.version == 1
    assert old.area_m2 == pytest.approx(200 * 150, rel=0.001)
    assert "面积" in old.change and old.replaced_by == cast.department
    assert old.source == "永久基本农田.gpkg"


def test_replace_retires_the_village_polygons_the_file_no_longer_holds(places, tmp_path):
    do_import_layer(gk_file(tmp_path), actor=_operator(), kind="permanent", village=places.village_a)
    out = io.StringIO()
    call_command(
        "farmland", "import", str(gk_file(tmp_path, "新.gpkg", GK_FIELDS[:2])), "--kind", "permanent",
        "--village", places.village_a.code, "--replace", stdout=out,
    )  # fmt: skip

    assert "停用 2 个" in out.getvalue()
    current = Parcel.objects.filter(kind="permanent", retired_at__isnull=True)
    assert sorted(current.values_list("code", flat=True)) == ["JB001", "JB002"]
    retired = Parcel.objects.get(code="JB004")
    assert retired.retired_at is not None
    assert retired.versions.get().change == "整层替换时停用"


def _operator():
    from shuxiang.core.actors import OPERATOR

    return OPERATOR


def _refused(path, places, **kwargs):
    with pytest.raises(ImportRejected) as caught:
        do_import_layer(path, actor=_operator(), kind="permanent", village=places.village_a, **kwargs)
    assert Parcel.objects.count() == 0 and LayerImport.objects.count() == 0
    return "\n".join(p.as_text() for p in caught.value.problems)


def test_an_invalid_polygon_is_refused_with_its_number_and_nothing_is_written(places, tmp_path):
    bowtie = shapely.Polygon([(LNG, LAT), (LNG + 0.001, LAT + 0.001), (LNG + 0.001, LAT), (LNG, LAT + 0.001)])
    rows = [(lonlat_field(0.0, 0.0), {"code": "A1"}), (bowtie, {"code": "A2"})]
    text = _refused(write(tmp_path / "x.geojson", rows, crs=4490, driver="GeoJSON"), places)
    assert "第2个要素（A2）：图形无效：边界自相交" in text


def test_a_polygon_outside_the_county_is_refused(places, tmp_path):
    rows = [(lonlat_field(0.0, 0.0, lng=116.4, lat=39.9), {"code": "BJ1"})]
    text = _refused(write(tmp_path / "x.geojson", rows, crs=4490, driver="GeoJSON"), places)
    assert "远在本区县范围之外" in text


def test_overlapping_polygons_within_one_layer_are_refused(places, tmp_path):
    rows = [(lonlat_field(0.0, 0.0), {"code": "O1"}), (lonlat_field(0.0005, 0.0), {"code": "O2"})]
    text = _refused(write(tmp_path / "x.geojson", rows, crs=4490, driver="GeoJSON"), places)
    assert "第2个要素（O2）：与第1个要素（O1）重叠约" in text


def test_a_polygon_overlapping_an_existing_one_of_the_layer_is_refused_and_the_layer_stays(places, tmp_path):
    first = write(
        tmp_path / "a.geojson", [(lonlat_field(0.0, 0.0), {"code": "E1"})], crs=4490, driver="GeoJSON"
    )
    do_import_layer(first, actor=_operator(), kind="permanent", village=places.village_a)
    second = write(
        tmp_path / "b.geojson", [(lonlat_field(0.0005, 0.0), {"code": "E2"})], crs=4490, driver="GeoJSON"
    )
    with pytest.raises(ImportRejected) as caught:
        do_import_layer(second, actor=_operator(), kind="permanent", village=places.village_a)
    assert "与本图层已有图斑 E1 重叠" in caught.value.problems[0].message
    assert list(Parcel.objects.values_list("code", flat=True)) == ["E1"]
    # another layer may cover the same ground (permanent farmland lies inside cultivated land)
    do_import_layer(second, actor=_operator(), kind="cultivated", village=places.village_a)


def test_metres_without_a_zone_or_crs_are_refused_as_an_unknown_coordinate_system(places, tmp_path):
    import numpy as np
    import pyogrio.raw

    shape = shapely.box(637000, 3150000, 637200, 3150150)
    path = tmp_path / "无坐标系.shp"
    pyogrio.raw.write(
        str(path), np.array([shapely.to_wkb(shape)], dtype=object), [np.array(["M1"], dtype=object)], ["code"],
        driver="ESRI Shapefile", geometry_type="Polygon",
    )  # fmt: skip
    with pytest.raises(ServiceError) as caught:
        do_import_layer(path, actor=_operator(), kind="permanent", village=places.village_a)
    assert caught.value.code == "bad_crs" and "--crs" in caught.value.message
    assert Parcel.objects.count() == 0
    # told which system, the same file goes in
    do_import_layer(path, actor=_operator(), kind="permanent", village=places.village_a, crs="EPSG:4546")
    assert Parcel.objects.get().area_m2 == pytest.approx(200 * 150, rel=0.001)


def test_the_cli_reports_every_bad_feature_and_exits_non_zero(places, tmp_path):
    rows = [(lonlat_field(0.0, 0.0), {"code": ""}), (lonlat_field(0.002, 0.0), {"code": "C2"})]
    path = write(tmp_path / "x.geojson", rows, crs=4490, driver="GeoJSON")
    err = io.StringIO()
    with pytest.raises(CommandError, match="未写入任何数据"):
        call_command(
            "farmland",
            "import",
            str(path),
            "--kind",
            "permanent",
            "--village",
            places.village_a.code,
            stderr=err,
        )
    assert "第1个要素：没有图斑编号" in err.getvalue()
    assert Parcel.objects.count() == 0


def test_a_township_officer_may_not_import_a_layer(places, cast, tmp_path):
    path = write(
        tmp_path / "x.geojson", [(lonlat_field(0.0, 0.0), {"code": "X1"})], crs=4490, driver="GeoJSON"
    )
    with pytest.raises(Forbidden):
        do_import_layer(path, actor=cast.township_a, kind="permanent", village=places.village_a)
    assert Parcel.objects.count() == 0


def test_a_district_importer_cannot_put_polygons_in_a_village_they_do_not_know(places, tmp_path):
    rows = [(lonlat_field(0.0, 0.0), {"code": "V1", "village": "430903199299"})]
    path = write(tmp_path / "x.geojson", rows, crs=4490, driver="GeoJSON", fields=("code", "village"))
    with pytest.raises(ImportRejected) as caught:
        do_import_layer(path, actor=_operator(), kind="cultivated")
    assert "村代码 430903199299 不在系统中" in caught.value.problems[0].message
