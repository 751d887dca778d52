from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from shuxiang.core.actors import OPERATOR, Actor
from shuxiang.monitoring import services
from shuxiang.monitoring.models import Clue, Rule
from shuxiang.monitoring.rules import run_rules
from shuxiang.monitoring.tests.helpers import household, member

YEAR = 2024
TASKS = Actor.system("tasks")  # the nightly run


@pytest.fixture
def threshold(db):
    return services.do_set_threshold(
        actor=OPERATOR,
        province="43",
        province_name="湖南省",
        year=YEAR,
        amount="7000",
        document="湘测试〔2024〕1号",
    )


def flags(hh):
    return list(Clue.objects.filter(household=hh, channel="platform_rule").select_related("rule"))


def test_household_under_the_threshold_is_flagged_with_rule_and_figures(places, threshold):
    # two people, 12,000 yuan and 0 expenses: 6,000 per head, under 7,000
    hh = household(places.hamlet_a, incomes={YEAR: {"wage": "10000", "transfer": "2000"}})
    run_rules(year=YEAR, actor=TASKS)
    [clue] = flags(hh)
    assert clue.rule.code == "income-below-threshold"
    assert clue.figures["threshold"] == "7000.00"
    assert Decimal(str(clue.figures["per_capita_net"])) == Decimal("6000")
    assert "6000" in clue.summary and "7000" in clue.summary and "湘测试〔2024〕1号" in clue.summary
    assert clue.place == places.hamlet_a and clue.status == "new"


def test_household_above_the_threshold_is_not_flagged(places, threshold):
    hh = household(places.hamlet_a, incomes={YEAR: {"wage": "30000"}})
    run_rules(year=YEAR, actor=TASKS)
    assert flags(hh) == []


def test_eligible_expenses_are_deducted_before_dividing_by_household_size(places, threshold):
    hh = household(places.hamlet_a, incomes={YEAR: {"wage": "20000", "expenses": "8000"}})
    assert hh.incomes.get().per_capita_net == Decimal("6000.00")
    run_rules(year=YEAR, actor=TASKS)
    assert [f.rule.code for f in flags(hh)] == ["income-below-threshold"]


def test_without_a_threshold_for_the_year_nothing_is_flagged_and_the_run_says_why(places):
    hh = household(places.hamlet_a, incomes={YEAR: {"wage": "100"}})
    result = run_rules(year=YEAR, actor=TASKS)
    assert "未设置2024年监测收入标准" in result.skipped["income-below-threshold"]
    assert [f.rule.code for f in flags(hh)] == []


def test_the_threshold_comes_from_the_table_so_changing_it_changes_the_outcome(places, threshold):
    hh = household(places.hamlet_a, incomes={YEAR: {"wage": "13000"}})  # 6,500 per head
    services.do_set_threshold(actor=OPERATOR, province="43", province_name="湖南省", year=YEAR, amount="6000")
    run_rules(year=YEAR, actor=TASKS)
    assert flags(hh) == []
    services.do_set_threshold(actor=OPERATOR, province="43", province_name="湖南省", year=YEAR, amount="6600")
    run_rules(year=YEAR, actor=TASKS)
    assert len(flags(hh)) == 1


def test_running_the_rules_twice_flags_a_household_only_once_per_rule_and_year(places, threshold):
    hh = household(places.hamlet_a, incomes={YEAR: {"wage": "100"}})
    first = run_rules(year=YEAR, actor=TASKS)
    second = run_rules(year=YEAR, actor=TASKS)
    assert first.flagged["income-below-threshold"] == 1
    assert second.flagged["income-below-threshold"] == 0
    assert len(flags(hh)) == 1


def test_income_drop_over_the_rule_parameter_is_flagged_with_both_years(places, threshold):
    hh = household(
        places.hamlet_a,
        incomes={YEAR - 1: {"wage": "40000"}, YEAR: {"wage": "24000"}},  # 20,000 → 12,000 per head: -40 %
    )
    steady = household(
        places.hamlet_a, incomes={YEAR - 1: {"wage": "40000"}, YEAR: {"wage": "32000"}}
    )  # -20 %
    run_rules(year=YEAR, actor=TASKS)
    [clue] = flags(hh)
    assert clue.rule.code == "income-drop"
    assert Decimal(str(clue.figures["previous"])) == Decimal("20000")
    assert Decimal(str(clue.figures["current"])) == Decimal("12000")
    assert Decimal(str(clue.figures["drop_percent"])) == Decimal("40")
    assert clue.figures["limit_percent"] == "30.00"
    assert flags(steady) == []


def test_income_drop_limit_is_the_rules_parameter_not_a_constant(places, threshold):
    hh = household(places.hamlet_a, incomes={YEAR - 1: {"wage": "40000"}, YEAR: {"wage": "32000"}})  # -20 %
    services.do_update_rule(Rule.objects.get(code="income-drop"), actor=OPERATOR, parameter="15")
    run_rules(year=YEAR, actor=TASKS)
    assert [f.rule.code for f in flags(hh)] == ["income-drop"]


def test_rigid_expenses_over_the_share_of_income_are_flagged(places, threshold):
    hh = household(places.hamlet_a, incomes={YEAR: {"wage": "60000", "expenses": "35000"}})
    run_rules(year=YEAR, actor=TASKS)
    [clue] = flags(hh)
    assert clue.rule.code == "rigid-expense"
    assert Decimal(str(clue.figures["expenses"])) == Decimal("35000")
    assert Decimal(str(clue.figures["gross"])) == Decimal("60000")
    assert "35000" in clue.summary


@pytest.mark.parametrize(
    "setup",
    [
        {"housing_grade": "C"},
        {"water_safe": False},
        {"members": [member("王大山"), member("王小明", "child", medical_insured=False)]},
        {"members": [member("王大山"), member("王小明", "child", schooling="dropout")]},
    ],
    ids=["dilapidated-house", "unsafe-water", "uninsured-member", "dropout"],
)
def test_each_failing_guarantee_item_is_flagged_with_its_figures(places, threshold, setup):
    hh = household(places.hamlet_a, incomes={YEAR: {"wage": "60000"}}, **setup)
    run_rules(year=YEAR, actor=TASKS)
    [clue] = flags(hh)
    assert clue.rule.code == "guarantee-failing"
    assert set(clue.figures) >= {"housing_grade", "water_safe", "uninsured", "dropouts"}


def test_a_household_meeting_every_guarantee_is_not_flagged(places, threshold):
    hh = household(places.hamlet_a, housing_grade="A", incomes={YEAR: {"wage": "60000"}})
    run_rules(year=YEAR, actor=TASKS)
    assert flags(hh) == []


def test_an_incremental_run_looks_only_at_households_changed_since_the_last_run(places, threshold):
    rich = household(places.hamlet_a, incomes={YEAR: {"wage": "60000"}})
    untouched = household(places.hamlet_a, incomes={YEAR: {"wage": "60000"}})
    run_rules(year=YEAR, actor=TASKS)
    services.do_record_income(rich, actor=OPERATOR, year=YEAR, wage="1000")
    # the untouched household drops under the line without its changed_at moving: not looked at
    from shuxiang.monitoring.models import IncomeRecord

    IncomeRecord.objects.filter(household=untouched).update(per_capita_net=1)
    result = run_rules(year=YEAR, incremental=True, actor=TASKS)
    assert result.incremental
    assert [f.rule.code for f in flags(rich)] == ["income-below-threshold"]
    assert flags(untouched) == []


def test_rules_outside_their_valid_years_or_inactive_do_not_run(places, threshold):
    hh = household(places.hamlet_a, incomes={YEAR: {"wage": "100"}})
    services.do_update_rule(
        Rule.objects.get(code="income-below-threshold"), actor=OPERATOR, valid_to_year=YEAR - 1
    )
    services.do_update_rule(Rule.objects.get(code="guarantee-failing"), actor=OPERATOR, is_active=False)
    result = run_rules(year=YEAR, actor=TASKS)
    assert "income-below-threshold" not in result.flagged
    assert flags(hh) == []


def test_monitored_households_are_not_flagged_again(places, threshold):
    hh = household(places.hamlet_a, incomes={YEAR: {"wage": "100"}})
    hh.status, hh.monitored_type = "monitored", "marginal"
    hh.save()
    run_rules(year=YEAR, actor=TASKS)
    assert flags(hh) == []


def test_the_number_of_queries_does_not_grow_with_the_number_of_households(places, threshold):
    for _ in range(3):
        household(
            places.hamlet_a, incomes={YEAR - 1: {"wage": "90000"}, YEAR: {"wage": "100", "expenses": "90"}}
        )
    with CaptureQueriesContext(connection) as few:
        small = run_rules(year=YEAR, actor=TASKS)
    for _ in range(12):
        household(
            places.hamlet_b, incomes={YEAR - 1: {"wage": "90000"}, YEAR: {"wage": "100", "expenses": "90"}}
        )
    with CaptureQueriesContext(connection) as many:
        large = run_rules(year=YEAR, actor=TASKS)
    assert small.total == 9 and large.total == 36
    assert len(many.captured_queries) == len(few.captured_queries)
