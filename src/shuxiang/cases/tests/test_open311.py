from xml.etree import ElementTree

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from shuxiang.cases import services
from shuxiang.cases.models import Case
from shuxiang.cases.tests.conftest import jpeg_bytes
from shuxiang.core.services import do_issue_token

pytestmark = pytest.mark.django_db


@pytest.fixture
def api_key(cast):
    return do_issue_token(cast.township_a, actor=None)


def test_services_list_the_public_categories_in_json_and_xml(client, categories):
    rows = client.get("/open311/v2/services.json?jurisdiction_id=430903").json()
    assert {r["service_code"] for r in rows} == {"rubbish", "road", "food"}
    xml = ElementTree.fromstring(client.get("/open311/v2/services.xml").content)
    assert xml.tag == "services" and len(xml.findall("service")) == 3
    assert client.get("/open311/v2/services/road.json").json()["service_code"] == "road"


def test_another_jurisdiction_is_not_served(client, categories):
    response = client.get("/open311/v2/services.json?jurisdiction_id=110101")
    assert response.status_code == 404 and response.json()[0]["error_code"] == "unknown_jurisdiction"


def test_discovery_names_the_spec_and_both_formats(client, categories):
    body = client.get("/open311/v2/discovery.json").json()
    assert body["endpoints"][0]["formats"] == ["text/xml", "application/json"]


def test_a_request_posted_with_an_api_key_and_a_photo_is_tracked_to_closure(
    client, api_key, categories, cast
):
    response = client.post(
        "/open311/v2/requests.json",
        {
            "api_key": api_key,
            "jurisdiction_id": "430903",
            "service_code": "rubbish",
            "lat": "28.4712",
            "long": "112.6011",
            "description": "村口垃圾堆放无人清理",
            "media": SimpleUploadedFile("a.jpg", jpeg_bytes(exif_gps=True), content_type="image/jpeg"),
        },
    )
    assert response.status_code == 201, response.content
    number = response.json()[0]["service_request_id"]
    detail = client.get(f"/open311/v2/requests/{number}.json").json()[0]
    assert detail["status"] == "open" and detail["agency_responsible"] == "泉交河镇人民政府"
    assert detail["expected_datetime"] and "/attachments/" in detail["media_url"]
    assert detail["description"] == ""  # without a key: no free text, it may hold personal data
    case = Case.objects.get(tracking_number=number)
    case = services.do_accept_case(case, actor=cast.township_a)
    case = services.do_resolve_case(case, actor=cast.township_a, note="已清运完毕")
    closed = client.get(f"/open311/v2/requests/{number}.xml")
    xml = ElementTree.fromstring(closed.content)
    assert xml.find("request/status").text == "closed"
    assert xml.find("request/status_notes").text == "已清运完毕"


def test_a_post_by_address_finds_the_village_by_name(client, api_key, categories, places):
    response = client.post(
        "/open311/v2/requests.json",
        {
            "api_key": api_key,
            "service_code": "road",
            "address_string": "泉交河镇清水村村部门口",
            "description": "路面坑洼积水严重",
        },
    )
    assert response.status_code == 201
    assert Case.objects.get().place == places.village_a


def test_a_post_without_a_key_or_outside_the_county_is_refused(client, api_key, categories):
    no_key = client.post(
        "/open311/v2/requests.json", {"service_code": "rubbish", "lat": "28.47", "long": "112.6"}
    )
    assert no_key.status_code == 403
    outside = client.post(
        "/open311/v2/requests.xml",
        {
            "api_key": api_key,
            "service_code": "rubbish",
            "lat": "39.9",
            "long": "116.4",
            "description": "垃圾很多没人管",
        },
    )
    assert outside.status_code == 400
    assert ElementTree.fromstring(outside.content).find("error/error_code").text == "outside_county"
    assert not Case.objects.exists()


def test_requests_filter_by_status_and_service_and_hide_sensitive_ones(client, open_case, cast, api_key):
    rubbish = open_case()
    open_case(category="food", description="小卖部出售过期食品")
    rows = client.get("/open311/v2/requests.json?status=open&service_code=rubbish,food").json()
    assert [r["service_request_id"] for r in rows] == [rubbish.tracking_number]
    with_key = client.get(f"/open311/v2/requests.json?api_key={api_key}&status=open").json()
    assert len(with_key) == 2 and all(r["description"] for r in with_key)
    assert client.get("/open311/v2/requests.json?status=closed").json() == []


def test_a_repeated_post_with_the_same_idempotency_key_returns_the_first_request(client, api_key, categories):
    data = {
        "api_key": api_key,
        "service_code": "rubbish",
        "lat": "28.4712",
        "long": "112.6011",
        "description": "垃圾堆放无人清理",
    }
    first = client.post("/open311/v2/requests.json", data, HTTP_IDEMPOTENCY_KEY="abc-1")
    second = client.post("/open311/v2/requests.json", data, HTTP_IDEMPOTENCY_KEY="abc-1")
    assert first.json() == second.json() and Case.objects.count() == 1
