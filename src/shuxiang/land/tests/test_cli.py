"""The commands as the issue writes them: land import FILE [--village], land export … [--out], stdout default."""

import json
from io import BytesIO, StringIO

import pytest
from django.core.management import CommandError, call_command

from shuxiang.land.models import Parcel
from shuxiang.land.tests.helpers import codes_for, grid_parcels, write_parcels

pytestmark = pytest.mark.django_db


def test_land_import_then_export_geojson_to_stdout_and_gpkg_to_a_file(places, tmp_path, capsysbinary):
    shapes = grid_parcels(rows=2, cols=2)
    path = write_parcels(tmp_path / "qs.shp", shapes, codes_for("43090310320100", 4))
    out = StringIO()
    call_command("land", "import", str(path), "--village", "430903103201", stdout=out)
    assert "新增 4 块" in out.getvalue() and Parcel.objects.count() == 4
    call_command("land", "export", "--village", "430903103201", "--format", "geojson")
    doc = json.loads(capsysbinary.readouterr().out)
    assert [f["properties"]["DKBM"] for f in doc["features"]] == codes_for("43090310320100", 4)
    target = tmp_path / "out.gpkg"
    call_command("land", "export", "--village", "430903103201", "--format", "gpkg", "--out", str(target))
    assert target.read_bytes()[:16] == b"SQLite format 3\x00"


def test_land_import_of_a_bad_file_fails_with_the_reasons_and_writes_nothing(places, tmp_path):
    shapes = grid_parcels(rows=1, cols=2)
    path = write_parcels(tmp_path / "bad.shp", shapes, ["123", "4309031032010000002"])
    with pytest.raises(CommandError) as exc:
        call_command("land", "import", str(path))
    assert "未写入任何数据" in str(exc.value) and "第1行" in str(exc.value)
    assert Parcel.objects.count() == 0


def test_land_distribute_refuses_a_village_without_a_cooperative(places):
    with pytest.raises(CommandError) as exc:
        call_command(
            "land",
            "distribute",
            "430903111201",
            "--period",
            "2025",
            "--amount",
            "100.00",
            "--dry-run",
            stdout=BytesIO(),
        )
    assert "没有股份经济合作社" in str(exc.value)
