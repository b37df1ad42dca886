"""A report input built from an in-memory backtest carries the run's own numbers and candles."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from tests.analytics.report import support

from perpbot.analytics.report import ReportError, load_candles
from perpbot.analytics.report.marks import entry_stops
from perpbot.data.memory import InMemorySource
from perpbot.model.timeframe import timeframe_ms


def test_from_result_carries_the_runs_identity_and_money_exactly() -> None:
    result, report = support.generated_result(), support.generated_input()
    meta = report.meta
    assert report.name == result.name
    assert (meta.fingerprint, meta.data_label, meta.timeframe) == (result.fingerprint, result.data_label, "15m")
    assert (meta.starting_balance, meta.final_balance) == (result.starting_balance, result.final_balance)
    assert (meta.start_ts, meta.end_ts) == (int(result.ts[0]), int(result.ts[-1]))
    assert not meta.is_real_data and meta.generated_at is None
    assert report.metrics == result.metrics and report.breakdowns == result.breakdowns
    assert report.venue_stats == result.venue_stats
    assert len(report.frames.trades) == len(result.trades)
    assert len(report.frames.equity) == len(result.equity)


def test_candles_cover_every_bar_of_the_run() -> None:
    result, report = support.generated_result(), support.generated_input()
    step = timeframe_ms(result.timeframe)
    for symbol, frame in report.candles.items():
        opens = frame["ts"].to_numpy(dtype=np.int64)
        assert (opens + step).tolist() == result.ts.tolist(), symbol  # equity ts are the candles' closes


@pytest.mark.shared_data
def test_every_real_trade_has_its_entry_stop(shared_data: Path) -> None:
    result, report = support.real_result(shared_data), support.real_input(shared_data)
    stops = entry_stops(report.frames)
    assert np.isfinite(stops).all()
    for trade, stop in zip(result.trades, stops, strict=True):
        assert (stop < float(trade.entry_price)) == (trade.side.value == "Buy")  # below a long, above a short


def test_stops_fall_back_to_the_decisions_when_orders_are_not_stored() -> None:
    report = support.generated_input()
    from_orders = entry_stops(report.frames)
    frames = report.frames
    without_orders = type(frames)(**{**frames.tables(), "orders": frames.orders.iloc[:0]})
    from_decisions = entry_stops(without_orders)
    assert np.isfinite(from_orders).sum() == len(frames.trades)
    assert np.array_equal(from_orders, from_decisions)


def test_missing_candles_name_the_symbol_and_window() -> None:
    source = InMemorySource({})
    with pytest.raises(ReportError, match=r"cannot chart BTCUSDT: its 15m candles from 2024-01-01T00:00:00Z"):
        load_candles(source, [("BTCUSDT", 1_704_067_200_000, 1_704_153_600_000)], "15m")


def test_the_candle_window_of_the_meta_gives_the_same_candles_as_the_run() -> None:
    report = support.generated_input()
    start, end = report.meta.candle_window()
    again = load_candles(support.generated_source(), [(s, start, end) for s in sorted(report.candles)], "15m")
    for symbol, frame in report.candles.items():
        assert again[symbol].equals(frame), symbol
