"""A local Parquet store of candles and funding: `candles/<SYMBOL>/<tf>.parquet`, `funding/<SYMBOL>.parquet`.

Imports validate, merge with what is stored (overlaps must agree exactly, the result must be
gap-free) and replace files atomically, so a failed import changes nothing. Series that were
generated rather than recorded are listed in `SAMPLE.json`, so nobody mistakes them for market data.
"""

from __future__ import annotations

import builtins
import json
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow.parquet as pq

from perpbot.data.atomic import atomic_write_bytes
from perpbot.data.formats import DataKind, FileFormat, frame_bytes, read_data_file, read_parquet
from perpbot.data.frames import (
    CANDLE_COLUMNS,
    FUNDING_COLUMNS,
    describe_ts,
    iso_utc,
    num,
    select_window,
    validate_candles,
    validate_funding,
    window_text,
)
from perpbot.data.resample import finer_timeframes, resample_candles
from perpbot.errors import DataError
from perpbot.model.timeframe import TIMEFRAMES, timeframe_ms

SAMPLE_FILE = "SAMPLE.json"
# Bybit's longest funding interval; a longer hole between two imported ranges is a gap.
MAX_FUNDING_INTERVAL_MS = 8 * 3_600_000
_SYMBOL_RE = re.compile(r"^[A-Z0-9]{2,40}$")


@dataclass(frozen=True, slots=True)
class StoreEntry:
    """One stored series, as `data list` shows it."""

    kind: DataKind
    symbol: str
    timeframe: str | None
    rows: int
    first_ts: int
    last_ts: int
    path: Path
    generated: bool = False


@dataclass(frozen=True, slots=True)
class ImportResult:
    """What an import did: rows read from the source, rows new to the store, and the stored total."""

    kind: DataKind
    symbol: str
    timeframe: str | None
    source: str
    path: Path
    rows_read: int
    rows_added: int
    rows_total: int
    first_ts: int
    last_ts: int
    generated: bool
    notes: tuple[str, ...] = ()

    def __str__(self) -> str:
        what = f"{self.symbol} {self.timeframe} candles" if self.timeframe else f"{self.symbol} funding"
        text = (f"{what}: {self.rows_read} rows read, {self.rows_added} new, {self.rows_total} stored "
                f"({iso_utc(self.first_ts)} .. {iso_utc(self.last_ts)})")
        if self.generated:
            text += " [GENERATED sample]"
        return text + "".join(f"; {note}" for note in self.notes)


def check_symbol(symbol: str) -> str:
    """Upper-cased symbol; refused unless it is letters and digits, since it becomes a path."""
    value = symbol.strip().upper()
    if not _SYMBOL_RE.match(value):
        raise DataError(f"symbol must be 2-40 letters or digits (e.g. BTCUSDT), was {symbol!r}")
    return value


def _series_key(kind: DataKind, symbol: str, timeframe: str | None) -> str:
    return f"candles/{symbol}/{timeframe}" if kind is DataKind.CANDLES else f"funding/{symbol}"


class CandleStore:
    """Candles and funding per symbol in Parquet under `root`; see the module docstring for the layout."""

    def __init__(self, root: Path | str) -> None:
        self.root = Path(root).expanduser()

    def __repr__(self) -> str:
        return f"CandleStore({str(self.root)!r})"

    # ---------------------------------------------------------------- paths and listing

    def candles_path(self, symbol: str, timeframe: str) -> Path:
        timeframe_ms(timeframe)
        return self.root / "candles" / check_symbol(symbol) / f"{timeframe}.parquet"

    def funding_path(self, symbol: str) -> Path:
        return self.root / "funding" / f"{check_symbol(symbol)}.parquet"

    def generated_series(self) -> dict[str, dict[str, Any]]:
        """Series marked as generated in SAMPLE.json: key ('candles/BTCUSDT/15m') -> how it was made."""
        path = self.root / SAMPLE_FILE
        if not path.is_file():
            return {}
        try:
            content = json.loads(path.read_text(encoding="utf-8"))
            series = content["series"]
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise DataError(f"{path}: unreadable sample marker file: {exc}") from exc
        if not isinstance(series, dict):
            raise DataError(f"{path}: 'series' must be an object, was {type(series).__name__}")
        return {str(k): dict(v) for k, v in series.items()}

    def is_generated(self, kind: DataKind, symbol: str, timeframe: str | None = None) -> bool:
        return _series_key(kind, check_symbol(symbol), timeframe) in self.generated_series()

    def list(self) -> builtins.list[StoreEntry]:
        """Every stored series with its row count and time range, candles first."""
        generated = self.generated_series()
        entries: builtins.list[StoreEntry] = []
        for path in sorted((self.root / "candles").glob("*/*.parquet")):
            tf = path.stem
            if tf not in TIMEFRAMES:
                continue
            symbol = path.parent.name
            entries.append(self._entry(DataKind.CANDLES, symbol, tf, path, generated))
        for path in sorted((self.root / "funding").glob("*.parquet")):
            entries.append(self._entry(DataKind.FUNDING, path.stem, None, path, generated))
        entries.sort(key=lambda e: (e.kind != DataKind.CANDLES, e.symbol,
                                    timeframe_ms(e.timeframe) if e.timeframe else 0))
        return entries

    def _entry(self, kind: DataKind, symbol: str, timeframe: str | None, path: Path,
               generated: Mapping[str, object]) -> StoreEntry:
        try:
            ts = pq.read_table(path, columns=["ts"]).column("ts").to_numpy()
        except (OSError, ValueError) as exc:
            raise DataError(f"{path}: unreadable store file ({exc}); remove it and import again") from exc
        first, last = (int(ts[0]), int(ts[-1])) if len(ts) else (0, 0)
        return StoreEntry(kind, symbol, timeframe, len(ts), first, last, path,
                          _series_key(kind, symbol, timeframe) in generated)

    def symbols(self) -> builtins.list[str]:
        return sorted({e.symbol for e in self.list()})

    def timeframes(self, symbol: str) -> builtins.list[str]:
        """Stored candle timeframes of `symbol`, finest first."""
        folder = self.root / "candles" / check_symbol(symbol)
        found = [p.stem for p in folder.glob("*.parquet") if p.stem in TIMEFRAMES]
        return sorted(found, key=timeframe_ms)

    def has_funding(self, symbol: str) -> bool:
        return self.funding_path(symbol).is_file()

    def _contents(self) -> str:
        entries = [e for e in self.list() if e.kind is DataKind.CANDLES]
        if not entries:
            return f"the store {self.root} holds no candles"
        by_symbol: dict[str, builtins.list[str]] = {}
        for e in entries:
            by_symbol.setdefault(e.symbol, []).append(str(e.timeframe))
        listed = "; ".join(f"{s} {', '.join(tfs)}" for s, tfs in by_symbol.items())
        return f"the store {self.root} has {listed}"

    # ---------------------------------------------------------------- imports

    def import_file(self, path: Path | str, symbol: str | None = None,
                    timeframe: str | None = None) -> ImportResult:
        """Import a CSV/CSV.gz/Parquet file; symbol, timeframe and kind default to what its name says."""
        loaded = read_data_file(path, symbol=check_symbol(symbol) if symbol else None, timeframe=timeframe)
        if loaded.kind is DataKind.FUNDING:
            return self._import(DataKind.FUNDING, loaded.frame, loaded.symbol, None, str(loaded.path), None,
                                loaded.notes)
        return self._import(DataKind.CANDLES, loaded.frame, loaded.symbol, loaded.timeframe, str(loaded.path),
                            None, loaded.notes)

    def import_candles(self, df: pd.DataFrame, *, symbol: str, timeframe: str, source: str = "frame",
                       generated: Mapping[str, Any] | None = None) -> ImportResult:
        """Import a candle frame; `generated` (how it was made) marks it as not market data."""
        symbol = check_symbol(symbol)
        frame = validate_candles(df, symbol=symbol, timeframe=timeframe, source=source)
        return self._import(DataKind.CANDLES, frame, symbol, timeframe, source, generated, ())

    def import_funding(self, df: pd.DataFrame, *, symbol: str, source: str = "frame",
                       generated: Mapping[str, Any] | None = None) -> ImportResult:
        symbol = check_symbol(symbol)
        frame = validate_funding(df, symbol=symbol, source=source)
        return self._import(DataKind.FUNDING, frame, symbol, None, source, generated, ())

    def _import(self, kind: DataKind, frame: pd.DataFrame, symbol: str, timeframe: str | None, source: str,
                generated: Mapping[str, Any] | None, notes: tuple[str, ...]) -> ImportResult:
        symbol = check_symbol(symbol)
        assert kind is DataKind.FUNDING or timeframe is not None
        target = self.funding_path(symbol) if kind is DataKind.FUNDING else self.candles_path(symbol, str(timeframe))
        key = _series_key(kind, symbol, timeframe)
        what = f"{symbol} funding" if kind is DataKind.FUNDING else f"{symbol} {timeframe} candles"
        markers = self.generated_series()
        existing = self.series_of(symbol)
        if generated is None and any(existing.values()):
            keys = ", ".join(k for k, made in existing.items() if made)
            raise DataError(f"{source}: the store's {symbol} series ({keys}) are GENERATED sample data; recorded "
                            f"and generated data never mix under one symbol: remove them first "
                            f"(CandleStore.remove_generated); nothing was imported")
        if generated is not None and not all(existing.values()):
            keys = ", ".join(k for k, made in existing.items() if not made)
            raise DataError(f"{source}: the store already holds recorded {symbol} data ({keys}); generated "
                            "sample data is never mixed into it; nothing was imported")
        if frame.empty:
            raise DataError(f"{source}: no rows to import for {what}")
        stored = self._read(target, kind, symbol, timeframe) if target.is_file() else None
        if stored is None:
            merged, added = frame, len(frame)
        else:
            merged, added = _merge(stored, frame, kind, symbol, timeframe, source=source, what=what)
        if added:
            if generated is None and key in markers:
                # A marker left by an interrupted sample import; this series is recorded data.
                del markers[key]
                self._write_markers(markers)
            elif generated is not None:
                # The marker goes first: a crash between the two writes leaves a marker without
                # data (harmless), never generated data without its marker.
                self._write_markers({**markers, key: dict(generated)})
            atomic_write_bytes(target, frame_bytes(merged, kind, FileFormat.PARQUET))
        ts = merged["ts"].to_numpy(dtype=np.int64)
        return ImportResult(kind, symbol, timeframe, source, target, len(frame), added, len(merged),
                            int(ts[0]), int(ts[-1]), generated is not None, notes)

    def _write_markers(self, series: Mapping[str, Mapping[str, Any]]) -> None:
        content = {
            "about": "Series listed here were GENERATED by perpbot.data.sample (a seeded random walk), "
                     "not recorded from Bybit. Never draw conclusions about markets from them.",
            "series": {k: dict(series[k]) for k in sorted(series)},
        }
        text = json.dumps(content, indent=2, sort_keys=True) + "\n"
        atomic_write_bytes(self.root / SAMPLE_FILE, text.encode("utf-8"))

    def series_of(self, symbol: str) -> dict[str, bool]:
        """The stored series of one symbol: key ('candles/BTCUSDT/15m', 'funding/BTCUSDT') -> generated?"""
        symbol = check_symbol(symbol)
        markers = self.generated_series()
        keys = [_series_key(DataKind.CANDLES, symbol, tf) for tf in self.timeframes(symbol)]
        if self.has_funding(symbol):
            keys.append(_series_key(DataKind.FUNDING, symbol, None))
        return {key: key in markers for key in keys}

    def remove_generated(self) -> builtins.list[str]:
        """Delete every GENERATED series (e.g. before importing real data); returns their keys."""
        removed = []
        for key in sorted(self.generated_series()):
            parts = key.split("/")
            if parts[0] == "funding" and len(parts) == 2:
                self.remove(DataKind.FUNDING, parts[1])
            elif parts[0] == "candles" and len(parts) == 3 and parts[2] in TIMEFRAMES:
                self.remove(DataKind.CANDLES, parts[1], parts[2])
            else:
                raise DataError(f"{self.root / SAMPLE_FILE}: unknown series key {key!r}")
            removed.append(key)
        return removed

    def remove(self, kind: DataKind, symbol: str, timeframe: str | None = None) -> bool:
        """Delete one stored series (and its sample marker); returns whether it existed."""
        symbol = check_symbol(symbol)
        path = self.funding_path(symbol) if kind is DataKind.FUNDING else self.candles_path(symbol, str(timeframe))
        existed = path.is_file()
        if existed:
            os.unlink(path)
        markers = self.generated_series()
        key = _series_key(kind, symbol, timeframe)
        if key in markers:
            del markers[key]
            self._write_markers(markers)
        return existed

    # ---------------------------------------------------------------- loading

    def _read(self, path: Path, kind: DataKind, symbol: str, timeframe: str | None) -> pd.DataFrame:
        try:
            raw = read_parquet(path)
        except (OSError, ValueError) as exc:
            raise DataError(f"{path}: unreadable store file ({exc}); remove it and import again") from exc
        if kind is DataKind.FUNDING:
            return validate_funding(raw, symbol=symbol, source=str(path))
        return validate_candles(raw, symbol=symbol, timeframe=str(timeframe), source=str(path))

    def _candle_entries(self, symbol: str) -> dict[str, StoreEntry]:
        generated = self.generated_series()
        return {tf: self._entry(DataKind.CANDLES, symbol, tf, self.candles_path(symbol, tf), generated)
                for tf in self.timeframes(symbol)}

    def resolve_candles(self, symbol: str, timeframe: str, start_ms: int | None = None,
                        end_ms: int | None = None) -> tuple[Path, str]:
        """The stored file and its timeframe that `load_candles` would use.

        The exact timeframe when it covers part of the window, else the coarsest finer timeframe that
        divides it and covers part of the window (to be resampled).
        """
        symbol = check_symbol(symbol)
        timeframe_ms(timeframe)
        entries = self._candle_entries(symbol)
        order = ([timeframe] if timeframe in entries else []) + finer_timeframes(timeframe, entries)
        if not order:
            raise DataError(f"no {symbol} {timeframe} candles in the store (nor a finer timeframe that divides "
                            f"{timeframe}): {self._contents()}")
        for tf in order:
            entry = entries[tf]
            if (start_ms is None or entry.last_ts >= start_ms) and (end_ms is None or entry.first_ts < end_ms):
                return entry.path, tf
        spans = "; ".join(f"{tf} covers {iso_utc(entries[tf].first_ts)} .. {iso_utc(entries[tf].last_ts)}"
                          for tf in order)
        raise DataError(f"no {symbol} {timeframe} candles in the store within {window_text(start_ms, end_ms)}: "
                        f"{spans}")

    def load_candles(self, symbol: str, timeframe: str, start_ms: int | None = None,
                     end_ms: int | None = None) -> pd.DataFrame:
        """Candles with start_ms <= ts < end_ms.

        When `timeframe` is not stored but a finer one that divides it is (e.g. 15m for 1h), the finer
        series is resampled (complete buckets only). An empty window is a DataError naming the
        stored range, so a typo in a date never passes as "no data".
        """
        symbol = check_symbol(symbol)
        path, source_tf = self.resolve_candles(symbol, timeframe, start_ms, end_ms)
        frame = self._read(path, DataKind.CANDLES, symbol, source_tf)
        if source_tf != timeframe:
            frame = resample_candles(frame, source_tf, timeframe)
        window = select_window(frame, start_ms, end_ms)
        if window.empty:
            span = (f"{describe_ts(int(frame['ts'].iloc[0]))} .. {describe_ts(int(frame['ts'].iloc[-1]))}"
                    if len(frame) else "nothing")
            via = f" (resampled from {source_tf})" if source_tf != timeframe else ""
            raise DataError(f"{path}: {symbol} {timeframe} candles{via} cover {span}; none in "
                            f"{window_text(start_ms, end_ms)}")
        return window

    def load_funding(self, symbol: str, start_ms: int | None = None, end_ms: int | None = None) -> pd.DataFrame:
        """Funding with start_ms <= ts < end_ms; a symbol without stored funding is a DataError."""
        symbol = check_symbol(symbol)
        path = self.funding_path(symbol)
        if not path.is_file():
            have = sorted(e.symbol for e in self.list() if e.kind is DataKind.FUNDING)
            listed = ", ".join(have) if have else "none"
            raise DataError(f"no {symbol} funding in the store {self.root}; it has funding for: {listed}")
        return select_window(self._read(path, DataKind.FUNDING, symbol, None), start_ms, end_ms)

    def describe(self, symbol: str, timeframe: str) -> str:
        """Where `load_candles(symbol, timeframe)` reads from, for reports."""
        path, source_tf = self.resolve_candles(symbol, timeframe)
        via = f", resampled from {source_tf}" if source_tf != timeframe else ""
        sample = " (GENERATED sample data)" if self.is_generated(DataKind.CANDLES, symbol, source_tf) else ""
        return f"store {path}{via}{sample}"


def _merge(stored: pd.DataFrame, new: pd.DataFrame, kind: DataKind, symbol: str, timeframe: str | None, *,
           source: str, what: str) -> tuple[pd.DataFrame, int]:
    """Stored rows plus the new ones; overlaps must be identical and no gap may open between the two."""
    columns = CANDLE_COLUMNS if kind is DataKind.CANDLES else FUNDING_COLUMNS
    s_ts = stored["ts"].to_numpy(dtype=np.int64)
    n_ts = new["ts"].to_numpy(dtype=np.int64)
    common, i_s, i_n = np.intersect1d(s_ts, n_ts, assume_unique=True, return_indices=True)
    if len(common):
        differs = np.zeros(len(common), dtype=bool)
        for column in columns[1:]:
            differs |= stored[column].to_numpy()[i_s] != new[column].to_numpy()[i_n]
        if differs.any():
            k = int(np.argmax(differs))
            old = ", ".join(f"{c}={num(stored[c].iloc[i_s[k]])}" for c in columns[1:])
            fresh = ", ".join(f"{c}={num(new[c].iloc[i_n[k]])}" for c in columns[1:])
            raise DataError(f"{source}: conflicts with the store's {what} at ts {describe_ts(int(common[k]))}: "
                            f"stored {old}; file {fresh}; overlapping rows must be identical "
                            f"({int(differs.sum())} conflicting row(s)); nothing was imported")
    fresh_rows = ~np.isin(n_ts, common, assume_unique=True)
    added = int(fresh_rows.sum())
    if not added:
        return stored, 0
    allowed = timeframe_ms(str(timeframe)) if kind is DataKind.CANDLES else MAX_FUNDING_INTERVAL_MS
    if n_ts[0] > s_ts[-1] + allowed or s_ts[0] > n_ts[-1] + allowed:
        early, late = (s_ts, n_ts) if n_ts[0] > s_ts[-1] else (n_ts, s_ts)
        hole = ""
        if kind is DataKind.CANDLES:
            hole = f" ({(int(late[0]) - int(early[-1])) // allowed - 1} candle(s) missing)"
        raise DataError(f"{source}: importing would leave a gap in the store's {what}: stored "
                        f"{describe_ts(int(s_ts[0]))} .. {describe_ts(int(s_ts[-1]))}, file "
                        f"{describe_ts(int(n_ts[0]))} .. {describe_ts(int(n_ts[-1]))}; nothing between "
                        f"{describe_ts(int(early[-1]))} and {describe_ts(int(late[0]))}{hole}; import the "
                        "missing range first; nothing was imported")
    merged = pd.concat([stored, new.loc[fresh_rows]], ignore_index=True)
    merged = merged.iloc[np.argsort(merged["ts"].to_numpy(), kind="stable")].reset_index(drop=True)
    label = f"{source} merged into the store"
    if kind is DataKind.CANDLES:
        merged = validate_candles(merged, symbol=symbol, timeframe=str(timeframe), source=label)
    else:
        merged = validate_funding(merged, symbol=symbol, source=label)
    return merged, added
