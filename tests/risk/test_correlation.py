from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from perpbot.risk.correlation import check_pair, pearson, pearson_many, pearson_rows, stack_equal

RNG = np.random.default_rng(11)
BASE = RNG.normal(0, 0.01, 200)
NOISE = RNG.normal(0, 0.01, 200)


def test_pearson_matches_numpy() -> None:
    a = BASE
    b = 0.6 * BASE + 0.8 * NOISE
    value, points = pearson(a, b, 20)
    assert points == 200
    assert value == pytest.approx(np.corrcoef(a, b)[0, 1], abs=1e-12)


def test_perfect_and_inverse_correlation() -> None:
    assert pearson(BASE, 3 * BASE + 0.001, 20)[0] == pytest.approx(1.0)
    assert pearson(BASE, -BASE, 20)[0] == pytest.approx(-1.0)


def test_series_are_aligned_on_their_most_recent_end() -> None:
    a = BASE  # 200 points
    b = BASE[-80:] * 2  # only the last 80 exist
    value, points = pearson(a, b, 20)
    assert points == 80
    assert value == pytest.approx(1.0)


def test_too_few_points_gives_no_value() -> None:
    assert pearson(BASE[:19], BASE[:19], 20) == (None, 19)
    assert pearson(BASE, np.zeros(0), 20) == (None, 0)


def test_a_constant_series_gives_no_value() -> None:
    assert pearson(BASE[:50], np.full(50, 0.002), 20) == (None, 50)
    assert pearson(np.zeros(50), BASE[:50], 20) == (None, 50)


def test_non_finite_pairs_are_dropped() -> None:
    a = BASE[:60].copy()
    b = 2 * BASE[:60]
    a[5] = np.nan
    b[7] = np.inf
    value, points = pearson(a, b, 20)
    assert points == 58
    assert value == pytest.approx(1.0)
    a[:45] = np.nan
    assert pearson(a, b, 20) == (None, 15)


finite = st.floats(min_value=-0.2, max_value=0.2, allow_nan=False, allow_infinity=False)


@settings(max_examples=200, deadline=None)
@given(arrays(np.float64, st.integers(20, 120), elements=finite), st.integers(0, 2**31 - 1))
def test_pearson_property_matches_numpy(a: np.ndarray, seed: int) -> None:
    b = 0.5 * a + np.random.default_rng(seed).normal(0, 0.01, len(a))
    value, _ = pearson(a, b, 20)
    if np.std(a) < 1e-6:
        return  # near-constant: numpy's own answer is rounding noise
    assert value is not None
    assert -1.0 <= value <= 1.0
    assert value == pytest.approx(np.corrcoef(a, b)[0, 1], abs=1e-6)


def test_series_too_small_to_measure_are_not_measured_rather_than_dividing_by_zero() -> None:
    # Property testing found it: returns of 1e-158 have positive variances whose product underflows to 0.
    a = np.full(20, 1.3751998129961655e-158)
    a[7] = 1.37519981e-158  # one return a rounding apart: the variance is positive, and subnormal
    b = 0.5 * a + np.random.default_rng(0).normal(0, 0.01, len(a))
    assert pearson(a, b, 20) == (None, 20)
    assert pearson_rows(np.stack([a, b]), 20) == [(None, 20)]


def test_same_side_high_correlation_is_rejected_with_the_numbers() -> None:
    result = check_pair("BTCUSDT", 1, BASE, "ETHUSDT", 1, 2 * BASE, 0.8, 20)
    assert not result.passed
    assert result.other == "ETHUSDT"
    assert result.correlation == pytest.approx(1.0)
    assert result.detail == (
        "BTCUSDT is correlated with ETHUSDT at 1.000 over 200 returns (limit 0.8), same side as the open "
        "ETHUSDT position"
    )


def test_opposite_sides_of_positively_correlated_symbols_is_a_hedge() -> None:
    assert check_pair("BTCUSDT", -1, BASE, "ETHUSDT", 1, 2 * BASE, 0.8, 20).passed


def test_opposite_sides_of_negatively_correlated_symbols_is_the_same_exposure() -> None:
    result = check_pair("BTCUSDT", -1, BASE, "ETHUSDT", 1, -BASE, 0.8, 20)
    assert not result.passed
    assert "at -1.000" in result.detail
    assert "opposite side of the open ETHUSDT position with negative correlation" in result.detail


def test_same_side_of_negatively_correlated_symbols_passes() -> None:
    assert check_pair("BTCUSDT", 1, BASE, "ETHUSDT", 1, -BASE, 0.8, 20).passed


def test_correlation_at_the_limit_passes() -> None:
    b = 0.8 * BASE + 0.6 * NOISE
    corr = pearson(BASE, b, 20)[0]
    assert corr is not None
    assert check_pair("BTCUSDT", 1, BASE, "ETHUSDT", 1, b, corr, 20).passed  # not above the limit
    assert not check_pair("BTCUSDT", 1, BASE, "ETHUSDT", 1, b, corr - 1e-9, 20).passed


def test_unmeasurable_passes_with_a_note() -> None:
    result = check_pair("BTCUSDT", 1, BASE[:10], "ETHUSDT", 1, BASE[:10], 0.8, 20)
    assert result.passed
    assert result.correlation is None
    assert result.detail == (
        "BTCUSDT vs ETHUSDT: not measured (10 aligned returns, need 20, or a series is constant); passed"
    )


@settings(max_examples=200, deadline=None)
@given(n=st.integers(0, 160), m=st.integers(0, 8), seed=st.integers(0, 2**32 - 1),
       twist=st.sampled_from(["none", "nan", "inf", "short", "constant"]))
def test_pearson_many_is_pearson_pair_by_pair_bit_for_bit(n: int, m: int, seed: int, twist: str) -> None:
    rng = np.random.default_rng(seed)
    a = rng.normal(0, 0.01, n)
    others = [rng.normal(0, 0.01, n) + k * a for k in range(m)]
    if others and n > 3:
        if twist in {"nan", "inf"}:
            others[-1][n // 2] = np.nan if twist == "nan" else np.inf
        elif twist == "short":
            others[0] = others[0][1:]
        elif twist == "constant":
            others[0][:] = 0.001
    assert pearson_many(a, others, 20) == [pearson(a, b, 20) for b in others]


@settings(max_examples=100, deadline=None)
@given(n=st.integers(0, 160), width=st.integers(0, 400), seed=st.integers(0, 2**32 - 1),
       picks=st.lists(st.integers(0, 7), min_size=1, max_size=8), nan=st.booleans())
def test_pearson_rows_of_a_market_block_is_pearson_pair_by_pair(n: int, width: int, seed: int, picks: list[int],
                                                                   nan: bool) -> None:
    # the backtest's market hands the gate rows cut from one returns matrix (a fancy-indexed copy)
    rng = np.random.default_rng(seed)
    matrix = rng.normal(0, 0.01, (8, n + width))
    if nan and n > 3:
        matrix[picks[-1], width + n // 2] = np.nan
    block = matrix[picks, width:width + n]
    expected = [pearson(block[0], block[i], 20) for i in range(1, len(picks))]
    assert pearson_rows(block, 20) == expected
    assert pearson_many(block[0], list(block[1:]), 20) == expected


def test_stack_equal_only_stacks_equally_long_series() -> None:
    stacked = stack_equal([BASE[:5], NOISE[:5]])
    assert stacked is not None
    assert stacked.shape == (2, 5)
    assert stack_equal([BASE[:5], NOISE[:4]]) is None
    assert stack_equal([]) is None
