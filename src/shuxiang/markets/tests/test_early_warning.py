"""The methods' arithmetic on synthetic series whose answer is known."""

import math

import numpy as np
import pytest

from shuxiang.markets import early_warning as ew

ALPS_BANDS = [
    {"from": 2, "level": "crisis"},
    {"from": 1, "to": 2, "level": "alert"},
    {"from": 0.25, "to": 1, "level": "stress"},
]
HOG_GRAIN_BANDS = [
    {"to": 5, "level": "crisis"},
    {"from": 5, "to": 6, "weeks": 3, "level": "alert"},
    {"to": 6, "level": "stress"},
]


def seasonal_series(months=60, spike_at=None, spike=0.0, seed=1):
    rng = np.random.default_rng(seed)
    t = np.arange(months)
    calendar = t % 12 + 1
    values = 100 + 0.4 * t + 12 * np.sin(2 * math.pi * calendar / 12) + rng.normal(0, 1.0, months)
    if spike_at is not None:
        values[spike_at] += spike
    return values, calendar


def test_alps_puts_an_injected_spike_in_the_crisis_band_and_leaves_the_seasonal_pattern_normal():
    values, months = seasonal_series(spike_at=50, spike=25.0)
    scores = ew.alps(values, months)
    levels = ew.levels(scores, ALPS_BANDS)
    assert levels[50] == "crisis"
    assert scores[50] > 2
    # The seasonal swing (±12) is explained by the monthly dummies: no other month reaches alert.
    others = [lv for k, lv in enumerate(levels) if k != 50]
    assert others.count("crisis") == 0 and others.count("alert") <= 2


def test_alps_says_nothing_on_less_than_three_years_or_too_many_gaps():
    values, months = seasonal_series(months=30)
    assert np.isnan(ew.alps(values, months)).all()
    values, months = seasonal_series(months=48)
    values[::2] = np.nan  # half the months missing: below 70 %
    assert np.isnan(ew.alps(values, months)).all()


def test_alps_realtime_fits_only_the_history_known_at_each_month():
    values, months = seasonal_series(months=48, spike_at=47, spike=25.0)
    realtime = ew.alps_realtime(values, months)
    assert np.isnan(realtime[:35]).all() and realtime[47] > 2


def test_ifpa_matches_a_hand_computed_value():
    # 39 months of a price that wobbles around a 1 %-a-month rise; the last month jumps 10 %.
    prices = [100 * 1.01**k * (1 + 0.03 * math.sin(k)) for k in range(38)]
    prices.append(prices[-1] * 1.10)
    got = ew.ifpa(np.array(prices), (np.arange(39) % 12) + 1, gamma=0.4, min_years=2)

    # By hand, for the last month (index 38, a March): the March growth rates are those at 14, 26
    # and 38 (index 2 has no quarter before it), standardised with their population deviation.
    def cqgr(t):
        return (prices[t] / prices[t - 3]) ** (1 / 3) - 1

    def cagr(t):
        return (prices[t] / prices[t - 12]) ** (1 / 12) - 1

    def z(x, sample):
        mean = sum(sample) / len(sample)
        sd = (sum((s - mean) ** 2 for s in sample) / len(sample)) ** 0.5
        return (x - mean) / sd

    marches = (14, 26, 38)
    expected = 0.4 * z(cqgr(38), [cqgr(t) for t in marches]) + 0.6 * z(cagr(38), [cagr(t) for t in marches])
    assert got[38] == pytest.approx(expected, rel=1e-9)
    assert expected > 1  # the jump is abnormally high
    # With only 14 months, no calendar month has two years of annual growth: no IFPA yet.
    assert np.isnan(ew.ifpa(np.array(prices[:14]), (np.arange(14) % 12) + 1)).all()


def test_hog_grain_ratio_moves_through_the_bands_as_the_plan_describes():
    hog = np.array([16.0, 15.0, 14.4, 14.0, 13.8, 13.6, 11.0, 12.9, 15.5])
    maize = np.full(9, 2.4)
    ratio = ew.ratio(hog, maize)  # 6.67, 6.25, 6.0, 5.83, 5.75, 5.67, 4.58, 5.38, 6.46
    assert ew.levels(ratio, HOG_GRAIN_BANDS) == [
        "normal",
        "normal",
        "normal",  # exactly 6:1 is not below 6
        "stress",  # under 6:1: level 3
        "stress",
        "alert",  # the third week in 5–6:1: level 2
        "crisis",  # under 5:1: level 1
        "stress",  # back in 5–6:1, the run starts again
        "normal",
    ]


def test_week_on_week_and_year_on_year_are_percent_changes():
    values = np.array([10.0, 11.0, np.nan, 13.2])
    wow = ew.change_pct(values, 1)
    assert np.isnan(wow[0]) and wow[1] == pytest.approx(10.0) and np.isnan(wow[2]) and np.isnan(wow[3])
    assert ew.change_pct(values, 3)[3] == pytest.approx(32.0)


@pytest.mark.parametrize(
    "bands, message",
    [
        ([], "分级应为非空列表"),
        ([{"from": 2, "level": "red"}], "级别应为"),
        ([{"from": 2, "to": 1, "level": "alert"}], "下限应小于上限"),
        ([{"from": "x", "level": "alert"}], "应为数字"),
        ([{"to": 6, "weeks": 0, "level": "alert"}], "持续周数"),
    ],
)
def test_bands_that_cannot_be_used_are_refused_with_a_reason(bands, message):
    assert any(message in p for p in ew.validate_bands(bands))


def test_the_matrix_forms_give_the_same_numbers_as_one_series_at_a_time():
    rows = [seasonal_series(months=48, seed=s)[0] for s in range(4)]
    rows[2][5] = np.nan  # a series with a gap goes the one-by-one way
    months = seasonal_series(months=48)[1]
    matrix = np.array(rows)
    together = ew.alps_matrix(matrix, months)
    for k, row in enumerate(rows):
        np.testing.assert_allclose(together[k], ew.alps(row, months), equal_nan=True)
    np.testing.assert_allclose(
        ew.ifpa(matrix, months), np.array([ew.ifpa(row, months) for row in rows]), equal_nan=True
    )
