"""The Strategy output contract: the signal frame, warm-up masking, latest_signal; and the state tools."""

from __future__ import annotations

import re
from typing import ClassVar

import numpy as np
import pandas as pd
import pytest

from perpbot.errors import StrategyError
from perpbot.model import Signal
from perpbot.strategies import LIVE_WINDOW, Param, SignalFrame, Strategy, hold_state, quantize
from tests.conftest import make_candles


class Echo(Strategy):
    """Emits a programmable signal: +1 on rising closes, -1 otherwise; records the frames it saw."""

    name = "echo"
    params: ClassVar[dict[str, Param]] = {
        "warm": Param(int, 10, min=1, max=5000, help="warm-up"),
        "mode": Param(str, "ok", choices=("ok", "nan", "big", "short"), help="what to emit"),
    }

    def setup(self) -> None:
        self.seen: list[int] = []

    @property
    def warmup(self) -> int:
        return self.int_param("warm")

    def compute(self, candles: pd.DataFrame) -> SignalFrame:
        self.seen.append(len(candles))
        _, _, _, close, _ = self.ohlcv(candles)
        signal = np.where(np.diff(close, prepend=close[0]) > 0, 1.0, -1.0)
        mode = self.str_param("mode")
        if mode == "nan":
            signal[-3] = np.nan
        elif mode == "big":
            signal[-1] = 1.5
        elif mode == "short":
            return pd.DataFrame({"signal": signal[1:]})
        stop = close * 0.01
        target = close * 0.02
        return self.signal_frame(candles, signal, stop, target)


def test_frame_layout_and_warmup_masking() -> None:
    candles = make_candles(50)
    candles.index = pd.RangeIndex(100, 150)  # the output keeps the input's index, whatever it is
    out = Echo(warm=10).compute(candles)
    assert list(out.columns) == ["signal", "stop_distance", "take_profit_distance"]
    assert all(out[c].dtype == np.float64 for c in out.columns)
    assert out.index.equals(candles.index)
    # rows 0..8 are warm-up (9 candles are not enough); row 9 is the first valid one
    assert (out["signal"].iloc[:9] == 0.0).all()
    assert out["stop_distance"].iloc[:9].isna().all()
    assert out["take_profit_distance"].iloc[:9].isna().all()
    assert out["signal"].iloc[9:].abs().eq(1.0).all()
    assert (out["stop_distance"].iloc[9:] > 0).all()


def test_nan_or_out_of_range_signal_after_warmup_is_a_strategy_error() -> None:
    candles = make_candles(50)
    message = "echo: signal must be in [-1, 1] and not NaN after warm-up, was nan at row 47"
    with pytest.raises(StrategyError, match=re.escape(message)):
        Echo(mode="nan").compute(candles)
    with pytest.raises(StrategyError, match=r"was 1\.5 at row 49"):
        Echo(mode="big").compute(candles)
    # inside the warm-up, NaN is simply masked to 0
    assert Echo(mode="nan", warm=49).compute(candles)["signal"].iloc[47] == 0.0


def test_read_only_inputs_are_copied_not_written() -> None:
    candles = make_candles(30)
    close = candles["close"].to_numpy()  # a read-only view under copy-on-write
    before = candles.copy()
    out = Echo(warm=10).signal_frame(candles, np.zeros(30), close)
    assert out["stop_distance"].isna().sum() == 9
    pd.testing.assert_frame_equal(candles, before)


def test_shape_mismatch_is_reported() -> None:
    strategy = Echo()
    with pytest.raises(StrategyError, match="one value per candle"):
        strategy.signal_frame(make_candles(5), np.zeros(4), np.zeros(5))


def test_missing_column_is_reported() -> None:
    message = "candles must have columns ts, open, high, low, close, volume, missing 'high'"
    with pytest.raises(StrategyError, match=message):
        Echo().compute(make_candles(20).drop(columns=["high"]))


def test_latest_signal_is_the_last_row_stamped_at_candle_close() -> None:
    candles = make_candles(120)
    strategy = Echo()
    frame = strategy.compute(candles)
    signal = strategy.latest_signal(candles, "BTCUSDT", "1h")
    assert isinstance(signal, Signal)
    assert signal.strategy == "echo" and signal.symbol == "BTCUSDT" and signal.timeframe == "1h"
    assert signal.ts == int(candles["ts"].iloc[-1]) + 3_600_000
    assert signal.value == frame["signal"].iloc[-1]
    assert signal.stop_distance == pytest.approx(frame["stop_distance"].iloc[-1])
    assert signal.take_profit_distance == pytest.approx(frame["take_profit_distance"].iloc[-1])


def test_latest_signal_computes_on_the_live_window() -> None:
    strategy = Echo(warm=10)
    strategy.latest_signal(make_candles(2000), "BTCUSDT", "15m")
    assert strategy.seen[-1] == LIVE_WINDOW
    long_warmup = Echo(warm=800)
    assert long_warmup.window == 800
    long_warmup.latest_signal(make_candles(2000), "BTCUSDT", "15m")
    assert long_warmup.seen[-1] == 800


def test_latest_signal_before_warmup_has_no_view() -> None:
    signal = Echo(warm=100).latest_signal(make_candles(50), "ETHUSDT", "5m")
    assert signal.value == 0.0
    assert signal.stop_distance is None and signal.take_profit_distance is None


def test_latest_signal_errors() -> None:
    with pytest.raises(StrategyError, match="echo: no candles"):
        Echo().latest_signal(make_candles(5).iloc[:0], "BTCUSDT", "1h")
    with pytest.raises(StrategyError, match=r"echo: timeframe must be one of .*was '7m'"):
        Echo().latest_signal(make_candles(20), "BTCUSDT", "7m")
    with pytest.raises(StrategyError, match="echo: compute must return 20 rows with columns signal"):
        Echo(mode="short").latest_signal(make_candles(20), "BTCUSDT", "1h")


def test_an_abstract_strategy_cannot_be_instantiated() -> None:
    class NoCompute(Strategy):
        name = "no_compute"

    with pytest.raises(TypeError):
        NoCompute()  # type: ignore[abstract]


# ------------------------------------------------------------------------------------------- tools


def _events(n: int, **at: list[int]) -> dict[str, np.ndarray]:
    out = {}
    for key in ("long_entry", "short_entry", "long_exit", "short_exit"):
        arr = np.zeros(n, dtype=bool)
        arr[at.get(key, [])] = True
        out[key] = arr
    return out


def test_hold_state_follows_entries_and_exits() -> None:
    ev = _events(12, long_entry=[1], long_exit=[4], short_entry=[6], short_exit=[9])
    state = hold_state(**ev, max_hold=100)
    np.testing.assert_array_equal(state, [0, 1, 1, 1, 0, 0, -1, -1, -1, 0, 0, 0])


def test_hold_state_reversal_and_ignored_exits() -> None:
    # a short exit while long changes nothing; a short entry flips a long directly
    ev = _events(8, long_entry=[1], short_exit=[3], short_entry=[5])
    np.testing.assert_array_equal(hold_state(**ev, max_hold=100), [0, 1, 1, 1, 1, -1, -1, -1])


def test_hold_state_max_hold_counts_from_the_last_entry() -> None:
    ev = _events(10, long_entry=[1, 3])
    np.testing.assert_array_equal(hold_state(**ev, max_hold=3), [0, 1, 1, 1, 1, 1, 0, 0, 0, 0])
    np.testing.assert_array_equal(hold_state(**ev, max_hold=1), [0, 1, 0, 1, 0, 0, 0, 0, 0, 0])


def test_hold_state_same_row_rules() -> None:
    # an entry beats an exit on the same row; opposite entries on one row cancel
    ev = _events(6, long_entry=[1], long_exit=[1, 3])
    np.testing.assert_array_equal(hold_state(**ev, max_hold=10), [0, 1, 1, 0, 0, 0])
    ev = _events(5, long_entry=[1, 3], short_entry=[3])
    np.testing.assert_array_equal(hold_state(**ev, max_hold=10), [0, 1, 1, 0, 0])
    with pytest.raises(ValueError, match="max_hold must be >= 1, was 0"):
        hold_state(**ev, max_hold=0)


def test_quantize_rounds_to_the_grid_and_keeps_nan() -> None:
    out = quantize(np.array([0.123, -0.456, 0.999, np.nan, 0.004]))
    np.testing.assert_array_equal(out, [0.12, -0.46, 1.0, np.nan, 0.0])
    # a difference far below the grid does not change the rounded value
    assert quantize(np.array([0.3 + 1e-13]))[0] == quantize(np.array([0.3 - 1e-13]))[0]
