import json
import re

import pytest
from django.core.cache import cache
from django.test import Client

from shuxiang.core.actors import OPERATOR, Actor
from shuxiang.trace import services
from shuxiang.trace.tests.conftest import days_ago
from shuxiang.trace.tests.test_services import life

pytestmark = pytest.mark.django_db


@pytest.fixture
def shipped(lot, farm):
    cache.clear()
    life(lot, farm["account"])
    services.do_issue_certificate(lot, actor=farm["account"], quantity=2000)
    lot.refresh_from_db()
    return lot


def test_the_public_page_shows_product_producer_origin_tests_timeline_and_certificate(shipped):
    response = Client().get("/01/06901234567892/10/2025A01")
    assert response.status_code == 200
    page = response.content.decode()
    for text in (
        "清水贡米",
        "清水村稻米专业合作社",
        "泉交河镇",
        "清水村水稻基地",
        "农药残留快速检测",
        "合格",
        "氯虫苯甲酰胺",
        "安全间隔期 21 天",
        "承诺达标合格证",
        "益阳市农贸市场",
        "投诉举报（12315）",
        "土壤检测",
    ):
        assert text in page, text
    assert "13907371234" not in page and "139****1234" in page


def test_the_public_page_loads_nothing_from_outside_and_has_no_inline_script(shipped):
    page = Client().get(shipped.public_path).content.decode()
    for url in re.findall(r'(?:src|href)="([^"]+)"', page):
        assert url.startswith(("/", "#")), url
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", page)


def test_the_public_page_sets_no_cookie_and_may_be_cached(shipped):
    response = Client().get(shipped.public_path)
    assert not response.cookies
    assert "public" in response["Cache-Control"] and response["ETag"]
    again = Client().get(shipped.public_path, HTTP_IF_NONE_MATCH=response["ETag"])
    assert again.status_code == 304


def test_a_repeat_scan_costs_no_query_and_a_new_event_shows_at_once(
    shipped, django_assert_num_queries, django_capture_on_commit_callbacks, farm
):
    Client().get(shipped.public_path)
    with django_assert_num_queries(0):
        assert Client().get(shipped.public_path).status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        services.do_record_event(
            shipped, actor=farm["account"], biz_step="receiving", counterparty="赫山区学校食堂"
        )
    assert "赫山区学校食堂" in Client().get(shipped.public_path).content.decode()


def test_json_is_given_for_the_traceability_link_type_and_for_accept_json(shipped):
    by_link = Client().get(shipped.public_path + "?linkType=gs1:traceability")
    by_accept = Client().get(shipped.public_path, HTTP_ACCEPT="application/json")
    assert by_link["Content-Type"] == by_accept["Content-Type"] == "application/json"
    data = json.loads(by_link.content)
    assert data["product"]["gtin"] == "06901234567892" and data["producer"]["name"] == "清水村稻米专业合作社"
    assert data["origin"]["place"] == "43090310320101"
    steps = [e["bizStep"] for e in data["events"]]
    assert steps == ["planting", "input_use", "harvesting", "inspecting", "packing", "shipping"]
    first = data["events"][0]
    assert (
        first["type"] == "ObjectEvent"
        and first["action"] == "ADD"
        and first["readPoint"]["id"] == "43090310320101"
    )
    assert len(first["ledger"]["hash"]) == 64 and data["certificate"]["number"].startswith("HG")


def test_a_corrected_event_is_shown_as_corrected_with_an_error_declaration(lot, farm):
    cache.clear()
    wrong = services.do_record_event(
        lot, actor=farm["account"], biz_step="planting", event_time=days_ago(3), quantity=3
    )
    services.do_record_event(
        lot, actor=farm["account"], biz_step="planting", event_time=days_ago(30), quantity=3, corrects=wrong
    )
    data = Client().get(lot.public_path, HTTP_ACCEPT="application/json").json()
    declared = [e for e in data["events"] if "errorDeclaration" in e]
    assert [e["id"] for e in declared] == [wrong.pk]
    assert "已更正" in Client().get(lot.public_path).content.decode()


def test_an_unknown_code_gets_a_friendly_404_page(db):
    response = Client().get("/01/06901234567892/10/NOPE")
    assert response.status_code == 404 and "未找到该追溯码" in response.content.decode()
    assert (
        Client().get("/01/06901234567892/10/NOPE", HTTP_ACCEPT="application/json").json()["code"]
        == "not_found"
    )


def test_the_short_code_redirects_to_the_digital_link(lot):
    response = Client().get(f"/t/{lot.short_code.lower()}")
    assert response.status_code == 302 and response["Location"] == "/01/06901234567892/10/2025A01"
    assert Client().head(lot.public_path).status_code == 200


def test_the_scan_beacon_counts_scans_and_far_apart_beacons_show_nothing_to_the_public(
    lot, django_capture_on_commit_callbacks
):
    from shuxiang.trace.models import Scan

    cache.clear()
    c = Client()
    url = f"/t/{lot.short_code}/scan"
    assert (
        c.post(url, json.dumps({"lat": 28.47, "lng": 112.6}), content_type="application/json").status_code
        == 204
    )
    again = c.post(url, json.dumps({"lat": 28.47, "lng": 112.6}), content_type="application/json")
    assert again.status_code == 204  # the same address within minutes counts once
    with django_capture_on_commit_callbacks(execute=True):
        response = c.post(
            url,
            json.dumps({"lat": 45.75, "lng": 126.63}),
            content_type="application/json",
            REMOTE_ADDR="10.9.9.9",
            HTTP_USER_AGENT="Mozilla/5.0 (iPhone) MicroMessenger",
        )
    assert response.status_code == 204
    lot.refresh_from_db()
    assert lot.scan_count == 2 and not lot.suspicious and lot.clue_reason == ""
    stored = Scan.objects.get(network="10.9.9.0/24")
    assert len(stored.agent) == 16 and "iPhone" not in stored.agent  # a hash, never the agent itself
    page = Client().get(lot.public_path).content.decode()
    assert "仿冒" not in page and 'id="counterfeit-warning"' not in page


def test_a_clue_stays_off_the_public_page_until_an_official_confirms_it(lot, cast):
    cache.clear()
    for ip, agent, lat, lng in [
        ("223.146.10.8", "phone A", 28.47, 112.60),
        ("117.136.5.20", "phone B", 28.55, 112.36),
        ("113.108.20.4", "phone C", 23.13, 113.26),
    ]:
        Client(REMOTE_ADDR=ip, HTTP_USER_AGENT=agent).post(
            f"/t/{lot.short_code}/scan", json.dumps({"lat": lat, "lng": lng}), content_type="application/json"
        )
    lot.refresh_from_db()
    assert lot.clue_reason
    assert 'id="counterfeit-warning"' not in Client().get(lot.public_path).content.decode()
    services.do_confirm_counterfeit(lot, actor=cast.township_a, note="广州某批发市场发现仿冒包装")
    cache.clear()
    page = Client().get(lot.public_path).content.decode()
    assert 'id="counterfeit-warning"' in page and "广州某批发市场发现仿冒包装" in page


def test_the_12315_button_opens_a_case_and_shows_its_tracking_number(lot):
    from shuxiang.cases.models import Case

    c = Client()
    form = c.get(f"/t/{lot.short_code}/12315").content.decode()
    key = re.search(r'name="submission_key" value="([0-9a-f]+)"', form).group(1)
    data = {"description": "米里有虫，包装破损", "purchase_place": "兰溪镇", "submission_key": key}
    response = c.post(f"/t/{lot.short_code}/12315", data)
    case = Case.objects.get()
    assert response.status_code == 200 and case.tracking_number in response.content.decode()
    track = re.search(r'id="track-link" href="([^"]+)"', response.content.decode()).group(1)
    assert track.startswith(f"/report/track/{case.tracking_number}/?key=")
    tracking = Client().get(track)
    assert tracking.status_code == 200 and case.tracking_number in tracking.content.decode()
    c.post(f"/t/{lot.short_code}/12315", data)
    assert Case.objects.count() == 1


def test_a_12315_complaint_without_a_description_is_refused_in_chinese(lot):
    from shuxiang.cases.models import Case

    response = Client().post(f"/t/{lot.short_code}/12315", {"description": "", "submission_key": "k" * 32})
    assert response.status_code == 400 and "该字段是必填项" in response.content.decode()
    assert not Case.objects.exists()


def test_the_label_sheet_is_a_pdf_of_qr_labels(lot, cast, client_for):
    response = client_for(cast.township_a).get(f"/trace/lots/{lot.pk}/labels.pdf?count=30")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert (
        response.content.startswith(b"%PDF")
        and response.content.count(b"/Type /Page\n") + response.content.count(b"/Type /Page ") >= 2
    )


def test_the_verify_endpoint_the_page_links_to_answers(shipped):
    data = Client().get("/api/v1/ledger/verify/?stream=trace").json()
    # producer, soil test, product, lot, six events and the certificate
    assert data["ok"] is True and data["entries"] == 4 + 6 + 1


def test_the_latest_readings_of_the_plots_monitoring_device_show_on_the_page(lot, farm, cast):
    from django.utils import timezone

    from shuxiang.iot import services as iot

    device, _ = iot.do_register_device(
        actor=OPERATOR,
        code="TRACE-FIELD01",
        protocol="http",
        place=farm["plot"].place,
        name="1号田墒情站",
        sensors=[{"key": "soil_moisture", "name": "土壤含水量", "unit": "%"}],
    )
    iot.do_ingest_one(device.code, [("soil_moisture", timezone.now(), 23.5)], actor=Actor.device(device.code))
    services.do_link_device(farm["plot"], actor=cast.township_a, device_code="TRACE-FIELD01")
    page = Client().get(lot.public_path).content.decode()
    assert "产地实时监测" in page and "土壤含水量" in page and "23.5" in page
    data = Client().get(lot.public_path, HTTP_ACCEPT="application/json").json()
    assert data["sensors"][0]["name"] == "土壤含水量" and data["sensors"][0]["value"] == 23.5


def test_linking_a_device_outside_the_officers_township_is_refused(farm, cast, places):
    from shuxiang.core.errors import ServiceError
    from shuxiang.iot import services as iot

    iot.do_register_device(actor=OPERATOR, code="LX-POND01", protocol="http", place=places.hamlet_b)
    with pytest.raises(ServiceError) as err:
        services.do_link_device(farm["plot"], actor=cast.township_a, device_code="LX-POND01")
    assert "device_code" in err.value.fields
    farm["plot"].refresh_from_db()
    assert farm["plot"].device is None


PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def test_a_test_report_is_attached_public_and_its_hash_is_chained(lot, farm, api_for):
    import hashlib

    from django.core.files.uploadedfile import SimpleUploadedFile

    from shuxiang.ledger.models import LedgerEntry

    api = api_for(farm["account"])
    response = api.post(
        f"/api/v1/trace/lots/{lot.pk}/events/",
        {
            "biz_step": "inspecting",
            "test_item": "农药残留检测",
            "test_passed": "true",
            "report": SimpleUploadedFile("report.pdf", PDF, content_type="application/pdf"),
        },
        format="multipart",
    )
    assert response.status_code == 201, response.json()
    event = response.json()
    assert event["report_sha256"] == hashlib.sha256(PDF).hexdigest()
    assert hashlib.sha256(PDF).hexdigest() in LedgerEntry.objects.get(seq=event["ledger_seq"]).body
    page = Client().get(lot.public_path).content.decode()
    assert f"/attachments/{event['report']}" in page


def test_a_consumer_without_an_account_downloads_the_public_test_report(lot, farm, api_for):
    from django.core.files.uploadedfile import SimpleUploadedFile

    event = (
        api_for(farm["account"])
        .post(
            f"/api/v1/trace/lots/{lot.pk}/events/",
            {
                "biz_step": "inspecting",
                "test_item": "农药残留检测",
                "test_passed": "true",
                "report": SimpleUploadedFile("report.pdf", PDF, content_type="application/pdf"),
            },
            format="multipart",
        )
        .json()
    )
    response = Client().get(f"/attachments/{event['report']}")
    assert response.status_code == 200 and b"".join(response.streaming_content) == PDF


def test_a_report_that_is_not_a_pdf_or_image_is_refused_and_nothing_is_written(lot, farm, api_for):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from shuxiang.core.models import Attachment
    from shuxiang.ledger.models import LedgerEntry
    from shuxiang.trace.models import TraceEvent

    response = api_for(farm["account"]).post(
        f"/api/v1/trace/lots/{lot.pk}/events/",
        {
            "biz_step": "inspecting",
            "test_item": "农药残留检测",
            "test_passed": "true",
            "report": SimpleUploadedFile(
                "report.exe", b"MZ\x90\x00 not a report", content_type="application/pdf"
            ),
        },
        format="multipart",
    )
    assert response.status_code == 400 and response.json()["code"] == "bad_file_type"
    assert (
        not TraceEvent.objects.exists()
        and not LedgerEntry.objects.filter(key__startswith="trace.event:").exists()
        and not Attachment.objects.exists()
    )


def test_the_lot_page_shows_scan_statistics_to_staff(lot, cast, client_for):
    services.do_record_scan(lot, actor=services.CONSUMER, ip="10.1.2.3", latitude=28.47, longitude=112.60)
    services.do_record_scan(lot, actor=services.CONSUMER, ip="10.7.2.3")
    page = client_for(cast.township_a).get(f"/trace/lots/{lot.pk}/").content.decode()
    assert '<b id="scan-total">2</b>' in page and "10.7.2.0/24" in page and "约 28.47, 112.6" in page
