"""Weighted aggregation of strategy signals into one score, direction and stop per bar.

score = sum(w_i * s_i) / sum(w_i), over the strategies with weight w_i > 0 in that bar's regime
(a strategy with no view, s_i = 0 or NaN, still counts in the denominator: silence dilutes).
direction = sign(score) where |score| >= threshold, else 0; strength = |score|.
Stop and take-profit distances combine over the strategies that agree with the direction (sign of
s_i equals it, weight > 0) and gave a finite positive distance: "weighted" averages them with
weights w_i * |s_i|, "widest" takes the largest, "tightest" the smallest; NaN when none gave one.

The vectorised `combine` (backtest) runs `_kernel`, which sums strategy columns in a fixed order; the
live `decide` runs `_kernel_row`, its one-bar twin in plain floats (numpy's per-call overhead on one-row
arrays cost ~0.25 ms a symbol), doing the same IEEE operations in the same order, so the two agree to
the last bit (a property test holds them to it).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from perpbot.model import Direction, Intent, Signal
from perpbot.signals.codes import DEFAULT, UNKNOWN, regime_code
from perpbot.signals.config import AggregationConfig
from perpbot.signals.matrix import StrategyMatrix

Floats = npt.NDArray[np.float64]
Int8s = npt.NDArray[np.int8]
ArrayLike = npt.ArrayLike
_BLOCK = 65_536  # bars per block in `combine`


@dataclass(frozen=True, slots=True)
class AggregateFrame:
    """Per-bar aggregate, aligned to the input grid."""

    score: Floats
    direction: Int8s
    strength: Floats
    stop_distance: Floats
    take_profit_distance: Floats

    def __len__(self) -> int:
        return int(self.score.size)


def _combine_distance(distance: Floats, agree: npt.NDArray[np.bool_], conviction: Floats, mode: str) -> Floats:
    """Combine per-strategy distances (n, k) over the agreeing strategies with a usable distance."""
    usable = agree & np.isfinite(distance) & (distance > 0)
    has_any = usable.any(axis=1)
    if not has_any.any():  # no strategy gave one (often the take-profit): NaN throughout, as below
        return np.full(distance.shape[0], np.nan)
    if mode == "widest":
        combined = np.where(usable, distance, -np.inf).max(axis=1, initial=-np.inf)
    elif mode == "tightest":
        combined = np.where(usable, distance, np.inf).min(axis=1, initial=np.inf)
    else:
        num = np.zeros(distance.shape[0], dtype=np.float64)
        den = np.zeros(distance.shape[0], dtype=np.float64)
        for j in range(distance.shape[1]):  # fixed column order: identical sums for any number of rows
            w = np.where(usable[:, j], conviction[:, j], 0.0)
            num += w * np.where(usable[:, j], distance[:, j], 0.0)
            den += w
        combined = np.divide(num, den, out=np.zeros_like(num), where=den > 0)
    return np.where(has_any, combined, np.nan)


def _kernel(
    signals: Floats, stops: Floats, tps: Floats, weights: Floats, threshold: float, mode: str
) -> AggregateFrame:
    """The one implementation of the aggregation arithmetic; all inputs are (n, k) float64."""
    values = np.nan_to_num(signals, nan=0.0)
    n, k = values.shape
    num = np.zeros(n, dtype=np.float64)
    den = np.zeros(n, dtype=np.float64)
    for j in range(k):  # fixed column order, see module doc
        num += weights[:, j] * values[:, j]
        den += weights[:, j]
    score = np.clip(np.divide(num, den, out=np.zeros(n, dtype=np.float64), where=den > 0), -1.0, 1.0)
    strength = np.abs(score)
    direction = np.where(strength >= threshold, np.sign(score), 0.0).astype(np.int8)
    agree = (np.sign(values) == direction[:, None]) & (direction[:, None] != 0) & (weights > 0)
    conviction = weights * np.abs(values)
    return AggregateFrame(
        score=score,
        direction=direction,
        strength=strength,
        stop_distance=_combine_distance(stops, agree, conviction, mode),
        take_profit_distance=_combine_distance(tps, agree, conviction, mode),
    )


def _kernel_row(
    values: Sequence[float], stops: Sequence[float], tps: Sequence[float], weights: Sequence[float],
    threshold: float, mode: str,
) -> tuple[float, int, float, float, float]:
    """`_kernel` for one bar: (score, direction, strength, stop, take-profit), bit for bit the same.

    `values` are the signals with NaN already 0; every sum runs over the columns in order, and a column
    that `_kernel` masks to 0 adds an exact 0 here too, so each floating-point operation matches.
    """
    num = den = 0.0
    for w, v in zip(weights, values, strict=True):
        num += w * v
        den += w
    score = min(max(num / den if den > 0 else 0.0, -1.0), 1.0)
    strength = abs(score)
    direction = ((score > 0) - (score < 0)) if strength >= threshold else 0
    agree = [direction != 0 and (v > 0) - (v < 0) == direction and w > 0 for w, v in zip(weights, values, strict=True)]

    def distance(dist: Sequence[float]) -> float:
        usable = [a and d > 0 and d != math.inf for a, d in zip(agree, dist, strict=True)]
        if not any(usable):
            return math.nan
        picked = [d for u, d in zip(usable, dist, strict=True) if u]
        if mode == "widest":
            return max(picked)
        if mode == "tightest":
            return min(picked)
        total = weight = 0.0
        for u, w, v, d in zip(usable, weights, values, dist, strict=True):
            c = w * abs(v) if u else 0.0
            total += c * (d if u else 0.0)
            weight += c
        return total / weight if weight > 0 else 0.0

    return score, direction, strength, distance(stops), distance(tps)


class SignalAggregator:
    """Turns the signals of `strategy_ids` into a score, a direction and protective distances per bar."""

    def __init__(self, matrix: StrategyMatrix, config: AggregationConfig, strategy_ids: Sequence[str]) -> None:
        if len(set(strategy_ids)) != len(strategy_ids):
            raise ValueError(f"strategy_ids must be unique, was {list(strategy_ids)}")
        self.matrix = matrix
        self.config = config
        self.strategy_ids: tuple[str, ...] = tuple(strategy_ids)
        self._table = matrix.weight_table(self.strategy_ids)
        self._rows: list[list[float]] = self._table.tolist()  # the same weights as plain floats, for decide

    @property
    def close_on_flat(self) -> bool:
        return self.config.close_on_flat

    @staticmethod
    def _check_codes(codes: Int8s) -> None:
        if codes.size and (codes.min() < UNKNOWN or codes.max() > DEFAULT):
            raise ValueError(f"regime codes must be in [{UNKNOWN}, {DEFAULT}], got {codes.min()}..{codes.max()}")

    def _matrix(self, name: str, columns: Mapping[str, ArrayLike], n: int | None, *, required: bool) -> Floats:
        if required:
            missing = [sid for sid in self.strategy_ids if sid not in columns]
            if missing:
                raise ValueError(f"{name}: no series for strategies {', '.join(missing)}")
        extra = sorted(set(columns) - set(self.strategy_ids))
        if extra:
            raise ValueError(f"{name}: unknown strategies {', '.join(extra)}; expected {', '.join(self.strategy_ids)}")
        cols: list[Floats] = []
        for sid in self.strategy_ids:
            if sid in columns:
                col = np.asarray(columns[sid], dtype=np.float64)
                if col.ndim != 1 or (n is not None and col.size != n):
                    raise ValueError(f"{name}[{sid!r}] must be a 1-d array of {n} values, had shape {col.shape}")
                cols.append(col)
            else:
                cols.append(np.full(n or 0, np.nan))
        width = len(self.strategy_ids)
        return np.column_stack(cols) if cols else np.empty((n or 0, width), dtype=np.float64)

    def combine(
        self,
        signals: Mapping[str, ArrayLike],
        stops: Mapping[str, ArrayLike],
        tps: Mapping[str, ArrayLike],
        regime_codes: ArrayLike,
    ) -> AggregateFrame:
        """Aggregate whole aligned series at once (the backtest path).

        `signals` needs a series per strategy id (NaN = no view); `stops`/`tps` may omit a strategy
        (no distance). `regime_codes` are the per-bar codes from `RegimeClassifier`.
        """
        codes = np.asarray(regime_codes, dtype=np.int8)
        n = codes.size
        sig = self._matrix("signals", signals, n, required=True)
        finite = sig[np.isfinite(sig)]
        if finite.size and (finite.min() < -1 or finite.max() > 1):
            raise ValueError(f"signals must lie in [-1, 1], got {finite.min()}..{finite.max()}")
        del finite
        stop = self._matrix("stops", stops, n, required=False)
        tp = self._matrix("tps", tps, n, required=False)
        self._check_codes(codes)
        # A block of bars at a time: the kernel's bars-by-strategies temporaries for a whole year of minutes came
        # to some 55 MB at once. Every bar's result depends on its own row only, so any block gives the same.
        out = AggregateFrame(np.empty(n), np.empty(n, dtype=np.int8), np.empty(n), np.empty(n), np.empty(n))
        for a in range(0, n, _BLOCK):
            b = min(a + _BLOCK, n)
            weights = self._table[codes[a:b].astype(np.intp) + 1]
            part = _kernel(sig[a:b], stop[a:b], tp[a:b], weights, self.config.threshold, self.config.stop_combine)
            out.score[a:b] = part.score
            out.direction[a:b] = part.direction
            out.strength[a:b] = part.strength
            out.stop_distance[a:b] = part.stop_distance
            out.take_profit_distance[a:b] = part.take_profit_distance
        return out

    def decide(
        self, symbol: str, ts: int, signals: Sequence[Signal], regime: str, reference_price: float
    ) -> Intent:
        """Aggregate one candle's signals into an Intent (the live path), with the same arithmetic as `combine`.

        A strategy without a signal counts as "no view". The Intent records the signals, every
        strategy's weight in this regime, the regime and the score.
        """
        by_id: dict[str, Signal] = {}
        for s in signals:
            if s.symbol != symbol:
                raise ValueError(f"signal from {s.strategy!r} is for {s.symbol}, not {symbol}")
            if s.strategy in by_id:
                raise ValueError(f"two signals from strategy {s.strategy!r} for {symbol} at {ts}")
            by_id[s.strategy] = s

        extra = sorted(set(by_id) - set(self.strategy_ids))
        if extra:
            raise ValueError(f"signals: unknown strategies {', '.join(extra)}; expected {', '.join(self.strategy_ids)}")
        values: list[float] = []
        stops: list[float] = []
        tps: list[float] = []
        for sid in self.strategy_ids:
            sig = by_id.get(sid)
            value = math.nan if sig is None else float(sig.value)
            if not -1.0 <= value <= 1.0 and not math.isnan(value):
                raise ValueError(f"signals must lie in [-1, 1], got {value} from {sid!r}")
            values.append(0.0 if math.isnan(value) else value)
            stops.append(math.nan if sig is None or sig.stop_distance is None else float(sig.stop_distance))
            tps.append(math.nan if sig is None or sig.take_profit_distance is None else float(sig.take_profit_distance))
        code = regime_code(regime)
        weights = self._rows[code + 1]
        score, direction, strength, stop, tp = _kernel_row(values, stops, tps, weights, self.config.threshold,
                                                           self.config.stop_combine)
        return Intent(
            symbol=symbol,
            ts=ts,
            direction=Direction(direction),
            strength=strength,
            reference_price=reference_price,
            stop_distance=None if math.isnan(stop) else stop,
            take_profit_distance=None if math.isnan(tp) else tp,
            regime=str(regime),
            score=score,
            signals=tuple(by_id[sid] for sid in self.strategy_ids if sid in by_id),
            weights=tuple(zip(self.strategy_ids, weights, strict=True)),
        )
