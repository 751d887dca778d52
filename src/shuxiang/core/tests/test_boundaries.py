"""Importing township and village boundaries: three file formats, China's coordinate systems, exact areas,
and a bad file refused whole with every bad feature named."""

import io
import shutil

import numpy as np
import pyogrio.raw
import pytest
import shapely
from django.core.management import CommandError, call_command
from pyproj import Geod, Transformer

from shuxiang.core import geometry
from shuxiang.core.actors import OPERATOR
from shuxiang.core.boundaries import do_import_boundaries
from shuxiang.core.errors import Forbidden, ServiceError
from shuxiang.core.importers import ImportRejected
from shuxiang.core.models import AuditEntry, Place

pytestmark = pytest.mark.django_db

# Heshan lies around 112.4°E: CGCS2000 3-degree Gauss-Krüger zone 37 (central meridian 111°), which is
# EPSG:4525 with the zone number in the easting (37 500 000 m) or EPSG:4546 ("CM 111E") without it.
ZONE_37 = 4525
CM_111 = 4546


def write(path, items, *, crs, driver, field="code"):
    """A vector file of (shapely geometry, code) items, as a bureau's GIS would hand it over."""
    wkb = np.array([shapely.to_wkb(g) if g is not None else None for g, _ in items], dtype=object)
    codes = np.array([c for _, c in items], dtype=object)
    kinds = {g.geom_type for g, _ in items if g is not None}
    pyogrio.raw.write(
        str(path),
        wkb,
        [codes],
        [field],
        driver=driver,
        geometry_type=kinds.pop() if len(kinds) == 1 else "Unknown",
        crs=f"EPSG:{crs}",
    )
    return path


def projected_square(lng, lat, half_side_m, epsg):
    """A square of 2 × half_side metres in a projected system, centred on a longitude/latitude."""
    x, y = Transformer.from_crs(4490, epsg, always_xy=True).transform(lng, lat)
    return shapely.box(x - half_side_m, y - half_side_m, x + half_side_m, y + half_side_m)


def lonlat_square(lng, lat, half=0.02):
    return shapely.box(lng - half, lat - half, lng + half, lat + half)


def stored(place):
    place.refresh_from_db()
    return geometry.from_geojson(place.geometry)


def test_a_geojson_of_township_boundaries_in_wgs84_is_stored_in_cgcs2000_with_its_area(places, tmp_path):
    path = write(
        tmp_path / "乡镇界.geojson",
        [(lonlat_square(112.60, 28.47), "430903103000"), (lonlat_square(112.52, 28.69), "430903111000")],
        crs=4326,
        driver="GeoJSON",
    )
    out = io.StringIO()
    call_command("import", "boundaries", str(path), stdout=out)

    assert "更新 2 个区划的边界" in out.getvalue()
    shape = stored(places.township_a)
    assert places.township_a.geometry["type"] == "Feature"
    assert shape.covers(shapely.Point(112.60, 28.47))
    assert shape.normalize().equals_exact(lonlat_square(112.60, 28.47).normalize(), 1e-6)
    ellipsoidal = abs(Geod(ellps="GRS80").geometry_area_perimeter(shape)[0])
    assert places.township_a.geometry["properties"]["area_m2"] == pytest.approx(ellipsoidal, rel=1e-6)
    audit = AuditEntry.objects.get(
        object_type="core.place", object_id=str(places.township_a.pk), action="update"
    )
    assert audit.changes["geometry"][0] is None and "公顷" in audit.changes["geometry"][1]
    assert AuditEntry.objects.filter(action="import", object_repr="导入边界：乡镇界.geojson").exists()


def test_a_shapefile_in_gauss_kruger_zone_37_lands_on_its_village_with_the_area_within_a_tenth_of_a_percent(
    places, tmp_path
):
    square = projected_square(112.60, 28.47, 1000, ZONE_37)  # 2 km × 2 km on the Gauss-Krüger plane
    assert square.bounds[0] > 37_000_000  # the zone number leads the easting
    path = write(tmp_path / "村界.shp", [(square, "430903103201")], crs=ZONE_37, driver="ESRI Shapefile")
    assert (
        "Gauss_Kruger" in (tmp_path / "村界.prj").read_text()
        or "Gauss" in (tmp_path / "村界.prj").read_text()
    )

    result = do_import_boundaries(path, actor=OPERATOR)

    assert result.updated == 1 and "4525" in result.crs
    shape = stored(places.village_a)
    assert shape.covers(shapely.Point(112.60, 28.47))
    # The plane's 4 km² is 0.06 % more than the ground's: Gauss-Krüger stretches 1.6° from its meridian.
    assert geometry.area_m2(shape) == pytest.approx(4_000_000, rel=0.001)
    assert geometry.area_m2(shape) == pytest.approx(
        abs(Geod(ellps="GRS80").geometry_area_perimeter(shape)[0]), rel=1e-6
    )


def test_a_shapefile_without_prj_is_recognised_by_the_zone_number_in_its_eastings(places, tmp_path):
    square = projected_square(112.60, 28.47, 500, ZONE_37)
    path = write(tmp_path / "村界.shp", [(square, "430903103201")], crs=ZONE_37, driver="ESRI Shapefile")
    (tmp_path / "村界.prj").unlink()

    result = do_import_boundaries(path, actor=OPERATOR)

    assert "4525" in result.crs
    assert stored(places.village_a).covers(shapely.Point(112.60, 28.47))


def test_a_zipped_shapefile_is_read_as_handed_over(places, tmp_path):
    folder = tmp_path / "boundaries"
    folder.mkdir()
    write(
        folder / "村界.shp",
        [(projected_square(112.52, 28.69, 800, ZONE_37), "430903111201")],
        crs=ZONE_37,
        driver="ESRI Shapefile",
    )
    archive = shutil.make_archive(str(tmp_path / "村界"), "zip", folder)

    do_import_boundaries(archive, actor=OPERATOR)

    assert stored(places.village_b).covers(shapely.Point(112.52, 28.69))


def test_a_geopackage_in_cm_111_without_zone_number_is_imported_with_its_area(places, tmp_path):
    square = projected_square(112.52, 28.69, 1500, CM_111)
    assert square.bounds[0] < 1_000_000  # no zone number: the system must come from the file
    path = write(tmp_path / "边界.gpkg", [(square, "430903111000")], crs=CM_111, driver="GPKG", field="XZQDM")

    do_import_boundaries(path, actor=OPERATOR)

    shape = stored(places.township_b)
    assert shape.covers(shapely.Point(112.52, 28.69))
    assert geometry.area_m2(shape) == pytest.approx(9_000_000, rel=0.001)


def test_a_bad_file_is_refused_whole_with_every_bad_feature_listed_and_nothing_written(places, tmp_path):
    bowtie = shapely.Polygon([(112.58, 28.45), (112.62, 28.49), (112.62, 28.45), (112.58, 28.49)])
    path = write(
        tmp_path / "有错.geojson",
        [
            (lonlat_square(112.60, 28.47), "430903103000"),  # good
            (bowtie, "430903103201"),  # self-intersecting
            (lonlat_square(112.60, 28.47, 0.001), "430903999201"),  # no such village
            (lonlat_square(114.52, 28.69), "430903111000"),  # two degrees east: a wrong system
            (shapely.Point(112.52, 28.69), "430903111201"),  # a point is not an area
            (lonlat_square(112.61, 28.47), "430903103000"),  # the same township twice
        ],
        crs=4326,
        driver="GeoJSON",
    )
    before = AuditEntry.objects.count()

    with pytest.raises(ImportRejected) as refused:
        do_import_boundaries(path, actor=OPERATOR)

    lines = refused.value.fields["rows"]
    assert len(lines) == 5
    assert lines[0].startswith("第2个要素（430903103201）：图形无效：边界自相交")
    assert "第3个要素（430903999201）：区划代码 430903999201 不在系统中" in lines
    assert any(line.startswith("第4个要素（430903111000）：图形远在本区县范围之外") for line in lines)
    assert any(line.startswith("第5个要素（430903111201）：应为面") for line in lines)
    assert "第6个要素（430903103000）：区划代码重复（与第1个要素相同）" in lines
    assert Place.objects.exclude(geometry=None).count() == 0
    assert AuditEntry.objects.count() == before

    err = io.StringIO()
    with pytest.raises(CommandError, match="未写入任何数据"):
        call_command("import", "boundaries", str(path), stderr=err)
    assert "第2个要素（430903103201）" in err.getvalue() and "第5个要素" in err.getvalue()


def test_metres_in_a_file_that_says_longitude_latitude_are_refused_until_the_system_is_named(
    places, tmp_path
):
    square = projected_square(112.60, 28.47, 1000, CM_111)
    path = write(tmp_path / "无坐标系.geojson", [(square, "430903103201")], crs=4326, driver="GeoJSON")

    with pytest.raises(ServiceError) as refused:
        do_import_boundaries(path, actor=OPERATOR)
    assert refused.value.code == "bad_crs" and "--crs" in refused.value.message

    call_command("import", "boundaries", str(path), "--crs", "EPSG:4546", stdout=io.StringIO())
    assert stored(places.village_a).covers(shapely.Point(112.60, 28.47))


def test_a_beijing_54_file_is_refused_rather_than_shifted_by_a_guess(places, tmp_path):
    path = write(
        tmp_path / "北京54.gpkg", [(lonlat_square(112.60, 28.47), "430903103000")], crs=4214, driver="GPKG"
    )

    with pytest.raises(ServiceError, match="北京54"):
        do_import_boundaries(path, actor=OPERATOR)
    assert Place.objects.exclude(geometry=None).count() == 0


def test_the_code_field_can_be_named_and_an_unknown_one_is_refused(places, tmp_path):
    path = write(
        tmp_path / "b.geojson",
        [(lonlat_square(112.60, 28.47), "430903103")],
        crs=4326,
        driver="GeoJSON",
        field="乡镇代码",
    )

    with pytest.raises(ServiceError, match="找不到区划代码字段"):
        do_import_boundaries(path, actor=OPERATOR)
    with pytest.raises(ServiceError, match="没有字段“名称”"):
        do_import_boundaries(path, actor=OPERATOR, code_field="名称")
    do_import_boundaries(path, actor=OPERATOR, code_field="乡镇代码")  # 9 digits: a township's prefix
    assert stored(places.township_a) is not None


def test_only_registry_administrators_import_boundaries_and_a_string_is_no_actor(cast, places, tmp_path):
    path = write(
        tmp_path / "b.geojson", [(lonlat_square(112.60, 28.47), "430903103000")], crs=4326, driver="GeoJSON"
    )

    with pytest.raises(TypeError):
        do_import_boundaries(path, actor="cli")
    with pytest.raises(Forbidden):
        do_import_boundaries(path, actor=cast.township_a)
    assert Place.objects.exclude(geometry=None).count() == 0


def test_the_gauss_kruger_system_follows_the_countys_longitude():
    assert geometry.gauss_kruger_crs(112.4).to_epsg() == ZONE_37  # Heshan: zone 37, central meridian 111°
    assert geometry.gauss_kruger_crs(112.4, zone_prefix=False).to_epsg() == CM_111
    assert geometry.gauss_kruger_crs(112.6).to_epsg() == 4526  # east of 112.5°: zone 38 (114°)
    assert geometry.gauss_kruger_crs(112.4, width=6).to_epsg() == 4497  # 6-degree zone 19
    eastings = projected_square(112.4, 28.5, 10, ZONE_37).bounds
    assert geometry.detect_crs(None, eastings).to_epsg() == ZONE_37
    six_degree = projected_square(112.4, 28.5, 10, 4497).bounds
    assert geometry.detect_crs(None, six_degree).to_epsg() == 4497
    with pytest.raises(geometry.GeometryError, match="--crs"):
        geometry.detect_crs(None, projected_square(112.4, 28.5, 10, CM_111).bounds)
