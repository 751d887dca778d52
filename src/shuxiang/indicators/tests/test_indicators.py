from decimal import Decimal

import pytest

from shuxiang.core.actors import OPERATOR
from shuxiang.core.errors import ServiceError
from shuxiang.core.models import AuditEntry, Place
from shuxiang.indicators import registry, rollup, services
from shuxiang.indicators.choices import Importance, MissingValueStrategy, Operator, PeriodAggregation
from shuxiang.indicators.models import DataValue, Indicator
from shuxiang.indicators.periods import parse_period
from shuxiang.indicators.validation import validate


@pytest.fixture
def sales(db):
    return services.do_save_indicator(
        actor=OPERATOR,
        code="sales",
        name="农产品网络销售额",
        kind="number",
        unit="万元",
        source="reported",
        entry_level=2,
        period_aggregation=PeriodAggregation.SUM,
        min_value=0,
        max_value=100000,
    )


@pytest.fixture
def fibre(db):
    return services.do_save_indicator(
        actor=OPERATOR,
        code="fibre",
        name="光纤通达率",
        kind="ratio",
        unit="%",
        factor=100,
        numerator_label="通光纤的自然村",
        denominator_label="自然村总数",
        source="reported",
        entry_level=3,
        max_value=100,
    )


def test_a_quarter_and_a_year_are_read_from_their_codes():
    q3 = parse_period("2025q3")
    assert (q3.code, q3.start.isoformat(), q3.end.isoformat(), q3.label) == (
        "2025Q3",
        "2025-07-01",
        "2025-09-30",
        "2025年第3季度",
    )
    assert [p.code for p in parse_period("2025").quarters()] == ["2025Q1", "2025Q2", "2025Q3", "2025Q4"]


def test_a_cached_roll_up_is_refreshed_when_a_value_changes(places, cast, sales):
    services.do_record_value(sales, place=places.township_a, period="2025Q1", value=10, actor=OPERATOR)
    assert rollup.value_at(sales, places.district, "2025").value == 10
    services.do_record_value(sales, place=places.township_a, period="2025Q1", value=12, actor=OPERATOR)
    assert rollup.value_at(sales, places.district, "2025").value == 12


def test_a_period_that_is_neither_a_year_nor_a_quarter_is_refused_in_chinese():
    with pytest.raises(ServiceError) as exc:
        parse_period("2025-13")
    assert exc.value.code == "invalid_period" and "格式错误" in exc.value.message


def test_township_figures_sum_to_the_district_and_a_year_adds_its_quarters(places, cast, sales):
    for township, period, value in [
        (places.township_a, "2025Q1", 100),
        (places.township_a, "2025Q2", 150),
        (places.township_b, "2025Q1", 40),
    ]:
        services.do_record_value(sales, place=township, period=period, value=value, actor=cast.district)
    district, rows = rollup.drill_down(sales, places.district, "2025")
    by_name = {r.place.name: r.value for r in rows}
    assert district.value == Decimal(290)
    assert by_name == {"泉交河镇": Decimal(250), "兰溪镇": Decimal(40)}
    assert rollup.value_at(sales, places.district, "2025Q1").value == Decimal(140)


def test_a_ratio_rolls_up_by_summing_numerators_and_denominators_not_averaging_percentages(
    places, cast, fibre
):
    village_c = Place.objects.create(
        code="430903103202",
        name="石马村",
        level=3,
        kind="village",
        parent=places.township_a,
        path=places.township_a.path + "430903103202/",
    )
    services.do_record_value(
        fibre, place=places.village_a, period="2025Q4", numerator=9, denominator=10, actor=OPERATOR
    )
    services.do_record_value(
        fibre, place=village_c, period="2025Q4", numerator=1, denominator=10, actor=OPERATOR
    )
    services.do_record_value(
        fibre, place=places.village_b, period="2025Q2", numerator=3, denominator=4, actor=OPERATOR
    )
    services.do_record_value(
        fibre, place=places.village_b, period="2025Q4", numerator=4, denominator=4, actor=OPERATOR
    )
    # 泉交河镇: (9 + 1) / (10 + 10) = 50 %; 兰溪镇's year takes its latest quarter: 4/4 = 100 %.
    _, rows = rollup.drill_down(fibre, places.district, "2025")
    assert {r.place.name: r.value for r in rows} == {"泉交河镇": Decimal(50), "兰溪镇": Decimal(100)}
    # District: (10 + 4) / (20 + 4) = 58.33 %
    assert round(rollup.value_at(fibre, places.district, "2025").value, 2) == Decimal("58.33")


def test_a_ratio_target_set_for_the_district_applies_to_every_township_with_its_traffic_light(
    places, cast, fibre
):
    services.do_set_target(fibre, place=places.district, year=2025, value=100, actor=cast.district)
    services.do_record_value(
        fibre, place=places.village_a, period="2025Q4", numerator=17, denominator=20, actor=OPERATOR
    )
    services.do_record_value(
        fibre, place=places.village_b, period="2025Q4", numerator=5, denominator=10, actor=OPERATOR
    )
    _, rows = rollup.drill_down(fibre, places.district, "2025")
    lights = {r.place.name: (r.target, round(r.progress, 2), r.light.value) for r in rows}
    assert lights == {
        "泉交河镇": (Decimal(100), Decimal("0.85"), "warn"),
        "兰溪镇": (Decimal(100), Decimal("0.50"), "danger"),
    }


def test_a_number_target_belongs_to_its_own_place_only(places, cast, sales):
    services.do_set_target(sales, place=places.district, year=2025, value=60000, actor=cast.district)
    services.do_record_value(sales, place=places.township_a, period="2025Q1", value=60000, actor=OPERATOR)
    district, rows = rollup.drill_down(sales, places.district, "2025")
    assert (district.target, district.light.value) == (Decimal(60000), "ok")
    assert all(r.target is None and r.light.value == "none" for r in rows)


@pytest.mark.parametrize(
    "kwargs,code",
    [
        ({"value": "一百"}, "invalid_number"),
        ({"value": "-5"}, "out_of_range"),
        ({"value": 100001}, "out_of_range"),
        ({"value": True}, "invalid_number"),
    ],
)
def test_a_value_of_the_wrong_type_or_out_of_range_is_refused_and_nothing_is_stored(
    places, cast, sales, kwargs, code
):
    services.do_record_value(sales, place=places.township_a, period="2025Q1", value=10, actor=cast.township_a)
    audit_before = AuditEntry.objects.count()
    with pytest.raises(ServiceError) as exc:
        services.do_record_value(
            sales, place=places.township_a, period="2025Q1", actor=cast.township_a, **kwargs
        )
    assert exc.value.code == code and exc.value.fields == {"sales": exc.value.fields["sales"]}
    assert DataValue.objects.get().numerator == 10
    assert AuditEntry.objects.count() == audit_before


def test_a_ratio_needs_both_halves_and_a_positive_denominator(places, fibre):
    for kwargs, code in [
        ({"numerator": 3}, "incomplete_ratio"),
        ({"numerator": 3, "denominator": 0}, "invalid_denominator"),
        ({"numerator": 11, "denominator": 10}, "out_of_range"),
    ]:
        with pytest.raises(ServiceError) as exc:
            services.do_record_value(fibre, place=places.village_a, period="2025Q1", actor=OPERATOR, **kwargs)
        assert exc.value.code == code
    assert not DataValue.objects.exists()


def test_values_are_entered_by_quarter_and_a_year_is_derived(places, sales):
    with pytest.raises(ServiceError) as exc:
        services.do_record_value(sales, place=places.township_a, period="2025", value=1, actor=OPERATOR)
    assert exc.value.code == "quarter_required" and not DataValue.objects.exists()


def test_a_value_is_entered_only_at_the_indicators_level_and_inside_the_users_region(places, cast, sales):
    with pytest.raises(ServiceError) as exc:
        services.do_record_value(sales, place=places.village_a, period="2025Q1", value=1, actor=cast.district)
    assert exc.value.code == "wrong_level"
    with pytest.raises(ServiceError) as exc:
        services.do_record_value(
            sales, place=places.township_b, period="2025Q1", value=1, actor=cast.township_a
        )
    assert exc.value.code == "out_of_scope"
    assert not DataValue.objects.exists()


def test_a_computed_indicator_is_recounted_from_its_registered_source(places, cast):
    registry.register_source(
        "test.hamlets",
        "测试：村民小组",
        lambda period: [(places.hamlet_a.pk, 1, 1), (places.hamlet_b.pk, 0, 1)],
    )
    ind = services.do_save_indicator(
        actor=OPERATOR,
        code="hamlet_cov",
        name="覆盖率",
        kind="ratio",
        factor=100,
        source="computed",
        computed_by="test.hamlets",
    )
    assert services.do_refresh_computed(ind, "2025Q2", actor=cast.district) == 2
    assert rollup.value_at(ind, places.district, "2025").value == Decimal(50)
    with pytest.raises(ServiceError) as exc:
        services.do_record_value(ind, place=places.hamlet_a, period="2025Q2", value=1, actor=OPERATOR)
    assert exc.value.code == "not_reported"


def test_validation_rules_compare_left_and_right_and_report_importance(places, sales, fibre):
    services.do_save_validation_rule(
        actor=OPERATOR,
        code="r1",
        name="光纤村数不超过总数",
        instruction="分子不能大于分母",
        left="#{fibre.numerator}",
        operator=Operator.LESS_THAN_OR_EQUAL_TO,
        right="#{fibre.denominator}",
        data_set="task:5",
    )
    services.do_save_validation_rule(
        actor=OPERATOR,
        code="r2",
        name="销售额需填写",
        instruction="销售额与光纤须同时填写",
        left="#{sales}",
        operator=Operator.COMPULSORY_PAIR,
        right="#{fibre}",
        importance=Importance.MEDIUM,
        data_set="task:5",
        missing_value_strategy=MissingValueStrategy.NEVER_SKIP,
    )
    violations = validate("task:5", {"fibre": (Decimal(12), Decimal(10))})
    assert [(v.rule.code, v.blocking) for v in violations] == [("r1", True), ("r2", False)]
    assert validate("task:5", {"fibre": (Decimal(8), Decimal(10)), "sales": (Decimal(1), None)}) == []


def test_a_validation_rule_with_code_in_it_is_refused(db, sales):
    with pytest.raises(ServiceError) as exc:
        services.do_save_validation_rule(
            actor=OPERATOR,
            code="bad",
            name="x",
            instruction="x",
            left="__import__('os')",
            operator="equal_to",
            right="#{nope}",
        )
    assert set(exc.value.fields) == {"left", "right"}


def test_the_values_api_gives_value_target_and_progress_for_a_place_and_its_children(
    places, cast, api_for, sales
):
    services.do_set_target(sales, place=places.township_a, year=2025, value=200, actor=OPERATOR)
    services.do_record_value(sales, place=places.township_a, period="2025Q1", value=150, actor=OPERATOR)
    body = (
        api_for(cast.district).get("/api/v1/indicators/sales/values/?period=2025&place=430903000000").json()
    )
    assert body["place"]["value"] == 150.0
    qjh = next(c for c in body["children"] if c["place"] == "430903103000")
    assert (qjh["value"], qjh["target"], qjh["progress"], qjh["light"]) == (150.0, 200.0, 0.75, "danger")
    # A township officer reads the definitions, which are the same for every region: the test's own
    # and those the apps create after migrate (housing, governance, machinery).
    listing = api_for(cast.township_a).get("/api/v1/indicators/?page_size=200").json()
    codes = [i["code"] for i in listing["results"]]
    assert "sales" in codes
    assert set(codes) == set(Indicator.objects.filter(is_active=True).values_list("code", flat=True))


def test_a_township_officer_gets_404_for_another_townships_values(places, cast, api_for, client_for, sales):
    response = api_for(cast.township_a).get("/api/v1/indicators/sales/values/?place=430903111000")
    assert response.status_code == 404 and response.json()["code"] == "not_found"
    assert client_for(cast.township_a).get("/indicators/sales/?place=430903111000").status_code == 404
    page = client_for(cast.township_a).get("/indicators/sales/?period=2025")
    assert page.status_code == 200 and "泉交河镇" in page.content.decode()


@pytest.mark.parametrize("actor", ["cli", "task:refresh", "", None])
def test_an_indicator_service_refuses_a_bare_string_or_none_as_actor(places, sales, actor):
    calls = [
        lambda: services.do_record_value(
            sales, place=places.township_a, period="2025Q1", value=1, actor=actor
        ),
        lambda: services.do_set_target(sales, place=places.township_a, year=2025, value=1, actor=actor),
        lambda: services.do_save_indicator(actor=actor, code="x", name="x", kind="number", source="reported"),
        lambda: services.do_refresh_computed(sales, "2025Q1", actor=actor),
    ]
    for call in calls:
        with pytest.raises(TypeError):
            call()
    assert not DataValue.objects.exists()


def test_the_tasks_actor_recounts_computed_indicators_but_enters_no_figures(places, sales):
    from shuxiang.core.actors import Actor

    tasks = Actor.system("tasks")
    registry.register_source("test.one", "测试", lambda period: [(places.hamlet_a.pk, 1, None)])
    counted = services.do_save_indicator(
        actor=OPERATOR, code="counted", name="计数", kind="number", source="computed", computed_by="test.one"
    )
    assert services.do_refresh_computed(counted, "2025Q1", actor=tasks) == 1
    with pytest.raises(ServiceError) as exc:
        services.do_record_value(sales, place=places.township_a, period="2025Q1", value=1, actor=tasks)
    assert exc.value.code == "forbidden" and not DataValue.objects.filter(indicator=sales).exists()
    entry = AuditEntry.objects.filter(object_type="indicators.indicator", action="update").latest("at")
    assert entry.actor is None and entry.actor_label == "system:tasks"


def test_a_department_user_does_not_define_indicators_or_targets(places, cast, sales):
    with pytest.raises(ServiceError) as exc:
        services.do_set_target(sales, place=places.district, year=2025, value=1, actor=cast.department)
    assert exc.value.status == 403
    with pytest.raises(ServiceError):
        services.do_save_indicator(actor=cast.department, code="sales", name="改名")
    sales.refresh_from_db()
    assert sales.name == "农产品网络销售额"


def test_client_roles_read_no_indicators(places, cast, api_for, client_for, sales):
    for client in (cast.bank, cast.producer, cast.feed):
        assert api_for(client).get("/api/v1/indicators/").status_code == 403
        assert api_for(client).get("/api/v1/indicators/sales/values/").status_code == 403
        assert client_for(client).get("/indicators/sales/").status_code == 403
