"""Who may do what in monitoring (issue 12): typed actors, the data feed, roles kept as they were."""

from datetime import timedelta
from io import BytesIO

import pytest
from django.utils import timezone

from shuxiang.cases.models import Case, CaseEvent
from shuxiang.core.actors import Actor
from shuxiang.core.errors import Forbidden, ServiceError
from shuxiang.core.models import AuditEntry, Person
from shuxiang.core.navigation import pending_for
from shuxiang.core.permissions import has_perm
from shuxiang.monitoring import perms, procedures, services
from shuxiang.monitoring.models import AlertBatch, Clue, Household
from shuxiang.monitoring.rules import run_rules
from shuxiang.monitoring.tests.conftest import png
from shuxiang.monitoring.tests.helpers import household, id_number, member

HEAD_ID = "430903198005170012"


@pytest.fixture
def registered(places):
    return household(
        places.hamlet_a, members=[member("王大山", id_number=HEAD_ID), member("李秀英", "spouse")]
    )


def _home_visit(proc, actor):
    return procedures.do_home_visit(
        proc,
        actor=actor,
        consent_signed=True,
        notes="入户查看，户主患病住院，家庭收入大幅下降",
        visited_on=timezone.localdate() - timedelta(days=8),
        photos=[png()],
        proposed_type="marginal",
        risk_types=["illness"],
        primary_risk="illness",
    )


@pytest.mark.parametrize("bad", ["cli", "monitoring:t_cadre", "task:monitoring", None])
def test_a_bare_string_or_none_is_never_a_monitoring_actor(registered, places, bad):
    calls = [
        lambda: services.do_create_household(
            actor=bad, place=places.hamlet_a.code, category="ordinary", members=[member("张三")]
        ),
        lambda: services.do_record_income(registered, actor=bad, year=2024, wage="1000"),
        lambda: services.do_declare(
            actor=bad,
            name="王大山",
            id_number=HEAD_ID,
            place=places.village_a.code,
            description="家里有人住院了",
            consent=True,
        ),
        lambda: services.do_receive_alerts(actor=bad, kind="medical", records=[{"id_number": HEAD_ID}]),
        lambda: procedures.do_start_identification(registered, actor=bad),
        lambda: run_rules(year=2024, actor=bad),
    ]
    for call in calls:
        with pytest.raises(TypeError):
            call()
    assert not Clue.objects.exists() and not registered.procedures.exists()


def test_the_data_feed_posts_an_alert_batch_and_reads_nothing(registered, cast, api_for, client_for):
    api = api_for(cast.feed)
    response = api.post(
        "/api/v1/monitoring/alerts/",
        {
            "kind": "medical",
            "source": "区医保局数据接口",
            "records": [{"id_number": HEAD_ID, "amount": "52000"}],
        },
        format="json",
    )
    assert response.status_code == 201 and response.json()["matched"] == 1
    clue = Clue.objects.get()
    assert clue.household == registered and clue.source == "区医保局数据接口"
    entry = AuditEntry.objects.get(action="import", object_type="monitoring.alertbatch")
    assert entry.actor == cast.feed
    for url in (
        "/api/v1/monitoring/households/",
        f"/api/v1/monitoring/households/{registered.pk}/",
        "/api/v1/monitoring/clues/",
        "/api/v1/monitoring/thresholds/",
        "/api/v1/people/",
    ):
        assert api.get(url).status_code == 403, url
    assert api.post("/api/v1/monitoring/households/", {}, format="json").status_code == 403
    assert client_for(cast.feed).get("/monitoring/").status_code == 403
    assert not has_perm(cast.feed, perms.VIEW) and has_perm(cast.feed, perms.ALERT)


def test_a_grid_worker_keeps_home_visits_and_never_decides(registered, cast):
    grid = cast.grid_a
    for perm in (perms.VIEW, perms.SCREEN, perms.HOME_VISIT):
        assert has_perm(grid, perm), perm
    for perm in (perms.HEALTH, perms.EDIT, perms.ASSIST, perms.VILLAGE_REVIEW, perms.TOWNSHIP_REVIEW):
        assert not has_perm(grid, perm), perm
    assert not has_perm(grid, perms.COUNTY_APPROVAL)

    proc = procedures.do_start_identification(registered, actor=grid)
    proc = _home_visit(proc, grid)
    assert proc.stage == "village_review" and proc.visited_by == grid
    # the case step is carried on the grid worker's behalf: the case timeline and the audit name them
    accepted = CaseEvent.objects.get(case=proc.case, action="accept")
    assert accepted.actor == grid
    entry = AuditEntry.objects.filter(object_type="cases.case", actor=grid).first()
    assert entry is not None and "monitoring" in entry.actor_label

    proc.stage = "county_approval"
    proc.save(update_fields=["stage"])
    with pytest.raises(Forbidden):
        procedures.do_county_approval(proc, actor=grid, approve=True, notes="同意")
    proc.refresh_from_db()
    assert proc.decided_at is None and Household.objects.get(pk=registered.pk).status == "identifying"


def test_the_monitoring_bureau_decides_at_county_level_and_closes_the_case(registered, cast, rural):
    proc = procedures.do_start_identification(registered, actor=cast.village_a)
    _home_visit(proc, cast.village_a)
    procedures.do_village_review(
        proc,
        actor=cast.village_a,
        notes="村民代表会议评议同意",
        notice_from=timezone.localdate() - timedelta(days=7),
        notice_to=timezone.localdate() - timedelta(days=2),
    )
    procedures.do_township_review(proc, actor=cast.township_a, approve=True, notes="同意上报")
    procedures.do_county_approval(proc, actor=rural, approve=True, notes="同意纳入监测")
    assert Household.objects.get(pk=registered.pk).status == "monitored"
    case = Case.objects.get(pk=proc.case_id)
    assert case.state == "closed"
    assert CaseEvent.objects.get(case=case, action="close").actor == rural


def test_a_department_outside_monitoring_is_refused_by_the_services_too(registered, cast):
    with pytest.raises(Forbidden) as err:
        services.do_record_income(registered, actor=cast.department, year=2024, wage="1000")
    assert err.value.message == perms.OUTSIDE_DOMAIN


def test_an_anonymous_declaration_is_audited_as_the_public_and_registers_the_declarant(places):
    number = id_number()
    clue = services.do_declare(
        actor=Actor.anonymous("public"),
        name="赵小花",
        id_number=number,
        place=places.village_a.code,
        description="丈夫车祸住院，家里没有收入",
        consent=True,
    )
    assert clue.reporter is None and clue.source == "农户本人"
    assert AuditEntry.objects.get(object_type="monitoring.clue", action="create").actor_label == "public"
    person = Person.objects.get(pk=clue.person_id)
    created = AuditEntry.objects.get(object_type="core.person", object_id=str(person.pk), action="create")
    assert created.actor is None and created.actor_label == "system:monitoring"


def test_other_machines_may_not_declare_or_push_alerts(places, registered):
    with pytest.raises(Forbidden):
        services.do_receive_alerts(
            actor=Actor.system("tasks"), kind="medical", records=[{"id_number": HEAD_ID}]
        )
    with pytest.raises(Forbidden):
        services.do_declare(
            actor=Actor.anonymous("consumer"),
            name="王大山",
            id_number=HEAD_ID,
            place=places.village_a.code,
            description="家里有人住院了",
            consent=True,
        )
    assert not Clue.objects.exists() and not AlertBatch.objects.exists()


def test_the_nightly_task_may_run_the_rules_but_not_change_them(db):
    from shuxiang.monitoring.models import Rule

    tasks = Actor.system("tasks")
    assert has_perm(tasks, perms.RUN_RULES)
    with pytest.raises(Forbidden):
        services.do_update_rule(Rule.objects.first(), actor=tasks, parameter="50")


PENDING = {
    "clues": "待核实的返贫风险线索",
    "due": "到期未走访的监测户",
    "overdue": "超期待您办理的识别/消除程序",
}


def test_pending_work_shows_only_what_the_user_can_act_on(registered, places, cast):
    proc = procedures.do_start_identification(registered, actor=cast.village_a)  # waits for the home visit
    proc.due_at = timezone.now() - timedelta(days=1)
    proc.save(update_fields=["due_at"])
    monitored = household(places.hamlet_a, members=[member("周大姐")])
    Household.objects.filter(pk=monitored.pk).update(
        status="monitored", monitored_type="marginal", identified_on=timezone.localdate() - timedelta(days=60)
    )
    Clue.objects.create(
        place=monitored.place,
        household=monitored,
        channel="cadre_screening",
        summary="家中老人住院",
        created_at=timezone.now(),
    )

    def shown(user):
        titles = {item.title for item in pending_for(user)}
        return {key for key, title in PENDING.items() if title in titles}

    assert shown(cast.village_a) == {"clues", "due", "overdue"}
    assert shown(cast.grid_a) == {"clues", "overdue"}  # screening and the home visit; no follow-ups
    assert shown(cast.township_a) == {"clues", "due"}  # the procedure waits at the village's step
    assert shown(cast.district) == set()  # the county decides later; it neither screens nor visits
    assert shown(cast.department) == set()  # a bureau not responsible for monitoring
    assert pending_for(cast.feed) == []


def test_the_procedure_list_exports_to_xlsx_under_a_valid_sheet_title(registered, cast, client_for):
    from openpyxl import load_workbook

    procedures.do_start_identification(registered, actor=cast.village_a)
    response = client_for(cast.township_a).get("/monitoring/procedures/?export=xlsx")
    assert response.status_code == 200
    book = load_workbook(BytesIO(response.content))
    assert book.worksheets[0].title == "识别-消除程序"
    assert any(
        registered.number in str(c) for row in book.worksheets[0].iter_rows(values_only=True) for c in row
    )


def test_follow_up_visits_have_their_own_page_for_those_who_assist(registered, cast, client_for):
    Household.objects.filter(pk=registered.pk).update(status="monitored", monitored_type="marginal")
    url = f"/monitoring/households/{registered.pk}/follow-up/"
    assert client_for(cast.grid_a).get(url).status_code == 403
    response = client_for(cast.village_a).post(
        url,
        {
            "visited_on": timezone.localdate().isoformat(),
            "notes": "回访，务工收入稳定",
            "income_estimate": "9000",
        },
    )
    assert response.status_code == 302
    visit = registered.visits.get()
    assert visit.purpose == "follow_up" and visit.visitor == cast.village_a


def test_a_step_refused_by_the_domain_or_grant_writes_nothing(registered, cast):
    with pytest.raises(ServiceError):
        procedures.do_start_identification(registered, actor=cast.department)
    assert not registered.procedures.exists() and not Case.objects.exists()
