"""Who may do what with warnings (issue 12): typed actors, the gateway role, approvals, public feeds."""

import pytest

from shuxiang.core import services as core_services
from shuxiang.core.actors import OPERATOR, Actor
from shuxiang.core.choices import Role
from shuxiang.core.errors import Forbidden, ServiceError
from shuxiang.core.models import AuditEntry, Notification
from shuxiang.testing import PASSWORD
from shuxiang.warnings import services
from shuxiang.warnings.models import Delivery, Endpoint, Warning
from shuxiang.warnings.speech import do_attach_speech
from shuxiang.warnings.tests.helpers import draft, endpoint, issue, later
from shuxiang.warnings.tests.test_cap import cap_xml

pytestmark = pytest.mark.django_db

RECEIPTS = "/api/v1/warnings/receipts/"


def reservoir_warning(actor, places, **extra):
    return services.do_create_warning(
        actor=actor,
        signal_type="reservoir",
        colour="orange",
        headline="某水库水位超汛限",
        description="水库水位超过汛限水位0.5米，下游村组注意。",
        areas=[places.village_a.code],
        expires=later(),
        **extra,
    )


# --- typed actors ------------------------------------------------------------------------------


@pytest.mark.parametrize("bad", ["cli", "alarm:reservoir-7", "monitoring:t_weather", None])
def test_every_service_refuses_a_bare_string_or_missing_actor_and_writes_nothing(officers, places, bad):
    warning = draft(officers, [places.village_a.code], colour="blue")
    ep = endpoint(places.village_a, "http://127.0.0.1:9/qs")
    before = (Warning.objects.count(), Endpoint.objects.count(), AuditEntry.objects.count())
    calls = {
        "create": lambda: reservoir_warning(bad, places),
        "edit": lambda: services.do_edit_warning(warning, actor=bad, headline="改"),
        "submit": lambda: services.do_submit_warning(warning, actor=bad),
        "approve": lambda: services.do_approve_warning(warning, actor=bad),
        "reject": lambda: services.do_reject_warning(warning, actor=bad, note="不同意"),
        "issue": lambda: services.do_issue_warning(warning, actor=bad),
        "update": lambda: services.do_update_warning(warning, actor=bad, headline="改"),
        "cancel": lambda: services.do_cancel_warning(warning, actor=bad),
        "resend": lambda: services.do_resend(warning, actor=bad),
        "receipt": lambda: services.do_record_receipt(actor=bad, token="x" * 32, status="played"),
        "endpoint": lambda: services.do_create_endpoint(
            actor=bad, name="新喇叭", place=places.village_a.code, adapter="http", url="http://10.0.0.1/"
        ),
        "endpoint_edit": lambda: services.do_update_endpoint(ep, actor=bad, name="改名"),
        "import": lambda: services.do_import_cap(cap_xml(), actor=bad),
        "speech": lambda: do_attach_speech(warning, actor=bad),
    }
    for name, call in calls.items():
        with pytest.raises(TypeError):
            call()
            pytest.fail(f"{name} accepted {bad!r} as an actor")
    assert (Warning.objects.count(), Endpoint.objects.count(), AuditEntry.objects.count()) == before


def test_reservoir_alarm_writes_and_submits_as_the_water_system_actor_but_cannot_approve(officers, places):
    water = Actor.system("water")
    warning = reservoir_warning(water, places, submit=True)
    assert (warning.status, warning.author, warning.author_label) == ("pending", None, "system:water")
    with pytest.raises(Forbidden):
        services.do_approve_warning(warning, actor=water)
    with pytest.raises(Forbidden):
        reservoir_warning(Actor.system("tasks"), places)
    assert Warning.objects.count() == 1


def test_a_person_acting_through_another_app_is_the_author_and_may_not_skip_approval(officers, places):
    on_behalf = Actor.on_behalf(officers.weather, via="water")
    with pytest.raises(ServiceError) as refused:
        reservoir_warning(on_behalf, places, immediate=True)
    assert refused.value.code == "approval_required"
    warning = reservoir_warning(on_behalf, places)
    assert warning.author == officers.weather
    entry = AuditEntry.objects.filter(object_type="warnings.warning", action="create").get()
    assert entry.actor == officers.weather and "经water" in entry.actor_label


# --- approving -----------------------------------------------------------------------------------


def test_grid_worker_gets_403_on_approving_and_the_warning_stays_pending(
    officers, cast, places, client_for, api_for
):
    warning = draft(officers, [places.village_a.code])
    services.do_submit_warning(warning, actor=officers.weather)
    assert (
        client_for(cast.grid_a).post(f"/warnings/{warning.pk}/approve/", {"note": "同意"}).status_code == 403
    )
    assert api_for(cast.grid_a).post(f"/api/v1/warnings/{warning.pk}/approve/").status_code == 403
    with pytest.raises(Forbidden):
        services.do_approve_warning(warning, actor=cast.grid_a)
    warning.refresh_from_db()
    assert (warning.status, warning.approver) == ("pending", None)


def test_bureau_without_warning_duty_neither_approves_nor_sees_drafts(
    officers, cast, places, client_for, api_for, django_capture_on_commit_callbacks
):
    pending = draft(officers, [places.village_a.code])
    services.do_submit_warning(pending, actor=officers.weather)
    published = issue(officers, [places.village_a.code], django_capture_on_commit_callbacks, colour="blue")
    with pytest.raises(Forbidden):
        services.do_approve_warning(pending, actor=cast.department)
    api = api_for(cast.department)
    assert api.get(f"/api/v1/warnings/{pending.pk}/").status_code == 404
    assert api.get(f"/api/v1/warnings/{published.pk}/").status_code == 200
    assert "待审批的预警" not in client_for(cast.department).get("/").content.decode()


def test_approval_work_is_shown_only_to_approvers_and_goes_away_once_another_approver_decides(
    officers, cast, places, client_for, django_capture_on_commit_callbacks
):
    warning = draft(officers, [places.village_a.code])
    with django_capture_on_commit_callbacks(execute=True):
        services.do_submit_warning(warning, actor=officers.weather)
    notified = set(
        Notification.objects.filter(kind="warning.approval").values_list("recipient__username", flat=True)
    )
    assert {officers.emergency.username, cast.district.username} <= notified
    assert not notified & {officers.weather.username, cast.township_a.username, cast.grid_a.username}
    assert not notified & {cast.department.username, cast.gateway.username}
    district = client_for(cast.district)
    assert "待审批的预警" in district.get("/").content.decode()
    for user in (cast.township_a, cast.village_a, cast.grid_a, officers.weather):
        assert "待审批的预警" not in client_for(user).get("/").content.decode()

    services.do_approve_warning(warning, actor=officers.emergency, note="同意")
    assert "待审批的预警" not in district.get("/").content.decode()
    assert not Notification.objects.filter(kind="warning.approval", read_at__isnull=True).exists()


# --- the loudspeaker gateway role --------------------------------------------------------------


def test_gateway_account_posts_a_receipt_and_gets_403_everywhere_else(
    officers, cast, places, gateways, api_for, client_for, django_capture_on_commit_callbacks
):
    endpoint(places.village_a, gateways.url("qs"))
    warning = issue(officers, [places.village_a.code], django_capture_on_commit_callbacks, colour="blue")
    token = gateways.messages_for("qs")[0]["receipt_token"]
    gateway = api_for(cast.gateway)
    played = gateway.post(RECEIPTS, {"token": token, "status": "played"}, format="json")
    assert played.status_code == 200, played.content
    assert Delivery.objects.get(token=token).status == "played"
    entry = AuditEntry.objects.filter(object_type="warnings.delivery").latest("pk")
    assert entry.actor == cast.gateway

    new_endpoint = {
        "name": "网关自建",
        "place": places.village_a.code,
        "adapter": "http",
        "url": "http://10.0.0.9/",
    }
    assert gateway.get("/api/v1/warnings/endpoints/").status_code == 403
    assert gateway.post("/api/v1/warnings/endpoints/", new_endpoint, format="json").status_code == 403
    assert gateway.get("/api/v1/warnings/").status_code == 403
    assert gateway.get(f"/api/v1/warnings/{warning.pk}/deliveries/").status_code == 403
    assert gateway.post(f"/api/v1/warnings/{warning.pk}/resend/").status_code == 403
    assert client_for(cast.gateway).get("/warnings/").status_code == 403
    assert Endpoint.objects.count() == 1


def test_receipts_need_a_gateway_account_and_stay_within_its_region(
    officers, cast, places, gateways, api_for, anon_api, django_capture_on_commit_callbacks
):
    endpoint(places.village_a, gateways.url("qs"))
    issue(officers, [places.village_a.code], django_capture_on_commit_callbacks, colour="blue")
    token = gateways.messages_for("qs")[0]["receipt_token"]
    played = {"token": token, "status": "played"}
    assert anon_api.post(RECEIPTS, played, format="json").status_code == 401
    assert api_for(cast.township_a).post(RECEIPTS, played, format="json").status_code == 403
    lanxi_gateway = core_services.do_create_user(
        actor=OPERATOR, username="t_gateway_lx", role=Role.GATEWAY, place=places.township_b, password=PASSWORD
    )
    elsewhere = api_for(lanxi_gateway).post(RECEIPTS, played, format="json")
    assert elsewhere.status_code == 404
    assert elsewhere.json()["code"] == "unknown_delivery"
    assert Delivery.objects.get(token=token).status == "delivered"


# --- endpoints ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("http://10.0.0.8/ebm\x01", "推送地址不能含空格、换行或其他控制字符"),
        ("http://10.0.0.8/ebm\r\nX-Injected: 1", "推送地址不能含空格、换行或其他控制字符"),
        ("http://10.0.0.8/村 部", "推送地址不能含空格、换行或其他控制字符"),
        ("http://10.0.0.8/村部", "推送地址只能含 ASCII 字符（中文路径或域名请先编码）"),
        ("http://10.0.0.8:99999/ebm", "推送地址格式错误（端口或主机名无效）"),
        ("http:///ebm", "推送地址缺少主机名"),
    ],
)
def test_endpoint_address_that_cannot_be_sent_to_is_refused_in_chinese_and_nothing_is_written(
    cast, places, api_for, url, reason
):
    api = api_for(cast.township_a)
    body = {"name": "清水村大喇叭", "place": places.village_a.code, "adapter": "http", "url": url}
    before = AuditEntry.objects.exclude(action="refused").count()
    response = api.post("/api/v1/warnings/endpoints/", body, format="json")
    assert response.status_code == 400, response.content
    assert response.json() == {
        "code": "invalid",
        "message": f"终端信息有误：{reason}",
        "fields": {"url": [reason]},
    }
    assert not Endpoint.objects.exists()
    assert AuditEntry.objects.exclude(action="refused").count() == before


def test_registered_endpoint_is_located_at_its_api_address_and_keeps_a_clean_push_address(
    cast, places, api_for
):
    api = api_for(cast.township_a)
    body = {
        "name": "清水村大喇叭",
        "place": places.village_a.code,
        "adapter": "http",
        "url": "http://10.0.0.8/ebm",
    }
    created = api.post("/api/v1/warnings/endpoints/", body, format="json")
    assert created.status_code == 201
    pk = created.json()["id"]
    assert created["Location"].endswith(f"/api/v1/warnings/endpoints/{pk}/")
    bad = api.patch(f"/api/v1/warnings/endpoints/{pk}/", {"url": "http://10.0.0.8/\x7f"}, format="json")
    assert bad.status_code == 400
    assert Endpoint.objects.get(pk=pk).url == "http://10.0.0.8/ebm"


# --- public feeds ------------------------------------------------------------------------------


def test_public_cap_and_atom_carry_only_published_messages_and_no_internal_fields(
    officers, cast, places, anon_api, api_for, client, django_capture_on_commit_callbacks
):
    issued = draft(officers, [places.village_a.code], headline="泉交河镇暴雨红色预警")
    services.do_submit_warning(issued, actor=officers.weather)
    services.do_approve_warning(issued, actor=officers.emergency, note="内部意见：请核实雨量站数据")
    with django_capture_on_commit_callbacks(execute=True):
        services.do_issue_warning(issued, actor=officers.emergency)
    waiting = draft(officers, [places.village_a.code], headline="尚未审批的暴雨预警")
    services.do_submit_warning(waiting, actor=officers.weather)

    cap = anon_api.get(f"/api/v1/warnings/{issued.pk}.cap")
    atom = client.get("/warnings/feed.atom")
    assert cap.status_code == atom.status_code == 200
    for text in (cap.content.decode(), atom.content.decode()):
        assert "泉交河镇暴雨红色预警" in text
        for internal in ("内部意见", "尚未审批", officers.weather.username, officers.emergency.username):
            assert internal not in text
    assert anon_api.get(f"/api/v1/warnings/{waiting.pk}.cap").status_code == 404
    assert api_for(cast.gateway).get(f"/api/v1/warnings/{waiting.pk}.cap").status_code == 404
    assert api_for(cast.bank).get(f"/api/v1/warnings/{waiting.pk}.cap").status_code == 404


def test_receipts_are_rate_limited_per_gateway_whatever_address_it_claims(
    officers, cast, places, gateways, api_for, monkeypatch, django_capture_on_commit_callbacks
):
    from shuxiang.warnings import api as warnings_api

    monkeypatch.setattr(warnings_api.ReceiptThrottle, "rate", "2/minute")
    endpoint(places.village_a, gateways.url("qs"))
    issue(officers, [places.village_a.code], django_capture_on_commit_callbacks, colour="blue")
    token = gateways.messages_for("qs")[0]["receipt_token"]
    gateway = api_for(cast.gateway)
    for _ in range(2):
        assert gateway.post(RECEIPTS, {"token": token, "status": "played"}, format="json").status_code == 200
    forged = gateway.post(
        RECEIPTS, {"token": token, "status": "played"}, format="json", HTTP_X_FORWARDED_FOR="203.0.113.9"
    )
    assert forged.status_code == 429
