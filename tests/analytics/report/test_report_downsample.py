"""Thinning for the screen keeps what matters: extremes and the deepest drawdown of the curve, true OHLC candles."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from tests.analytics.report.support import array, chart_figures

from perpbot.analytics.report import ReportInput, ReportMeta, write_report
from perpbot.analytics.report.curves import drawdown, equity_view, monthly_returns
from perpbot.analytics.report.downsample import chart_candles, envelope_indices, merge_candles
from perpbot.sessions.frames import (
    DECISION_COLUMNS,
    FILL_COLUMNS,
    FUNDING_COLUMNS,
    ORDER_COLUMNS,
    ORDER_EVENT_COLUMNS,
    TRADE_COLUMNS,
    SessionFrames,
)

MINUTE = 60_000
YEAR_START = 1_704_067_200_000  # 2024-01-01 UTC


def _walk(n: int, seed: int, start: float = 10_000.0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return start * np.exp(np.cumsum(rng.normal(0, 0.0008, n)))


@given(values=arrays(np.float64, st.integers(1, 3000), elements=st.floats(1, 1e6)),
       max_points=st.integers(5, 400))
@settings(max_examples=200, deadline=None)
def test_envelope_never_exceeds_the_budget_and_keeps_every_extreme(values: np.ndarray, max_points: int) -> None:
    depth = drawdown(values, float(values[0]))
    keep = envelope_indices(values, depth, max_points)
    assert keep.size <= max_points
    assert (np.diff(keep) > 0).all()
    assert keep[0] == 0 and keep[-1] == values.size - 1
    assert values[keep].max() == values.max()
    assert values[keep].min() == values.min()
    assert depth[keep].max() == depth.max()
    if values.size <= max_points:
        assert keep.size == values.size


def test_envelope_keeps_the_low_and_high_of_every_bucket() -> None:
    values = _walk(100_000, seed=1)
    keep = envelope_indices(values, drawdown(values, 10_000.0), 1000)
    size = -(-values.size // (998 // 3))
    for start in range(0, values.size, size):
        bucket = values[start:start + size]
        inside = keep[(keep >= start) & (keep < start + size)]
        assert values[inside].min() == bucket.min() and values[inside].max() == bucket.max()


def test_a_year_of_minutes_thins_to_a_few_thousand_points_without_understating_drawdown() -> None:
    n = 525_600
    equity = _walk(n, seed=2)
    ts = YEAR_START + MINUTE * (1 + np.arange(n, dtype=np.int64))
    view = equity_view(ts, equity, 10_000.0, 4000)
    full = drawdown(equity, 10_000.0)
    assert view.ts.size <= 4000 and view.thinned
    assert view.drawdown.max() == full.max() == view.max_drawdown
    naive = equity[:: n // 4000]  # every n-th point: what thinning without extremes would draw
    assert drawdown(naive, 10_000.0).max() < full.max()


def test_candles_merge_with_true_ohlc_and_keep_partial_ends() -> None:
    rng = np.random.default_rng(5)
    n = 3 * 1440 + 250
    close = 100 * np.exp(np.cumsum(rng.normal(0, 0.001, n)))
    open_ = np.r_[100.0, close[:-1]]
    frame = pd.DataFrame({"ts": YEAR_START + 7 * MINUTE + MINUTE * np.arange(n, dtype=np.int64), "open": open_,
                          "high": np.maximum(open_, close) + rng.uniform(0, 0.05, n),
                          "low": np.minimum(open_, close) - rng.uniform(0, 0.05, n), "close": close,
                          "volume": np.ones(n)})
    merged = merge_candles(frame, 3_600_000)
    expected = (frame.assign(hour=pd.to_datetime(frame["ts"], unit="ms").dt.floor("h"))
                .groupby("hour").agg(open=("open", "first"), high=("high", "max"), low=("low", "min"),
                                     close=("close", "last")))
    assert merged["ts"].tolist() == [int(h.value // 1_000_000) for h in expected.index]
    for column in ("open", "high", "low", "close"):
        assert merged[column].tolist() == expected[column].tolist()
    assert merged["ts"].iloc[0] == YEAR_START  # the first, partial hour is drawn, not dropped


def test_chart_timeframe_is_the_finest_that_fits() -> None:
    n = 525_600
    ts = YEAR_START + MINUTE * np.arange(n, dtype=np.int64)
    price = _walk(n, seed=3)
    frame = pd.DataFrame({"ts": ts, "open": price, "high": price, "low": price, "close": price, "volume": 1.0})
    chart = chart_candles(frame, 2500)
    assert (chart.timeframe, chart.source_timeframe, len(chart.frame)) == ("4h", "1m", 2190)
    assert chart_candles(frame, 10_000).timeframe == "1h"
    small = chart_candles(frame.iloc[:500], 2500)
    assert not small.resampled and len(small.frame) == 500


def test_monthly_returns_from_month_end_equity() -> None:
    day = 86_400_000
    ts = np.array([YEAR_START + day, YEAR_START + 31 * day, YEAR_START + 40 * day, YEAR_START + 60 * day],
                  dtype=np.int64)  # Jan 2, Feb 1 00:00 (= end of January), Feb 10, Mar 1 00:00 (= end of February)
    equity = np.array([1010.0, 1100.0, 1000.0, 990.0])
    monthly = monthly_returns(ts, equity, 1000.0)
    assert monthly.years == [2024]
    assert monthly.by_month[0, 0] == pytest.approx(0.10)
    assert monthly.by_month[0, 1] == pytest.approx(990.0 / 1100.0 - 1)
    assert np.isnan(monthly.by_month[0, 2:]).all()
    assert monthly.by_year[0] == pytest.approx(-0.01)


def _empty(columns: tuple[str, ...]) -> pd.DataFrame:
    return pd.DataFrame(columns=list(columns))


def _stored_input(ts: np.ndarray, equity: np.ndarray, candles: dict[str, pd.DataFrame]) -> ReportInput:
    """A report input built the way a session read back from a database would be: tables, no result object."""
    frames = SessionFrames(trades=_empty(TRADE_COLUMNS), orders=_empty(ORDER_COLUMNS),
                           order_events=_empty(ORDER_EVENT_COLUMNS), fills=_empty(FILL_COLUMNS),
                           funding=_empty(FUNDING_COLUMNS), decisions=_empty(DECISION_COLUMNS),
                           equity=pd.DataFrame({"ts": ts, "equity": equity, "exposed": np.zeros(ts.size, bool)}))
    meta = ReportMeta(fingerprint="f" * 16, data_label="real", timeframe="1m", start_ts=int(ts[0]),
                      end_ts=int(ts[-1]), starting_balance=Decimal("10000"),
                      final_balance=Decimal(repr(float(equity[-1]))))
    return ReportInput(name="stored", meta=meta, metrics={}, breakdowns={}, frames=frames, candles=candles,
                       config={})


def test_a_year_long_one_minute_report_draws_a_few_thousand_points(tmp_path: Path) -> None:
    n = 525_600
    ts = YEAR_START + MINUTE * (1 + np.arange(n, dtype=np.int64))
    equity = _walk(n, seed=4)
    price = _walk(n, seed=6, start=60_000.0)
    candles = {"BTCUSDT": pd.DataFrame({"ts": ts - MINUTE, "open": price, "high": price * 1.0005,
                                        "low": price * 0.9995, "close": price, "volume": 1.0})}
    html = write_report(_stored_input(ts, equity, candles), tmp_path / "year.html").html.read_text()
    figures = chart_figures(html)
    drawn = figures["chart-equity"]["data"]
    assert len(array(drawn[0]["x"])) <= 4000
    assert -array(drawn[1]["y"]).min() / 100 == pytest.approx(drawdown(equity, 10_000.0).max(), rel=1e-12)
    assert len(array(figures["chart-candles-BTCUSDT"]["data"][0]["x"])) == 2190
    assert "525,600 of" not in html and "525,600 1m candles merged into 2,190 4h candles" in html


def test_an_already_thinned_curve_is_drawn_as_it_is(tmp_path: Path) -> None:
    rng = np.random.default_rng(8)
    ts = np.sort(rng.choice(np.arange(1, 500_000, dtype=np.int64), 1500, replace=False)) * MINUTE + YEAR_START
    equity = _walk(1500, seed=9)
    html = write_report(_stored_input(ts, equity, {}), tmp_path / "thin.html").html.read_text()
    drawn = chart_figures(html)["chart-equity"]["data"][0]
    assert array(drawn["x"]).tolist() == ts.astype(float).tolist()
    assert "all 1,500 points drawn" in html
