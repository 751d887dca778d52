"""Several units reporting one indicator for one place: each keeps its own value, and the place's
figure follows the indicator's declared rule (sum, designated unit, max) — issue 14 §1."""

from decimal import Decimal

import pytest

from shuxiang.core import services as core_services
from shuxiang.core.actors import OPERATOR
from shuxiang.core.choices import UnitKind
from shuxiang.core.errors import ServiceError
from shuxiang.indicators import registry, rollup, services
from shuxiang.indicators.choices import PeriodAggregation, UnitAggregation
from shuxiang.indicators.models import DataValue


@pytest.fixture
def units(places):
    def unit(name):
        return core_services.do_create_unit(
            actor=OPERATOR, name=name, kind=UnitKind.BUREAU, place=places.district
        )

    return {name: unit(name) for name in ("区商务局", "区乡村振兴局", "区工信局")}


def indicator(code, rule=UnitAggregation.SUM, designated=None, **fields):
    spec = {
        "name": "农产品电商销售额",
        "kind": "number",
        "unit": "亿元",
        "decimals": 2,
        "source": "reported",
        "entry_level": 1,
        "period_aggregation": PeriodAggregation.SUM,
        "unit_aggregation": rule,
        "designated_unit": designated,
    }
    spec.update(fields)
    return services.do_save_indicator(actor=OPERATOR, code=code, **spec)


def report(ind, place, period, unit, value=None, **kwargs):
    return services.do_record_value(
        ind, place=place, period=period, unit=unit, value=value, actor=OPERATOR, **kwargs
    )


def test_each_unit_keeps_its_own_value_for_the_same_place_and_quarter(places, units):
    sales = indicator("sales")
    report(sales, places.district, "2025Q4", units["区商务局"], "1.93")
    report(sales, places.district, "2025Q4", units["区乡村振兴局"], "0.5")
    stored = dict(DataValue.objects.filter(indicator=sales).values_list("unit__name", "numerator"))
    assert stored == {"区商务局": Decimal("1.93"), "区乡村振兴局": Decimal("0.5")}
    report(sales, places.district, "2025Q4", units["区乡村振兴局"], "")
    assert list(DataValue.objects.filter(indicator=sales).values_list("unit__name", flat=True)) == [
        "区商务局"
    ]


@pytest.mark.parametrize(
    ("rule", "designated", "expected", "counted"),
    [
        (UnitAggregation.SUM, None, Decimal("2.6"), {"区商务局", "区乡村振兴局", "区工信局"}),
        (UnitAggregation.MAX, None, Decimal("1.9"), {"区商务局"}),
        (UnitAggregation.DESIGNATED, "区乡村振兴局", Decimal("0.5"), {"区乡村振兴局"}),
    ],
)
def test_the_district_figure_follows_the_indicators_rule(places, units, rule, designated, expected, counted):
    sales = indicator("sales", rule, units.get(designated))
    for name, value in (("区商务局", "1.9"), ("区乡村振兴局", "0.5"), ("区工信局", "0.2")):
        report(sales, places.district, "2025Q4", units[name], value)
    row = rollup.value_at(sales, places.district, "2025Q4")
    assert row.value == expected
    assert {r.name for r in row.reporters if r.counted} == counted
    assert row.reporting_note.startswith("由3个单位填报，")
    assert row.reporting_note.endswith(sales.unit_rule_text)


def test_a_designated_unit_that_has_not_reported_leaves_the_place_figure_to_its_own_entry(places, units):
    sales = indicator("sales", UnitAggregation.DESIGNATED, units["区商务局"])
    report(sales, places.district, "2025Q4", units["区工信局"], "0.7")
    assert rollup.value_at(sales, places.district, "2025Q4").value is None
    report(sales, places.district, "2025Q4", None, "1.1")
    assert rollup.value_at(sales, places.district, "2025Q4").value == Decimal("1.1")
    report(sales, places.district, "2025Q4", units["区商务局"], "1.8")
    row = rollup.value_at(sales, places.district, "2025Q4")
    assert row.value == Decimal("1.8")
    assert sales.unit_rule_text == "以区商务局填报数为准"
    assert [(r.name, r.counted) for r in row.reporters] == [
        ("赫山区（本级）", False),
        ("区商务局", True),
        ("区工信局", False),
    ]


def test_a_year_takes_each_units_own_quarters_before_the_rule(places, units):
    """A flow adds each unit's quarters, then the rule picks; a stock takes each unit's latest quarter."""
    flows = indicator("flows", UnitAggregation.MAX)
    report(flows, places.district, "2025Q1", units["区商务局"], 1)
    report(flows, places.district, "2025Q2", units["区商务局"], 1)
    report(flows, places.district, "2025Q1", units["区工信局"], "1.5")
    assert rollup.value_at(flows, places.district, "2025").value == 2  # 1 + 1 beats 1.5
    stocks = indicator("stocks", UnitAggregation.SUM, period_aggregation=PeriodAggregation.LAST)
    report(stocks, places.district, "2025Q1", units["区商务局"], 10)
    report(stocks, places.district, "2025Q3", units["区商务局"], 12)
    report(stocks, places.district, "2025Q2", units["区工信局"], 30)
    report(stocks, places.district, "2025Q1", None, 5)
    assert rollup.value_at(stocks, places.district, "2025").value == 12 + 30 + 5


def test_a_ratio_takes_the_unit_with_the_largest_rate_not_the_largest_numerator(places, units):
    rate = indicator(
        "rate", UnitAggregation.MAX, kind="ratio", factor=100, unit="%", max_value=100, decimals=1
    )
    report(rate, places.district, "2025Q4", units["区商务局"], numerator=40, denominator=100)
    report(rate, places.district, "2025Q4", units["区工信局"], numerator=9, denominator=10)
    row = rollup.value_at(rate, places.district, "2025Q4")
    assert row.value == 90 and (row.figure.numerator, row.figure.denominator) == (9, 10)


def test_a_township_roll_up_is_unchanged_by_units_at_the_district(places, units):
    """The rule combines reporters at one place; places still add up the tree."""
    pigs = indicator("pigs", UnitAggregation.MAX, entry_level=None)
    report(pigs, places.township_a, "2025Q4", None, 3)
    report(pigs, places.township_b, "2025Q4", None, 4)
    report(pigs, places.district, "2025Q4", units["区商务局"], 2)
    report(pigs, places.district, "2025Q4", units["区工信局"], 6)
    own, rows = rollup.drill_down(pigs, places.district, "2025Q4")
    assert own.value == 3 + 4 + 6
    assert [r.value for r in rows if r.value is not None] == [3, 4]


def test_a_locked_value_is_refused_and_an_unchanged_one_is_not_a_write(places, units):
    sales = indicator("sales")
    report(sales, places.district, "2025Q4", units["区商务局"], "1.9")

    def lock(ind, place, period, unit):
        return "已审定" if unit is not None and unit.name == "区商务局" else None

    registry.register_lock(lock)
    try:
        with pytest.raises(ServiceError) as exc:
            report(sales, places.district, "2025Q4", units["区商务局"], "0.5")
        assert exc.value.code == "value_locked" and "sales" in exc.value.fields
        report(sales, places.district, "2025Q4", units["区商务局"], "1.90")  # the same figure again
        report(sales, places.district, "2025Q4", units["区工信局"], "0.3")  # another unit's own value
    finally:
        registry.locks.remove(lock)
    assert DataValue.objects.get(indicator=sales, unit=units["区商务局"]).numerator == Decimal("1.9")


def test_a_designated_rule_needs_its_unit(places, units):
    with pytest.raises(ServiceError) as exc:
        indicator("sales", UnitAggregation.DESIGNATED)
    assert "designated_unit" in exc.value.fields


def test_the_values_api_names_each_units_figure_and_the_rule(places, units, cast, api_for):
    sales = indicator("sales", UnitAggregation.DESIGNATED, units["区商务局"])
    report(sales, places.district, "2025Q4", units["区商务局"], "1.9")
    report(sales, places.district, "2025Q4", units["区乡村振兴局"], "0.5")
    data = api_for(cast.district).get("/api/v1/indicators/sales/values/?period=2025Q4").json()
    assert data["place"]["value"] == 1.9
    assert data["place"]["reporting_note"] == "由2个单位填报，以区商务局填报数为准"
    assert [(r["name"], r["value"], r["counted"]) for r in data["place"]["reporters"]] == [
        ("区乡村振兴局", 0.5, False),
        ("区商务局", 1.9, True),
    ]
    definition = api_for(cast.district).get("/api/v1/indicators/sales/").json()
    assert (definition["unit_aggregation"], definition["designated_unit"]) == ("designated", "区商务局")


def test_the_indicator_page_says_how_the_district_figure_is_made(places, units, cast, client_for):
    sales = indicator("sales")
    report(sales, places.district, "2025Q4", units["区商务局"], "1.9")
    report(sales, places.district, "2025Q4", units["区工信局"], "0.3")
    page = client_for(cast.district).get("/indicators/sales/?period=2025Q4").content.decode()
    assert "由2个单位填报，按合计" in page and "区工信局" in page and "计入" in page
