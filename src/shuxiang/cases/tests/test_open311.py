import io
import zlib
from xml.etree import ElementTree

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command

from shuxiang.cases import services
from shuxiang.cases.models import Case, Open311Key
from shuxiang.cases.open311 import do_issue_open311_key
from shuxiang.cases.tests.conftest import jpeg_bytes
from shuxiang.core.actors import OPERATOR
from shuxiang.core.models import AuditEntry
from shuxiang.core.services import do_issue_token

pytestmark = pytest.mark.django_db


def _shuxiang(*args) -> list[str]:
    out = io.StringIO()
    call_command(*args, stdout=out)
    return out.getvalue().strip().splitlines()


@pytest.fixture
def api_key(places):
    """An Open311 key for the county's hotline system, as `shuxiang open311 key` prints it."""
    return _shuxiang("open311", "key", "12345热线")[-1]


def test_services_list_the_public_categories_in_json_and_xml(client, categories):
    from shuxiang.cases.models import CaseCategory

    # the test's three, and the public categories other modules add after migrating (e.g. 疫情报告)
    public = set(CaseCategory.objects.filter(is_active=True, is_public=True).values_list("code", flat=True))
    rows = client.get("/open311/v2/services.json?jurisdiction_id=430903").json()
    assert {r["service_code"] for r in rows} == public and {"rubbish", "road", "food"} <= public
    assert not CaseCategory.objects.filter(
        is_public=False, code__in=[r["service_code"] for r in rows]
    ).exists()
    xml = ElementTree.fromstring(client.get("/open311/v2/services.xml").content)
    assert xml.tag == "services" and len(xml.findall("service")) == len(public)
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
    assert detail["description"] == ""  # no free text: it may hold personal data
    case = Case.objects.get(tracking_number=number)
    assert case.source_ref == f"cases.open311key:{Open311Key.objects.get().pk}"
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
    with_key = client.get(
        f"/open311/v2/requests.json?api_key={api_key}&status=open&service_code=rubbish,food"
    )
    assert with_key.status_code == 200 and with_key.json() == rows  # a key adds nothing to what anyone sees
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


# --- Open311 keys -----------------------------------------------------------------------------------

POST = {"service_code": "rubbish", "lat": "28.4712", "long": "112.6011", "description": "垃圾堆放无人清理"}


def test_the_key_command_prints_the_key_alone_on_its_last_line_and_audits_it(db):
    lines = _shuxiang("open311", "key", "县政务App")
    key = lines[-1]
    assert key.startswith("o311_") and " " not in key and len(key) > 30
    stored = Open311Key.objects.get(name="县政务App")
    assert key not in stored.key_digest and stored.is_active
    entry = AuditEntry.objects.get(action="create", object_type="cases.open311key")
    assert entry.actor_label == "system:operator" and key not in str(entry.changes)


def test_a_users_api_token_is_refused_as_api_key_for_reading_and_posting(client, cast, categories):
    token = do_issue_token(cast.district, actor=OPERATOR)
    posted = client.post("/open311/v2/requests.json", {**POST, "api_key": token})
    read = client.get(f"/open311/v2/requests.json?api_key={token}")
    xml = client.get(f"/open311/v2/requests.xml?api_key={token}")
    assert posted.status_code == read.status_code == xml.status_code == 403
    assert (
        posted.json()[0]["error_code"] == "invalid_api_key" and "Open311 密钥" in posted.json()[0]["message"]
    )
    assert ElementTree.fromstring(xml.content).find("error/error_code").text == "invalid_api_key"
    assert not Case.objects.exists()


def test_reading_with_a_key_gives_only_the_public_view(client, api_key, open_case):
    sensitive = open_case(category="food", description="小卖部出售过期食品")
    case = open_case(address="清水村3组李家门口")
    rows = client.get(f"/open311/v2/requests.json?api_key={api_key}").json()
    assert [r["service_request_id"] for r in rows] == [case.tracking_number]
    assert rows[0]["description"] == "" and rows[0]["address"] != "清水村3组李家门口"
    hidden = client.get(f"/open311/v2/requests/{sensitive.tracking_number}.json?api_key={api_key}")
    assert hidden.status_code == 404


def test_a_revoked_key_stops_working_at_once_and_the_revocation_is_audited(client, api_key, categories):
    assert client.post("/open311/v2/requests.json", {**POST, "api_key": api_key}).status_code == 201
    assert "已吊销" in _shuxiang("open311", "revoke", "12345热线")[-1]
    refused = client.post(
        "/open311/v2/requests.json", {**POST, "api_key": api_key, "description": "又有垃圾"}
    )
    assert refused.status_code == 403 and Case.objects.count() == 1
    entry = AuditEntry.objects.get(action="update", object_type="cases.open311key")
    assert entry.changes["revoked_at"][0] is None and entry.changes["revoked_at"][1]


def test_a_client_gets_a_new_key_only_after_the_old_one_is_revoked(db):
    do_issue_open311_key("县政务App", actor=OPERATOR)
    with pytest.raises(Exception, match="已有有效的 Open311 密钥"):
        _shuxiang("open311", "key", "县政务App")
    _shuxiang("open311", "revoke", "县政务App")
    assert _shuxiang("open311", "key", "县政务App")[-1].startswith("o311_")
    assert Open311Key.objects.filter(name="县政务App").count() == 2
    with pytest.raises(Exception, match="没有名为"):
        _shuxiang("open311", "revoke", "不存在的客户端")


def test_a_photo_of_absurd_dimensions_is_refused_with_400_not_500(client, api_key, categories):
    width = height = 20000  # a 1-bit PNG: tens of kilobytes on the wire, 400 megapixels decoded
    row, squeeze = bytes(1 + width // 8), zlib.compressobj(9)
    data = b"".join([squeeze.compress(row) for _ in range(height)] + [squeeze.flush()])

    def chunk(kind, body):
        return len(body).to_bytes(4, "big") + kind + body + zlib.crc32(kind + body).to_bytes(4, "big")

    header = width.to_bytes(4, "big") + height.to_bytes(4, "big") + bytes([1, 0, 0, 0, 0])
    png = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", data) + chunk(b"IEND", b"")
    response = client.post(
        "/open311/v2/requests.json",
        {**POST, "api_key": api_key, "media": SimpleUploadedFile("a.png", png, content_type="image/png")},
    )
    assert response.status_code == 400 and response.json()[0]["error_code"] == "image_too_large"
    assert not Case.objects.exists()
