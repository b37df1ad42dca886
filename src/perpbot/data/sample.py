"""GENERATED sample market data, so the demo and tutorials run on a fresh clone without real files.

The series are a seeded, regime-switching random walk (trending, ranging and volatile stretches
shared by all symbols, each symbol with its own beta and noise), not market data. Stores record them
in SAMPLE.json so every listing can say so. The same arguments always give byte-identical frames.
"""

from __future__ import annotations

import zlib
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from perpbot.data.frames import iso_utc, validate_candles, validate_funding
from perpbot.data.store import CandleStore
from perpbot.errors import DataError
from perpbot.model.instrument import REFERENCE_INSTRUMENTS
from perpbot.model.timeframe import timeframe_ms

GENERATOR = "perpbot.data.sample v1"
SAMPLE_SYMBOLS: tuple[str, ...] = ("BTCUSDT", "ETHUSDT", "SOLUSDT")
SAMPLE_TIMEFRAME = "15m"
SAMPLE_DAYS = 180
# Chosen among the first 60 seeds for a representative mix: all three regimes, up and down stretches.
SAMPLE_SEED = 29
SAMPLE_START_MS = 1_704_067_200_000  # 2024-01-01 00:00 UTC
FUNDING_INTERVAL_MS = 8 * 3_600_000
_DAY_MS = 86_400_000
_BAR_MS = 15 * 60_000  # the per-bar parameters below are for 15m bars and scaled to other timeframes

# Starting price, beta to the shared market factor, idiosyncratic noise and typical 15m notional
# (USDT), roughly as these contracts traded in early 2024.
_PROFILE: dict[str, tuple[float, float, float, float]] = {
    "BTCUSDT": (42_000.0, 1.00, 0.0006, 15e6),
    "ETHUSDT": (2_300.0, 1.10, 0.0010, 8e6),
    "SOLUSDT": (100.0, 1.40, 0.0018, 4e6),
    "BNBUSDT": (310.0, 0.80, 0.0012, 1e6),
    "DOGEUSDT": (0.09, 1.30, 0.0020, 1e6),
    "ADAUSDT": (0.60, 1.20, 0.0016, 1e6),
    "DOTUSDT": (8.0, 1.20, 0.0016, 0.5e6),
    "WIFUSDT": (0.30, 1.80, 0.0035, 1e6),
    "AVAXUSDT": (35.0, 1.40, 0.0018, 1e6),
    "AAVEUSDT": (100.0, 1.20, 0.0018, 0.5e6),
    "APEUSDT": (1.5, 1.40, 0.0022, 0.5e6),
}

# Regimes: 0 ranging, 1 trending, 2 volatile. Per 15m bar: volatility, |drift|, pull back to the
# range's anchor, mean stretch length in days.
_SIGMA = np.array([0.0017, 0.0024, 0.0060])
_DRIFT = np.array([0.0, 0.00015, 0.0])
_REVERSION = np.array([0.010, 0.0, 0.0])
_MEAN_DAYS = np.array([6.0, 4.0, 1.5])
_NEXT = np.array([[0.0, 0.7, 0.3], [0.6, 0.0, 0.4], [0.7, 0.3, 0.0]])  # regime transition probabilities


def _market_path(n: int, step_ms: int, seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Shared market log-price (starting at 0), per-bar volatility and regime codes."""
    rng = np.random.default_rng([seed, 0])
    scale = step_ms / _BAR_MS
    bars_per_day = _DAY_MS / step_ms
    regime = np.empty(n, dtype=np.int8)
    drift = np.empty(n)
    i, current = 0, 0
    while i < n:
        length = max(1, int(rng.exponential(_MEAN_DAYS[current]) * bars_per_day))
        regime[i:i + length] = current
        drift[i:i + length] = _DRIFT[current] * scale * (1 if rng.random() < 0.5 else -1)
        i += length
        current = int(rng.choice(3, p=_NEXT[current]))
    hours = (np.arange(n) * step_ms % _DAY_MS) / 3_600_000
    # Busier around the US session, quieter in the Asian night, as crypto is.
    season = 1.0 + 0.25 * np.sin(2 * np.pi * (hours - 8.0) / 24.0)
    sigma = _SIGMA[regime] * np.sqrt(scale) * season
    shocks = rng.standard_t(5, n) / np.sqrt(5 / 3)  # fat tails, unit variance
    kappa = np.minimum(_REVERSION[regime] * scale, 0.5)
    returns = drift + sigma * shocks
    log_price = np.empty(n)
    level, anchor = 0.0, 0.0
    for t in range(n):
        if t == 0 or regime[t] != regime[t - 1]:
            anchor = level  # a range forms around where the previous stretch ended
        level += returns[t] - kappa[t] * (level - anchor)
        log_price[t] = level
    return log_price, sigma, regime


def _decimals(symbol: str) -> tuple[int, int, float, float]:
    instrument = REFERENCE_INSTRUMENTS[symbol]
    tick_exp = instrument.tick_size.normalize().as_tuple().exponent
    step_exp = instrument.qty_step.normalize().as_tuple().exponent
    assert isinstance(tick_exp, int) and isinstance(step_exp, int)
    return max(0, -tick_exp), max(0, -step_exp), float(instrument.tick_size), float(instrument.qty_step)


def _round_to(values: np.ndarray, unit: float, decimals: int) -> np.ndarray:
    """Nearest multiple of `unit`, written with `decimals` digits so it is the float of the decimal."""
    return np.round(np.round(values / unit) * unit, decimals)


def _candles(symbol: str, timeframe: str, market: np.ndarray, sigma: np.ndarray, regime: np.ndarray,
             start_ms: int, rng: np.random.Generator) -> pd.DataFrame:
    step_ms = timeframe_ms(timeframe)
    price0, beta, idio, notional = _PROFILE[symbol]
    price_dp, qty_dp, tick, qty_step = _decimals(symbol)
    n = len(market)
    idio_sigma = idio * np.sqrt(step_ms / _BAR_MS) * (1.0 + regime)  # idiosyncratic moves also grow in turmoil
    log_close = np.log(price0) + beta * market + np.cumsum(idio_sigma * rng.standard_normal(n))
    close = _round_to(np.exp(log_close), tick, price_dp)
    open_ = np.concatenate([[_round_to(np.array([price0]), tick, price_dp)[0]], close[:-1]])
    bar_sigma = np.sqrt((beta * sigma) ** 2 + idio_sigma**2)
    wick_up = np.abs(rng.standard_normal(n)) * 0.6 * bar_sigma
    wick_down = np.abs(rng.standard_normal(n)) * 0.6 * bar_sigma
    high = np.maximum(_round_to(np.maximum(open_, close) * (1 + wick_up), tick, price_dp), np.maximum(open_, close))
    low = np.minimum(_round_to(np.minimum(open_, close) * (1 - wick_down), tick, price_dp), np.minimum(open_, close))
    low = np.maximum(low, tick)
    move = np.abs(np.log(close / open_)) / bar_sigma
    activity = notional * (step_ms / _BAR_MS) * (0.6 + 0.4 * move) * rng.lognormal(0.0, 0.35, n)
    volume = np.maximum(_round_to(activity / close, qty_step, qty_dp), qty_step)
    ts = start_ms + step_ms * np.arange(n, dtype=np.int64)
    frame = pd.DataFrame({"ts": ts, "open": open_, "high": high, "low": low, "close": close, "volume": volume})
    return validate_candles(frame, symbol=symbol, timeframe=timeframe, source="generated sample")


def _funding(symbol: str, candles: pd.DataFrame, regime: np.ndarray, step_ms: int,
             rng: np.random.Generator) -> pd.DataFrame:
    """8-hourly rates by Bybit's formula: premium plus the 0.01 % interest clamped to +/-0.05 %."""
    first = int(candles["ts"].iloc[0])
    end = int(candles["ts"].iloc[-1]) + step_ms
    ts = np.arange(-(-first // FUNDING_INTERVAL_MS) * FUNDING_INTERVAL_MS, end + 1, FUNDING_INTERVAL_MS,
                   dtype=np.int64)
    close = candles["close"].to_numpy()
    # Premium follows the last day's trend (longs crowd into rallies) and is pushed down in turmoil.
    idx = np.clip((ts - first) // step_ms - 1, 0, len(close) - 1)
    lookback = np.clip(idx - _DAY_MS // step_ms, 0, None)
    trend = np.log(close[idx] / close[lookback])
    noise = np.zeros(len(ts))
    shocks = rng.normal(0.0, 0.00022, len(ts))
    for k in range(1, len(ts)):
        noise[k] = 0.7 * noise[k - 1] + shocks[k]
    premium = 0.0001 + 0.012 * trend - 0.0003 * (regime[idx] == 2) + noise
    rate = premium + np.clip(0.0001 - premium, -0.0005, 0.0005)
    rate = np.round(np.clip(rate, -0.00375, 0.00375), 8)
    return validate_funding(pd.DataFrame({"ts": ts, "rate": rate}), symbol=symbol, source="generated sample")


def generate_sample(symbols: Sequence[str] = SAMPLE_SYMBOLS, timeframe: str = SAMPLE_TIMEFRAME,
                    days: int = SAMPLE_DAYS, seed: int = SAMPLE_SEED,
                    start_ms: int = SAMPLE_START_MS) -> dict[str, tuple[pd.DataFrame, pd.DataFrame]]:
    """GENERATED candles and funding per symbol: symbol -> (candles, funding).

    A symbol's series depends only on (symbol, timeframe, days, seed, start), not on which other
    symbols are asked for, so a store can be topped up symbol by symbol.
    """
    step = timeframe_ms(timeframe)
    unknown = [s for s in symbols if s not in _PROFILE or s not in REFERENCE_INSTRUMENTS]
    if unknown:
        raise DataError(f"no sample profile for {', '.join(unknown)}; sample symbols are "
                        f"{', '.join(sorted(_PROFILE))}")
    if days <= 0:
        raise DataError(f"days must be positive, was {days}")
    n = days * _DAY_MS // step
    market, sigma, regime = _market_path(n, step, seed)
    out: dict[str, tuple[pd.DataFrame, pd.DataFrame]] = {}
    for symbol in symbols:
        rng = np.random.default_rng([seed, zlib.crc32(symbol.encode())])
        candles = _candles(symbol, timeframe, market, sigma, regime, start_ms, rng)
        out[symbol] = (candles, _funding(symbol, candles, regime, step, rng))
    return out


def sample_metadata(timeframe: str = SAMPLE_TIMEFRAME, days: int = SAMPLE_DAYS, seed: int = SAMPLE_SEED,
                    start_ms: int = SAMPLE_START_MS) -> dict[str, Any]:
    """How a sample series was made, as recorded in the store's SAMPLE.json."""
    return {"generator": GENERATOR, "seed": seed, "timeframe": timeframe, "days": days,
            "start": iso_utc(start_ms)}


def ensure_sample_store(store: CandleStore, symbols: Sequence[str] = SAMPLE_SYMBOLS,
                        timeframe: str = SAMPLE_TIMEFRAME, days: int = SAMPLE_DAYS,
                        seed: int = SAMPLE_SEED) -> list[str]:
    """Import the GENERATED sample for symbols the store holds nothing of yet; returns those symbols.

    A symbol that already has any stored series (recorded or generated, any timeframe) is left alone,
    so generated and recorded data never mix under one symbol.
    """
    missing = [s for s in symbols if not store.series_of(s)]
    if not missing:
        return []
    meta = sample_metadata(timeframe, days, seed)
    label = f"generated sample ({GENERATOR}, seed {seed})"
    for symbol, (candles, funding) in generate_sample(missing, timeframe, days, seed).items():
        store.import_candles(candles, symbol=symbol, timeframe=timeframe, source=label, generated=meta)
        store.import_funding(funding, symbol=symbol, source=label, generated=meta)
    return missing
