"""Market regime per closed candle (volatile / trending / ranging), vectorised over the whole history.

The rule, in three stages, each a vectorised "mark the decided bars, forward-fill the rest":

1. Features: ADX(adx_period) and NATR(atr_period) from TA-Lib (Wilder smoothing).
2. Hysteresis flags: "volatile" switches on when NATR >= volatile_natr_enter and off when
   NATR <= volatile_natr_exit; "trending" likewise with ADX. Inside a band a flag keeps its last
   decided value; before its first decided bar it is off. Raw regime = VOLATILE if the volatile flag
   is on, else TRENDING if the trending flag is on, else RANGING (UNKNOWN while features are NaN).
3. Dwell time (confirmation): a regime is adopted once the raw regime has shown it on
   `min_bars_in_regime` consecutive candles, and kept until another one is confirmed. So a label,
   once adopted, lasts at least `min_bars_in_regime` candles, at the cost of that much lag.
   Before the first confirmation the label is UNKNOWN.

Window parity (what live, computing on a trailing window, is guaranteed). Let W be a trailing window
of the full history F and i a candle in W. classify(W) and classify(F) give candle i the same label
when `settled_from(W) <= i`, which means, inside W:

(a) the features have converged: only candles from `converged_from` = warmup + 20 x the longer
    period count. Wilder smoothing forgets its start like (1 - 1/period)^k: on real 1h data W's
    ADX/NATR differ from F's by ~1e-6 at that point, shrinking ~7 % per candle (~1e-12 at 500);
(b) after that point, each hysteresis flag has had a decided bar (outside its band), and
(c) after the later of those, the raw regime was confirmed (held `min_bars_in_regime` candles) at
    or before i.

From such a confirmation on, every stage of W has provably forgotten the candles before W. The one
exception left is a feature within that tiny distance of a threshold, where it can decide the side.
With the defaults a window needs > 27 + 280 + 2 candles to settle at all; live should use >= 500
and records `RegimeReading.settled`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pandas as pd

from perpbot.errors import DataError
from perpbot.indicators.ta import adx, as_f64, natr
from perpbot.model.timeframe import timeframe_ms
from perpbot.signals.codes import DEFAULT, RANGING, TRENDING, UNKNOWN, VOLATILE, regime_name
from perpbot.signals.config import RegimeConfig

# Periods, past the indicator warm-up, after which Wilder smoothing has forgotten its start: (13/14)^280 ~ 1e-9.
CONVERGENCE_PERIODS = 20

# Candles `latest_code` walks back through before it labels the whole series instead.
LATEST_SCAN = 128

Codes = npt.NDArray[np.int8]
Floats = npt.NDArray[np.float64]
Ints = npt.NDArray[np.int64]


@dataclass(frozen=True, slots=True)
class RegimeFeatures:
    """The indicator series the classifier reads, aligned to the candles (NaN during warm-up)."""

    adx: Floats
    natr: Floats

    def at(self, index: int) -> dict[str, float]:
        """The features of one candle, for the decision record."""
        return {"adx": float(self.adx[index]), "natr": float(self.natr[index])}


@dataclass(frozen=True, slots=True)
class RegimeReading:
    """The regime of the last candle of a window, with the features and whether it is settled (see module doc)."""

    code: int
    regime: str
    adx: float
    natr: float
    settled: bool


def _last_true_index(mask: npt.NDArray[np.bool_]) -> Ints:
    """For each bar, the index of the latest bar at or before it where `mask` holds, else -1."""
    idx = np.where(mask, np.arange(mask.size, dtype=np.int64), np.int64(-1))
    return np.maximum.accumulate(idx) if idx.size else idx


def _hysteresis(values: Floats, enter: float, exit_: float) -> tuple[npt.NDArray[np.bool_], npt.NDArray[np.bool_]]:
    """A flag on at >= enter, off at <= exit, held in between (off before the first decision).

    Returns (flag, decided) where decided marks the bars outside the band. NaN is never decided.
    """
    on = values >= enter
    decided = on | (values <= exit_)
    last = _last_true_index(decided)
    flag = np.where(last >= 0, on[np.maximum(last, 0)], False)
    return flag, decided


def _confirm(raw: Codes, min_bars: int) -> tuple[Codes, npt.NDArray[np.bool_]]:
    """Adopt a raw regime once it has held `min_bars` bars; returns (labels, confirmed-bar mask)."""
    n = raw.size
    positions = np.arange(n, dtype=np.int64)
    starts = np.empty(n, dtype=bool)
    if n:
        starts[0] = True
        starts[1:] = raw[1:] != raw[:-1]
    run_start = _last_true_index(starts)
    confirmed = (positions - run_start + 1 >= min_bars) & (raw != UNKNOWN)
    last = _last_true_index(confirmed)
    labels = np.where(last >= 0, raw[np.maximum(last, 0)], np.int8(UNKNOWN)).astype(np.int8)
    return labels, confirmed


def _last_confirmed(raw: Codes, min_bars: int) -> int:
    """The label `_confirm` gives the last bar: the raw regime of the latest run (not UNKNOWN) that has
    lasted `min_bars` bars, since that run's last bar is the latest confirmed one; else UNKNOWN."""
    end = raw.size
    starts = np.flatnonzero(raw[1:] != raw[:-1]) + 1
    for start in (*starts[::-1].tolist(), 0):
        if end - start >= min_bars and raw[start] != UNKNOWN:
            return int(raw[start])
        end = start
    return UNKNOWN


class _FlagBackwards:
    """A hysteresis flag (see `_hysteresis`) read at bars taken from the last one backwards: the value
    of the latest decided bar at or before each, found by one pointer that only moves back."""

    __slots__ = ("_enter", "_exit", "_found", "_next", "_off_before", "_on", "_values")

    def __init__(self, values: list[float], enter: float, exit_: float, *, first_is_start: bool) -> None:
        self._values, self._enter, self._exit = values, enter, exit_
        self._off_before = first_is_start  # values[0] is the first candle: no decided bar before means off
        self._found = len(values)  # index of the decided bar last found (len: none yet)
        self._on: bool | None = None
        self._next = len(values) - 1  # the next bar to examine

    def at(self, bar: int) -> bool | None:
        """The flag at `bar` (never later than the previous call's), None if that needs earlier bars."""
        if self._found <= bar:
            return self._on
        j = min(self._next, bar)
        while j >= 0:
            value = self._values[j]
            if value >= self._enter or value <= self._exit:  # NaN is neither: never decided
                self._found, self._on, self._next = j, value >= self._enter, j - 1
                return self._on
            j -= 1
        self._found, self._on, self._next = -1, (False if self._off_before else None), -1
        return self._on


class RegimeClassifier:
    """Labels every closed candle with a regime code (see `perpbot.signals.codes`)."""

    def __init__(self, config: RegimeConfig) -> None:
        self.config = config

    @property
    def warmup(self) -> int:
        """Candles before the features exist: TA-Lib's ADX needs 2 x period - 1, NATR needs period."""
        return max(2 * self.config.adx_period - 1, self.config.atr_period)

    @property
    def converged_from(self) -> int:
        """First index of a frame whose features have (nearly) forgotten earlier candles; see the module doc."""
        return self.warmup + CONVERGENCE_PERIODS * max(self.config.adx_period, self.config.atr_period)

    @property
    def min_history(self) -> int:
        """The fewest candles a frame needs before any of its labels can be settled (live window, backtest pre-roll)."""
        return self.converged_from + self.config.min_bars_in_regime

    def features(self, candles: pd.DataFrame) -> RegimeFeatures:
        """ADX and NATR (in %) of every candle, NaN during warm-up."""
        missing = [c for c in ("high", "low", "close") if c not in candles.columns]
        if missing:
            raise DataError(f"candles need columns high, low, close; missing {', '.join(missing)}")
        return self.features_of(*(candles[c].to_numpy(dtype=np.float64) for c in ("high", "low", "close")))

    def features_of(self, high: npt.ArrayLike, low: npt.ArrayLike, close: npt.ArrayLike) -> RegimeFeatures:
        """`features` from the high, low and close arrays (the live path: the window's views, no frame)."""
        h, lo, c = as_f64(high), as_f64(low), as_f64(close)
        if c.size == 0:
            empty = np.empty(0, dtype=np.float64)
            return RegimeFeatures(empty, empty.copy())
        return RegimeFeatures(adx(h, lo, c, self.config.adx_period), natr(h, lo, c, self.config.atr_period))

    def _raw(self, features: RegimeFeatures) -> tuple[Codes, npt.NDArray[np.bool_], npt.NDArray[np.bool_]]:
        """(raw regime per bar, volatile flag decided, trending flag decided): stages 1 and 2."""
        cfg = self.config
        volatile, vol_decided = _hysteresis(features.natr, cfg.volatile_natr_enter, cfg.volatile_natr_exit)
        trending, trend_decided = _hysteresis(features.adx, cfg.trend_adx_enter, cfg.trend_adx_exit)
        raw = np.where(volatile, VOLATILE, np.where(trending, TRENDING, RANGING)).astype(np.int8)
        raw[np.isnan(features.adx) | np.isnan(features.natr)] = UNKNOWN
        return raw, vol_decided, trend_decided

    def _stages(self, features: RegimeFeatures) -> tuple[Codes, Codes, npt.NDArray[np.bool_], int]:
        """(labels, raw, confirmed mask, index of the later flag's first decided bar after convergence, or n)."""
        n = features.adx.size
        raw, vol_decided, trend_decided = self._raw(features)
        labels, confirmed = _confirm(raw, self.config.min_bars_in_regime)
        start = min(self.converged_from, n)
        firsts = [start + int(np.argmax(d[start:])) if d[start:].any() else n for d in (vol_decided, trend_decided)]
        return labels, raw, confirmed, max(firsts)

    def classify_features(self, features: RegimeFeatures) -> Codes:
        """Regime codes from precomputed features (DEFAULT everywhere when detection is disabled)."""
        if not self.config.enabled:
            return np.full(features.adx.size, DEFAULT, dtype=np.int8)
        return self._stages(features)[0]

    def latest_code(self, features: RegimeFeatures) -> int:
        """`classify_features(features)[-1]` without labelling every candle: the live path's one label.

        Walks back from the last candle, working out each bar's raw regime from the latest decided bar
        of each flag, until a run of one regime reaches `min_bars_in_regime`: usually a handful of bars.
        Beyond the last `LATEST_SCAN` candles (a flag held inside its band that long) it labels the
        whole series as `classify_features` does. UNKNOWN for no candles.
        """
        if not self.config.enabled:
            return DEFAULT
        cfg = self.config
        n = features.adx.size
        span = min(n, LATEST_SCAN)
        adx, natr = features.adx[n - span :].tolist(), features.natr[n - span :].tolist()
        volatile = _FlagBackwards(natr, cfg.volatile_natr_enter, cfg.volatile_natr_exit, first_is_start=span == n)
        trending = _FlagBackwards(adx, cfg.trend_adx_enter, cfg.trend_adx_exit, first_is_start=span == n)
        run_code, run_length = None, 0
        for bar in range(span - 1, -1, -1):
            if math.isnan(adx[bar]) or math.isnan(natr[bar]):
                code = UNKNOWN
            elif (vol := volatile.at(bar)) is None:
                break  # the flag depends on candles before the scan
            elif vol:
                code = VOLATILE
            elif (trend := trending.at(bar)) is None:
                break
            else:
                code = TRENDING if trend else RANGING
            run_length = run_length + 1 if code == run_code else 1
            run_code = code
            if run_length >= cfg.min_bars_in_regime and code != UNKNOWN:
                return code
        else:  # every bar seen and no run confirmed: unless the series goes back further, that is all
            if span == n:
                return UNKNOWN
        return _last_confirmed(self._raw(features)[0], cfg.min_bars_in_regime)

    def classify(self, candles: pd.DataFrame) -> Codes:
        """Regime code (int8) of every candle; each label uses only that candle and earlier ones."""
        return self.classify_features(self.features(candles))

    def settled_from_features(self, features: RegimeFeatures) -> int:
        """First index whose label no longer depends on candles before the frame (n if none); see module doc."""
        n = features.adx.size
        if not self.config.enabled:
            return 0
        _, _, confirmed, first_decided = self._stages(features)
        start = first_decided + self.config.min_bars_in_regime - 1
        if start >= n:
            return n
        later = np.flatnonzero(confirmed[start:])
        return int(start + later[0]) if later.size else n

    def settled_from(self, candles: pd.DataFrame) -> int:
        return self.settled_from_features(self.features(candles))

    def reading(self, candles: pd.DataFrame) -> RegimeReading:
        """The regime of the window's last candle, as live uses it, with its features and settledness."""
        features = self.features(candles)
        n = features.adx.size
        if n == 0:
            raise DataError("cannot read a regime from an empty candle frame")
        code = int(self.classify_features(features)[-1])
        settled = self.settled_from_features(features) <= n - 1
        return RegimeReading(code, regime_name(code), float(features.adx[-1]), float(features.natr[-1]), settled)


def align_regimes(
    regime_ts: Ints, regime_codes: Codes, regime_timeframe: str, target_ts: Ints, target_timeframe: str
) -> Codes:
    """Regime codes on another candle grid without look-ahead.

    Each target candle (open time ts) gets the label of the last regime candle that had closed by
    the time the target candle closed; UNKNOWN before the first one.
    """
    regime_close = np.asarray(regime_ts, dtype=np.int64) + timeframe_ms(regime_timeframe)
    target_close = np.asarray(target_ts, dtype=np.int64) + timeframe_ms(target_timeframe)
    if regime_close.size > 1 and np.any(np.diff(regime_close) <= 0):
        raise DataError("regime timestamps must be strictly increasing")
    codes = np.asarray(regime_codes, dtype=np.int8)
    if codes.size != regime_close.size:
        raise DataError(f"regime_codes has {codes.size} values for {regime_close.size} timestamps")
    if codes.size == 0:
        return np.full(target_close.size, UNKNOWN, dtype=np.int8)
    idx = np.searchsorted(regime_close, target_close, side="right") - 1
    return np.where(idx >= 0, codes[np.maximum(idx, 0)], np.int8(UNKNOWN)).astype(np.int8)
