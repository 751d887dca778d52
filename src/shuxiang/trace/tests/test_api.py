import pytest

from shuxiang.core.actors import OPERATOR
from shuxiang.ledger.models import LedgerEntry
from shuxiang.trace.models import Lot, Producer, TraceEvent
from shuxiang.trace.tests.conftest import credit_code

pytestmark = pytest.mark.django_db


def test_producers_are_listed_only_inside_the_officers_township(farm, other_farm, cast, api_for):
    names = [p["name"] for p in api_for(cast.township_a).get("/api/v1/trace/producers/").json()["results"]]
    assert names == ["清水村稻米专业合作社"]
    assert (
        api_for(cast.township_a).get(f"/api/v1/trace/producers/{other_farm['producer'].pk}/").status_code
        == 404
    )


def test_registering_a_producer_with_a_bad_credit_code_answers_code_message_fields(places, cast, api_for):
    response = api_for(cast.township_a).post(
        "/api/v1/trace/producers/",
        {
            "name": "某合作社",
            "kind": "cooperative",
            "place": places.village_a.code,
            "credit_code": "93430903MA4L123450",
        },
        format="json",
    )
    assert response.status_code == 400
    body = response.json()
    assert set(body) == {"code", "message", "fields"} and "校验位" in body["fields"]["credit_code"][0]
    assert not Producer.objects.exists()


def test_a_producer_is_registered_by_place_code_and_its_contact_phone_leaves_masked(places, cast, api_for):
    response = api_for(cast.township_a).post(
        "/api/v1/trace/producers/",
        {
            "name": "泉交河生猪养殖有限公司",
            "kind": "company",
            "place": places.village_a.code,
            "credit_code": credit_code("91430903MA4L77777"),
            "contact_name": "赵强",
            "contact_phone": "13907370000",
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["place"] == places.village_a.code and body["contact_phone"].endswith("0000")
    assert "13907370000" not in response.content.decode()


def test_a_lot_created_without_origin_is_refused_with_the_machine_code(farm, api_for):
    response = api_for(farm["account"]).post(
        "/api/v1/trace/lots/",
        {"product": farm["product"].pk, "lot_number": "2025B", "quantity": "100"},
        format="json",
    )
    assert response.status_code == 400 and response.json()["code"] == "lot_without_origin"
    assert not Lot.objects.exists()


def test_a_producer_account_creates_a_lot_and_posts_its_events(farm, api_for):
    api = api_for(farm["account"])
    lot = api.post(
        "/api/v1/trace/lots/",
        {"product": farm["product"].pk, "origin": farm["plot"].pk, "lot_number": "2025B", "quantity": "100"},
        format="json",
    ).json()
    assert lot["gtin"] == "06901234567892" and lot["digital_link"].endswith("/01/06901234567892/10/2025B")
    response = api.post(
        f"/api/v1/trace/lots/{lot['id']}/events/", {"biz_step": "planting", "quantity": "3"}, format="json"
    )
    assert response.status_code == 201
    event = response.json()
    assert event["biz_step"] == "planting" and len(event["ledger_hash"]) == 64
    listed = api.get(f"/api/v1/trace/lots/{lot['id']}/events/").json()
    assert [e["id"] for e in listed] == [event["id"]]


def test_a_repeated_event_with_the_same_idempotency_key_is_stored_once(lot, farm, api_for):
    api = api_for(farm["account"])
    url = f"/api/v1/trace/lots/{lot.pk}/events/"
    first = api.post(url, {"biz_step": "planting"}, format="json", HTTP_IDEMPOTENCY_KEY="phone-42")
    again = api.post(url, {"biz_step": "planting"}, format="json", HTTP_IDEMPOTENCY_KEY="phone-42")
    assert first.status_code == again.status_code == 201
    assert again.json()["id"] == first.json()["id"] and again["Idempotent-Replayed"] == "true"
    assert TraceEvent.objects.count() == 1
    assert LedgerEntry.objects.filter(key__startswith="trace.event:").count() == 1


def test_an_event_for_another_producers_lot_is_a_404_over_the_api(farm, other_farm, api_for):
    api = api_for(farm["account"])
    lot = other_farm["lot"]
    assert (
        api.post(
            f"/api/v1/trace/lots/{lot.pk}/events/", {"biz_step": "harvesting"}, format="json"
        ).status_code
        == 404
    )
    assert api.get(f"/api/v1/trace/lots/{lot.pk}/events/").status_code == 404
    assert not TraceEvent.objects.exists()


def test_harvest_inside_the_interval_over_the_api_names_the_allowed_date(lot, farm, api_for):
    api = api_for(farm["account"])
    url = f"/api/v1/trace/lots/{lot.pk}/events/"
    api.post(
        url,
        {
            "biz_step": "input_use",
            "input_kind": "pesticide",
            "input_name": "吡虫啉",
            "input_dose": "20g",
            "interval_days": 7,
        },
        format="json",
    )
    response = api.post(url, {"biz_step": "harvesting"}, format="json")
    body = response.json()
    assert response.status_code == 400 and body["code"] == "pre_harvest_interval"
    assert "清水贡米" in body["message"] and "起方可采收" in body["fields"]["event_time"][0]


def test_a_bank_reads_the_entity_directory_with_its_token_but_cannot_write(farm, other_farm, cast, api_for):
    from django.apps import apps

    if apps.is_installed("shuxiang.markets"):  # the directory shows only entities that consented
        from shuxiang.markets.directory import do_set_consent

        for f in (farm, other_farm):
            do_set_consent(f["producer"], actor=OPERATOR, given=True)
    api = api_for(cast.bank)
    rows = api.get("/api/v1/trace/directory/").json()["results"]
    assert {r["name"] for r in rows} == {"清水村稻米专业合作社", "荷花村王氏家庭农场"}
    coop = next(r for r in rows if r["name"] == "清水村稻米专业合作社")
    assert (
        coop["credit_code"] == farm["producer"].credit_code
        and coop["bases"] == 1
        and coop["area_mu"] == "120.00"
    )
    assert "*" in coop["contact_phone"]
    assert api.get(f"/api/v1/trace/directory/{coop['id']}/").json()["name"] == "清水村稻米专业合作社"
    assert api.post("/api/v1/trace/directory/", {}, format="json").status_code in (403, 405)
    assert Producer.objects.count() == 2


def test_a_township_officer_has_no_bank_directory(cast, api_for):
    assert api_for(cast.township_a).get("/api/v1/trace/directory/").status_code == 403


def test_anonymous_callers_get_no_trace_api(anon_api, farm):
    assert anon_api.get("/api/v1/trace/lots/").status_code in (401, 403)
