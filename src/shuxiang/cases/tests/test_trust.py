"""Issue 12 for cases: who may be given a case, what the reporter's page shows, typed actors, and the
one table of transitions that the page, the API and `available_actions` read."""

import dataclasses

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client, override_settings
from django.urls import resolve, reverse

from shuxiang.cases import api, choices, reference, services
from shuxiang.cases.choices import STAFF_TRANSITIONS, TRANSITIONS, CaseState
from shuxiang.cases.models import Case, CaseEvent
from shuxiang.cases.tests.conftest import jpeg_bytes
from shuxiang.core.access import declaration, viewset_declaration
from shuxiang.core.actors import OPERATOR, Actor
from shuxiang.core.choices import UnitKind
from shuxiang.core.errors import Forbidden, ServiceError
from shuxiang.core.models import AuditEntry, Notification, Unit

pytestmark = pytest.mark.django_db


def _unit(name):
    return Unit.objects.get(name=name)


def _untouched(case):
    """The case as it was opened: no dispatch written, nobody told."""
    fresh = Case.objects.get(pk=case.pk)
    return (
        fresh.state == CaseState.SUBMITTED
        and fresh.assignee_id is None
        and fresh.unit.name == "泉交河镇人民政府"
        and not CaseEvent.objects.filter(case=case, action="dispatch").exists()
        and not AuditEntry.objects.filter(object_id=str(case.pk), changes__action="dispatch").exists()
    )


# --- the dispatch rule lives in the service ----------------------------------------------------------


@pytest.mark.parametrize(
    "payload",
    [{"unit": "兰溪镇人民政府"}, {"assignee": "t_lanxi"}, {"assignee": "t_grid_b"}],
    ids=["other-township-unit", "other-township-officer", "other-township-grid-worker"],
)
def test_a_township_officer_cannot_dispatch_by_api_to_another_townships_unit_or_user(
    api_for, cast, open_case, payload, django_capture_on_commit_callbacks
):
    case = open_case()
    notified = Notification.objects.count()
    body = {k: (_unit(v).pk if k == "unit" else v) for k, v in payload.items()}
    with django_capture_on_commit_callbacks(execute=True):
        response = api_for(cast.township_a).post(f"/api/v1/cases/{case.pk}/dispatch/", body, format="json")
    assert response.status_code == 403
    answer = response.json()
    assert answer["code"] in ("unit_out_of_scope", "assignee_out_of_scope")
    assert "不负责" in answer["message"] and set(answer["fields"]) == set(payload)
    assert _untouched(case) and Notification.objects.count() == notified


@pytest.mark.parametrize(
    "form",
    [{"unit": "兰溪镇人民政府"}, {"assignee": "t_lanxi"}, {"assignee": "t_grid_b"}],
    ids=["other-township-unit", "other-township-officer", "other-township-grid-worker"],
)
def test_a_township_officer_cannot_dispatch_on_the_page_to_another_townships_unit_or_user(
    client_for, cast, open_case, form, django_capture_on_commit_callbacks
):
    case = open_case()
    notified = Notification.objects.count()
    data = {"note": "请处理", **{k: (_unit(v).pk if k == "unit" else v) for k, v in form.items()}}
    officer = client_for(cast.township_a)
    with django_capture_on_commit_callbacks(execute=True):
        panel = officer.post(f"/cases/{case.pk}/dispatch/", data, HTTP_HX_REQUEST="true")
        page = officer.post(f"/cases/{case.pk}/dispatch/", data, follow=True)
    assert 'id="action-error"' in panel.content.decode() and "不负责" in panel.content.decode()
    assert "不负责" in page.content.decode()
    assert _untouched(case) and Notification.objects.count() == notified


def test_the_assignee_answer_does_not_tell_whether_a_username_exists(api_for, cast, open_case):
    case = open_case()
    officer = api_for(cast.township_a)
    unknown = officer.post(f"/api/v1/cases/{case.pk}/dispatch/", {"assignee": "nobody"}, format="json")
    elsewhere = officer.post(f"/api/v1/cases/{case.pk}/dispatch/", {"assignee": "t_lanxi"}, format="json")
    assert unknown.status_code == elsewhere.status_code == 403
    assert unknown.json() == elsewhere.json()


def test_a_case_goes_to_its_township_its_grid_worker_or_a_bureau_responsible_for_cases(
    api_for, cast, open_case, places, django_capture_on_commit_callbacks
):
    officer = api_for(cast.township_a)
    to_grid = open_case()
    with django_capture_on_commit_callbacks(execute=True):
        response = officer.post(
            f"/api/v1/cases/{to_grid.pk}/dispatch/", {"assignee": "t_grid"}, format="json"
        )
    assert response.status_code == 200 and response.json()["assignee"] == "t_grid"
    assert Notification.objects.filter(recipient=cast.grid_a, title__contains=to_grid.title).exists()

    bureau = open_case()  # 区农业农村局 names "cases" among its domains
    response = officer.post(
        f"/api/v1/cases/{bureau.pk}/dispatch/", {"unit": _unit("区农业农村局").pk}, format="json"
    )
    assert response.status_code == 200 and response.json()["unit_name"] == "区农业农村局"

    office = open_case()  # 区网信办: no case domain, no routing rule — not a place to send rubbish
    response = officer.post(
        f"/api/v1/cases/{office.pk}/dispatch/", {"unit": _unit("区网信办").pk}, format="json"
    )
    assert response.status_code == 403 and response.json()["code"] == "unit_out_of_scope"


def test_a_company_named_by_the_routing_table_is_a_dispatch_target_for_that_category(cast, open_case, places):
    water = Unit.objects.create(name="赫山区自来水公司", kind=UnitKind.COMPANY, place=places.district)
    case = open_case()
    with pytest.raises(ServiceError) as err:
        services.do_dispatch_case(case, actor=cast.township_a, unit=water)
    assert err.value.code == "unit_out_of_scope"
    reference.do_save_routing_rule(actor=OPERATOR, place=places.district, unit=water, category="rubbish")
    case = services.do_dispatch_case(case, actor=cast.township_a, unit=water)
    assert case.unit == water


def test_a_resident_of_the_county_without_the_handle_permission_is_not_an_assignee(cast, open_case):
    case = open_case()
    with pytest.raises(ServiceError) as err:
        services.do_dispatch_case(case, actor=cast.district, assignee=cast.bank)
    assert err.value.code == "assignee_out_of_scope"
    assert _untouched(case)


def test_the_dispatch_form_offers_only_units_responsible_for_the_case(client_for, cast, open_case):
    case = open_case()
    html = client_for(cast.township_a).get(f"/cases/{case.pk}/").content.decode()
    assert "泉交河镇人民政府" in html and "区农业农村局" in html
    assert "兰溪镇人民政府" not in html and "区网信办" not in html


def test_a_person_opening_a_case_by_api_is_held_to_the_same_rule(api_for, cast, categories, places):
    response = api_for(cast.township_a).post(
        "/api/v1/cases/",
        {
            "category": "rubbish",
            "description": "河边倾倒建筑垃圾",
            "place": places.hamlet_a.code,
            "assignee": "t_grid_b",
        },
        format="json",
    )
    assert response.status_code == 403 and response.json()["code"] == "assignee_out_of_scope"
    assert not Case.objects.exists()


# --- the reporter's page -----------------------------------------------------------------------------


def _worked_case(open_case, cast, **kwargs):
    """Accepted, dispatched with an instruction, an internal note, a note for the reporter, resolved."""
    case = open_case(**kwargs)
    key = case.reporter_key
    case = services.do_accept_case(case, actor=cast.township_a)
    case = services.do_dispatch_case(
        case, actor=cast.township_a, assignee=cast.grid_a, note="派单说明：先核实户主身份"
    )
    services.do_add_note(case, actor=cast.grid_a, note="入户核实：房屋受损严重，鱼塘绝收")
    services.do_add_note(case, actor=cast.grid_a, note="已联系清运车辆，明天上午清运", is_public=True)
    case = services.do_resolve_case(case, actor=cast.grid_a, note="已清运完毕并设置警示牌")
    return case, key


def test_the_tracking_page_shows_no_internal_note_to_anyone(open_case, cast):
    case, key = _worked_case(open_case, cast)
    url = f"/report/track/{case.tracking_number}/"
    reporter = Client().get(url + f"?key={key}").content.decode()
    stranger = Client().get(url).content.decode()
    for html in (reporter, stranger):
        assert "房屋受损严重" not in html and "先核实户主身份" not in html
        assert "李女士" not in html and "13800138000" not in html and "t_grid" not in html
    assert "已联系清运车辆" in reporter and "已清运完毕并设置警示牌" in reporter
    for html in (reporter, stranger):
        steps = html[html.index('id="timeline"') :]
        assert "<b>受理</b>" in steps and "<b>办结</b>" in steps and "<b>派单</b>" not in steps
    # The reporter's notes are for the reporter: a stranger with the number sees the steps only.
    assert "已联系清运车辆" not in stranger and "已清运完毕" not in stranger


def test_a_note_marked_for_the_reporter_by_api_appears_on_their_page(api_for, cast, open_case):
    case = open_case()
    key = case.reporter_key
    services.do_accept_case(case, actor=cast.township_a)
    staff = api_for(cast.township_a)
    staff.post(f"/api/v1/cases/{case.pk}/notes/", {"note": "内部：等镇领导批示"}, format="json")
    staff.post(
        f"/api/v1/cases/{case.pk}/notes/", {"note": "已安排人员处理", "is_public": True}, format="json"
    )
    html = Client().get(f"/report/track/{case.tracking_number}/?key={key}").content.decode()
    assert "已安排人员处理" in html and "等镇领导批示" not in html


def test_a_staff_step_left_unmarked_on_the_page_stays_internal(client_for, cast, open_case):
    case = open_case()
    officer = client_for(cast.township_a)
    officer.post(f"/cases/{case.pk}/accept/", {"note": "已受理，另案核查举报人", "visibility_offered": "1"})
    event = CaseEvent.objects.get(case=case, action="accept")
    assert event.is_public is False
    html = Client().get(f"/report/track/{case.tracking_number}/?key={case.reporter_key}").content.decode()
    assert "另案核查举报人" not in html


def test_a_sensitive_case_shows_only_its_number_and_state_without_the_key(open_case, cast, places):
    case = open_case(category="food", description="小卖部出售过期食品")
    assert not case.is_public
    url = f"/report/track/{case.tracking_number}/"
    stranger = Client().get(url).content.decode()
    assert case.tracking_number in stranger and "待受理" in stranger
    for hidden in ("食品安全", places.hamlet_a.name, places.village_a.name, "泉交河镇", 'id="timeline"'):
        assert hidden not in stranger
    reporter = Client().get(url + f"?key={case.reporter_key}").content.decode()
    assert "食品安全" in reporter and places.village_a.name in reporter


def test_photos_belong_to_their_step_and_only_the_reporter_sees_them(open_case, cast, photo):
    case = open_case(photos=[photo])
    key = case.reporter_key
    case = services.do_accept_case(case, actor=cast.township_a)
    internal = SimpleUploadedFile("内部.jpg", jpeg_bytes(color=(0, 0, 200)), content_type="image/jpeg")
    services.do_add_note(case, actor=cast.township_a, note="现场内部照片", photos=[internal])
    opened, noted = (CaseEvent.objects.get(case=case, action=a).attachment_ids[0] for a in ("open", "note"))
    reporter = Client()
    html = reporter.get(f"/report/track/{case.tracking_number}/?key={key}").content.decode()
    photo_url = f"/report/track/{case.tracking_number}/photos/{opened}/"
    assert photo_url in html and f"/photos/{noted}/" not in html
    assert reporter.get(photo_url).status_code == 200
    assert reporter.get(f"/report/track/{case.tracking_number}/photos/{noted}/").status_code == 404
    assert Client().get(photo_url).status_code == 404
    assert "/photos/" not in Client().get(f"/report/track/{case.tracking_number}/").content.decode()


@override_settings(TRACKING_RATE="3/minute")
def test_the_tracking_page_is_rate_limited_per_address(open_case):
    case = open_case()
    url = f"/report/track/{case.tracking_number}/"
    phone = Client(REMOTE_ADDR="10.0.0.7")
    assert [phone.get(url).status_code for _ in range(3)] == [200, 200, 200]
    refused = phone.get(url)
    assert refused.status_code == 429 and "查询过于频繁" in refused.content.decode()
    assert refused["Retry-After"]
    assert phone.get(f"/report/track/?number={case.tracking_number}").status_code == 429
    assert Client(REMOTE_ADDR="10.0.0.8").get(url).status_code == 200


# --- typed actors ----------------------------------------------------------------------------------


def _services_with_a_case(case):
    return [
        lambda a: services.do_accept_case(case, actor=a),
        lambda a: services.do_dispatch_case(case, actor=a, unit=case.unit),
        lambda a: services.do_return_case(case, actor=a, reason="不属本单位"),
        lambda a: services.do_start_case(case, actor=a),
        lambda a: services.do_add_note(case, actor=a, note="记录"),
        lambda a: services.do_resolve_case(case, actor=a, note="已处理完毕"),
        lambda a: services.do_close_case(case, actor=a),
        lambda a: services.do_escalate_case(case, actor=a, reason="督办"),
        lambda a: services.do_add_info(case, actor=a, reporter_key="x", note="补充"),
        lambda a: services.do_confirm_case(case, actor=a, reporter_key="x"),
        lambda a: services.do_reopen_case(case, actor=a, reporter_key="x", reason="没修好"),
        lambda a: services.do_rate_case(case, actor=a, reporter_key="x", rating=5),
        lambda a: services.do_open_case(
            actor=a, category="rubbish", description="村口垃圾堆放", place=case.place
        ),
        lambda a: reference.do_save_category(actor=a, code="x-cat", name="某类"),
        lambda a: reference.do_set_calendar_day(actor=a, date="2026-10-01", is_workday=False),
        lambda a: reference.do_save_routing_rule(actor=a, place=case.place, unit=case.unit),
    ]


@pytest.mark.parametrize("bare", ["public", "reporter:1", "plan", "", None])
def test_no_case_service_accepts_a_bare_string_or_none_as_actor(open_case, bare):
    case = open_case()
    for call in _services_with_a_case(case):
        with pytest.raises(TypeError):
            call(bare)
    assert Case.objects.count() == 1 and Case.objects.get().state == CaseState.SUBMITTED


def test_the_anonymous_resident_may_open_but_not_act_as_the_reporter_or_staff(open_case):
    case = open_case()
    with pytest.raises(Forbidden):
        services.do_confirm_case(case, actor=services.PUBLIC_ACTOR, reporter_key=case.reporter_key)
    with pytest.raises(Forbidden):
        services.do_accept_case(case, actor=services.REPORTER)
    with pytest.raises(Forbidden):
        services.do_open_case(
            actor=Actor.device("RTU01"), category="rubbish", description="村口垃圾堆放", place=case.place
        )


def test_the_periodic_tasks_write_as_their_own_system_actors(open_case):
    from datetime import timedelta

    case = open_case()
    services.escalate_due_cases(now=case.deadline + timedelta(hours=1))
    labels = set(
        AuditEntry.objects.filter(object_id=str(case.pk), action="update").values_list(
            "actor_label", flat=True
        )
    )
    assert labels == {"system:escalation"}
    assert set(
        CaseEvent.objects.filter(case=case, action="escalate").values_list("actor_label", flat=True)
    ) == {"系统"}


# --- one table of transitions ----------------------------------------------------------------------


def test_every_staff_step_is_routed_and_declared_with_its_permission_on_the_page_and_the_api(open_case):
    case = open_case()
    for step in STAFF_TRANSITIONS:
        page = resolve(reverse("cases:transition", kwargs={"pk": case.pk, "action": step.action}))
        assert declaration(page.func, "POST") == step.perm
        assert viewset_declaration(api.CaseViewSet, f"{step.action}_case", "POST") == step.perm
        assert reverse(f"case-{step.path}", args=[case.pk]).endswith(f"/{step.path}/")


def test_the_transitions_table_drives_available_actions(open_case, cast, monkeypatch):
    case = open_case()
    assert services.available_actions(cast.grid_a, case) == ["accept", "note"]
    assert services.available_actions(cast.township_a, case) == ["accept", "dispatch", "note", "escalate"]
    # Allow 退回 from 待受理 and give 受理 to supervisors only: the offers follow the table.
    table = dict(TRANSITIONS)
    table["return"] = dataclasses.replace(table["return"], sources=(CaseState.SUBMITTED,))
    table["accept"] = dataclasses.replace(table["accept"], perm="case.supervise")
    monkeypatch.setattr(choices, "TRANSITIONS", table)
    monkeypatch.setattr(services, "TRANSITIONS", table)
    monkeypatch.setattr(services, "STAFF_TRANSITIONS", [t for t in table.values() if t.perm])
    assert services.available_actions(cast.grid_a, case) == ["return", "note"]
    assert "accept" in services.available_actions(cast.township_a, case)
    with pytest.raises(Forbidden):
        services.do_accept_case(case, actor=cast.grid_a)


def test_a_department_user_is_offered_only_the_steps_of_their_own_units_cases(open_case, cast):
    case = open_case()
    assert services.available_actions(cast.department, case) == []
    case = services.do_dispatch_case(case, actor=cast.district, unit=_unit("区农业农村局"))
    assert set(services.available_actions(cast.department, case)) == {"return", "start", "note", "resolve"}


# --- pending work and client roles -----------------------------------------------------------------


def test_pending_lines_go_only_to_people_who_can_act_on_them(open_case, cast):
    from shuxiang.cases.navigation import pending

    case = open_case()
    services.do_return_case(
        services.do_dispatch_case(case, actor=cast.township_a, assignee=cast.grid_a),
        actor=cast.grid_a,
        reason="不属于本村",
    )
    titles = {
        name: {p.title for p in pending(getattr(cast, name))} for name in ("township_a", "grid_a", "bank")
    }
    assert "被退回待改派事件" in titles["township_a"] and "升级督办事件" in titles["township_a"]
    assert "被退回待改派事件" not in titles["grid_a"] and "升级督办事件" not in titles["grid_a"]
    assert titles["bank"] == set()


def test_client_roles_read_no_cases_and_a_hotline_client_files_without_reading_back(
    api_for, cast, open_case, places
):
    from shuxiang.core import services as core_services
    from shuxiang.core.choices import Role
    from shuxiang.testing import PASSWORD

    case = open_case()
    for client in (cast.bank, cast.producer, cast.gateway, cast.feed):
        caller = api_for(client)
        assert caller.get("/api/v1/cases/").status_code == 403
        assert caller.get(f"/api/v1/cases/{case.pk}/").status_code == 403
        assert caller.post(f"/api/v1/cases/{case.pk}/accept/", {}, format="json").status_code == 403
    hotline = core_services.do_create_user(
        actor=OPERATOR, username="t_hotline", role=Role.CLIENT, place=places.district, password=PASSWORD
    )
    caller = api_for(hotline)
    assert caller.get("/api/v1/cases/categories/").status_code == 200
    filed = caller.post(
        "/api/v1/cases/",
        {"category": "rubbish", "description": "12345热线转来：村口垃圾", "place": places.hamlet_a.code},
        format="json",
    )
    assert filed.status_code == 201 and set(filed.json()) == {"id", "tracking_number"}
    assert caller.get("/api/v1/cases/").status_code == 403


def test_a_dispatch_grant_limited_by_a_constraint_covers_only_the_cases_it_matches(
    client_for, cast, open_case, places
):
    from shuxiang.core import services as core_services
    from shuxiang.core.choices import Role
    from shuxiang.core.models import Grant
    from shuxiang.core.permissions import bump_generation
    from shuxiang.testing import PASSWORD

    second = core_services.do_create_user(
        actor=OPERATOR, username="t_grid_2", role=Role.GRID, place=places.village_a, password=PASSWORD
    )
    Grant.objects.create(
        user=second, object_type="cases.case", actions=["dispatch"], constraint={"category__code": "road"}
    )
    bump_generation()
    rubbish = open_case()
    road = open_case(category="road", description="村道路面塌陷一个大坑")
    assert rubbish.grid_worker == cast.grid_a and road.grid_worker == cast.grid_a
    queue = client_for(second).get("/cases/queue/").content.decode()
    assert road.tracking_number in queue and rubbish.tracking_number not in queue
    assert "dispatch" in services.available_actions(second, road)
    assert "dispatch" not in services.available_actions(second, rubbish)
    with pytest.raises(Forbidden):
        services.do_dispatch_case(rubbish, actor=second, assignee=cast.grid_a)
    services.do_dispatch_case(road, actor=second, assignee=cast.grid_a)
