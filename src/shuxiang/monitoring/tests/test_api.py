"""The API contracts: /api/v1/monitoring/{households,clues,thresholds,declarations,alerts}/."""

import pytest
from django.core.cache import cache

from shuxiang.core.actors import OPERATOR, Actor
from shuxiang.core.models import Person
from shuxiang.monitoring.models import AlertBatch, Clue, Household
from shuxiang.monitoring.tests.helpers import household, id_number, member


@pytest.fixture
def registered(places):
    return household(
        places.hamlet_a,
        members=[
            member("王大山", id_number="430903198005170012", phone="13800001234", health="serious"),
            member("李秀英", "spouse"),
        ],
        incomes={2024: {"wage": "20000"}},
    )


def test_households_list_members_nested_with_masked_id_numbers(registered, cast, api_for):
    body = api_for(cast.village_a).get("/api/v1/monitoring/households/").json()
    [hh] = body["results"]
    assert hh["place"] == "43090310320101"
    head = hh["members"][0]
    assert head["id_number"] == "430903********0012" and head["phone"] == "138****1234"
    assert head["health"] == "serious"
    assert hh["incomes"][0]["per_capita_net"] == "10000.00"


def test_grid_workers_get_households_without_health_fields(registered, cast, api_for):
    [hh] = api_for(cast.grid_a).get("/api/v1/monitoring/households/").json()["results"]
    assert "health" not in hh["members"][0] and "disability_grade" not in hh["members"][0]


def test_other_township_and_unrelated_departments_see_no_household(registered, cast, api_for):
    assert api_for(cast.township_b).get("/api/v1/monitoring/households/").json()["results"] == []
    assert api_for(cast.township_b).get(f"/api/v1/monitoring/households/{registered.pk}/").status_code == 404
    assert api_for(cast.department).get("/api/v1/monitoring/households/").status_code == 403


def test_creating_a_household_with_a_member_of_another_household_is_refused(
    registered, cast, api_for, places
):
    response = api_for(cast.village_a).post(
        "/api/v1/monitoring/households/",
        {
            "place": places.hamlet_a.code,
            "category": "ordinary",
            "members": [{"name": "王大山", "id_number": "430903198005170012", "relation": "head"}],
        },
        format="json",
    )
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid" and "不能同时登记在两户" in body["fields"]["members[0].id_number"][0]
    assert Household.objects.count() == 1


def test_creating_a_household_with_an_invalid_id_number_is_refused(cast, api_for, places):
    response = api_for(cast.village_a).post(
        "/api/v1/monitoring/households/",
        {
            "place": places.hamlet_a.code,
            "category": "ordinary",
            "members": [{"name": "王新", "id_number": "430903198005170011", "relation": "head"}],
        },
        format="json",
    )
    assert response.status_code == 400
    assert "校验位" in response.json()["fields"]["members[0].id_number"][0]
    assert not Household.objects.exists() and not Person.objects.filter(name="王新").exists()


def test_anonymous_declaration_creates_a_clue_and_says_nothing_about_the_person(places, anon_api):
    cache.clear()
    response = anon_api.post(
        "/api/v1/monitoring/declarations/",
        {
            "place": places.village_a.code,
            "name": "赵四",
            "id_number": id_number(),
            "description": "家里房子被洪水冲垮",
            "risk_types": ["disaster"],
            "consent": True,
        },
        format="json",
    )
    assert response.status_code == 201
    assert "id" not in response.json()
    assert Clue.objects.get().channel == "self_declaration"


def test_a_declaration_without_consent_gets_a_chinese_error_with_a_code(places, anon_api):
    cache.clear()
    response = anon_api.post(
        "/api/v1/monitoring/declarations/",
        {
            "place": places.village_a.code,
            "name": "赵四",
            "id_number": id_number(),
            "description": "家里房子被洪水冲垮",
        },
        format="json",
    )
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid" and "consent" in body["fields"]
    assert not Clue.objects.exists()


def test_anonymous_declarations_are_rate_limited(places, anon_api, settings):
    cache.clear()
    from shuxiang.monitoring.api import DeclarationThrottle

    DeclarationThrottle.THROTTLE_RATES = {**DeclarationThrottle.THROTTLE_RATES, "anon_submit": "2/hour"}
    try:
        codes = [
            anon_api.post(
                "/api/v1/monitoring/declarations/",
                {
                    "place": places.village_a.code,
                    "name": "赵四",
                    "id_number": id_number(),
                    "description": "家里房子被洪水冲垮",
                    "consent": True,
                },
                format="json",
            ).status_code
            for _ in range(3)
        ]
    finally:
        DeclarationThrottle.THROTTLE_RATES = settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]
        cache.clear()
    assert codes == [201, 201, 429]


def test_department_alerts_match_people_by_id_number_and_report_the_unknown_masked(
    registered, cast, api_for, rural
):
    unknown = id_number()
    response = api_for(rural).post(
        "/api/v1/monitoring/alerts/",
        {
            "kind": "medical",
            "records": [
                {"id_number": "430903198005170012", "detail": "住院自付", "amount": "56000"},
                {"id_number": unknown},
            ],
        },
        format="json",
    )
    assert response.status_code == 201
    body = response.json()
    assert body["matched"] == 1 and body["unmatched"] == [
        {"index": 1, "id_number": unknown[:6] + "********" + unknown[-4:]}
    ]
    clue = Clue.objects.get()
    assert clue.household == registered and clue.channel == "department_alert"
    assert (
        clue.risk_types == ["illness"]
        and clue.figures == {"amount": "56000.00"}
        and clue.source == "区乡村振兴局"
    )
    assert (
        not Person.objects.filter(id_number_digest__isnull=False)
        .exclude(household_membership__isnull=False)
        .exists()
    )


def test_one_invalid_id_number_refuses_the_whole_alert_batch(registered, cast, api_for, rural):
    response = api_for(rural).post(
        "/api/v1/monitoring/alerts/",
        {"kind": "disaster", "records": [{"id_number": "430903198005170012"}, {"id_number": "12345"}]},
        format="json",
    )
    assert response.status_code == 400
    body = response.json()
    assert "records[1].id_number" in body["fields"] and "整批未导入" in body["message"]
    assert not Clue.objects.exists() and not AlertBatch.objects.exists()


def test_only_monitoring_departments_may_push_alerts(registered, cast, api_for):
    response = api_for(cast.department).post(
        "/api/v1/monitoring/alerts/",
        {"kind": "medical", "records": [{"id_number": "430903198005170012"}]},
        format="json",
    )
    assert response.status_code == 403
    assert api_for(cast.village_a).post("/api/v1/monitoring/alerts/", {}, format="json").status_code == 403


def test_thresholds_are_listed_to_monitoring_users_and_set_by_admins(cast, api_for):
    body = {
        "province": "43",
        "province_name": "湖南省",
        "year": 2025,
        "amount": "7500.00",
        "document": "湘文〔2025〕1号",
    }
    assert (
        api_for(cast.township_a).post("/api/v1/monitoring/thresholds/", body, format="json").status_code
        == 403
    )
    assert api_for(cast.admin).post("/api/v1/monitoring/thresholds/", body, format="json").status_code == 201
    again = api_for(cast.admin).post(
        "/api/v1/monitoring/thresholds/", {**body, "amount": "7600"}, format="json"
    )
    assert again.status_code == 201
    [row] = api_for(cast.township_a).get("/api/v1/monitoring/thresholds/").json()["results"]
    assert row["amount"] == "7600.00"
    bad = api_for(cast.admin).post("/api/v1/monitoring/thresholds/", {**body, "amount": "-1"}, format="json")
    assert bad.status_code == 400 and bad.json()["code"] == "invalid"


def test_clues_are_listed_in_scope_with_their_figures(registered, cast, api_for, places):
    from shuxiang.monitoring import services

    services.do_set_threshold(
        actor=OPERATOR, province="43", province_name="湖南省", year=2024, amount="12000"
    )
    from shuxiang.monitoring.rules import run_rules

    run_rules(year=2024, actor=Actor.system("tasks"))
    [clue] = api_for(cast.township_a).get("/api/v1/monitoring/clues/").json()["results"]
    assert clue["rule"] == "income-below-threshold" and clue["household"] == registered.number
    assert clue["figures"]["threshold"] == "12000.00"
    assert api_for(cast.township_b).get("/api/v1/monitoring/clues/").json()["results"] == []
