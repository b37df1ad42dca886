"""Reading and writing candle and funding files: CSV (plain or gzip) and Parquet.

Readers accept the shared-data layout (`timestamp,open,high,low,close,volume` and
`timestamp,funding_rate`), perpbot's own (`ts`, `rate`), an ISO `datetime`/`date` column instead of
`timestamp`, and timestamps in seconds. Whatever was detected or converted is reported in `notes`,
so nothing is reinterpreted silently. Every failure is a DataError naming the file.
"""

from __future__ import annotations

import gzip
import io
import re
import zlib
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq

from perpbot.data.atomic import atomic_write_bytes
from perpbot.data.frames import CANDLE_COLUMNS, FUNDING_COLUMNS, validate_candles, validate_funding
from perpbot.errors import DataError
from perpbot.model.timeframe import TIMEFRAMES, timeframe_ms


class DataKind(StrEnum):
    CANDLES = "candles"
    FUNDING = "funding"


class FileFormat(StrEnum):
    CSV = "csv"
    CSV_GZ = "csv.gz"
    PARQUET = "parquet"


@dataclass(frozen=True, slots=True)
class DataFileName:
    """What a `bybit_linear_<SYMBOL>_<tf|funding>.<ext>` name says about its file."""

    path: Path
    kind: DataKind
    symbol: str
    timeframe: str | None
    fmt: FileFormat


@dataclass(frozen=True, slots=True)
class LoadedData:
    """A validated frame read from a file, with what was detected while reading it."""

    path: Path
    kind: DataKind
    frame: pd.DataFrame
    symbol: str
    timeframe: str | None
    notes: tuple[str, ...]


_NAME_RE = re.compile(r"^bybit_linear_([A-Za-z0-9]+)_([0-9]+[mhd]|funding)\.(csv\.gz|csv|parquet)$")
_TIME_ALIASES = ("ts", "timestamp", "datetime", "date", "time", "open_time")
_RATE_ALIASES = ("rate", "funding_rate", "fundingrate")
_CSV_HEADERS = {
    DataKind.CANDLES: ("timestamp", "open", "high", "low", "close", "volume"),
    DataKind.FUNDING: ("timestamp", "funding_rate"),
}
# Column types for the fast CSV path; a file that does not parse with them is re-read as text so
# the error can name the row and value.
_FAST_TYPES = {"ts": pa.int64(), "timestamp": pa.int64(), "funding_rate": pa.float64(), "rate": pa.float64(),
               **{c: pa.float64() for c in CANDLE_COLUMNS[1:]}}
_READ_ERRORS = (OSError, EOFError, ValueError, UnicodeDecodeError, zlib.error, pa.ArrowException)


def file_format(path: Path) -> FileFormat:
    """The format from the file name's suffix; anything else is refused with the accepted suffixes."""
    name = path.name.lower()
    if name.endswith(".csv.gz"):
        return FileFormat.CSV_GZ
    if name.endswith(".csv"):
        return FileFormat.CSV
    if name.endswith(".parquet"):
        return FileFormat.PARQUET
    raise DataError(f"{path}: unknown file type; expected a name ending in .csv, .csv.gz or .parquet")


def parse_data_filename(path: Path | str) -> DataFileName | None:
    """Symbol, timeframe (None for funding) and format from a shared-data style name, or None."""
    path = Path(path)
    match = _NAME_RE.match(path.name)
    if match is None:
        return None
    symbol, tf, ext = match.groups()
    if tf == "funding":
        return DataFileName(path, DataKind.FUNDING, symbol.upper(), None, FileFormat(ext))
    if tf not in TIMEFRAMES:
        return None
    return DataFileName(path, DataKind.CANDLES, symbol.upper(), tf, FileFormat(ext))


def _csv_header(path: Path, fmt: FileFormat) -> list[str]:
    opener = gzip.open if fmt is FileFormat.CSV_GZ else open
    with opener(path, "rt", encoding="utf-8", newline="") as handle:
        line = handle.readline()
    return [c.lstrip("\ufeff") for c in line.rstrip("\r\n").split(",")] if line.strip() else []


def _convert_options(types: dict[str, object]) -> pa_csv.ConvertOptions:
    # Only an empty field is missing; text such as "n/a" must be reported as what it is.
    return pa_csv.ConvertOptions(column_types=types, null_values=[""], strings_can_be_null=True)


def read_parquet(path: Path) -> pd.DataFrame:
    """A Parquet file as a DataFrame, read and decoded on this thread, one column at a time.

    Arrow's reading threads (decoding, and pre-buffering on its I/O pool) left allocations resident beside the
    candles for the whole run. A whole table's read peaked at about 3.5 times the candles' size (88 MB over the
    process for a year of 1-minute candles: the decoded columns, their pages and the decoder's buffers at once);
    a column at a time, its buffers handed back before the next, peaks at about one column's share of that.
    Each column is copied out of Arrow's pool: a view kept the pool's segments resident around it (6 MB more
    for that year).
    A file that stores a pandas index, or repeats a column name, is read whole, as pandas wrote it."""
    with pq.ParquetFile(path, pre_buffer=False) as parquet:
        schema = parquet.schema_arrow
        names = schema.names
        stored_index = any(isinstance(c, str) for c in (schema.pandas_metadata or {}).get("index_columns", []))
        if stored_index or len(set(names)) != len(names) or not names:
            return to_frame(parquet.read(use_threads=False))
        columns = {name: to_frame(parquet.read(columns=[name], use_threads=False))[name].copy() for name in names}
    pa.default_memory_pool().release_unused()  # the last column's table
    return pd.DataFrame(columns, copy=False)


def to_frame(table: pa.Table) -> pd.DataFrame:
    """An Arrow table as a DataFrame, the table's memory handed back as it goes: converting column by column
    and returning what Arrow's allocator kept (about 50 MB for a year of 1-minute candles) to the system."""
    frame: pd.DataFrame = table.to_pandas(split_blocks=True, self_destruct=True)
    del table
    pa.default_memory_pool().release_unused()
    return frame


def read_table(path: Path) -> pd.DataFrame:
    """The file's raw table, columns as written; corrupt or unreadable files raise DataError."""
    fmt = file_format(path)
    if not path.is_file():
        raise DataError(f"{path}: no such file")
    try:
        if fmt is FileFormat.PARQUET:
            return read_parquet(path)
        header = _csv_header(path, fmt)
        if not header:
            raise DataError(f"{path}: the file is empty; expected a CSV header line")
        # Date-time text stays text, so its parsing (and any time-zone assumption) is ours to report.
        types = {c: _FAST_TYPES.get(_clean_name(c), pa.string()) for c in header
                 if _clean_name(c) in _FAST_TYPES or _clean_name(c) in _TIME_ALIASES}
        try:
            table = pa_csv.read_csv(path, convert_options=_convert_options(types))
        except pa.ArrowInvalid as exc:
            if "conversion error" not in str(exc).lower() and "empty" not in str(exc).lower():
                raise
            # Some value does not parse as a number: read as text, so validation can name it.
            text_types = {c: pa.string() for c in header}
            table = pa_csv.read_csv(path, convert_options=_convert_options(text_types))
        return to_frame(table)
    except DataError:
        raise
    except _READ_ERRORS as exc:
        raise DataError(f"{path}: cannot read the file as {fmt.value} (corrupt, truncated or not {fmt.value}): "
                        f"{type(exc).__name__}: {exc}") from exc


def _clean_name(name: object) -> str:
    return str(name).lstrip("\ufeff").strip().lower()


def _rename(raw: pd.DataFrame, path: Path) -> tuple[pd.DataFrame, str]:
    """Lower-cased columns with `ts`/`rate` aliases resolved; returns the original time column name."""
    frame = raw.rename(columns={c: _clean_name(c) for c in raw.columns})
    time_col = next((c for c in _TIME_ALIASES if c in frame.columns), None)
    if time_col is None:
        raise DataError(f"{path}: no time column; expected one of {', '.join(_TIME_ALIASES)}, "
                        f"found {', '.join(map(str, frame.columns)) or 'none'}")
    rate_col = next((c for c in _RATE_ALIASES if c in frame.columns), None)
    renames = {time_col: "ts"}
    if rate_col is not None:
        renames[rate_col] = "rate"
    return frame.rename(columns=renames), time_col


def detect_kind(columns: list[str], path: Path) -> DataKind:
    """Candles when open/high/low/close are present, funding when a rate column is, else an error."""
    cols = {_clean_name(c) for c in columns}
    if {"open", "high", "low", "close"} <= cols:
        return DataKind.CANDLES
    if cols & set(_RATE_ALIASES):
        return DataKind.FUNDING
    raise DataError(f"{path}: cannot tell candles from funding by the columns ({', '.join(map(str, columns))}); "
                    "expected timestamp,open,high,low,close,volume or timestamp,funding_rate")


def _time_to_ms(series: pd.Series, column: str, path: Path) -> tuple[pd.Series, list[str]]:
    """Timestamps as int64 ms UTC from datetimes, ISO text, or numbers in s/ms/us/ns (detected)."""
    if pd.api.types.is_datetime64_any_dtype(series.dtype):
        notes = [f"time column {column!r} holds datetimes"]
        if getattr(series.dt, "tz", None) is None:
            notes.append("they carry no time zone and were taken as UTC")
            series = series.dt.tz_localize("UTC")
        return _datetimes_to_ms(series.dt.tz_convert("UTC"), column, path), notes
    if pd.api.types.is_numeric_dtype(series.dtype) and not pd.api.types.is_bool_dtype(series.dtype):
        return _numbers_to_ms(series, column)
    numbers = pd.to_numeric(series, errors="coerce")
    if numbers.notna().sum() == series.notna().sum():
        return _numbers_to_ms(numbers, column)
    parsed = pd.to_datetime(series, utc=True, errors="coerce", format="ISO8601")
    bad = (parsed.isna() & series.notna()).to_numpy()
    if bad.any():
        row = int(np.argmax(bad))
        raise DataError(f"{path}: row {row + 1}: time column {column!r} has {series.iloc[row]!r}; expected "
                        "an ISO-8601 date-time (e.g. 2024-01-01T00:00:00Z) or epoch milliseconds")
    notes = [f"time column {column!r} parsed as ISO-8601 text"]
    has_zone = series.dropna().astype(str).str.contains(r"(?:Z|[+-]\d\d:?\d\d)$", regex=True)
    if len(has_zone) and not has_zone.all():
        notes.append("values without a time zone were taken as UTC")
    return _datetimes_to_ms(parsed, column, path), notes


def _datetimes_to_ms(series: pd.Series, column: str, path: Path) -> pd.Series:
    if series.isna().any():
        row = int(np.argmax(series.isna().to_numpy()))
        raise DataError(f"{path}: row {row + 1}: time column {column!r} is empty; expected a date-time")
    return pd.Series(series.dt.as_unit("ms").astype("int64").to_numpy(), name="ts")


# (upper bound of |value|, unit, multiply by, divide by) to get milliseconds.
_UNITS = ((1e11, "seconds", 1000, 1), (1e14, "milliseconds", 1, 1), (1e17, "microseconds", 1, 1000),
          (float("inf"), "nanoseconds", 1, 1_000_000))


def _numbers_to_ms(series: pd.Series, column: str) -> tuple[pd.Series, list[str]]:
    """Detect the epoch unit from the magnitude: below 1e11 it cannot be ms after 1973, so it is seconds."""
    values = series.to_numpy(dtype=np.float64, na_value=np.nan)
    finite = values[np.isfinite(values)]
    if not len(finite):
        return series, []
    peak = float(np.abs(finite).max())
    unit, mul, div = next((name, m, d) for limit, name, m, d in _UNITS if peak < limit)
    if unit == "milliseconds":
        return series, []
    note = [f"time column {column!r} is in {unit}; converted to milliseconds"]
    # Integer arithmetic where possible: float64 loses precision on microsecond and nanosecond epochs.
    if pd.api.types.is_integer_dtype(series.dtype) and not series.hasnans:
        ints = series.to_numpy(dtype=np.int64)
        return pd.Series(ints * mul // div, name="ts"), note
    return pd.Series(values * mul / div, name="ts"), note


def infer_timeframe(ts: np.ndarray, path: Path) -> str:
    """The timeframe whose length is the smallest step between candles (gaps do not change it)."""
    steps = np.diff(np.asarray(ts, dtype=np.int64))
    steps = steps[steps > 0]
    if not len(steps):
        raise DataError(f"{path}: cannot infer the timeframe from fewer than two candles; pass it explicitly")
    step = int(steps.min())
    for tf in TIMEFRAMES:
        if timeframe_ms(tf) == step:
            return tf
    raise DataError(f"{path}: candles are {step} ms apart, which is no known timeframe "
                    f"({', '.join(TIMEFRAMES)}); pass the timeframe explicitly")


def read_data_file(path: Path | str, *, symbol: str | None = None, timeframe: str | None = None,
                   kind: DataKind | None = None) -> LoadedData:
    """Read, normalise and validate one file; symbol and timeframe default to what its name says."""
    path = Path(path)
    named = parse_data_filename(path)
    raw = read_table(path)
    detected = detect_kind(list(raw.columns), path)
    if kind is not None and detected is not kind:
        raise DataError(f"{path}: expected {kind.value} but the columns are {detected.value} "
                        f"({', '.join(map(str, raw.columns))})")
    if named is not None and named.kind is not detected:
        raise DataError(f"{path}: the file name says {named.kind.value} but the columns are {detected.value} "
                        f"({', '.join(map(str, raw.columns))})")
    frame, time_col = _rename(raw, path)
    ts, notes = _time_to_ms(frame["ts"], time_col, path)
    frame = frame.assign(ts=ts.to_numpy())
    symbol = (symbol or (named.symbol if named else "")).upper()
    if not symbol:
        raise DataError(f"{path}: cannot infer the symbol from the file name; pass it explicitly "
                        "(or name the file bybit_linear_<SYMBOL>_<tf>.csv.gz)")
    source = str(path)
    if detected is DataKind.FUNDING:
        return LoadedData(path, detected, validate_funding(frame, symbol=symbol, source=source), symbol, None,
                          tuple(notes))
    if timeframe is None and named is not None:
        timeframe = named.timeframe
    if timeframe is None:
        ts_values = pd.to_numeric(frame["ts"], errors="coerce").dropna().to_numpy(dtype=np.int64)
        timeframe = infer_timeframe(ts_values, path)
        notes.append(f"timeframe {timeframe} inferred from the spacing of the candles")
    elif named is not None and named.timeframe is not None and named.timeframe != timeframe:
        raise DataError(f"{path}: the file name says timeframe {named.timeframe} but {timeframe} was requested")
    candles = validate_candles(frame, symbol=symbol, timeframe=timeframe, source=source)
    return LoadedData(path, detected, candles, symbol, timeframe, tuple(notes))


def read_candles(path: Path | str, *, symbol: str | None = None, timeframe: str | None = None) -> pd.DataFrame:
    """A validated candle frame from a file (see `read_data_file`)."""
    return read_data_file(path, symbol=symbol, timeframe=timeframe, kind=DataKind.CANDLES).frame


def read_funding(path: Path | str, *, symbol: str | None = None) -> pd.DataFrame:
    """A validated funding frame from a file (see `read_data_file`)."""
    return read_data_file(path, symbol=symbol, kind=DataKind.FUNDING).frame


def frame_bytes(df: pd.DataFrame, kind: DataKind, fmt: FileFormat) -> bytes:
    """A frame serialised as `fmt`: CSV in the shared-data layout, Parquet in perpbot's.

    Gzip is written with mtime 0 and no file name, so the same frame always gives the same bytes.
    """
    columns = CANDLE_COLUMNS if kind is DataKind.CANDLES else FUNDING_COLUMNS
    frame = df.loc[:, list(columns)]
    if fmt is FileFormat.PARQUET:
        sink = pa.BufferOutputStream()
        pq.write_table(pa.Table.from_pandas(frame, preserve_index=False), sink)
        return bytes(sink.getvalue().to_pybytes())
    text = frame.set_axis(list(_CSV_HEADERS[kind]), axis=1).to_csv(index=False, lineterminator="\n")
    data = text.encode("utf-8")
    if fmt is FileFormat.CSV:
        return data
    buffer = io.BytesIO()
    with gzip.GzipFile(filename="", mode="wb", fileobj=buffer, mtime=0) as handle:
        handle.write(data)
    return buffer.getvalue()


def write_data_file(df: pd.DataFrame, path: Path | str, kind: DataKind) -> Path:
    """Write a frame atomically, in the format its suffix names (.csv, .csv.gz, .parquet)."""
    path = Path(path)
    atomic_write_bytes(path, frame_bytes(df, kind, file_format(path)))
    return path


def write_candles(df: pd.DataFrame, path: Path | str) -> Path:
    return write_data_file(df, path, DataKind.CANDLES)


def write_funding(df: pd.DataFrame, path: Path | str) -> Path:
    return write_data_file(df, path, DataKind.FUNDING)
