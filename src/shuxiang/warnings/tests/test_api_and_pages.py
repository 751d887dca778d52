import xml.etree.ElementTree as ET

import pytest

from shuxiang.warnings.models import Endpoint, Warning
from shuxiang.warnings.tests.helpers import draft, endpoint, issue, later

pytestmark = pytest.mark.django_db


def test_warning_written_through_the_api_shows_status_areas_and_delivery_summary(
    officers, places, api_for, gateways, django_capture_on_commit_callbacks
):
    endpoint(places.village_a, gateways.url("qs"))
    gateways.down.add("/hh")
    endpoint(places.village_b, gateways.url("hh"))
    weather, emergency = api_for(officers.weather), api_for(officers.emergency)
    created = weather.post(
        "/api/v1/warnings/",
        {
            "signal_type": "heat",
            "colour": "orange",
            "headline": "高温橙色预警",
            "description": "未来24小时最高气温将升至37℃以上。",
            "areas": [places.village_a.code, places.village_b.code],
            "expires": later().isoformat(),
            "submit": True,
        },
        format="json",
    )
    assert created.status_code == 201, created.content
    pk = created.json()["id"]
    assert created.json()["status"] == "pending"
    assert weather.post(f"/api/v1/warnings/{pk}/approve/").json()["code"] == "same_person"
    assert (
        emergency.post(f"/api/v1/warnings/{pk}/approve/", {"note": "同意"}, format="json").status_code == 200
    )
    with django_capture_on_commit_callbacks(execute=True):
        issued = emergency.post(f"/api/v1/warnings/{pk}/issue/")
    assert issued.status_code == 200
    detail = weather.get(f"/api/v1/warnings/{pk}/").json()
    assert detail["status"] == "issued"
    assert [a["code"] for a in detail["areas"]] == [places.village_a.code, places.village_b.code]
    assert detail["deliveries"]["total"] == 2
    assert detail["deliveries"]["delivered"] == 1
    assert detail["deliveries"]["failed"] == 1
    rows = weather.get(f"/api/v1/warnings/{pk}/deliveries/").json()["results"]
    failed = next(r for r in rows if r["status"] == "failed")
    assert failed["place"] == places.village_b.code
    assert failed["attempts"] == 3
    assert failed["last_error"].startswith("终端返回 HTTP 503")
    assert {"endpoint", "place", "status", "attempts", "last_error"} <= set(failed)


def test_bad_authoring_input_gets_the_error_shape_and_writes_nothing(officers, places, api_for):
    response = api_for(officers.weather).post(
        "/api/v1/warnings/",
        {
            "signal_type": "hail",
            "colour": "blue",
            "headline": "x",
            "description": "x",
            "areas": [places.village_a.code],
            "expires": later().isoformat(),
        },
        format="json",
    )
    assert response.status_code == 400
    assert response.json() == {
        "code": "invalid",
        "message": "预警信息有误：冰雹预警只有橙色、红色",
        "fields": {"colour": ["冰雹预警只有橙色、红色"]},
    }
    assert not Warning.objects.exists()


def test_endpoints_are_registered_by_place_code(cast, places, api_for):
    api = api_for(cast.township_a)
    ok = api.post(
        "/api/v1/warnings/endpoints/",
        {
            "name": "清水村大喇叭",
            "place": places.village_a.code,
            "adapter": "http",
            "url": "http://10.0.0.8/ebm",
        },
        format="json",
    )
    assert ok.status_code == 201, ok.content
    assert ok.json()["place"] == places.village_a.code
    other = api.post(
        "/api/v1/warnings/endpoints/",
        {"name": "荷花村大喇叭", "place": places.village_b.code, "adapter": "mqtt", "topic": "lx/hh"},
        format="json",
    )
    assert other.status_code == 403
    assert other.json()["code"] == "out_of_scope"
    assert other.json()["fields"] == {"place": ["荷花村不在管辖范围内"]}
    no_url = api.post(
        "/api/v1/warnings/endpoints/",
        {"name": "无地址", "place": places.village_a.code, "adapter": "http"},
        format="json",
    )
    assert no_url.status_code == 400
    assert "url" in no_url.json()["fields"]
    assert list(Endpoint.objects.values_list("name", flat=True)) == ["清水村大喇叭"]
    assert api_for(cast.township_b).get(f"/api/v1/warnings/endpoints/{ok.json()['id']}/").status_code == 404


def test_township_officer_sees_warnings_for_their_villages_and_the_district_but_not_others(
    officers, cast, places, api_for, django_capture_on_commit_callbacks
):
    mine = issue(officers, [places.village_a.code], django_capture_on_commit_callbacks, colour="blue")
    theirs = issue(officers, [places.village_b.code], django_capture_on_commit_callbacks, colour="blue")
    everyone = issue(officers, [places.district.code], django_capture_on_commit_callbacks, colour="blue")
    unsent = draft(officers, [places.village_a.code], colour="blue")
    api = api_for(cast.township_a)
    ids = {w["id"] for w in api.get("/api/v1/warnings/").json()["results"]}
    assert ids == {mine.pk, everyone.pk}
    assert api.get(f"/api/v1/warnings/{theirs.pk}/").status_code == 404
    assert api.get(f"/api/v1/warnings/{unsent.pk}/").status_code == 404
    assert api_for(cast.grid_a).get(f"/api/v1/warnings/{mine.pk}/").status_code == 200


def test_atom_feed_per_township_lists_only_warnings_for_that_township(
    officers, places, client, django_capture_on_commit_callbacks
):
    issue(
        officers,
        [places.village_a.code],
        django_capture_on_commit_callbacks,
        colour="blue",
        headline="清水村大风",
    )
    issue(
        officers,
        [places.village_b.code],
        django_capture_on_commit_callbacks,
        colour="blue",
        headline="荷花村大风",
    )
    ns = {"a": "http://www.w3.org/2005/Atom"}

    def titles(url):
        response = client.get(url)
        assert response.status_code == 200
        assert response["Content-Type"].startswith("application/atom+xml")
        return [e.find("a:title", ns).text for e in ET.fromstring(response.content).findall("a:entry", ns)]

    county = titles("/warnings/feed.atom")
    assert len(county) == 2
    township = titles(f"/warnings/feed.atom?place={places.township_a.code}")
    assert township == ["暴雨蓝色预警：清水村大风"]
    assert client.get("/warnings/feed.atom?place=430903999000").status_code == 404


def test_authoring_page_offers_the_place_tree_and_saves_a_draft(officers, places, client_for):
    c = client_for(officers.weather)
    page = c.get("/warnings/new/").content.decode()
    assert "泉交河镇" in page and 'name="areas"' in page
    villages = c.get(f"/warnings/places/{places.township_a.code}/").content.decode()
    assert places.village_a.code in villages
    response = c.post(
        "/warnings/new/",
        {
            "signal_type": "rainstorm",
            "colour": "yellow",
            "headline": "暴雨黄色预警",
            "description": "预计未来6小时降雨量将达50毫米以上。",
            "instruction": "",
            "expires": later().strftime("%Y-%m-%dT%H:%M"),
            "urgency": "Expected",
            "certainty": "Likely",
            "areas": [places.village_a.code],
            "intent": "save",
        },
    )
    warning = Warning.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/warnings/{warning.pk}/"
    assert warning.instruction.startswith("做好防暴雨工作")
    detail = c.get(f"/warnings/{warning.pk}/").content.decode()
    assert 'id="issue"' in detail


def test_authoring_form_with_no_area_shows_a_chinese_error_and_writes_nothing(officers, client_for):
    response = client_for(officers.weather).post(
        "/warnings/new/",
        {
            "signal_type": "rainstorm",
            "colour": "yellow",
            "headline": "x",
            "description": "x",
            "expires": later().strftime("%Y-%m-%dT%H:%M"),
            "urgency": "Expected",
            "certainty": "Likely",
        },
    )
    assert response.status_code == 200
    assert "请至少选择一个乡镇或村" in response.content.decode()
    assert not Warning.objects.exists()


def test_approver_approves_and_issues_from_the_pages_and_the_board_shows_delivery(
    officers, places, client_for, gateways, django_capture_on_commit_callbacks
):
    endpoint(places.village_a, gateways.url("qs"))
    warning = draft(officers, [places.village_a.code], colour="red")
    author, approver = client_for(officers.weather), client_for(officers.emergency)
    author.post(f"/warnings/{warning.pk}/submit/")
    assert "等待另一人审批" in author.get(f"/warnings/{warning.pk}/").content.decode()
    queue = approver.get("/warnings/approvals/").content.decode()
    assert warning.headline in queue
    approver.post(f"/warnings/{warning.pk}/approve/", {"note": "同意"})
    with django_capture_on_commit_callbacks(execute=True):
        approver.post(f"/warnings/{warning.pk}/issue/")
    board = approver.get(f"/warnings/{warning.pk}/board/").content.decode()
    assert 'id="kpi-reached" class="ok">1<' in board
    assert "泉交河镇" in board
    assert "hx-trigger" not in board  # nothing left to poll for


def test_statistics_count_by_type_colour_and_township_and_export(
    officers, places, client_for, django_capture_on_commit_callbacks
):
    issue(officers, [places.village_a.code], django_capture_on_commit_callbacks, colour="red")
    issue(officers, [places.district.code], django_capture_on_commit_callbacks, colour="blue", signal="gale")
    c = client_for(officers.weather)
    page = c.get("/warnings/stats/").content.decode()
    assert 'id="stat-total">2<' in page
    assert 'id="stats-chart"' in page and "warnings/stats.js" in page
    only_b = c.get(f"/warnings/stats/?township={places.township_b.code}").content.decode()
    assert 'id="stat-total">1<' in only_b
    csv_text = c.get("/warnings/stats/?export=csv").content.decode("utf-8-sig")
    assert csv_text.splitlines()[0].startswith("标识符,信号类型,颜色")
    assert "暴雨,红色" in csv_text and "大风,蓝色" in csv_text
    xlsx = c.get("/warnings/stats/?export=xlsx")
    assert xlsx["Content-Type"].startswith("application/vnd.openxmlformats")


def test_failed_deliveries_show_on_the_home_page_and_link_to_the_warnings_concerned(
    officers, places, client_for, gateways, django_capture_on_commit_callbacks
):
    gateways.down.add("/qs")
    endpoint(places.village_a, gateways.url("qs"))
    failing = issue(officers, [places.village_a.code], django_capture_on_commit_callbacks, colour="blue")
    fine = issue(officers, [places.village_b.code], django_capture_on_commit_callbacks, colour="blue")
    c = client_for(officers.weather)
    assert "预警送达失败的广播终端" in c.get("/").content.decode()
    listed = c.get("/warnings/?failed=true").content.decode()
    assert f"/warnings/{failing.pk}/" in listed
    assert f"/warnings/{fine.pk}/" not in listed


def test_update_page_writes_an_update_that_keeps_the_signal_and_refers_to_the_original(
    officers, places, client_for, django_capture_on_commit_callbacks
):
    original = issue(
        officers, [places.village_a.code], django_capture_on_commit_callbacks, colour="blue", signal="gale"
    )
    c = client_for(officers.weather)
    assert "编写更新" in c.get(f"/warnings/{original.pk}/").content.decode()
    form = c.get(f"/warnings/{original.pk}/update/").content.decode()
    assert original.headline in form
    response = c.post(
        f"/warnings/{original.pk}/update/",
        {
            "colour": "yellow",
            "headline": "大风升级为黄色",
            "description": "风力加大。",
            "instruction": "",
            "expires": later().strftime("%Y-%m-%dT%H:%M"),
            "urgency": "Expected",
            "certainty": "Likely",
            "areas": [places.village_a.code],
        },
    )
    update = Warning.objects.get(msg_type="Update")
    assert response["Location"] == f"/warnings/{update.pk}/"
    assert (update.references, update.signal_type.code, update.colour) == (original, "gale", "yellow")
    assert update.instruction.startswith("停止露天活动")  # the guide of the new colour


def test_endpoint_form_refuses_an_http_endpoint_without_address_in_chinese(cast, places, client_for):
    c = client_for(cast.township_a)
    response = c.post(
        "/warnings/endpoints/new/",
        {
            "name": "清水村大喇叭",
            "place": places.village_a.code,
            "adapter": "http",
            "url": "",
            "is_active": "on",
        },
    )
    assert response.status_code == 400
    assert "HTTP 终端须填写以 http:// 或 https:// 开头的推送地址" in response.content.decode()
    assert not Endpoint.objects.exists()
    ok = c.post(
        "/warnings/endpoints/new/",
        {
            "name": "清水村大喇叭",
            "place": places.village_a.code,
            "adapter": "http",
            "url": "http://10.0.0.8/ebm",
        },
    )
    endpoint_obj = Endpoint.objects.get()
    assert ok["Location"] == f"/warnings/endpoints/{endpoint_obj.pk}/"
    assert "清水村大喇叭" in c.get("/warnings/endpoints/").content.decode()
