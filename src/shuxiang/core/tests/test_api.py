import pytest

from shuxiang.core import services
from shuxiang.core.actors import OPERATOR
from shuxiang.core.models import AuditEntry, Person

VALID_ID = "11010519491231002X"


def test_creating_a_person_returns_masked_identifiers(cast, api_for):
    response = api_for(cast.township_a).post(
        "/api/v1/people/",
        {"name": "张三", "id_number": VALID_ID, "phone": "13812341234", "place": "43090310320101"},
        format="json",
    )
    assert response.status_code == 201
    assert response.json()["id_number"] == "110105********002X"
    assert response.json()["phone"] == "138****1234"
    assert response.json()["place"] == "43090310320101"


def test_wrong_check_digit_is_refused_naming_the_field_and_nothing_is_written(cast, api_for):
    response = api_for(cast.township_a).post(
        "/api/v1/people/",
        {"name": "张三", "id_number": "110105194912310021", "place": "43090310320101"},
        format="json",
    )
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid"
    assert "校验位" in body["fields"]["id_number"][0]
    assert body["message"]
    assert not Person.objects.exists()


def test_unknown_place_code_is_refused_in_chinese(cast, api_for):
    response = api_for(cast.township_a).post(
        "/api/v1/people/", {"name": "张三", "place": "999999999999"}, format="json"
    )
    assert response.status_code == 400
    assert "999999999999" in response.json()["fields"]["place"][0]


def test_township_officer_cannot_create_a_person_in_another_township(cast, api_for):
    response = api_for(cast.township_a).post(
        "/api/v1/people/", {"name": "张三", "place": "43090311120101"}, format="json"
    )
    assert response.status_code == 400
    assert response.json()["code"] == "out_of_scope"
    assert not Person.objects.exists()


def test_places_filter_by_level_and_parent_code(cast, api_for):
    api = api_for(cast.district)
    townships = api.get("/api/v1/places/?level=township").json()
    assert {p["code"] for p in townships["results"]} == {"430903103000", "430903111000"}
    assert townships["count"] == 2
    first = townships["results"][0]
    assert set(first) >= {"code", "name", "level", "kind", "parent"}
    assert first["parent"] == "430903000000" and first["level"] == "township"
    villages = api.get("/api/v1/places/?parent=430903103000").json()["results"]
    assert [v["code"] for v in villages] == ["430903103201"]


def test_list_pagination_returns_count_and_results(cast, api_for, places):
    for i in range(7):
        services.do_create_person(actor=OPERATOR, name=f"人{i}", place=places.hamlet_a)
    body = api_for(cast.district).get("/api/v1/people/?page=2&page_size=5").json()
    assert body["count"] == 7
    assert len(body["results"]) == 2


def test_audit_api_lists_who_did_what(cast, api_for, places):
    api_for(cast.township_a).post(
        "/api/v1/people/", {"name": "张三", "place": "43090310320101"}, format="json"
    )
    body = api_for(cast.district).get("/api/v1/audit/?object_type=core.person").json()
    entry = body["results"][0]
    assert set(entry) >= {"actor", "action", "object_type", "object_id", "changes", "at"}
    assert entry["actor"] == "t_quanjiaohe" and entry["action"] == "create"
    assert entry["changes"]["name"] == [None, "张三"]


def test_township_officer_may_not_read_the_audit_log(cast, api_for):
    response = api_for(cast.township_a).get("/api/v1/audit/")
    assert response.status_code == 403
    assert response.json()["code"] == "permission_denied"


def test_a_wrong_token_gets_a_json_error(anon_api, db):
    anon_api.credentials(HTTP_AUTHORIZATION="Token nope")
    response = anon_api.get("/api/v1/places/")
    assert response.status_code == 401
    assert response.json()["code"] == "authentication_failed"


def test_anonymous_api_access_is_refused(anon_api, db):
    response = anon_api.get("/api/v1/people/")
    assert response.status_code in (401, 403)
    assert response.json()["message"] == "请先登录或提供接口令牌"


def test_repeated_post_with_the_same_idempotency_key_creates_once(cast, api_for):
    api = api_for(cast.grid_a)
    payload = {"name": "赵六", "place": "43090310320101"}
    first = api.post("/api/v1/people/", payload, format="json", HTTP_IDEMPOTENCY_KEY="field-app-42")
    second = api.post("/api/v1/people/", payload, format="json", HTTP_IDEMPOTENCY_KEY="field-app-42")
    assert first.status_code == second.status_code == 201
    assert first.json()["id"] == second.json()["id"]
    assert second["Idempotent-Replayed"] == "true"
    assert Person.objects.count() == 1


def test_reusing_an_idempotency_key_for_a_different_body_is_refused(cast, api_for):
    api = api_for(cast.grid_a)
    api.post(
        "/api/v1/people/",
        {"name": "赵六", "place": "43090310320101"},
        format="json",
        HTTP_IDEMPOTENCY_KEY="k1",
    )
    response = api.post(
        "/api/v1/people/",
        {"name": "钱七", "place": "43090310320101"},
        format="json",
        HTTP_IDEMPOTENCY_KEY="k1",
    )
    assert response.status_code == 422
    assert response.json()["code"] == "idempotency_key_reused"
    assert Person.objects.count() == 1


def test_reveal_returns_the_full_number_and_is_audited(cast, api_for, places):
    person = services.do_create_person(actor=OPERATOR, name="张三", place=places.hamlet_a, id_number=VALID_ID)
    response = api_for(cast.district).post(
        f"/api/v1/people/{person.pk}/reveal/", {"fields": ["id_number"]}, format="json"
    )
    assert response.json() == {"id_number": VALID_ID}
    entry = AuditEntry.objects.get(action="reveal")
    assert entry.actor == cast.district and entry.changes == {"fields": ["id_number"]}


def test_reveal_without_the_permission_is_refused_and_not_audited_as_reveal(cast, api_for, places):
    person = services.do_create_person(actor=OPERATOR, name="张三", place=places.hamlet_a, id_number=VALID_ID)
    response = api_for(cast.township_a).post(
        f"/api/v1/people/{person.pk}/reveal/", {"fields": ["id_number"]}, format="json"
    )
    assert response.status_code == 403
    assert VALID_ID not in response.content.decode()
    assert not AuditEntry.objects.filter(action="reveal").exists()


def test_openapi_schema_and_docs_are_served_without_outside_resources(client, db):
    schema = client.get("/api/schema/")
    assert schema.status_code == 200
    assert b"/api/v1/people/" in schema.content
    docs = client.get("/api/docs/")
    assert docs.status_code == 200
    html = docs.content.decode()
    assert "cdn" not in html.lower() and "https://" not in html


@pytest.mark.parametrize("path", ["/api/v1/places/", "/api/v1/units/", "/api/v1/people/"])
def test_lists_answer_machines_with_their_token(cast, api_for, path):
    assert api_for(cast.admin).get(path).status_code == 200


def test_a_refused_post_does_not_use_up_its_idempotency_key(cast, api_for):
    api = api_for(cast.grid_a)
    bad = api.post(
        "/api/v1/people/",
        {"name": "", "place": "43090310320101"},
        format="json",
        HTTP_IDEMPOTENCY_KEY="retry-1",
    )
    assert bad.status_code == 400
    good = api.post(
        "/api/v1/people/",
        {"name": "赵六", "place": "43090310320101"},
        format="json",
        HTTP_IDEMPOTENCY_KEY="retry-1",
    )
    assert good.status_code == 201
    assert Person.objects.count() == 1


def _pending(cast, key, body, age_seconds=0):
    import hashlib

    from django.utils import timezone

    from shuxiang.core.middleware import IdempotencyMiddleware
    from shuxiang.core.models import IdempotencyRecord

    token = services.do_issue_token(cast.grid_a, actor=OPERATOR)
    scope = "auth:" + hashlib.sha256(f"Token {token}".encode()).hexdigest()[:40]
    fingerprint = hashlib.sha256(b"/api/v1/people/\0" + body).hexdigest()
    record = IdempotencyRecord.objects.create(
        scope=scope,
        key=key,
        fingerprint=fingerprint,
        status_code=IdempotencyMiddleware.PENDING,
        content_type="",
        body=b"",
        headers={},
    )
    if age_seconds:
        IdempotencyRecord.objects.filter(pk=record.pk).update(
            created_at=timezone.now() - timezone.timedelta(seconds=age_seconds)
        )


def test_a_resend_while_the_first_request_still_runs_is_not_executed_twice(cast, api_for, monkeypatch):
    import json

    from shuxiang.core.middleware import IdempotencyMiddleware

    monkeypatch.setattr(IdempotencyMiddleware, "WAIT_SECONDS", 0.3)
    payload = {"name": "赵六", "place": "43090310320101"}
    _pending(cast, "slow-1", json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode())
    response = api_for(cast.grid_a).post(
        "/api/v1/people/", payload, format="json", HTTP_IDEMPOTENCY_KEY="slow-1"
    )
    assert response.status_code == 409
    assert response.json()["code"] == "idempotency_in_progress"
    assert not Person.objects.exists()


def test_a_key_left_pending_by_a_dead_process_is_taken_over(cast, api_for):
    import json

    payload = {"name": "赵六", "place": "43090310320101"}
    _pending(
        cast,
        "dead-1",
        json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode(),
        age_seconds=600,
    )
    response = api_for(cast.grid_a).post(
        "/api/v1/people/", payload, format="json", HTTP_IDEMPOTENCY_KEY="dead-1"
    )
    assert response.status_code == 201
    assert Person.objects.count() == 1


def test_an_idempotency_key_older_than_a_day_is_free_again_and_purged(cast, api_for):
    import json

    from django.utils import timezone

    from shuxiang.core.models import IdempotencyRecord
    from shuxiang.core.tasks import purge_idempotency_records

    client = api_for(cast.grid_a)
    payload = {"name": "赵六", "place": "43090310320101"}
    assert (
        client.post("/api/v1/people/", payload, format="json", HTTP_IDEMPOTENCY_KEY="day-1").status_code
        == 201
    )
    IdempotencyRecord.objects.update(created_at=timezone.now() - timezone.timedelta(hours=25))
    other = {"name": "钱七", "place": "43090310320101"}
    response = client.post("/api/v1/people/", other, format="json", HTTP_IDEMPOTENCY_KEY="day-1")
    assert response.status_code == 201, json.dumps(response.json(), ensure_ascii=False)
    assert Person.objects.count() == 2
    IdempotencyRecord.objects.update(created_at=timezone.now() - timezone.timedelta(hours=25))
    assert purge_idempotency_records() == 1
    assert not IdempotencyRecord.objects.exists()
