from __future__ import annotations

import pytest

from perpbot.risk.liquidation import liquidation_factor, liquidation_price, stop_inside_liquidation

from .book import D


def test_help_centre_example() -> None:
    # Bybit help centre: 1 BTC long at 20 000, 50x, MMR 0.5 % -> IM 400, MM 100, LP 19 700.
    assert liquidation_price(D(20_000), D(50), D("0.005"), long=True) == D(19_700)


def test_short_mirror() -> None:
    # Short: 20 000 * (1 + 1/50 - 0.005) = 20 300.
    assert liquidation_price(D(20_000), D(50), D("0.005"), long=False) == D(20_300)


def test_low_leverage_long_liquidates_far_below() -> None:
    # 1x long: 50 000 * (1 - 1 + 0.005) = 250.
    assert liquidation_price(D(50_000), D(1), D("0.005"), long=True) == D(250)


def test_the_price_is_the_entry_times_the_factor() -> None:
    assert liquidation_factor(D(50), D("0.005"), long=True) == D("0.985")
    assert liquidation_factor(D(3), D("0.01"), long=False) == 1 + D(1) / 3 - D("0.01")
    for long in (True, False):
        assert liquidation_price(D("61234.5"), D(7), D("0.005"), long=long) == D("61234.5") * liquidation_factor(
            D(7), D("0.005"), long=long)


def test_leverage_must_be_positive() -> None:
    with pytest.raises(ValueError, match="leverage must be positive, was 0"):
        liquidation_price(D(20_000), D(0), D("0.005"), long=True)


def test_stop_inside_with_buffer_passes() -> None:
    # Liquidation 19 700; buffer 0.5 % of 20 000 = 100; a long stop must be >= 19 800.
    assert stop_inside_liquidation(D(19_800), D(20_000), D(19_700), D("0.005"), long=True) is None
    assert stop_inside_liquidation(D(20_200), D(20_000), D(20_300), D("0.005"), long=False) is None


def test_long_stop_beyond_the_buffer_is_refused_with_the_numbers() -> None:
    why = stop_inside_liquidation(D("19799.9"), D(20_000), D(19_700), D("0.005"), long=True)
    assert why == (
        "stop 19799.9 of the long is not safely inside the liquidation price 19700: it must be at or above 19800 "
        "(buffer 100 = 0.5% of entry 20000); lower the leverage or tighten the stop"
    )


def test_short_stop_beyond_the_buffer_is_refused() -> None:
    why = stop_inside_liquidation(D(20_250), D(20_000), D(20_300), D("0.005"), long=False)
    assert why is not None
    assert "stop 20250 of the short" in why
    assert "liquidation price 20300" in why
    assert "must be at or below 20200" in why
    assert "buffer 100" in why


def test_zero_buffer_allows_a_stop_at_liquidation() -> None:
    assert stop_inside_liquidation(D(19_700), D(20_000), D(19_700), D(0), long=True) is None
