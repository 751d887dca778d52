"""The contract paths: pages and API answer, refuse bad input in the one error shape, stay in scope."""

import pytest

from shuxiang.core.actors import OPERATOR
from shuxiang.livestock import disease, ponds, services
from shuxiang.livestock.models import DiseaseReport, HerdEntry
from shuxiang.livestock.tests.samples import make_farm


@pytest.fixture
def other_farm(places):
    return make_farm(places.hamlet_b, "兰溪镇样本猪场")


# --- API ---------------------------------------------------------------------------------------


def test_the_farm_list_is_paged_with_place_codes_and_pens(pens, api_for, cast):
    response = api_for(cast.township_a).get("/api/v1/livestock/farms/")
    body = response.json()
    assert response.status_code == 200 and body["count"] == 1
    farm = body["results"][0]
    assert farm["place"] == "430903103201" and {p["code"] for p in farm["pens"]} == {"F01", "N01"}


def test_farms_ponds_and_stores_answer_geojson(farm, pond, store, api_for, cast):
    api = api_for(cast.district)
    for path in ("/api/v1/livestock/farms/", "/api/v1/fishery/ponds/", "/api/v1/coldchain/stores/"):
        response = api.get(path + "?format=geojson")
        body = response.json()
        assert response.status_code == 200 and body["type"] == "FeatureCollection", path
        assert body["features"][0]["geometry"]["type"] == "Point"


def test_a_township_officer_does_not_see_the_other_townships_farm(farm, other_farm, api_for, cast):
    api = api_for(cast.township_a)
    assert [f["name"] for f in api.get("/api/v1/livestock/farms/").json()["results"]] == ["清水生猪养殖场"]
    assert api.get(f"/api/v1/livestock/farms/{other_farm.pk}/").status_code == 404


def test_a_pen_inventory_is_read_and_recorded_by_api(pens, api_for, cast):
    finishing, nursery = pens
    api = api_for(cast.grid_a)
    response = api.post(
        f"/api/v1/livestock/pens/{finishing.pk}/inventory/", {"kind": "purchase", "count": 60}, format="json"
    )
    assert response.status_code == 201 and response.json()["head_count"] == 60
    response = api.post(
        f"/api/v1/livestock/pens/{finishing.pk}/inventory/",
        {"kind": "move", "count": 10, "to_pen": nursery.pk},
        format="json",
    )
    assert response.status_code == 201 and response.json()["head_count"] == 50
    body = api.get(f"/api/v1/livestock/pens/{nursery.pk}/inventory/").json()
    assert body["head_count"] == 10 and body["entries"][0]["kind"] == "move_in"


@pytest.mark.parametrize(
    ("payload", "code", "field"),
    [
        ({"kind": "sale", "count": 5}, "negative_head_count", "count"),
        ({"kind": "birth", "count": -2}, "invalid", "count"),
        ({"kind": "move", "count": 1}, "invalid", "to_pen"),
        ({"kind": "escape", "count": 1}, None, "kind"),
    ],
)
def test_bad_inventory_input_is_a_clear_400_and_writes_nothing(pens, api_for, cast, payload, code, field):
    finishing, _ = pens
    response = api_for(cast.grid_a).post(
        f"/api/v1/livestock/pens/{finishing.pk}/inventory/", payload, format="json"
    )
    body = response.json()
    assert response.status_code == 400 and field in body["fields"] and body["message"]
    if code:
        assert body["code"] == code
    assert not HerdEntry.objects.exists()


def test_a_suspicion_is_reported_by_api_and_needs_species_and_place(farm, api_for, cast):
    api = api_for(cast.grid_a)
    response = api.post("/api/v1/livestock/reports/", {"symptoms": "高热"}, format="json")
    assert response.status_code == 400 and {"place", "species"} <= set(response.json()["fields"])
    assert not DiseaseReport.objects.exists()
    response = api.post(
        "/api/v1/livestock/reports/",
        {"farm": farm.pk, "species": "pig", "symptoms": "高热，采食下降", "deaths": 2},
        format="json",
    )
    assert response.status_code == 201 and response.json()["stage"] == "suspicious"


def test_a_grid_worker_cannot_advance_a_report_and_a_skip_is_refused_for_the_office(farm, api_for, cast):
    report = disease.do_report_suspicion(actor=cast.grid_a, farm=farm, species="pig", symptoms="高热")
    url = f"/api/v1/livestock/reports/{report.pk}/advance/"
    assert api_for(cast.grid_a).post(url, {"to": "suspected"}, format="json").status_code == 403
    response = api_for(cast.department).post(url, {"to": "confirmed"}, format="json")
    assert response.status_code == 400 and response.json()["code"] == "stage_skipped"
    assert (
        api_for(cast.department).post(url, {"to": "suspected"}, format="json").json()["stage"] == "suspected"
    )


def test_client_roles_get_nothing_but_a_producer_sees_its_own_farms_only(farm, api_for, cast):
    from shuxiang.livestock.models import Farm

    for user in (cast.bank, cast.feed, cast.gateway):
        assert api_for(user).get("/api/v1/livestock/farms/").status_code == 403
    own = Farm.objects.filter(producer__operators=cast.producer)
    listing = api_for(cast.producer).get("/api/v1/livestock/farms/").json()
    assert listing["count"] == own.count()
    assert {f["id"] for f in listing["results"]} == set(own.values_list("pk", flat=True))


# --- pages -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path", ["/livestock/", "/livestock/outbreaks/", "/fishery/", "/coldchain/", "/livestock/outbreaks/new/"]
)
def test_the_module_pages_render_for_a_township_officer(path, pens, pond, store, client_for, cast):
    response = client_for(cast.township_a).get(path)
    page = response.content.decode()
    assert response.status_code == 200 and 'name="viewport"' in page


def test_the_farm_page_shows_pens_by_stage_and_head_counts(pens, client_for, cast):
    finishing, _ = pens
    services.do_record_entry(finishing, actor=OPERATOR, kind="purchase", count=321)
    page = client_for(cast.township_a).get(f"/livestock/farms/{finishing.farm_id}/").content.decode()
    assert "育肥舍" in page and "321" in page and "保育舍" in page


def test_a_grid_worker_records_a_birth_on_the_phone_form(pens, client_for, cast):
    finishing, _ = pens
    web = client_for(cast.grid_a)
    assert web.get(f"/livestock/pens/{finishing.pk}/entries/").status_code == 200
    response = web.post(
        f"/livestock/pens/{finishing.pk}/entries/", {"kind": "birth", "count": "12", "submission_key": "k1"}
    )
    assert response.status_code == 302
    finishing.refresh_from_db()
    assert finishing.head_count == 12
    response = web.post(
        f"/livestock/pens/{finishing.pk}/entries/", {"kind": "sale", "count": "50", "submission_key": "k2"}
    )
    assert response.status_code == 400 and "不能超过现有存栏 12 头" in response.content.decode()


def test_an_outbreak_page_lists_the_farms_in_its_zones(farm, client_for, cast):
    report = disease.do_report_suspicion(actor=cast.grid_a, farm=farm, species="pig", symptoms="高热")
    disease.do_advance_report(report, actor=cast.department, to="suspected")
    web = client_for(cast.department)
    assert web.post(f"/livestock/outbreaks/{report.pk}/advance/", {"to": "confirmed"}).status_code == 302
    page = web.get(f"/livestock/outbreaks/{report.pk}/").content.decode()
    assert "确诊" in page and "疫区与受威胁区内养殖场（1）" in page and farm.name in page
    assert web.get("/livestock/outbreaks/map.json").json()["circles"]


def test_the_other_townships_outbreak_page_is_404(other_farm, client_for, cast):
    report = disease.do_report_suspicion(actor=OPERATOR, farm=other_farm, species="pig", symptoms="高热")
    assert client_for(cast.township_a).get(f"/livestock/outbreaks/{report.pk}/").status_code == 404


def test_the_pond_page_shows_oxygen_and_the_forecast_threshold(pond, client_for, cast):
    page = client_for(cast.township_a).get(f"/fishery/ponds/{pond.pk}/").content.decode()
    assert "溶解氧" in page and "预警线 3.5" in page


def test_the_fishery_authority_reads_the_monthly_report_per_township_and_species(
    pond, api_for, client_for, cast
):
    from django.utils import timezone

    from shuxiang.iot import services as iot

    ponds.do_record_pond(pond, actor=OPERATOR, kind="feeding", on=timezone.localdate(), weight_kg=120)
    iot.do_ingest_one(pond.device.code, [("DO", timezone.now(), 5.5)], actor=OPERATOR)
    month = timezone.localdate().strftime("%Y-%m")
    body = api_for(cast.district).get(f"/api/v1/fishery/monthly/?month={month}").json()
    row = body["results"][0]
    assert body["count"] == 1 and row["species_label"] == "黄颡鱼" and row["township"] == "泉交河镇"
    assert (row["feed_kg"], row["do_min"], row["monitored"]) == (120.0, 5.5, 1)
    bad = api_for(cast.district).get("/api/v1/fishery/monthly/?month=七月")
    assert bad.status_code == 400 and bad.json()["fields"] == {"month": ["格式应为 YYYY-MM"]}
    page = client_for(cast.township_a).get(f"/fishery/monthly/?month={month}").content.decode()
    assert "黄颡鱼" in page and "120.0" in page
