"""Candle and funding frames: the one layout every layer relies on, and the checks that guarantee it.

A candle frame has exactly the columns `ts, open, high, low, close, volume` (`ts` int64 candle open
time in ms UTC, the rest float64), a RangeIndex and strictly increasing `ts` with a constant step of
one timeframe. A funding frame has `ts` (int64 settlement time, ms UTC) and `rate` (float64).

Errors name the source, the row and its timestamp, and what was expected. Rows are numbered from 1
after the header, so row n is line n + 1 of a CSV file.
"""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
import pandas as pd

from perpbot.errors import DataError
from perpbot.model.timeframe import timeframe_ms

CANDLE_COLUMNS: tuple[str, ...] = ("ts", "open", "high", "low", "close", "volume")
FUNDING_COLUMNS: tuple[str, ...] = ("ts", "rate")
PRICE_COLUMNS: tuple[str, ...] = ("open", "high", "low", "close")


def iso_utc(ts_ms: int) -> str:
    """A millisecond timestamp as ISO-8601 UTC, the form every data message uses."""
    try:
        moment = datetime.fromtimestamp(ts_ms / 1000, tz=UTC)
    except (OverflowError, OSError, ValueError):
        return "out of range"
    text = moment.strftime("%Y-%m-%dT%H:%M:%S")
    if ts_ms % 1000:
        text += f".{ts_ms % 1000:03d}"
    return text + "Z"


def num(value: object) -> str:
    """A number as Python writes it (shortest round trip), without numpy's type wrapper."""
    return repr(float(value)) if isinstance(value, (float, np.floating)) else repr(value)


def describe_ts(ts_ms: int) -> str:
    return f"{ts_ms} = {iso_utc(ts_ms)}"


def empty_candles() -> pd.DataFrame:
    """A candle frame with no rows and the right dtypes."""
    return pd.DataFrame({c: np.empty(0, dtype=np.int64 if c == "ts" else np.float64) for c in CANDLE_COLUMNS})


def empty_funding() -> pd.DataFrame:
    """A funding frame with no rows: what a source returns when it has no funding data."""
    return pd.DataFrame({"ts": np.empty(0, dtype=np.int64), "rate": np.empty(0, dtype=np.float64)})


class _Checker:
    """Shared checks; holds the context (source, what) that every message starts with."""

    def __init__(self, df: pd.DataFrame, prefix: str) -> None:
        self.df = df
        self.prefix = prefix
        self.ts: np.ndarray | None = None

    def fail(self, message: str) -> DataError:
        return DataError(f"{self.prefix}: {message}")

    def where(self, row: int) -> str:
        """'row 7 (ts 1704... = 2024-...Z)' once timestamps are known, else 'row 7'."""
        if self.ts is not None and 0 <= row < len(self.ts):
            return f"row {row + 1} (ts {describe_ts(int(self.ts[row]))})"
        return f"row {row + 1}"

    def require_columns(self, columns: tuple[str, ...], layout: str) -> None:
        missing = [c for c in columns if c not in self.df.columns]
        if missing:
            found = ", ".join(map(str, self.df.columns)) or "none"
            raise self.fail(
                f"missing column(s) {', '.join(missing)}; expected columns {', '.join(columns)} ({layout}), "
                f"found {found}"
            )

    def numeric(self, column: str) -> np.ndarray:
        """The column as float64, or an error naming the first value that is not a number."""
        series = self.df[column]
        if pd.api.types.is_bool_dtype(series.dtype):
            raise self.fail(f"column {column} holds booleans; expected numbers")
        if pd.api.types.is_numeric_dtype(series.dtype):
            return series.to_numpy(dtype=np.float64, na_value=np.nan)
        coerced = pd.to_numeric(series, errors="coerce")
        bad = coerced.isna().to_numpy() & series.notna().to_numpy()
        if bad.any():
            row = int(np.argmax(bad))
            raise self.fail(f"{self.where(row)}: column {column} has non-numeric value {series.iloc[row]!r}; "
                            "expected a number")
        return coerced.to_numpy(dtype=np.float64, na_value=np.nan)

    def finite(self, column: str, values: np.ndarray) -> None:
        bad = ~np.isfinite(values)
        if bad.any():
            row = int(np.argmax(bad))
            what = "a missing value (NaN)" if np.isnan(values[row]) else num(values[row])
            raise self.fail(f"{self.where(row)}: column {column} has {what}; expected a finite number")

    def timestamps(self) -> np.ndarray:
        """`ts` as int64 ms, refusing missing, fractional or non-numeric values."""
        series = self.df["ts"]
        if pd.api.types.is_integer_dtype(series.dtype) and not series.hasnans:
            return series.to_numpy(dtype=np.int64)
        if pd.api.types.is_datetime64_any_dtype(series.dtype):
            raise self.fail("column ts holds datetimes; expected int64 milliseconds since the epoch (UTC)")
        values = self.numeric("ts")
        self.finite("ts", values)
        fractional = values != np.floor(values)
        if fractional.any():
            row = int(np.argmax(fractional))
            raise self.fail(f"row {row + 1}: ts {num(values[row])} is not a whole number of milliseconds")
        return values.astype(np.int64)

    def increasing(self, ts: np.ndarray) -> None:
        step = np.diff(ts)
        bad = step <= 0
        if bad.any():
            i = int(np.argmax(bad))
            if step[i] == 0:
                raise self.fail(
                    f"duplicate timestamp {describe_ts(int(ts[i]))} at rows {i + 1} and {i + 2}; "
                    "expected strictly increasing timestamps"
                )
            raise self.fail(
                f"timestamps not sorted: {self.where(i + 1)} comes after ts {describe_ts(int(ts[i]))} at row {i + 1}; "
                "expected strictly increasing timestamps"
            )


def validate_candles(df: pd.DataFrame, *, symbol: str, timeframe: str, source: str) -> pd.DataFrame:
    """Check a candle frame thoroughly and return a clean copy in the exact layout.

    Gaps are an error, never filled: a backtest over invented candles would report invented results.
    """
    step = timeframe_ms(timeframe)
    check = _Checker(df, f"{source}: {symbol} {timeframe} candles")
    check.require_columns(CANDLE_COLUMNS, "ts = candle open time in ms UTC")
    ts = check.timestamps()
    check.ts = ts
    values = {c: check.numeric(c) for c in CANDLE_COLUMNS[1:]}
    for column, array in values.items():
        check.finite(column, array)
    check.increasing(ts)
    misaligned = ts % step != 0
    if misaligned.any():
        row = int(np.argmax(misaligned))
        raise check.fail(
            f"{check.where(row)}: timestamp is not aligned to the {timeframe} timeframe; expected a multiple of "
            f"{step} ms (a candle open time), e.g. {describe_ts(int(ts[row] - ts[row] % step))}"
        )
    for column in PRICE_COLUMNS:
        bad = values[column] <= 0
        if bad.any():
            row = int(np.argmax(bad))
            raise check.fail(f"{check.where(row)}: {column} is {num(values[column][row])}; expected a positive price")
    open_, high, low, close = (values[c] for c in PRICE_COLUMNS)
    body_top = np.maximum(open_, close)
    body_bottom = np.minimum(open_, close)
    bad = high < body_top
    if bad.any():
        row = int(np.argmax(bad))
        raise check.fail(
            f"{check.where(row)}: high {num(high[row])} is below max(open {num(open_[row])}, close {num(close[row])}); "
            "expected low <= open, close <= high"
        )
    bad = low > body_bottom
    if bad.any():
        row = int(np.argmax(bad))
        raise check.fail(
            f"{check.where(row)}: low {num(low[row])} is above min(open {num(open_[row])}, close {num(close[row])}); "
            "expected low <= open, close <= high"
        )
    bad = values["volume"] < 0
    if bad.any():
        row = int(np.argmax(bad))
        raise check.fail(f"{check.where(row)}: volume is {num(values['volume'][row])}; expected volume >= 0")
    _reject_gaps(check, ts, step, timeframe)
    return pd.DataFrame({"ts": ts, **values})


def _reject_gaps(check: _Checker, ts: np.ndarray, step: int, timeframe: str) -> None:
    deltas = np.diff(ts)
    gaps = deltas != step
    if not gaps.any():
        return
    first = int(np.argmax(gaps))
    missing = deltas[gaps] // step - 1
    here = int(deltas[first] // step - 1)
    raise check.fail(
        f"gap after {check.where(first)}: the next candle is at {describe_ts(int(ts[first + 1]))}, "
        f"expected {describe_ts(int(ts[first] + step))} ({timeframe} step); {here} candle(s) missing there, "
        f"{int(missing.sum())} missing in {int(gaps.sum())} gap(s) overall; gaps are never filled: "
        "import the missing range or choose a range without gaps"
    )


def validate_funding(df: pd.DataFrame, *, symbol: str, source: str) -> pd.DataFrame:
    """Check a funding frame (settlement times and rates as plain decimals) and return a clean copy."""
    check = _Checker(df, f"{source}: {symbol} funding")
    check.require_columns(FUNDING_COLUMNS, "ts = settlement time in ms UTC, rate = plain decimal per interval")
    ts = check.timestamps()
    check.ts = ts
    rate = check.numeric("rate")
    check.finite("rate", rate)
    check.increasing(ts)
    return pd.DataFrame({"ts": ts, "rate": rate})


def window_text(start_ms: int | None, end_ms: int | None) -> str:
    """A half-open time window as text, for messages."""
    start = iso_utc(start_ms) if start_ms is not None else "the beginning"
    end = iso_utc(end_ms) if end_ms is not None else "the end"
    return f"[{start}, {end})"


def select_window(df: pd.DataFrame, start_ms: int | None = None, end_ms: int | None = None) -> pd.DataFrame:
    """Rows with start_ms <= ts < end_ms (either bound optional), re-indexed from 0."""
    ts = df["ts"].to_numpy(dtype=np.int64)
    lo = 0 if start_ms is None else int(np.searchsorted(ts, start_ms, side="left"))
    hi = len(ts) if end_ms is None else int(np.searchsorted(ts, end_ms, side="left"))
    if lo == 0 and hi == len(ts):
        return df.reset_index(drop=True)
    return df.iloc[lo:max(lo, hi)].reset_index(drop=True)
