"""The registry's own rules: income records, members, measures, follow-ups, the worklist."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from shuxiang.core.errors import ServiceError
from shuxiang.core.models import AuditEntry
from shuxiang.monitoring import services, worklist
from shuxiang.monitoring.models import Household, IncomeRecord, Measure, Member
from shuxiang.monitoring.tests.helpers import household, member


def test_income_with_a_negative_amount_is_refused_and_nothing_is_written(places, cast):
    hh = household(places.hamlet_a)
    with pytest.raises(ServiceError) as err:
        services.do_record_income(hh, actor=cast.village_a, year=2024, wage="-5000", transfer="2000")
    assert err.value.fields["wage"] == ["工资性收入不能为负数"]
    assert not IncomeRecord.objects.exists()


def test_correcting_a_years_income_updates_the_record_and_audits_the_change(places, cast):
    hh = household(places.hamlet_a, incomes={2024: {"wage": "20000"}})
    services.do_record_income(hh, actor=cast.village_a, year=2024, wage="14000")
    record = IncomeRecord.objects.get()
    assert record.per_capita_net == Decimal("7000.00")
    entry = AuditEntry.objects.filter(object_type="monitoring.incomerecord", action="update").get()
    assert entry.actor == cast.village_a and "per_capita_net" in entry.changes


def test_a_household_needs_exactly_one_head(places, cast):
    with pytest.raises(ServiceError) as err:
        services.do_create_household(
            actor=cast.village_a,
            place=places.hamlet_a.code,
            category="ordinary",
            members=[member("甲", "spouse"), member("乙", "child")],
        )
    assert "只有一名户主" in err.value.fields["members"][0]
    assert not Household.objects.exists()


def test_households_are_registered_in_hamlets_inside_the_users_region(places, cast):
    with pytest.raises(ServiceError) as err:
        services.do_create_household(
            actor=cast.village_a, place=places.hamlet_b.code, category="ordinary", members=[member()]
        )
    assert err.value.code == "out_of_scope"
    with pytest.raises(ServiceError) as err:
        services.do_create_household(
            actor=cast.village_a, place=places.village_a.code, category="ordinary", members=[member()]
        )
    assert "村民小组" in err.value.fields["place"][0]


def test_a_lifted_household_needs_its_lifting_year(places, cast):
    with pytest.raises(ServiceError) as err:
        services.do_create_household(
            actor=cast.village_a, place=places.hamlet_a.code, category="lifted", members=[member()]
        )
    assert "脱贫年度" in err.value.fields["lifted_year"][0]


def test_adding_a_person_already_in_another_household_is_refused(places, cast):
    first = household(places.hamlet_a)
    second = household(places.hamlet_a)
    taken = first.members.first().person
    with pytest.raises(ServiceError) as err:
        services.do_add_member(
            second, actor=cast.village_a, name=taken.name, id_number=taken.id_number, relation="child"
        )
    assert f"户 {first.number}" in err.value.fields["id_number"][0]
    assert Member.objects.filter(person=taken).count() == 1


def test_measures_are_only_for_monitored_households_with_sane_dates(places, cast, bureau):
    hh = household(places.hamlet_a)
    today = timezone.localdate()
    args = {
        "kind": "public_post",
        "description": "公益性岗位：保洁员",
        "cadre": cast.village_a,
        "unit": bureau,
    }
    with pytest.raises(ServiceError) as err:
        services.do_add_measure(hh, actor=cast.village_a, start_on=today, **args)
    assert "只有监测对象" in err.value.fields["household"][0]
    Household.objects.filter(pk=hh.pk).update(status="monitored", monitored_type="marginal")
    hh.refresh_from_db()
    with pytest.raises(ServiceError) as err:
        services.do_add_measure(
            hh, actor=cast.village_a, start_on=today, end_on=today - timedelta(days=1), **args
        )
    assert "结束日期" in err.value.fields["end_on"][0]
    services.do_add_measure(hh, actor=cast.village_a, start_on=today, amount="800", **args)
    assert Measure.objects.get().amount == Decimal("800.00")


def test_monitored_households_without_a_follow_up_this_month_are_due(places, cast):
    hh = household(places.hamlet_a)
    Household.objects.filter(pk=hh.pk).update(
        status="monitored", monitored_type="marginal", identified_on=timezone.localdate() - timedelta(days=90)
    )
    assert list(worklist.visits_due(cast.village_a)) == [hh]
    assert list(worklist.visits_due(cast.township_b)) == []
    services.do_record_visit(
        hh, actor=cast.village_a, purpose="follow_up", visited_on=timezone.localdate(), notes="回访，收入稳定"
    )
    assert list(worklist.visits_due(cast.village_a)) == []


def test_the_home_page_lists_monitoring_work_for_the_village(places, cast, client_for):
    hh = household(places.hamlet_a)
    services.do_record_visit(
        hh,
        actor=cast.grid_a,
        purpose="screening",
        visited_on=timezone.localdate(),
        notes="家中老人重病",
        concern=True,
        risk_types=["illness"],
    )
    page = client_for(cast.village_a).get("/").content.decode()
    assert "待核实的返贫风险线索" in page


def test_an_overdue_identification_is_escalated_by_the_case_engine(places, cast):
    from shuxiang.cases import services as case_services
    from shuxiang.cases.models import Case
    from shuxiang.monitoring import procedures

    hh = household(places.hamlet_a)
    proc = procedures.do_start_identification(hh, actor=cast.village_a)
    case_services.escalate_due_cases(now=proc.due_at + timedelta(hours=1))
    case = Case.objects.get(pk=proc.case_id)
    assert case.is_overdue and case.escalation_level >= 1
