"""The pages: every farmland page renders for the officer of the township, shows what is in scope, and
the forms write through the services (a refusal lands on the form, nothing written)."""

import pytest

from shuxiang.core.actors import OPERATOR
from shuxiang.farmland import services
from shuxiang.farmland.models import Finding, PatrolReport, Planting
from shuxiang.farmland.tests.layerfiles import LAT, LNG

pytestmark = pytest.mark.django_db


@pytest.fixture
def finding(fields_a):
    services.do_record_planting(
        actor=OPERATOR, parcel=fields_a[0], season="2026-early", crop="citrus", area_mu=2
    )
    return Finding.objects.get()


def test_every_farmland_page_renders_for_a_township_officer(
    fields_a, field_b, finding, client_for, cast, places
):
    web = client_for(cast.township_a)
    pages = [
        "/farmland/",
        "/farmland/layers/",
        f"/farmland/layers/permanent/?village={places.village_a.code}",
        f"/farmland/parcels/{fields_a[0].pk}/",
        "/farmland/plantings/",
        "/farmland/findings/",
        f"/farmland/findings/{finding.pk}/",
        "/farmland/patrol/",
        "/rice/",
        "/seedlings/",
    ]
    for path in pages:
        response = web.get(path)
        assert response.status_code == 200, path
        html = response.content.decode()
        assert 'name="viewport"' in html
        assert "B0001" not in html, path  # 兰溪镇's polygon never shows up for 泉交河镇


def test_the_overview_counts_areas_per_township_from_geometry(fields_a, field_b, client_for, cast):
    html = client_for(cast.district).get("/farmland/").content.decode()
    total = round((sum(p.area_m2 for p in fields_a) + field_b.area_m2) / (10000 / 15), 1)
    assert f"{total} 亩" in html
    assert "泉交河镇" in html and "兰溪镇" in html


def test_a_layer_page_draws_the_villages_polygons_from_the_geojson_api(fields_a, client_for, cast, places):
    html = (
        client_for(cast.township_a)
        .get(f"/farmland/layers/permanent/?village={places.village_a.code}")
        .content.decode()
    )
    assert "format=geojson" in html and "P0002" in html
    assert "图例" in html
    assert client_for(cast.township_a).get("/farmland/layers/forest/").status_code == 404


def test_another_townships_finding_is_a_404(field_b, client_for, cast):
    services.do_record_planting(actor=OPERATOR, parcel=field_b, season="2026-early", crop="tea", area_mu=1)
    other = Finding.objects.get()
    assert client_for(cast.township_a).get(f"/farmland/findings/{other.pk}/").status_code == 404
    assert client_for(cast.township_a).get(f"/farmland/parcels/{field_b.pk}/").status_code == 404


def test_a_grid_worker_declares_a_planting_on_the_phone_form(fields_a, client_for, cast):
    web = client_for(cast.grid_a)
    response = web.post(
        "/farmland/plantings/new/",
        {
            "parcel": "P0003",
            "kind": "",
            "season": "2026-early",
            "crop": "rice",
            "area_mu": "5",
            "variety": "中早39",
        },
    )
    assert response.status_code == 302
    assert Planting.objects.get().recorded_by == cast.grid_a


def test_a_too_large_planting_on_the_form_is_refused_on_the_form(fields_a, client_for, cast):
    response = client_for(cast.grid_a).post(
        "/farmland/plantings/new/",
        {"parcel": "P0003", "season": "2026-early", "crop": "rice", "area_mu": "500"},
    )
    assert response.status_code == 400
    assert "种植面积超过图斑面积" in response.content.decode()
    assert Planting.objects.count() == 0


def test_a_patrol_report_with_a_pond_goes_to_its_finding(fields_a, client_for, cast):
    response = client_for(cast.grid_a).post(
        "/farmland/patrol/",
        {
            "parcel": "P0001",
            "season": "2026-early",
            "observed_use": "pond",
            "latitude": f"{LAT + 0.0005}",
            "longitude": f"{LNG + 0.0005}",
            "note": "新挖鱼塘",
        },
    )
    finding = Finding.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/farmland/findings/{finding.pk}/"
    assert PatrolReport.objects.get().parcel == fields_a[0]


def test_a_cooperative_recorder_account_sees_no_farmland_page(client_for, cast):
    assert client_for(cast.grid_a).get("/farmland/").status_code == 200
    assert client_for(cast.producer).get("/farmland/").status_code in (302, 403)


def test_a_planting_table_is_imported_whole_or_not_at_all(fields_a, client_for, cast):
    from django.core.files.uploadedfile import SimpleUploadedFile

    good = "图斑编号,季节,作物,品种,面积（亩）,种植户\nP0001,2026-early,水稻,中早39,10,张三\nP0002,2026年早季,水稻,,8,李四\n"
    bad = good + "P9999,2026-early,水稻,,1,王五\n"
    web = client_for(cast.village_a)
    response = web.post("/farmland/plantings/import/", {"file": SimpleUploadedFile("种植.csv", bad.encode())})
    assert "第4行" in response.content.decode() and Planting.objects.count() == 0
    response = web.post(
        "/farmland/plantings/import/", {"file": SimpleUploadedFile("种植.csv", good.encode())}
    )
    assert response.status_code == 302 and Planting.objects.count() == 2
