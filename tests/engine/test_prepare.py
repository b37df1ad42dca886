"""Preparing a backtest: every symbol cut to the range they share, on one grid."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from perpbot.config import parse_config
from perpbot.data.memory import InMemorySource
from perpbot.engine.prepare import _grid_rows, _map_to_grid, prepare
from perpbot.errors import DataError
from perpbot.model.timeframe import timeframe_ms
from perpbot.strategies.registry import StrategyRegistry
from tests.conftest import make_candles

STEP = 900_000


def _config() -> Any:
    return parse_config({
        "name": "prepare-test",
        "symbols": [{"symbol": "BTCUSDT"}, {"symbol": "ETHUSDT"}],
        "strategies": [{"name": "ema_cross", "timeframe": "15m", "params": {"fast": 8, "slow": 21}}],
        "regime": {"enabled": False},
    })


def test_symbols_are_cut_to_the_range_they_share() -> None:
    btc = make_candles(600, seed=1, step_ms=STEP, price=60000.0)
    eth = make_candles(600, seed=2, step_ms=STEP, price=3000.0)
    eth["ts"] += 100 * STEP  # ETHUSDT starts 100 bars later and ends 100 bars later
    source = InMemorySource({("BTCUSDT", "15m"): btc, ("ETHUSDT", "15m"): eth})
    data = prepare(_config(), source, StrategyRegistry()).data
    assert data.ts.tolist() == btc["ts"].iloc[100:].tolist()
    btc_prepared, eth_prepared = data.symbols
    assert btc_prepared.close.tolist() == btc["close"].iloc[100:].tolist()
    assert eth_prepared.close.tolist() == eth["close"].iloc[:500].tolist()
    assert eth_prepared.open.tolist() == eth["open"].iloc[:500].tolist()
    assert len(btc_prepared.direction) == len(eth_prepared.direction) == 500


def test_symbols_that_share_no_range_are_refused_naming_each_range() -> None:
    btc = make_candles(300, seed=1, step_ms=STEP, price=60000.0)
    eth = make_candles(300, seed=2, step_ms=STEP, price=3000.0)
    eth["ts"] += 400 * STEP
    source = InMemorySource({("BTCUSDT", "15m"): btc, ("ETHUSDT", "15m"): eth})
    with pytest.raises(DataError, match=r"do not overlap \(BTCUSDT: .*\.\..*, ETHUSDT: "):
        prepare(_config(), source, StrategyRegistry())


def _searched(src_open: np.ndarray, src_tf: str, grid: np.ndarray, grid_tf: str, values: np.ndarray) -> np.ndarray:
    """The mapping by search alone: the last source candle closed by each grid candle's close."""
    rows = np.searchsorted(src_open + timeframe_ms(src_tf), grid + timeframe_ms(grid_tf), side="right") - 1
    return np.where(rows >= 0, values[np.maximum(rows, 0)], np.nan)


@settings(max_examples=150, deadline=None)
@given(src_tf=st.sampled_from(["1m", "5m"]), before=st.integers(0, 30), length=st.integers(1, 40),
       gap=st.one_of(st.none(), st.integers(0, 60)), shift=st.integers(-40, 40))
def test_grid_mapping_by_slice_equals_the_search(src_tf: str, before: int, length: int, gap: int | None,
                                                 shift: int) -> None:
    """A grid that is a run of the strategy's own candles (after its warm-up) is mapped by a slice; any other
    grid (another timeframe, a gap in the source, a grid outside it) by search. Both give what the search gives."""
    minute = timeframe_ms("1m")
    src_open = np.arange(before + 80, dtype=np.int64) * timeframe_ms(src_tf)
    if gap is not None:  # a hole in the source candles
        src_open = np.delete(src_open, min(gap, len(src_open) - 1))
    values = np.arange(len(src_open), dtype=np.float64) * 1.5
    grid = (np.arange(length, dtype=np.int64) + before + shift) * timeframe_ms(src_tf)
    for grid_tf, grid_ts in ((src_tf, grid), ("1m", np.arange(length, dtype=np.int64) * minute + before * minute)):
        rows = _grid_rows(src_open, src_tf, grid_ts, grid_tf)
        mapped = _map_to_grid(rows, values, np.nan)
        np.testing.assert_array_equal(mapped, _searched(src_open, src_tf, grid_ts, grid_tf, values))
        assert mapped.dtype == np.float64 and not np.shares_memory(mapped, values)


def test_the_execution_timeframe_after_warm_up_maps_by_slice() -> None:
    src_open = np.arange(100, dtype=np.int64) * 60_000
    rows = _grid_rows(src_open, "1m", src_open[30:], "1m")
    assert rows == slice(30, 100)
