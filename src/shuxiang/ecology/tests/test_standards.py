"""GB 3838 classes on the boundaries of each class, the worst factor deciding, lakes, the CWQI, and the
other standards' pass/fail — all from the standards held as data."""

import pytest

from shuxiang.ecology import standards
from shuxiang.ecology.models import Factor, Standard


def _judge(code, edition, grade, lake=False, **values):
    standard = Standard.objects.get(code=code, edition=edition)
    factors = {f.code: f for f in Factor.objects.all()}
    return standards.judge(standard, grade, lake, [(factors[k], v) for k, v in values.items()])


# each factor exactly on a class boundary belongs to that class; just beyond it, to the next
@pytest.mark.parametrize(
    "factor, value, expected",
    [
        ("w21003", 0.15, "I"),
        ("w21003", 0.151, "II"),
        ("w21003", 0.5, "II"),
        ("w21003", 1.0, "III"),
        ("w21003", 1.5, "IV"),
        ("w21003", 2.0, "V"),
        ("w21003", 2.01, "劣V"),
        ("w01018", 15, "I"),  # COD: I and II share 15 — the better class
        ("w01018", 15.1, "III"),
        ("w01018", 40, "V"),
        ("w01018", 40.5, "劣V"),
        ("w01009", 7.5, "I"),  # DO: a lower bound
        ("w01009", 7.49, "II"),
        ("w01009", 2, "V"),
        ("w01009", 1.9, "劣V"),
        ("w01019", 6, "III"),
        ("w01019", 15.01, "劣V"),
        ("w21011", 0.2, "III"),
        ("w01017", 3, "I"),
        ("w01001", 9, "I"),
        ("w01001", 9.1, "劣V"),  # pH outside 6–9
        ("w01001", 5.9, "劣V"),
    ],
)
def test_a_factor_on_a_class_boundary_belongs_to_that_class(db, factor, value, expected):
    result = _judge("GB 3838", "2002", "III", **{factor: value})
    assert result.water_class == expected
    assert result.meets == (expected in ("I", "II", "III"))


def test_the_sample_class_is_its_worst_factor_and_the_index_sums_ratios_to_class_iii(db):
    result = _judge("GB 3838", "2002", "III", w21003=0.4, w01018=25, w01009=6)
    assert [r.water_class for r in result.results] == ["II", "IV", "II"]
    assert result.water_class == "IV" and not result.meets
    # CWQI: 0.4/1.0 + 25/20 + 5/6
    assert result.wqi == pytest.approx(round(0.4 + 1.25 + 5 / 6, 2))
    assert "化学需氧量 25 mg/L" in result.summary()


def test_lakes_use_the_lake_limits_for_total_phosphorus_and_are_judged_on_total_nitrogen(db):
    assert _judge("GB 3838", "2002", "III", w21011=0.1).water_class == "II"
    assert _judge("GB 3838", "2002", "III", lake=True, w21011=0.1).water_class == "IV"
    river = _judge("GB 3838", "2002", "III", w21001=3.0)
    assert river.water_class == "" and river.meets  # TN is not judged at a river section
    assert _judge("GB 3838", "2002", "III", lake=True, w21001=3.0).water_class == "劣V"


def test_a_target_class_ii_point_fails_on_a_class_iii_value(db):
    assert not _judge("GB 3838", "2002", "II", w21003=0.8).meets


def test_irrigation_water_is_judged_by_crop_group(db):
    assert _judge("GB 5084", "2021", "paddy", w01018=140).meets
    assert not _judge("GB 5084", "2021", "vegetable", w01018=140).meets
    assert not _judge("GB 5084", "2021", "dryland", w01001=8.6).meets


def test_drinking_water_and_discharge_limits(db):
    assert not _judge("GB 5749", "2022", "", w01003=1.2).meets
    assert _judge("GB 5749", "2022", "", w01003=0.8, w01001=7.0).meets
    assert not _judge("GB 18596", "2001", "", w21003=95).meets
    assert (
        _judge("GB 18918", "2002", "1B", w21003=7).meets
        and not _judge("GB 18918", "2002", "1A", w21003=7).meets
    )


def test_factors_without_a_limit_are_kept_but_not_judged(db):
    result = _judge("GB 3838", "2002", "III", w01010=24.5, w21003=0.3)
    temperature = result.results[0]
    assert temperature.water_class == "" and temperature.limit == "" and temperature.meets
    assert result.water_class == "II"


def test_the_standards_are_data_with_their_editions(db):
    editions = set(Standard.objects.values_list("code", "edition"))
    assert {("GB 3838", "2002"), ("GB 5084", "2021"), ("GB 5749", "2022")} <= editions
    gb3838 = Standard.objects.get(code="GB 3838")
    assert gb3838.grades == ["I", "II", "III", "IV", "V"]
    assert gb3838.limits.filter(factor__code="w21003", grade="III").get().max_value == 1.0
