"""From configuration and market data to `PreparedData`: signals computed once, on the whole history.

Each strategy runs on its own timeframe; its signal for a candle becomes usable when that candle
closes, so it is mapped onto the execution grid at the first execution candle closing at or after
it (never earlier). The same is done for regimes. Aggregation then yields the intent per bar.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

import numpy as np
import pandas as pd

from perpbot.config import PerpbotConfig, StrategyConfig
from perpbot.data.sources import MarketDataSource
from perpbot.engine.prepared import PreparedData, PreparedSymbol
from perpbot.errors import DataError
from perpbot.model.timeframe import timeframe_ms
from perpbot.signals.aggregate import SignalAggregator
from perpbot.signals.codes import DEFAULT, REGIME_NAMES
from perpbot.signals.config import MatrixConfig
from perpbot.signals.matrix import StrategyMatrix, StrategyWeight
from perpbot.signals.regime import RegimeClassifier, align_regimes
from perpbot.strategies.registry import StrategyRegistry


@dataclass(frozen=True, slots=True)
class SeriesInfo:
    """Which candles a backtest used, so a result can say where its numbers came from."""

    symbol: str
    timeframe: str
    rows: int
    first_ts: int
    last_ts: int
    source: str


@dataclass(slots=True)
class Preparation:
    data: PreparedData
    series: list[SeriesInfo] = field(default_factory=list)


def execution_timeframe(config: PerpbotConfig) -> str:
    if config.backtest.execution_timeframe:
        return config.backtest.execution_timeframe
    return min((s.timeframe for s in config.strategies), key=timeframe_ms)


def effective_matrix(config: PerpbotConfig) -> MatrixConfig:
    """The configured matrix, or every strategy at weight 1 in every regime."""
    if config.matrix is not None:
        return config.matrix
    return MatrixConfig(default={s.key: 1.0 for s in config.strategies})


def _grid_rows(src_open_ts: np.ndarray, src_tf: str, grid_ts: np.ndarray, grid_tf: str) -> np.ndarray | slice:
    """For each grid candle, the row of the last source candle closed by its close (-1 before the first). A
    strategy on the execution timeframe (the usual case) has the grid as a run of its own candles, warm-up
    before it: then the rows are that run, a slice, and a year of minutes needs no search."""
    if src_tf == grid_tf and len(grid_ts):
        first = int(np.searchsorted(src_open_ts, grid_ts[0]))
        if np.array_equal(src_open_ts[first:first + len(grid_ts)], grid_ts):
            return slice(first, first + len(grid_ts))
    src_close = src_open_ts + timeframe_ms(src_tf)
    grid_close = grid_ts + timeframe_ms(grid_tf)
    rows: np.ndarray = np.searchsorted(src_close, grid_close, side="right") - 1
    return rows


def _map_to_grid(rows: np.ndarray | slice, values: np.ndarray, fill: float) -> np.ndarray:
    """Values of source candles on the grid, by `_grid_rows`; `fill` before the first source candle closes."""
    if isinstance(rows, slice):
        return values[rows].astype(np.float64)  # a copy, as below: the caller owns what it gets
    out = np.where(rows >= 0, values[np.maximum(rows, 0)], fill)
    return out.astype(np.float64)


def _warmup_start(start_ms: int | None, bars: int, tf: str) -> int | None:
    return None if start_ms is None else start_ms - bars * timeframe_ms(tf)


def prepare(config: PerpbotConfig, source: MarketDataSource, registry: StrategyRegistry) -> Preparation:
    """Load candles and funding, compute every strategy and regime, aggregate, align on one grid."""
    exec_tf = execution_timeframe(config)
    start, end = config.backtest.start_ms(), config.backtest.end_ms()
    series: list[SeriesInfo] = []
    exec_frames: dict[str, pd.DataFrame] = {}
    for sym in config.symbols:
        frame = source.candles(sym.symbol, exec_tf, start, end)
        if len(frame) < 2:
            raise DataError(f"{sym.symbol} {exec_tf}: no candles in the requested range")
        exec_frames[sym.symbol] = frame
    first = max(int(f["ts"].iloc[0]) for f in exec_frames.values())
    last = min(int(f["ts"].iloc[-1]) for f in exec_frames.values())
    if last <= first:
        ranges = ", ".join(f"{s}: {_iso(int(f['ts'].iloc[0]))}..{_iso(int(f['ts'].iloc[-1]))}"
                           for s, f in exec_frames.items())
        raise DataError(f"the symbols' {exec_tf} candles do not overlap ({ranges})")
    grid_ts: np.ndarray | None = None
    prepared: list[PreparedSymbol] = []
    strategy_keys = [s.key for s in config.strategies]
    settings = {s.key: StrategyWeight(is_active=s.is_active, weight=s.weight) for s in config.strategies}
    matrix = StrategyMatrix(effective_matrix(config), settings)
    classifier = RegimeClassifier(config.regime) if config.regime.enabled else None
    for sym in config.symbols:
        frame = exec_frames[sym.symbol]
        ts = frame["ts"].to_numpy(dtype=np.int64)
        if ts[0] != first or ts[-1] != last:  # cut to the common range; a frame already on it is used as is
            frame = frame[(frame["ts"] >= first) & (frame["ts"] <= last)].reset_index(drop=True)
            ts = frame["ts"].to_numpy(dtype=np.int64)
        if grid_ts is None:
            grid_ts = ts
        elif not np.array_equal(grid_ts, ts):
            raise DataError(f"{sym.symbol} {exec_tf}: candle times differ from the other symbols' on the common range")
        series.append(SeriesInfo(sym.symbol, exec_tf, len(ts), int(ts[0]), int(ts[-1]),
                                 source.describe(sym.symbol, exec_tf)))
        mine = config.strategies_for(sym.symbol)
        values: dict[str, np.ndarray] = {}
        stops: dict[str, np.ndarray] = {}
        tps: dict[str, np.ndarray] = {}
        for strat_cfg in mine:
            values[strat_cfg.key], stops[strat_cfg.key], tps[strat_cfg.key] = _strategy_on_grid(
                strat_cfg, registry, source, sym.symbol, ts, exec_tf, start, end)
        for key in strategy_keys:  # strategies that do not trade this symbol have no view on it
            values.setdefault(key, np.zeros(len(ts)))
        if classifier is not None:
            regime_tf = config.regime.timeframe
            pre_roll = max(classifier.min_history, 500)
            rframe = source.candles(sym.symbol, regime_tf, _warmup_start(first, pre_roll, regime_tf), end)
            codes = classifier.classify(rframe)
            regime = align_regimes(rframe["ts"].to_numpy(dtype=np.int64), codes, regime_tf, ts, exec_tf)
        else:
            regime = np.full(len(ts), DEFAULT, dtype=np.int8)
        aggregator = SignalAggregator(matrix, config.aggregation, strategy_keys)
        agg = aggregator.combine(values, stops, tps, regime)
        funding = source.funding(sym.symbol, int(ts[0]), int(ts[-1]) + timeframe_ms(exec_tf))
        f_ts = funding["ts"].to_numpy(dtype=np.int64)
        bars = np.searchsorted(ts, f_ts)
        on_grid = (bars < len(ts)) & (ts[np.minimum(bars, len(ts) - 1)] == f_ts)
        rates = [Decimal(repr(float(r))) for r in funding["rate"].to_numpy()[on_grid]]
        direction = np.asarray(agg.direction, dtype=np.int8)
        changes = np.flatnonzero(np.concatenate(([True], direction[1:] != direction[:-1])))  # where intents change
        prepared.append(PreparedSymbol(
            symbol=sym.symbol,
            instrument=sym.resolve_instrument(),
            leverage=sym.leverage,
            open=frame["open"].to_numpy(dtype=np.float64),
            high=frame["high"].to_numpy(dtype=np.float64),
            low=frame["low"].to_numpy(dtype=np.float64),
            close=frame["close"].to_numpy(dtype=np.float64),
            direction=direction,
            regime=regime,
            change_bars=changes.astype(np.int64),
            score=np.asarray(agg.score, dtype=np.float64)[changes],
            strength=np.asarray(agg.strength, dtype=np.float64)[changes],
            stop_distance=np.asarray(agg.stop_distance, dtype=np.float64)[changes],
            take_profit_distance=np.asarray(agg.take_profit_distance, dtype=np.float64)[changes],
            strategy_values={s.key: values[s.key][changes] for s in mine},
            strategy_timeframes={s.key: s.timeframe for s in mine},
            weights_by_regime={name: tuple(matrix.weights_for(name).items()) for name in REGIME_NAMES},
            funding_bars=bars[on_grid].astype(np.int64),
            funding_rates=rates,
        ))
    assert grid_ts is not None
    data = PreparedData(exec_tf, timeframe_ms(exec_tf), grid_ts, prepared)
    return Preparation(data, series)


def _strategy_on_grid(strat_cfg: StrategyConfig, registry: StrategyRegistry, source: MarketDataSource,
                      symbol: str, grid_ts: np.ndarray, grid_tf: str, start: int | None,
                      end: int | None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    strategy = registry.create(strat_cfg.name, strat_cfg.params)
    tf = strat_cfg.timeframe
    frame = source.candles(symbol, tf, _warmup_start(start, strategy.warmup * 3, tf), end)
    out = strategy.compute(frame)
    rows = _grid_rows(frame["ts"].to_numpy(dtype=np.int64), tf, grid_ts, grid_tf)
    signal = _map_to_grid(rows, out["signal"].to_numpy(dtype=np.float64), 0.0)
    stop = _map_to_grid(rows, out["stop_distance"].to_numpy(dtype=np.float64), np.nan)
    tp = _map_to_grid(rows, out["take_profit_distance"].to_numpy(dtype=np.float64), np.nan)
    return signal, stop, tp


def _iso(ts: int) -> str:
    return pd.Timestamp(ts, unit="ms", tz="UTC").strftime("%Y-%m-%d %H:%M")
