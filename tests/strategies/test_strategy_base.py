"""The Strategy output contract: the signal frame, warm-up masking, latest_signal on frames and on arrays
(the live path), the array-first ArrayStrategy; and the state tools."""

from __future__ import annotations

import re
from typing import ClassVar

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from perpbot.errors import StrategyError
from perpbot.model import Signal
from perpbot.strategies import (
    LIVE_WINDOW,
    ArrayStrategy,
    CandleArrays,
    Param,
    SignalArrays,
    SignalFrame,
    Strategy,
    hold_state,
    quantize,
)
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


# ------------------------------------------------------------------------------- arrays (the live path)


class Slope(ArrayStrategy):
    """Array-first: +1 on a rising close, -1 otherwise; stop 1% of the close; target 2% when asked."""

    name = "slope"
    params: ClassVar[dict[str, Param]] = {
        "warm": Param(int, 10, min=1, max=5000, help="warm-up"),
        "mode": Param(str, "ok", choices=("ok", "target", "nan", "short"), help="what to emit"),
    }

    @property
    def warmup(self) -> int:
        return self.int_param("warm")

    def compute_arrays(self, candles: CandleArrays) -> SignalArrays:
        close = candles.close
        signal = np.where(np.diff(close, prepend=close[0]) > 0, 1.0, -1.0)
        mode = self.str_param("mode")
        if mode == "nan":
            signal[-1] = np.nan
        if mode == "short":
            return signal[1:], close * 0.01, None
        return signal, close * 0.01, close * 0.02 if mode == "target" else None


def upto(arrays: CandleArrays, end: int) -> CandleArrays:
    """The first `end` candles, as the live window would hold them after that many closes."""
    return CandleArrays(arrays.ts[:end], arrays.open[:end], arrays.high[:end], arrays.low[:end],
                        arrays.close[:end], arrays.volume[:end])


def test_candle_arrays_from_a_frame_and_back() -> None:
    candles = make_candles(30)
    arrays = CandleArrays.from_frame(candles)
    assert len(arrays) == 30 and arrays.ts.dtype == np.int64 and arrays.close.dtype == np.float64
    pd.testing.assert_frame_equal(arrays.frame(), candles)
    np.testing.assert_array_equal(arrays.tail(10).high, candles["high"].to_numpy()[-10:])
    assert len(arrays.tail(10)) == 10 and arrays.tail(30) is arrays and arrays.tail(99) is arrays
    with pytest.raises(StrategyError, match="missing 'ts'"):
        CandleArrays.from_frame(candles.drop(columns=["ts"]))


def test_an_array_strategy_computes_frames_through_its_arrays() -> None:
    candles = make_candles(50)
    candles.index = pd.RangeIndex(7, 57)
    out = Slope(warm=10).compute(candles)
    signal, stop, _ = Slope().compute_arrays(CandleArrays.from_frame(candles))
    assert list(out.columns) == ["signal", "stop_distance", "take_profit_distance"] and out.index.equals(candles.index)
    assert (out["signal"].iloc[:9] == 0.0).all() and out["stop_distance"].iloc[:9].isna().all()
    np.testing.assert_array_equal(out["signal"].to_numpy()[9:], signal[9:])
    np.testing.assert_array_equal(out["stop_distance"].to_numpy()[9:], stop[9:])
    assert out["take_profit_distance"].isna().all()


@pytest.mark.parametrize("strategy", [Echo(warm=10), Echo(warm=600), Slope(warm=10), Slope(warm=30, mode="target")],
                         ids=["frame-only", "frame-only-long-warmup", "arrays", "arrays-with-target"])
def test_latest_signal_on_arrays_equals_the_frame_path(strategy: Strategy) -> None:
    """Arrays (live) and frames give the same Signal; a strategy written only against compute(DataFrame)
    runs on arrays unchanged, through the default compute_arrays."""
    candles = make_candles(900)
    arrays = CandleArrays.from_frame(candles)
    for end in (1, 9, 10, 11, 29, 30, 31, 499, 500, 501, 599, 600, 601, 900):
        on_arrays = strategy.latest_signal(upto(arrays, end), "BTCUSDT", "1h")
        assert on_arrays == strategy.latest_signal(candles.iloc[:end], "BTCUSDT", "1h"), f"after {end} candles"
        assert on_arrays.ts == int(candles["ts"].iloc[end - 1]) + 3_600_000
        if end < strategy.warmup:
            assert on_arrays.value == 0.0 and on_arrays.stop_distance is None
        else:
            assert on_arrays.value in (-1.0, 1.0) and on_arrays.stop_distance is not None
    if isinstance(strategy, Echo):
        assert strategy.seen[-1] == strategy.window  # computed on the live window, as with frames


def test_latest_signal_on_arrays_errors() -> None:
    arrays = CandleArrays.from_frame(make_candles(20))
    with pytest.raises(StrategyError, match="slope: no candles"):
        Slope().latest_signal(upto(arrays, 0), "BTCUSDT", "1h")
    with pytest.raises(StrategyError, match=re.escape("slope: compute_arrays must return one value per candle (20)")):
        Slope(mode="short").latest_signal(arrays, "BTCUSDT", "1h")
    with pytest.raises(StrategyError, match="slope: signal must be in \\[-1, 1\\] and not NaN, was nan"):
        Slope(mode="nan").latest_signal(arrays, "BTCUSDT", "1h")
    assert Slope(mode="nan", warm=21).latest_signal(arrays, "BTCUSDT", "1h").value == 0.0  # still warm-up
    with pytest.raises(StrategyError, match="echo: compute must return 20 rows with columns signal"):
        Echo(mode="short").latest_signal(arrays, "BTCUSDT", "1h")
    with pytest.raises(StrategyError, match="compute must return one value per candle"):
        Slope(mode="short").compute(make_candles(20))


def test_an_array_strategy_must_implement_compute_arrays() -> None:
    class NoArrays(ArrayStrategy):
        name = "no_arrays"

    with pytest.raises(TypeError):
        NoArrays()  # type: ignore[abstract]


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


def reference_hold_state(events: dict[str, np.ndarray], max_hold: int) -> list[float]:
    """The documented rule as a plain loop: the latest entry's side while it is younger than max_hold
    and no exit of that side came after it; opposite entries on one row cancel (flat, still an entry)."""
    out, side, entry_row, exited = [], 0, None, False
    for t in range(len(events["long_entry"])):
        long_in, short_in = bool(events["long_entry"][t]), bool(events["short_entry"][t])
        if long_in or short_in:
            side, entry_row, exited = int(long_in) - int(short_in), t, False
        elif (side > 0 and events["long_exit"][t]) or (side < 0 and events["short_exit"][t]):
            exited = True
        alive = entry_row is not None and t - entry_row < max_hold and not exited
        out.append(float(side) if alive else 0.0)
    return out


@settings(max_examples=300, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(0, 80), max_hold=st.integers(1, 30),
       density=st.floats(0.02, 0.6))
def test_hold_state_matches_the_per_row_rule(seed: int, n: int, max_hold: int, density: float) -> None:
    rng = np.random.default_rng(seed)
    events = {key: rng.random(n) < density for key in ("long_entry", "short_entry", "long_exit", "short_exit")}
    got = hold_state(**events, max_hold=max_hold)
    assert got.dtype == np.float64
    assert got.tolist() == reference_hold_state(events, max_hold)


def test_quantize_rounds_to_the_grid_and_keeps_nan() -> None:
    out = quantize(np.array([0.123, -0.456, 0.999, np.nan, 0.004]))
    np.testing.assert_array_equal(out, [0.12, -0.46, 1.0, np.nan, 0.0])
    # a difference far below the grid does not change the rounded value
    assert quantize(np.array([0.3 + 1e-13]))[0] == quantize(np.array([0.3 - 1e-13]))[0]
