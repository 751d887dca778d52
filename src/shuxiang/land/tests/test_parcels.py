"""Parcels: 19-digit codes, import from the formats 确权 data comes in, all-or-nothing, lossless export."""

import json
from decimal import Decimal

import numpy as np
import pytest
import shapely

from shuxiang.core.actors import OPERATOR
from shuxiang.core.errors import ServiceError
from shuxiang.core.geometry import from_geojson
from shuxiang.land import codes
from shuxiang.land import parcels as services
from shuxiang.land.models import Parcel
from shuxiang.land.tests.helpers import codes_for, grid_parcels, write_parcels

ISSUER = "43090310320100"


def test_parcel_code_must_be_19_digits_under_its_issuer(places):
    assert codes.parcel_code_problem("4309031032010000001", places.village_a) is None
    assert "19位" in codes.parcel_code_problem("430903103201000001")
    assert "不一致" in codes.parcel_code_problem("4309031112010000001", places.village_a)
    assert codes.issuer_code(places.hamlet_a) == "43090310320101"


@pytest.mark.django_db
def test_a_gauss_kruger_shapefile_with_prj_imports_with_computed_areas(places, tmp_path):
    shapes = grid_parcels()
    path = write_parcels(tmp_path / "dk.shp", shapes, codes_for(ISSUER, len(shapes)))
    assert path.with_suffix(".prj").exists()
    summary = services.do_import_parcels(path, actor=OPERATOR, village=places.village_a)
    assert summary.created == 12 and summary.flagged == []
    assert "4526" in summary.crs
    parcel = Parcel.objects.get(code=f"{ISSUER}00001")
    assert parcel.village == places.village_a and parcel.issuer == places.village_a
    assert parcel.name == "田1" and parcel.east == "水渠"
    # 40 m × 30 m in the zone-38 plane = 1200 m² (1.80 亩); stored in CGCS2000 longitude/latitude
    assert parcel.registered_area_m2 == Decimal("1200.00")
    assert abs(parcel.measured_area_m2 - Decimal("1200")) < Decimal("0.5")
    assert parcel.registered_mu == Decimal("1.80")
    assert 112.5 < parcel.longitude < 112.7 and parcel.geometry["type"] == "Polygon"


@pytest.mark.django_db
def test_a_registered_area_off_by_more_than_the_tolerance_is_flagged(places, tmp_path):
    shapes = grid_parcels(rows=1, cols=2)
    path = write_parcels(tmp_path / "dk.shp", shapes, codes_for(ISSUER, 2), areas=[1200.0, 1400.0])
    summary = services.do_import_parcels(path, actor=OPERATOR)
    assert summary.flagged == [f"{ISSUER}00002"]
    assert Parcel.objects.get(code=f"{ISSUER}00002").area_flagged


@pytest.mark.django_db
def test_a_bad_file_is_refused_with_every_problem_listed_and_nothing_written(places, tmp_path):
    shapes = grid_parcels(rows=1, cols=4)
    bowtie = shapely.Polygon(
        [
            (shapes[2].bounds[0], shapes[2].bounds[1]),
            (shapes[2].bounds[2], shapes[2].bounds[3]),
            (shapes[2].bounds[2], shapes[2].bounds[1]),
            (shapes[2].bounds[0], shapes[2].bounds[3]),
        ]
    )
    overlapping = shapely.affinity.translate(shapes[0], 10, 0)
    bad_codes = [
        f"{ISSUER}00001",
        "43090310320100001",
        f"{ISSUER}00003",
        "4309039999990000004",
        f"{ISSUER}00005",
    ]
    path = write_parcels(
        tmp_path / "bad.shp",
        [shapes[0], shapes[1], bowtie, shapes[3], overlapping],
        bad_codes,
        areas=[1200.0, 1200.0, 1200.0, 1200.0, 12.0],
    )
    with pytest.raises(ServiceError) as exc:
        services.do_import_parcels(path, actor=OPERATOR)
    rows = exc.value.fields["rows"]
    text = "\n".join(rows)
    assert "第2行「地块编码」：地块编码应为19位数字" in text
    assert "第3行「图形」：图形无效：边界自相交" in text or "第3行「图形」：图形无效：环自相交" in text
    assert "第4行「发包方编码」：未知的发包方 43090399999900" in text
    assert "第5行「图形」：与第1个要素" in text and "重叠" in text
    assert "第5行「面积」" in text
    assert "未写入任何数据" in exc.value.message
    assert Parcel.objects.count() == 0


@pytest.mark.django_db
def test_a_parcel_overlapping_one_already_registered_is_refused(village_parcels, tmp_path):
    shape = shapely.affinity.translate(grid_parcels(rows=1, cols=1)[0], 5, 5)
    path = write_parcels(tmp_path / "new.shp", [shape], [f"{ISSUER}00099"])
    with pytest.raises(ServiceError) as exc:
        services.do_import_parcels(path, actor=OPERATOR)
    assert f"与已登记地块 {ISSUER}00001 重叠" in "".join(exc.value.fields["rows"])
    assert not Parcel.objects.filter(code=f"{ISSUER}00099").exists()


@pytest.mark.django_db
def test_a_file_of_another_village_is_refused_when_importing_for_a_village(places, tmp_path):
    shapes = grid_parcels(rows=1, cols=1)
    path = write_parcels(tmp_path / "dk.shp", shapes, ["4309031112010000001"])
    with pytest.raises(ServiceError) as exc:
        services.do_import_parcels(path, actor=OPERATOR, village=places.village_a)
    assert "不属于 清水村" in "".join(exc.value.fields["rows"])


@pytest.mark.django_db
@pytest.mark.parametrize("fmt", ["gpkg", "geojson"])
def test_export_and_reimport_round_trip_keeps_geometry_and_attributes(village_parcels, tmp_path, fmt):
    before = {p.code: p for p in Parcel.objects.all()}
    body = services.export_parcels(Parcel.objects.all(), fmt)
    path = tmp_path / f"out.{fmt}"
    path.write_bytes(body)
    Parcel.objects.all().delete()
    summary = services.do_import_parcels(path, actor=OPERATOR)
    assert summary.created == len(before)
    for p in Parcel.objects.all():
        old = before[p.code]
        for field in (
            "name",
            "kind",
            "land_use",
            "registered_area_m2",
            "measured_area_m2",
            "east",
            "south",
            "west",
            "north",
            "issuer_id",
        ):
            assert getattr(p, field) == getattr(old, field), field
        assert from_geojson(p.geometry).normalize().equals_exact(from_geojson(old.geometry).normalize(), 1e-9)


@pytest.mark.django_db
def test_geojson_and_attribute_sheet_in_xlsx_import_together(places, tmp_path):
    from openpyxl import Workbook

    shapes = grid_parcels(rows=1, cols=2)
    from pyproj import Transformer

    back = Transformer.from_crs(4526, 4490, always_xy=True)
    features = [
        {
            "type": "Feature",
            "properties": {"DKBM": code},
            "geometry": shapely.geometry.mapping(
                shapely.transform(s, lambda xy: np.column_stack(back.transform(xy[:, 0], xy[:, 1])))
            ),
        }
        for code, s in zip(codes_for(ISSUER, 2), shapes, strict=True)
    ]
    geo = tmp_path / "dk.geojson"
    geo.write_text(json.dumps({"type": "FeatureCollection", "features": features}))
    wb = Workbook()
    ws = wb.active
    ws.append(["地块编码", "地块名称", "地块类别", "实测面积亩", "东至"])
    ws.append([f"{ISSUER}00001", "大丘", "机动地", 1.8, "村道"])
    sheet = tmp_path / "attrs.xlsx"
    wb.save(sheet)
    services.do_import_parcels(geo, actor=OPERATOR, attributes=sheet)
    p = Parcel.objects.get(code=f"{ISSUER}00001")
    assert (p.name, p.kind, p.east, p.registered_area_m2) == ("大丘", "22", "村道", Decimal("1200.00"))


@pytest.mark.django_db
def test_create_refuses_a_bad_code_and_writes_nothing(places):
    with pytest.raises(ServiceError) as exc:
        services.do_create_parcel(actor=OPERATOR, code="12345", issuer=None, geometry_json=None)
    assert exc.value.code == "invalid_code" and "19位" in exc.value.message
    assert Parcel.objects.count() == 0
