"""The Strategy contract: validated parameters in, a per-candle signal frame out.

A strategy turns CLOSED candles into a frame aligned row-for-row with them:

    signal                 float64 in [-1, 1]: sign = side wanted now, magnitude = conviction, 0 = no view.
                           A STATE ("I want to be long now"), never NaN (0 during warm-up).
    stop_distance          float64 price distance for a protective stop (e.g. 2 x ATR); NaN only in warm-up.
    take_profit_distance   float64 price distance for a take-profit; NaN = none.

Row t may depend only on rows <= t. The same strategy runs once over a whole history in a backtest and
on a rolling window in paper/live; both give the same signal for the same candle as long as the
window holds at least `warmup` candles (see `perpbot.indicators.warmup` for the rule).

Two ways to write one:
- `Strategy`: implement `compute(DataFrame) -> SignalFrame`. Live trading builds a DataFrame of the
  window for it on every close (the default `compute_arrays` does that), which costs pandas' overhead.
- `ArrayStrategy`: implement `compute_arrays(CandleArrays) -> (signal, stop, target)` on numpy arrays;
  `compute` is then a thin pandas wrapper over it, so the backtest (whole history) and the live path
  (`latest_signal` on the window's arrays, no DataFrame) run the one implementation. The built-ins do this.
"""

from __future__ import annotations

import math
import re
from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass
from difflib import get_close_matches
from typing import Any, ClassVar

import numpy as np
import numpy.typing as npt
import pandas as pd

from perpbot.errors import StrategyError
from perpbot.indicators.ta import Array, as_f64
from perpbot.model import Signal
from perpbot.model.timeframe import timeframe_ms
from perpbot.strategies.params import Param, ParamValue

__all__ = [
    "CANDLE_COLUMNS", "LIVE_WINDOW", "SIGNAL_COLUMNS", "ArrayStrategy", "CandleArrays", "Param", "ParamValue",
    "SignalArrays", "SignalFrame", "Strategy", "require_below",
]

SignalFrame = pd.DataFrame
"""A DataFrame with float64 columns `signal`, `stop_distance`, `take_profit_distance`, on the input's index."""

CANDLE_COLUMNS = ("ts", "open", "high", "low", "close", "volume")
SIGNAL_COLUMNS = ("signal", "stop_distance", "take_profit_distance")

LIVE_WINDOW = 500
"""Default number of closed candles a live/paper cycle hands a strategy (more if its warm-up needs it)."""

_NAME_RE = re.compile(r"^[a-z][a-z0-9_]{0,63}$")

SignalArrays = tuple[Array, Array, Array | None]
"""(signal, stop_distance, take_profit_distance or None), one value per candle, before warm-up masking."""


@dataclass(frozen=True, slots=True)
class CandleArrays:
    """Closed candles as aligned arrays, oldest first: a candle frame's columns without the DataFrame.

    The live windows hand these out as read-only views of their buffers, valid until the next candle
    is appended; nothing may write to them.
    """

    ts: npt.NDArray[np.int64]
    open: Array
    high: Array
    low: Array
    close: Array
    volume: Array

    def __len__(self) -> int:
        return int(self.close.size)

    def tail(self, count: int) -> CandleArrays:
        """The last `count` candles (views), or all of them when there are no more."""
        if len(self) <= count:
            return self
        return CandleArrays(self.ts[-count:], self.open[-count:], self.high[-count:], self.low[-count:],
                            self.close[-count:], self.volume[-count:])

    def frame(self) -> pd.DataFrame:
        """The candles as a candle frame (columns ts/open/high/low/close/volume, views where possible)."""
        return pd.DataFrame({"ts": self.ts, "open": self.open, "high": self.high, "low": self.low,
                             "close": self.close, "volume": self.volume}, copy=False)

    @classmethod
    def from_frame(cls, candles: pd.DataFrame) -> CandleArrays:
        """The columns of a candle frame as arrays (views when possible); StrategyError names a missing one."""
        ts = np.ascontiguousarray(_column(candles, "ts").to_numpy(), dtype=np.int64)
        return cls(ts, *_price_columns(candles))


def _column(candles: pd.DataFrame, name: str) -> pd.Series:
    try:
        return candles[name]
    except KeyError:
        raise StrategyError(f"candles must have columns {', '.join(CANDLE_COLUMNS)}, missing {name!r}") from None


def _price_columns(candles: pd.DataFrame) -> tuple[Array, Array, Array, Array, Array]:
    """open, high, low, close, volume as float64 arrays (views when possible); StrategyError names a missing one."""
    o, h, lo, c, v = (as_f64(_column(candles, name).to_numpy()) for name in ("open", "high", "low", "close", "volume"))
    return o, h, lo, c, v


def _owned(values: npt.NDArray[np.floating[Any]]) -> Array:
    out = as_f64(values)
    return out if out.flags.writeable else out.copy()


class Strategy(ABC):
    """Base of every strategy: declare `name`, `description`, `params`; implement `warmup` and `compute`.

    Subclasses read their parameters with `int_param`/`float_param`/... and derive anything costly in
    `setup()`, which runs after construction and after every successful `set_parameters`. Constraints
    between parameters go in `check_params` (raise `cls.error(...)`).
    """

    name: ClassVar[str] = ""
    description: ClassVar[str] = ""
    params: ClassVar[dict[str, Param]] = {}
    constraints: ClassVar[tuple[str, ...]] = ()
    """Cross-parameter rules in words (e.g. 'fast < slow'), shown by schema(); enforced by check_params."""

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if not cls.name:
            return  # an intermediate base, not a registrable strategy
        if not isinstance(cls.name, str) or not _NAME_RE.match(cls.name):
            raise StrategyError(
                f"strategy class {cls.__qualname__}: name must match {_NAME_RE.pattern}, was {cls.name!r}"
            )
        if not isinstance(cls.params, dict):
            raise StrategyError(f"{cls.name}: params must be a dict of name -> Param, was {type(cls.params).__name__}")
        for pname, param in cls.params.items():
            if not isinstance(param, Param):
                raise StrategyError(f"{cls.name}: params[{pname!r}] must be a Param, was {param!r}")
            if not pname.isidentifier():
                raise StrategyError(f"{cls.name}: parameter names must be identifiers, was {pname!r}")
            param.validate(cls.name, pname, param.default)
        cls.validate_params({})  # the defaults together must satisfy the cross-parameter rules too

    def __init__(self, **params: Any) -> None:
        self._values: dict[str, ParamValue] = self.validate_params(params)
        self.setup()

    # ----------------------------------------------------------------------------------------- parameters

    @classmethod
    def error(cls, message: str) -> StrategyError:
        """A StrategyError prefixed with this strategy's name."""
        return StrategyError(f"{cls.name or cls.__name__}: {message}")

    @classmethod
    def defaults(cls) -> dict[str, ParamValue]:
        return {pname: param.default for pname, param in cls.params.items()}

    @classmethod
    def validate_params(
        cls, values: Mapping[str, Any], *, base: Mapping[str, ParamValue] | None = None
    ) -> dict[str, ParamValue]:
        """The full, typed parameter set: defaults, then `base`, then `values`; raises StrategyError."""
        unknown = [key for key in values if key not in cls.params]
        if unknown:
            known = ", ".join(cls.params) or "(none)"
            key = str(unknown[0])
            close = get_close_matches(key, list(cls.params), n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            raise cls.error(f"unknown parameter {key!r}{hint}; known parameters: {known}")
        merged: dict[str, Any] = {**cls.defaults(), **(base or {}), **values}
        checked = {pname: cls.params[pname].validate(cls.name, pname, merged[pname]) for pname in cls.params}
        cls.check_params(checked)
        return checked

    @classmethod  # noqa: B027 - an optional hook, empty on purpose
    def check_params(cls, values: Mapping[str, ParamValue]) -> None:
        """Hook for constraints between parameters; raise `cls.error(...)` saying what must hold."""

    @classmethod
    def parse_params(cls, texts: Mapping[str, str]) -> dict[str, ParamValue]:
        """Typed parameters from command-line strings ({'fast': '20'}), validated as a full set."""
        unknown = [key for key in texts if key not in cls.params]
        if unknown:
            cls.validate_params(dict.fromkeys(unknown))  # raises the unknown-parameter error
        parsed = {key: cls.params[key].parse(cls.name, key, text) for key, text in texts.items()}
        return cls.validate_params(parsed)

    @property
    def parameters(self) -> dict[str, ParamValue]:
        """The validated parameter set (a copy)."""
        return dict(self._values)

    def set_parameters(self, **changes: Any) -> None:
        """Change some parameters; the merged set is validated first, and on any error nothing changes."""
        new_values = self.validate_params(changes, base=self._values)
        old_values = self._values
        self._values = new_values
        try:
            self.setup()
        except BaseException:
            self._values = old_values
            self.setup()
            raise

    def setup(self) -> None:  # noqa: B027 - an optional hook, empty on purpose
        """Hook: derive whatever depends on the parameters (periods, thresholds, warm-up)."""

    def _value(self, pname: str, kind: type) -> Any:
        value = self._values[pname]
        if type(value) is not kind:
            raise TypeError(f"{self.name}: parameter {pname!r} is {type(value).__name__}, not {kind.__name__}")
        return value

    def int_param(self, pname: str) -> int:
        return int(self._value(pname, int))

    def float_param(self, pname: str) -> float:
        return float(self._value(pname, float))

    def bool_param(self, pname: str) -> bool:
        return bool(self._value(pname, bool))

    def str_param(self, pname: str) -> str:
        return str(self._value(pname, str))

    @classmethod
    def schema(cls) -> dict[str, Any]:
        """A JSON Schema (JSON-able dict) of the parameters, with the strategy's name and description."""
        return {
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            "title": cls.name,
            "description": cls.description,
            "type": "object",
            "properties": {pname: param.json_schema() for pname, param in cls.params.items()},
            "additionalProperties": False,
            "x-constraints": list(cls.constraints),
        }

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self._values.items())
        return f"{type(self).__name__}({args})"

    # ---------------------------------------------------------------------------------------- computation

    @property
    @abstractmethod
    def warmup(self) -> int:
        """Closed candles needed before the first valid signal, including the settle time of recursive
        indicators: any window at least this long gives the same last row as the full history."""

    @property
    def window(self) -> int:
        """Candles `latest_signal` computes on: LIVE_WINDOW, or the warm-up when that is longer."""
        return max(LIVE_WINDOW, self.warmup)

    @abstractmethod
    def compute(self, candles: pd.DataFrame) -> SignalFrame:
        """The signal frame for `candles` (closed candles, columns ts/open/high/low/close/volume)."""

    def compute_arrays(self, candles: CandleArrays) -> SignalArrays:
        """The signal, stop and target arrays for `candles`: the live path's entry point.

        This default runs `compute` on a DataFrame of the candles, so a strategy that only implements
        `compute` works everywhere; `ArrayStrategy` overrides it with the real, pandas-free computation.
        """
        frame = self.compute(candles.frame())
        self._check_frame(frame, len(candles))
        return (as_f64(frame["signal"].to_numpy()), as_f64(frame["stop_distance"].to_numpy()),
                as_f64(frame["take_profit_distance"].to_numpy()))

    def _check_frame(self, frame: pd.DataFrame, rows: int) -> None:
        if len(frame) != rows or any(col not in frame.columns for col in SIGNAL_COLUMNS):
            raise self.error(
                f"compute must return {rows} rows with columns {', '.join(SIGNAL_COLUMNS)}, "
                f"got {len(frame)} rows with {', '.join(map(str, frame.columns))}"
            )

    @staticmethod
    def ohlcv(candles: pd.DataFrame) -> tuple[Array, Array, Array, Array, Array]:
        """open, high, low, close, volume as float64 arrays (views when possible)."""
        return _price_columns(candles)

    def signal_frame(
        self,
        candles: pd.DataFrame,
        signal: npt.NDArray[np.floating[Any]],
        stop_distance: npt.NDArray[np.floating[Any]],
        take_profit_distance: npt.NDArray[np.floating[Any]] | None = None,
    ) -> SignalFrame:
        """Assemble the output frame: rows before the warm-up get signal 0 and no stop/target.

        Takes ownership of writable arrays (they may be modified in place); read-only ones, such as
        a candle column's view, are copied. Raises StrategyError when a signal after the warm-up is
        NaN or outside [-1, 1]: that is a bug, not a view.
        """
        n = len(candles)
        sig = _owned(signal)
        stop = _owned(stop_distance)
        tp = np.full(n, np.nan) if take_profit_distance is None else _owned(take_profit_distance)
        if not (sig.shape == stop.shape == tp.shape == (n,)):
            raise self.error(
                f"compute must return one value per candle ({n}), got signal {sig.shape}, "
                f"stop_distance {stop.shape}, take_profit_distance {tp.shape}"
            )
        head = min(n, self.warmup - 1)
        if head > 0:
            sig[:head] = 0.0
            stop[:head] = np.nan
            tp[:head] = np.nan
        live = sig[head:]
        # min/max propagate NaN, so this one cheap pass also rejects a NaN signal.
        if live.size and not (live.min() >= -1.0 and live.max() <= 1.0):
            bad = int(np.flatnonzero(~(np.abs(live) <= 1.0))[0]) + head
            raise self.error(f"signal must be in [-1, 1] and not NaN after warm-up, was {sig[bad]} at row {bad}")
        return pd.DataFrame(
            {"signal": sig, "stop_distance": stop, "take_profit_distance": tp}, index=candles.index, copy=False
        )

    def latest_signal(self, candles: pd.DataFrame | CandleArrays, symbol: str, timeframe: str) -> Signal:
        """The signal at the close of the last candle, computed on the last `window` candles.

        `candles` is a candle frame, or `CandleArrays` (the live path: `compute_arrays`, no DataFrame).
        `ts` is the close time of that candle (its open time + one timeframe). Fewer than `warmup`
        candles give a 0 signal without a stop: no view yet.
        """
        try:
            step = timeframe_ms(timeframe)
        except ValueError as exc:
            raise self.error(str(exc)) from None
        if len(candles) == 0:
            raise self.error(f"no candles to compute a signal for {symbol} {timeframe}")
        if isinstance(candles, pd.DataFrame):
            window = candles.iloc[-self.window :] if len(candles) > self.window else candles
            frame = self.compute(window)
            self._check_frame(frame, len(window))
            rows, last_ts = len(window), int(window["ts"].to_numpy()[-1])
            value, stop, target = (float(frame[c].to_numpy()[-1]) for c in SIGNAL_COLUMNS)
        else:
            arrays = candles.tail(self.window)
            rows, last_ts = len(arrays), int(arrays.ts[-1])
            signals, stops, targets = self.compute_arrays(arrays)
            shapes = (signals.shape, stops.shape, (rows,) if targets is None else targets.shape)
            if shapes != ((rows,),) * 3:
                raise self.error(
                    f"compute_arrays must return one value per candle ({rows}), got signal {shapes[0]}, "
                    f"stop_distance {shapes[1]}, take_profit_distance {shapes[2]}"
                )
            value, stop = float(signals[-1]), float(stops[-1])
            target = math.nan if targets is None else float(targets[-1])
        if rows < self.warmup:  # the last row is still warm-up: masked, as signal_frame masks it
            return Signal(self.name, symbol, timeframe, last_ts + step, 0.0, None, None)
        if not -1.0 <= value <= 1.0:
            raise self.error(f"signal must be in [-1, 1] and not NaN, was {value}")
        return Signal(
            strategy=self.name,
            symbol=symbol,
            timeframe=timeframe,
            ts=last_ts + step,
            value=value,
            stop_distance=stop if math.isfinite(stop) and stop > 0 else None,
            take_profit_distance=target if math.isfinite(target) and target > 0 else None,
        )


class ArrayStrategy(Strategy):
    """A strategy computed on numpy arrays: implement `compute_arrays`; `compute` wraps it for pandas.

    `compute_arrays` gets candle arrays it must not write to (the live window's are read-only views of
    its buffer) and returns (signal, stop_distance, take_profit_distance or None), one value per candle;
    warm-up rows need no masking (the caller masks them). Return fresh arrays (`compute` may write to
    them) or views of the input, never arrays kept between calls.
    """

    @abstractmethod
    def compute_arrays(self, candles: CandleArrays) -> SignalArrays:
        """The signal, stop and target arrays for `candles` (closed candles, oldest first)."""

    def compute(self, candles: pd.DataFrame) -> SignalFrame:
        """`compute_arrays` on the frame's columns, assembled into a signal frame (warm-up masked)."""
        signal, stop, target = self.compute_arrays(CandleArrays.from_frame(candles))
        return self.signal_frame(candles, signal, stop, target)


def require_below(strategy: type[Strategy], values: Mapping[str, ParamValue], low: str, high: str) -> None:
    """The cross-parameter rule `low < high` (e.g. fast < slow), with a message naming both values."""
    if int(values[low]) >= int(values[high]):
        raise strategy.error(f"{low} must be below {high}, was {low}={values[low]}, {high}={values[high]}")
