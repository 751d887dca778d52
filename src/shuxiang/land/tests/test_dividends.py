"""Dividends to the fen: exact arithmetic, largest remainder, determinism, no float anywhere."""

import random
from decimal import Decimal

import pytest

from shuxiang.land import dividends


def test_payouts_sum_exactly_to_the_amount_over_1237_members_with_three_share_kinds():
    rng = random.Random(7)
    holdings = []
    for i in range(1237):
        population = Decimal(1)
        labour = Decimal(rng.randint(0, 45)) * Decimal("0.1")  # 农龄股: 0.1 a year
        land = Decimal(rng.randint(0, 90)) / Decimal(100) * Decimal("0.5")  # 土地入股: 0.5 per 亩
        holdings.append((f"M{i:04d}", population + labour + land))
    holdings.append(("collective", Decimal("300")))
    amount = Decimal("100000.00")
    lines = dividends.allocate(amount, holdings)
    assert sum(line.amount for line in lines) == amount
    assert all(
        isinstance(line.amount, Decimal) and line.amount == line.amount.quantize(Decimal("0.01"))
        for line in lines
    )
    # each line is within one fen of its exact share
    total = sum(s for _, s in holdings)
    for (key, shares), line in zip(holdings, lines, strict=True):
        exact = amount * shares / total
        assert abs(line.amount - exact) < Decimal("0.01"), key


def test_three_equal_holders_of_a_hundred_yuan_get_33_34_33_33_and_the_odd_fen_goes_to_the_first():
    lines = dividends.allocate(Decimal("100.00"), [("a", Decimal(1)), ("b", Decimal(1)), ("c", Decimal(1))])
    assert [str(x.amount) for x in lines] == ["33.34", "33.33", "33.33"]


def test_the_largest_remainders_get_the_leftover_fen():
    # exact shares: 0.0142857.. × 100 fen; 1/7, 2/7, 4/7 of 1.00 yuan → 14.28, 28.57, 57.14 fen
    lines = dividends.allocate(Decimal("1.00"), [("a", Decimal(1)), ("b", Decimal(2)), ("c", Decimal(4))])
    assert [str(x.amount) for x in lines] == ["0.14", "0.29", "0.57"]
    assert sum(x.amount for x in lines) == Decimal("1.00")


def test_the_same_register_and_amount_give_the_same_lines():
    holdings = [(i, Decimal(i % 7 + 1) / Decimal(4)) for i in range(500)]
    assert dividends.allocate(Decimal("98765.43"), holdings) == dividends.allocate(
        Decimal("98765.43"), holdings
    )


def test_a_float_amount_is_refused_as_a_programming_error():
    with pytest.raises(TypeError):
        dividends.allocate(100000.0, [("a", Decimal(1))])


def test_an_amount_with_fractions_of_a_fen_is_refused_in_chinese():
    with pytest.raises(dividends.AllocationError) as exc:
        dividends.allocate(Decimal("10.001"), [("a", Decimal(1))])
    assert "精确到分" in exc.value.message


def test_per_share_value_is_an_exact_fraction():
    value = dividends.per_share(Decimal("100.00"), Decimal("3"))
    assert value.numerator == 100 and value.denominator == 3
