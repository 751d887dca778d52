import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client, override_settings

from shuxiang.cases import services
from shuxiang.cases.choices import CaseState
from shuxiang.cases.models import Case
from shuxiang.cases.tests.conftest import jpeg_bytes
from shuxiang.core.models import Attachment

pytestmark = pytest.mark.django_db


def report_data(places, **overrides):
    data = {
        "category": "rubbish",
        "description": "村口垃圾堆放三天无人清理",
        "village": places.village_a.code,
        "latitude": "",
        "longitude": "",
        "phone": "13800138000",
        "reporter_name": "李女士",
        "submission_key": "k-" + overrides.pop("key", "1"),
    }
    data.update(overrides)
    return data


def test_a_resident_reports_from_the_phone_page_and_lands_on_the_tracking_page(
    client, places, cast, categories
):
    page = client.get("/report/")
    assert page.status_code == 200 and "我要反映问题" in page.content.decode()
    photo = SimpleUploadedFile("a.jpg", jpeg_bytes(), content_type="image/jpeg")
    response = client.post("/report/", report_data(places, photos=photo), follow=True)
    case = Case.objects.get()
    html = response.content.decode()
    assert case.tracking_number in html and "提交成功" in html and 'id="reporter-actions"' in html
    assert case.place == places.village_a and case.unit.name == "泉交河镇人民政府"
    assert Attachment.objects.filter(owner_id=str(case.pk)).count() == 1


def test_a_double_submitted_form_creates_one_case(client, places, categories):
    client.post("/report/", report_data(places))
    client.post("/report/", report_data(places))
    assert Case.objects.count() == 1


def test_a_report_without_a_place_is_refused_in_chinese_and_nothing_is_written(client, places, categories):
    response = client.post("/report/", report_data(places, village=""))
    assert response.status_code == 400
    assert "请定位、在地图上选点或选择所在村" in response.content.decode()
    assert not Case.objects.exists()


def test_a_report_from_outside_the_county_is_refused(client, places, categories):
    response = client.post("/report/", report_data(places, village="", latitude="39.9", longitude="116.4"))
    assert response.status_code == 400 and "不在赫山区范围内" in response.content.decode()
    assert not Case.objects.exists()


@override_settings(REST_FRAMEWORK={"DEFAULT_THROTTLE_RATES": {"anon_submit": "2/hour"}})
def test_anonymous_reports_are_rate_limited_per_client(places, categories):
    phone = Client(REMOTE_ADDR="10.0.0.7")
    for i in range(2):
        assert phone.post("/report/", report_data(places, key=str(i))).status_code == 302
    third = phone.post("/report/", report_data(places, key="3"))
    assert third.status_code == 429 and "提交过于频繁" in third.content.decode()
    other = Client(REMOTE_ADDR="10.0.0.8")
    assert other.post("/report/", report_data(places, key="4")).status_code == 302
    assert Case.objects.count() == 3


def test_the_reporter_confirms_and_rates_from_the_tracking_page(client, places, cast, categories):
    client.post("/report/", report_data(places))
    case = Case.objects.get()
    case = services.do_accept_case(case, actor=cast.township_a)
    case = services.do_resolve_case(case, actor=cast.township_a, note="已清运完毕")
    url = f"/report/track/{case.tracking_number}/"
    assert "问题已解决，确认" in client.get(url).content.decode()
    client.post(url + "confirm/")
    client.post(url + "rate/", {"rating": "4", "comment": "及时"})
    case.refresh_from_db()
    assert case.state == CaseState.CLOSED and case.rating == 4


def test_a_stranger_with_the_tracking_number_cannot_act_or_read_personal_details(
    client, places, cast, categories
):
    client.post("/report/", report_data(places))
    case = Case.objects.get()
    case = services.do_accept_case(case, actor=cast.township_a)
    case = services.do_resolve_case(case, actor=cast.township_a, note="已清运完毕")
    stranger = Client()
    url = f"/report/track/{case.tracking_number}/"
    html = stranger.get(url).content.decode()
    assert "reporter-actions" not in html and "13800138000" not in html and "李女士" not in html
    response = stranger.post(url + "reopen/", {"reason": "没有解决"}, follow=True)
    assert "只有反映人本人" in response.content.decode()
    assert Case.objects.get().state == CaseState.RESOLVED


def test_the_public_list_and_map_show_no_personal_data_and_no_sensitive_cases(client, open_case):
    shown = open_case()
    hidden = open_case(category="food", description="小卖部出售过期食品")
    html = client.get("/public/cases/").content.decode()
    assert shown.tracking_number in html and hidden.tracking_number not in html
    assert "李女士" not in html and "138" not in html and "垃圾堆放三天" not in html
    features = client.get("/public/cases/map.json").json()["features"]
    assert [f["properties"]["n"] for f in features] == [shown.tracking_number]
    assert set(features[0]["properties"]) == {"n", "c", "s", "o", "d"}
    filtered = client.get("/public/cases/?township=430903111000").content.decode()
    assert shown.tracking_number not in filtered


def test_staff_queue_is_sorted_by_deadline_and_answers_htmx_with_the_table(client_for, cast, open_case):
    later = open_case()
    sooner = open_case(category="road", description="村道路面塌陷一个大坑")
    web = client_for(cast.township_a)
    html = web.get("/cases/queue/").content.decode()
    assert html.index(sooner.tracking_number) < html.index(later.tracking_number)
    partial = web.get("/cases/queue/?state=submitted", HTTP_HX_REQUEST="true").content.decode()
    assert "<html" not in partial and sooner.tracking_number in partial


def test_a_grid_worker_sees_their_village_cases_in_their_queue_but_not_others(
    client_for, cast, open_case, places
):
    own = open_case()
    other = open_case(place=places.hamlet_b.code)
    html = client_for(cast.grid_a).get("/cases/queue/").content.decode()
    assert own.tracking_number in html and other.tracking_number not in html


def test_staff_accept_dispatch_and_resolve_through_htmx_forms(client_for, cast, open_case):
    case = open_case()
    officer = client_for(cast.township_a)
    panel = officer.post(f"/cases/{case.pk}/accept/", {"note": ""}, HTTP_HX_REQUEST="true").content.decode()
    assert 'id="case-panel"' in panel and "已受理" in panel
    officer.post(
        f"/cases/{case.pk}/dispatch/", {"assignee": "t_grid", "note": "请处理"}, HTTP_HX_REQUEST="true"
    )
    grid = client_for(cast.grid_a)
    photo = SimpleUploadedFile("done.jpg", jpeg_bytes(), content_type="image/jpeg")
    panel = grid.post(
        f"/cases/{case.pk}/resolve/", {"note": "已清运完毕", "photos": photo}, HTTP_HX_REQUEST="true"
    )
    assert "已办结" in panel.content.decode()
    assert Case.objects.get(pk=case.pk).state == CaseState.RESOLVED


def test_an_illegal_staff_transition_shows_the_reason_and_changes_nothing(client_for, cast, open_case):
    case = open_case()
    panel = client_for(cast.township_a).post(
        f"/cases/{case.pk}/resolve/", {"note": "已处理好了"}, HTTP_HX_REQUEST="true"
    )
    assert "不能办结" in panel.content.decode()
    assert Case.objects.get(pk=case.pk).state == CaseState.SUBMITTED


def test_another_township_gets_404_on_the_case_page(client_for, cast, open_case):
    case = open_case()
    other = client_for(cast.township_b)
    assert other.get(f"/cases/{case.pk}/").status_code == 404
    assert other.post(f"/cases/{case.pk}/accept/", {}).status_code == 404


def test_the_escalated_view_lists_overdue_cases_for_supervisors(client_for, cast, open_case):
    case = open_case()
    services.do_escalate_case(case, actor=cast.township_a, reason="群众多次反映")
    html = client_for(cast.district).get("/cases/escalated/").content.decode()
    assert case.tracking_number in html
    assert client_for(cast.grid_a).get("/cases/escalated/").status_code == 403


def test_home_page_shows_pending_cases(client_for, cast, open_case):
    open_case()
    html = client_for(cast.township_a).get("/").content.decode()
    assert "待受理事件" in html


def test_statistics_page_and_configuration_pages_render(client_for, cast, open_case, places):
    open_case()
    admin = client_for(cast.district)
    assert "泉交河镇" in admin.get("/cases/stats/").content.decode()
    assert "垃圾堆放" in admin.get("/cases/stats/?by=category&since=2020-01-01").content.decode()
    assert admin.get("/cases/categories/").status_code == 200
    response = admin.post(
        "/cases/routing/",
        {"place": places.township_a.code, "unit": cast.township_a.unit_id, "notify_grid": "on"},
    )
    assert response.status_code == 302
    assert "泉交河镇人民政府" in admin.get("/cases/routing/").content.decode()
    assert client_for(cast.township_a).get("/cases/routing/").status_code == 403


def test_the_reporter_phone_is_masked_and_revealed_only_with_the_permission(client_for, cast, open_case):
    case = open_case()
    html = client_for(cast.district).get(f"/cases/{case.pk}/").content.decode()
    assert "138****8000" in html and "13800138000" not in html
    revealed = client_for(cast.district).post(f"/cases/{case.pk}/reveal/").content.decode()
    assert "13800138000" in revealed
    assert client_for(cast.township_a).post(f"/cases/{case.pk}/reveal/").status_code == 403


def test_an_administrator_registers_a_holiday_that_deadlines_then_skip(client_for, cast):
    from shuxiang.cases.models import WorkCalendarDay

    admin = client_for(cast.district)
    admin.post("/cases/calendar/", {"date": "2026-10-01", "is_workday": "0", "name": "国庆节"})
    assert WorkCalendarDay.objects.get(date="2026-10-01").is_workday is False
    assert (
        client_for(cast.township_a)
        .post("/cases/calendar/", {"date": "2026-10-02", "is_workday": "0"})
        .status_code
        == 403
    )


def test_the_queue_and_the_api_list_do_not_query_per_case(client_for, api_for, cast, open_case):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    web, api = client_for(cast.township_a), api_for(cast.township_a)

    def counts():
        with CaptureQueriesContext(connection) as page:
            web.get("/cases/queue/")
        with CaptureQueriesContext(connection) as listed:
            api.get("/api/v1/cases/")
        return len(page), len(listed)

    open_case()
    counts()  # the token's first use records last_used_at once
    few = counts()
    for _ in range(8):
        open_case()
    assert counts() == few
