"""The contract interfaces: /ecology/…, /sanitation/, /api/v1/ecology/… and /api/v1/sanitation/collections/
— what each role sees, bad input answered in Chinese with nothing written, scope (404 outside)."""

from datetime import timedelta

import pytest
from django.utils import timezone

from shuxiang.core.actors import OPERATOR
from shuxiang.ecology import services
from shuxiang.ecology.models import CollectionRecord, Sample

from .conftest import clean_values, hours_ago


@pytest.fixture
def other_point(places, section):
    return services.do_create_point(
        actor=OPERATOR, code="HS-DM-T09", name="荷花村断面", kind="surface_section", place=places.village_b,
        standard=section.standard, grade="III",
    )  # fmt: skip


def test_the_ecology_pages_render_for_a_township_officer(client_for, cast, section, source_point):
    services.do_record_sample(
        section, actor=OPERATOR, taken_at=hours_ago(2), sampler="李明", values=clean_values(w21003=1.7)
    )
    c = client_for(cast.township_a)
    index = c.get("/ecology/").content.decode()
    assert "清水河清水村断面" in index and 'id="kpi-open"' in index
    detail = c.get(f"/ecology/points/{section.pk}/").content.decode()
    assert "超标" in detail and "氨氮 1.7 mg/L" in detail and "GB 3838-2002" in detail
    assert 'name="viewport"' in detail  # the base page is made for phones
    assert c.get(f"/ecology/points/{source_point.pk}/").status_code == 200
    samples = c.get("/ecology/samples/").content.decode()
    assert "清水河清水村断面" in samples and "<td>Ⅴ类</td>" in samples and "4.89" in samples
    assert c.get("/ecology/map/").status_code == 200
    data = c.get("/ecology/map.json").json()
    assert {p["name"] for p in data["points"]} == {"清水河清水村断面", "清水村集中式饮用水水源地"}
    assert data["zones"]["features"][0]["properties"]["zone"] == "一级保护区"
    assert c.get("/ecology/sources/").status_code == 200


def test_a_point_outside_the_region_is_404(client_for, cast, other_point):
    c = client_for(cast.township_a)
    assert c.get(f"/ecology/points/{other_point.pk}/").status_code == 404
    assert "荷花村断面" not in c.get("/ecology/").content.decode()


def test_a_sample_entered_on_the_form_is_judged_and_shown(client_for, cast, section):
    c = client_for(cast.township_a)
    pick = c.get("/ecology/samples/add/").content.decode()
    assert "清水河清水村断面" in pick
    form = c.get(f"/ecology/samples/add/?point={section.pk}").content.decode()
    assert "氨氮（mg/L）" in form
    taken = timezone.localtime(timezone.now() - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M")
    response = c.post(
        f"/ecology/samples/add/?point={section.pk}",
        {
            "taken_at": taken,
            "sampler": "李明",
            "lab": "赫山区环境监测站",
            "f_w21003": "0.4",
            "f_w01018": "18",
        },
    )
    sample = Sample.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/ecology/samples/{sample.pk}/"
    page = c.get(response["Location"]).content.decode()
    assert "Ⅲ类" in page and "达标" in page


def test_a_form_without_any_value_says_so_and_writes_nothing(client_for, cast, section):
    c = client_for(cast.township_a)
    taken = timezone.localtime().strftime("%Y-%m-%dT%H:%M")
    page = c.post(
        f"/ecology/samples/add/?point={section.pk}", {"taken_at": taken, "sampler": "李明"}
    ).content.decode()
    assert "至少填写一个因子的测定值" in page
    assert not Sample.objects.exists()


def test_a_grid_worker_may_not_enter_samples(client_for, cast, section):
    c = client_for(cast.grid_a)
    assert c.get(f"/ecology/samples/add/?point={section.pk}").status_code == 403
    assert c.post(f"/ecology/samples/add/?point={section.pk}", {"sampler": "x"}).status_code == 403
    assert not Sample.objects.exists()


def test_the_sample_api_records_a_sample_with_factor_values(api_for, cast, section):
    api = api_for(cast.township_a)
    response = api.post(
        "/api/v1/ecology/samples/",
        {
            "point": section.code,
            "taken_at": hours_ago(1).isoformat(),
            "sampler": "李明",
            "values": clean_values(w21003=2.2),
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["water_class"] == "劣V" and body["meets"] is False and body["standard"] == "GB 3838-2002"
    assert {v["factor"]: v["water_class"] for v in body["values"]}["w21003"] == "劣V"
    listing = api.get("/api/v1/ecology/samples/").json()
    assert listing["count"] == 1 and listing["results"][0]["point"] == section.code


@pytest.mark.parametrize(
    "payload, field, code",
    [
        ({"values": [{"factor": "w99999", "value": 1}]}, "w99999", "invalid"),
        ({"values": [{"factor": "w21003", "value": 1, "unit": "kg"}]}, "w21003", "invalid"),
        ({"standard": "GB 3838-1988"}, "standard", "standard_missing"),
        ({"point": "NOPE"}, "point", "invalid"),
        ({"values": []}, "values", "invalid"),
        ({"taken_at": "yesterday"}, "taken_at", "invalid"),
    ],
)
def test_bad_samples_get_a_chinese_error_and_nothing_is_written(api_for, cast, section, payload, field, code):
    body = {
        "point": section.code,
        "taken_at": hours_ago(1).isoformat(),
        "sampler": "李明",
        "values": clean_values(),
    }
    body.update(payload)
    response = api_for(cast.township_a).post("/api/v1/ecology/samples/", body, format="json")
    assert response.status_code == 400, response.content
    error = response.json()
    assert field in error["fields"] and any("\u4e00" <= ch <= "\u9fff" for ch in error["message"])
    assert error["code"] == code or code == "invalid"
    assert not Sample.objects.exists()


def test_a_sample_for_a_point_outside_the_region_is_refused(api_for, cast, other_point):
    body = {
        "point": other_point.code,
        "taken_at": hours_ago(1).isoformat(),
        "sampler": "李明",
        "values": clean_values(),
    }
    assert api_for(cast.township_a).post("/api/v1/ecology/samples/", body, format="json").status_code == 400
    assert api_for(cast.grid_a).post("/api/v1/ecology/samples/", body, format="json").status_code == 403
    assert not Sample.objects.exists()


def test_points_api_lists_in_scope_and_answers_geojson(api_for, cast, section, other_point):
    api = api_for(cast.township_a)
    listing = api.get("/api/v1/ecology/points/").json()
    assert [p["code"] for p in listing["results"]] == [section.code]
    assert listing["results"][0]["place"] == section.place.code
    geo = api.get("/api/v1/ecology/points/?format=geojson")
    assert geo.status_code == 200 and geo["Content-Type"].startswith("application/geo+json")
    features = geo.json()["features"]
    assert features[0]["geometry"]["type"] == "Point" and features[0]["properties"]["code"] == section.code
    assert api.get(f"/api/v1/ecology/points/{other_point.pk}/").status_code == 404


def test_standards_api_gives_each_edition_with_its_limits(api_for, cast):
    body = api_for(cast.district).get("/api/v1/ecology/standards/?code=GB 3838").json()
    standard = body["results"][0]
    assert (standard["code"], standard["edition"]) == ("GB 3838", "2002")
    nh3 = [lim for lim in standard["limits"] if lim["factor"] == "w21003" and lim["grade"] == "III"]
    assert nh3 == [
        {
            "factor": "w21003",
            "factor_name": "氨氮",
            "unit": "mg/L",
            "grade": "III",
            "grade_display": "Ⅲ类",
            "lake": False,
            "min_value": None,
            "max_value": 1.0,
        }
    ]


def test_sanitation_pages_and_collection_api(client_for, api_for, cast, places):
    point = services.do_create_collection_point(
        actor=OPERATOR, code="LJ-T11", name="清水村收集点", place=places.village_a
    )
    c = client_for(cast.grid_a)
    page = c.get("/sanitation/").content.decode()
    assert "清水村收集点" in page and "从未清运" in page and 'id="coverage"' in page
    taken = timezone.localtime().strftime("%Y-%m-%dT%H:%M")
    response = c.post(
        f"/sanitation/points/{point.pk}/",
        {"collected_at": taken, "weight_kg": "260", "transfer_station": "泉交河镇转运站"},
    )
    assert response.status_code == 302
    api = api_for(cast.township_a)
    created = api.post(
        "/api/v1/sanitation/collections/",
        {
            "point": point.code,
            "collected_at": timezone.now().isoformat(),
            "weight_kg": 120.5,
            "transfer_station": "泉交河镇转运站",
            "truck": "湘H·A1234",
        },
        format="json",
    )
    assert created.status_code == 201, created.content
    listing = api.get("/api/v1/sanitation/collections/").json()
    assert listing["count"] == 2 and listing["results"][0]["place"] == places.village_a.code
    bad = api.post(
        "/api/v1/sanitation/collections/",
        {
            "point": point.code,
            "collected_at": timezone.now().isoformat(),
            "weight_kg": -1,
            "transfer_station": "x",
        },
        format="json",
    )
    assert bad.status_code == 400 and "weight_kg" in bad.json()["fields"]
    assert CollectionRecord.objects.count() == 2
    assert client_for(cast.township_b).get(f"/sanitation/points/{point.pk}/").status_code == 404


def test_district_staff_register_a_point_on_the_form_and_a_township_may_not(client_for, cast, places):
    from shuxiang.ecology.models import MonitoringPoint

    from .conftest import gb3838

    form = {
        "code": "HS-DM-F01",
        "name": "兰溪河荷花村断面",
        "kind": "surface_section",
        "place": places.village_b.code,
        "standard": gb3838().pk,
        "grade": "VII",
        "river": "兰溪河",
    }
    page = client_for(cast.district).post("/ecology/points/add/", form).content.decode()
    assert "的等级为：I、II、III、IV、V" in page and not MonitoringPoint.objects.exists()
    response = client_for(cast.district).post("/ecology/points/add/", {**form, "grade": "III"})
    point = MonitoringPoint.objects.get()
    assert (
        response["Location"] == f"/ecology/points/{point.pk}/" and point.latitude == places.village_b.latitude
    )
    assert client_for(cast.township_a).post("/ecology/points/add/", {**form, "code": "X2"}).status_code == 403
    assert MonitoringPoint.objects.count() == 1


def test_the_standards_page_lists_editions_and_an_administrator_sets_a_limit(client_for, cast):
    from shuxiang.ecology.models import Factor, Limit

    from .conftest import gb3838

    page = client_for(cast.township_a).get("/ecology/standards/").content.decode()
    assert "GB 3838-2002 地表水环境质量标准" in page and "设置限值" not in page
    standard = gb3838()
    cod = Factor.objects.get(code="w01018")
    response = client_for(cast.admin).post(
        f"/ecology/standards/{standard.pk}/limits/", {"factor": cod.pk, "grade": "III", "max_value": "19"}
    )
    assert response.status_code == 302
    assert Limit.objects.get(standard=standard, factor=cod, grade="III", lake=False).max_value == 19
    refused = client_for(cast.township_a).post(
        f"/ecology/standards/{standard.pk}/limits/", {"factor": cod.pk, "grade": "III", "max_value": "50"}
    )
    assert refused.status_code == 403
    assert Limit.objects.get(standard=standard, factor=cod, grade="III", lake=False).max_value == 19
