import pytest

from shuxiang.cases.choices import CaseState
from shuxiang.cases.models import Case

pytestmark = pytest.mark.django_db


def test_staff_take_a_case_through_its_lifecycle_by_api(api_for, cast, categories, places):
    officer = api_for(cast.township_a)
    created = officer.post(
        "/api/v1/cases/",
        {
            "category": "rubbish",
            "description": "河边倾倒建筑垃圾",
            "place": places.hamlet_a.code,
            "phone": "13900001111",
        },
        format="json",
    )
    assert created.status_code == 201, created.json()
    body = created.json()
    assert body["place"] == places.hamlet_a.code and body["phone"] == "139****1111"
    pk = body["id"]
    assert officer.post(f"/api/v1/cases/{pk}/accept/", {}, format="json").status_code == 200
    dispatched = officer.post(f"/api/v1/cases/{pk}/dispatch/", {"assignee": "t_grid"}, format="json")
    assert dispatched.json()["state"] == "dispatched" and dispatched.json()["assignee"] == "t_grid"
    grid = api_for(cast.grid_a)
    assert grid.post(f"/api/v1/cases/{pk}/start/", {}, format="json").status_code == 200
    resolved = grid.post(f"/api/v1/cases/{pk}/resolve/", {"note": "已清运并设立警示牌"}, format="json")
    assert resolved.json()["state"] == "resolved"
    assert [e["action"] for e in resolved.json()["events"]] == [
        "open",
        "accept",
        "dispatch",
        "start",
        "resolve",
    ]


def test_an_illegal_transition_by_api_is_refused_in_the_error_shape_and_changes_nothing(
    api_for, cast, open_case
):
    case = open_case()
    response = api_for(cast.township_a).post(
        f"/api/v1/cases/{case.pk}/resolve/", {"note": "已处理好了"}, format="json"
    )
    assert response.status_code == 409
    body = response.json()
    assert body["code"] == "illegal_transition" and "待受理" in body["message"] and "state" in body["fields"]
    assert Case.objects.get(pk=case.pk).state == CaseState.SUBMITTED


def test_a_township_officer_sees_only_their_townships_cases(api_for, cast, open_case, places):
    own, other = open_case(), open_case(place=places.hamlet_b.code)
    officer = api_for(cast.township_a)
    listed = [c["tracking_number"] for c in officer.get("/api/v1/cases/").json()["results"]]
    assert listed == [own.tracking_number]
    assert officer.get(f"/api/v1/cases/{other.pk}/").status_code == 404
    assert officer.post(f"/api/v1/cases/{other.pk}/accept/", {}, format="json").status_code == 404


def test_the_queue_filter_sorts_open_cases_by_deadline(api_for, cast, open_case):
    later = open_case()
    sooner = open_case(category="road", description="村道路面塌陷一个大坑")
    rows = api_for(cast.township_a).get("/api/v1/cases/?open=true&ordering=deadline").json()["results"]
    ordered = sorted([later, sooner], key=lambda c: c.deadline)
    assert [r["tracking_number"] for r in rows] == [c.tracking_number for c in ordered]


def test_bad_create_input_answers_with_field_messages(api_for, cast, categories):
    response = api_for(cast.township_a).post(
        "/api/v1/cases/",
        {"category": "rubbish", "description": "有垃圾堆放", "latitude": 39.9, "longitude": 116.4},
        format="json",
    )
    assert response.status_code == 400
    assert response.json()["code"] == "outside_county"
    assert not Case.objects.exists()


def test_statistics_endpoint_requires_the_permission_and_counts_in_scope(api_for, cast, open_case, places):
    open_case(), open_case(place=places.hamlet_b.code)
    body = api_for(cast.township_a).get("/api/v1/cases/statistics/?by=township").json()
    assert [(r["label"], r["volume"]) for r in body["rows"]] == [("泉交河镇", 1)]
    assert api_for(cast.grid_a).get("/api/v1/cases/statistics/").status_code == 403


def test_categories_are_listed_with_their_deadlines(api_for, cast, categories):
    rows = api_for(cast.grid_a).get("/api/v1/cases/categories/").json()
    road = next(r for r in rows if r["code"] == "road")
    assert (road["deadline_amount"], road["deadline_unit_display"]) == (16, "工作小时")
