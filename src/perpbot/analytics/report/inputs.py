"""What a report is made of: the same shape whether the run is in memory or read back from the session store."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from perpbot.analytics.report.errors import ReportError
from perpbot.data.frames import iso_utc
from perpbot.errors import DataError
from perpbot.model.timeframe import timeframe_ms
from perpbot.sessions.frames import TRADE_COLUMNS, SessionFrames, frames_from_result

if TYPE_CHECKING:
    from perpbot.data.sources import MarketDataSource
    from perpbot.engine.result import BacktestResult

REAL_DATA = "real"
CANDLE_CHART_COLUMNS = ("ts", "open", "high", "low", "close")


@dataclass(frozen=True, slots=True)
class ReportMeta:
    """Where the numbers come from. Nothing here is read from a clock: same input, same report."""

    fingerprint: str
    data_label: str  # "real", or the plain statement that the data is generated
    timeframe: str  # the execution timeframe
    start_ts: int  # first equity point (ms UTC)
    end_ts: int  # last equity point (ms UTC)
    starting_balance: Decimal
    final_balance: Decimal  # the ledger's wallet balance at the end
    code_version: str | None = None
    generated_at: str | None = None  # shown as given; the caller decides whether a report carries a time
    data_sources: tuple[str, ...] = ()  # one line per candle series, e.g. "BTCUSDT 15m: 17,184 candles from ..."

    @property
    def is_real_data(self) -> bool:
        return self.data_label == REAL_DATA

    def candle_window(self) -> tuple[int, int]:
        """(start_ms, end_ms), end exclusive, of the execution candles whose closes are the equity points:
        what to ask a `MarketDataSource` for (candle ts are open times, equity ts are close times)."""
        return self.start_ts - timeframe_ms(self.timeframe), self.end_ts


@dataclass(frozen=True, slots=True)
class ReportInput:
    """Everything one report shows.

    `metrics` and `breakdowns` are as in `BacktestResult` (strict-JSON values: NaN as None, inf as
    "inf"); `candles` maps a symbol to its candles (ts = open time, ms UTC) at the execution timeframe,
    or finer; the equity table may be full resolution or already downsampled.
    """

    name: str
    meta: ReportMeta
    metrics: dict[str, Any]
    breakdowns: dict[str, list[dict[str, Any]]]
    frames: SessionFrames
    candles: dict[str, pd.DataFrame]
    config: dict[str, Any]
    venue_stats: dict[str, int] = field(default_factory=dict)

    @classmethod
    def from_result(cls, result: BacktestResult, source: MarketDataSource, *, code_version: str | None = None,
                    generated_at: str | None = None) -> ReportInput:
        """The report input of an in-memory backtest; candles are read again from `source` (the run's own)."""
        execution = [s for s in result.series if s.timeframe == result.timeframe]
        candles = load_candles(source, ((s.symbol, s.first_ts, s.last_ts + 1) for s in execution), result.timeframe)
        ts = np.asarray(result.ts, dtype=np.int64)
        if ts.size == 0:
            raise ReportError(f"backtest {result.name!r} has no equity points: there is nothing to report")
        meta = ReportMeta(
            fingerprint=result.fingerprint, data_label=result.data_label, timeframe=result.timeframe,
            start_ts=int(ts[0]), end_ts=int(ts[-1]), starting_balance=result.starting_balance,
            final_balance=result.final_balance, code_version=code_version, generated_at=generated_at,
            data_sources=tuple(f"{s.symbol} {s.timeframe}: {s.rows:,} candles from {s.source}" for s in result.series),
        )
        return cls(name=result.name, meta=meta, metrics=dict(result.metrics), breakdowns=dict(result.breakdowns),
                   frames=frames_from_result(result), candles=candles, config=dict(result.config),
                   venue_stats=dict(result.venue_stats))


def load_candles(source: MarketDataSource, windows: Iterable[tuple[str, int, int]],
                 timeframe: str) -> dict[str, pd.DataFrame]:
    """Candles of each (symbol, start_ms, end_ms) window (end exclusive) from `source`, keyed by symbol."""
    out: dict[str, pd.DataFrame] = {}
    for symbol, start_ms, end_ms in windows:
        try:
            out[symbol] = source.candles(symbol, timeframe, start_ms, end_ms)
        except DataError as exc:
            raise ReportError(f"cannot chart {symbol}: its {timeframe} candles from {iso_utc(start_ms)} to "
                              f"{iso_utc(end_ms)} could not be read ({exc})") from exc
    return out


def equity_arrays(report: ReportInput) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.float64]]:
    """The equity table as (ts, equity) arrays; equity may be stored as numbers or as decimal text."""
    equity = report.frames.equity
    return (equity["ts"].to_numpy(dtype=np.int64),
            pd.to_numeric(equity["equity"], errors="raise").to_numpy(dtype=np.float64))


def check_input(report: ReportInput) -> None:
    """Refuse, with the reason, an input a report cannot be honest about (before anything is written)."""
    equity = report.frames.equity
    _require_columns("equity table", equity, ("ts", "equity"))
    if equity.empty:
        raise ReportError("the equity table is empty: a report needs at least one equity point")
    ts = equity["ts"].to_numpy()
    if not np.issubdtype(ts.dtype, np.integer):
        raise ReportError(f"equity ts must be integer epoch milliseconds, was dtype {ts.dtype}")
    if ts.size > 1 and np.any(np.diff(ts) <= 0):
        bad = int(np.flatnonzero(np.diff(ts) <= 0)[0]) + 1
        raise ReportError(f"equity ts must be strictly increasing; row {bad} has ts {int(ts[bad])} after "
                          f"{int(ts[bad - 1])}")
    values = pd.to_numeric(equity["equity"], errors="coerce").to_numpy(dtype=np.float64)
    if not np.isfinite(values).all():
        bad = int(np.flatnonzero(~np.isfinite(values))[0])
        shown = _plain(equity["equity"].iloc[bad])
        raise ReportError(f"equity must be a finite number on every row; row {bad} is {shown}")
    if report.meta.starting_balance <= 0:
        raise ReportError(f"starting balance must be positive, was {report.meta.starting_balance}")
    _require_columns("trades table", report.frames.trades, TRADE_COLUMNS)
    for symbol, frame in report.candles.items():
        _require_columns(f"{symbol} candles", frame, CANDLE_CHART_COLUMNS)
        cts = frame["ts"].to_numpy()
        if cts.size > 1 and np.any(np.diff(cts) <= 0):
            raise ReportError(f"{symbol} candles: ts must be strictly increasing")
    unknown = set(report.frames.trades["symbol"]) - set(report.candles)
    if unknown and report.candles:
        raise ReportError(f"trades on {', '.join(sorted(map(str, unknown)))} but no candles were given for "
                          f"{'it' if len(unknown) == 1 else 'them'} (have: {', '.join(sorted(report.candles))})")


def _plain(value: object) -> str:
    """A cell as Python would print it (no numpy type wrapper)."""
    item = getattr(value, "item", None)
    return repr(item() if callable(item) else value)


def _require_columns(what: str, frame: pd.DataFrame, columns: Iterable[str]) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise ReportError(f"{what} lacks column(s) {', '.join(missing)} (has: {', '.join(map(str, frame.columns))})")

