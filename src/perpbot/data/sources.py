"""Where historical candles and funding come from: the local store, a folder of files, or a chain of both.

The engine asks a `MarketDataSource` and never cares which. Windows are half-open: start_ms <= ts <
end_ms, either bound optional. A window with no candles is a DataError (so a chain can try the next
source); a window with no funding is an empty frame (funding may simply not be recorded).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Protocol, runtime_checkable

import pandas as pd

from perpbot.data.formats import DataFileName, DataKind, FileFormat, parse_data_filename, read_data_file
from perpbot.data.frames import describe_ts, empty_funding, select_window, window_text
from perpbot.data.resample import finer_timeframes, resample_candles
from perpbot.data.store import CandleStore, check_symbol
from perpbot.errors import DataError
from perpbot.model.timeframe import timeframe_ms


@runtime_checkable
class MarketDataSource(Protocol):
    """Historical market data by symbol and time window."""

    def candles(self, symbol: str, timeframe: str, start_ms: int | None = None,
                end_ms: int | None = None) -> pd.DataFrame:
        """Valid candles with start_ms <= ts < end_ms; DataError when there are none."""
        ...

    def funding(self, symbol: str, start_ms: int | None = None, end_ms: int | None = None) -> pd.DataFrame:
        """Funding settlements with start_ms <= ts < end_ms; an empty frame when none are known."""
        ...

    def describe(self, symbol: str, timeframe: str) -> str:
        """Where these candles come from (file, store, resampled from what), for reports."""
        ...


class StoreSource:
    """Market data from a `CandleStore`."""

    def __init__(self, store: CandleStore) -> None:
        self.store = store

    def __repr__(self) -> str:
        return f"StoreSource({str(self.store.root)!r})"

    def candles(self, symbol: str, timeframe: str, start_ms: int | None = None,
                end_ms: int | None = None) -> pd.DataFrame:
        return self.store.load_candles(symbol, timeframe, start_ms, end_ms)

    def funding(self, symbol: str, start_ms: int | None = None, end_ms: int | None = None) -> pd.DataFrame:
        if not self.store.has_funding(symbol):
            return empty_funding()
        return self.store.load_funding(symbol, start_ms, end_ms)

    def describe(self, symbol: str, timeframe: str) -> str:
        return self.store.describe(symbol, timeframe)


_FORMAT_PREFERENCE = {FileFormat.PARQUET: 0, FileFormat.CSV_GZ: 1, FileFormat.CSV: 2}


def _better(named: DataFileName, current: DataFileName | None) -> bool:
    return current is None or _FORMAT_PREFERENCE[named.fmt] < _FORMAT_PREFERENCE[current.fmt]


class DirectorySource:
    """Market data from a folder of `bybit_linear_<SYMBOL>_<tf|funding>.<csv.gz|csv|parquet>` files.

    A missing timeframe is resampled from the coarsest finer file that divides it and covers part of
    the window. Loaded (and resampled) series are cached in memory for the life of the object.
    """

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path).expanduser()
        if not self.path.is_dir():
            raise DataError(f"data directory {self.path} does not exist")
        self._candle_files: dict[tuple[str, str], DataFileName] = {}
        self._funding_files: dict[str, DataFileName] = {}
        for file in sorted(self.path.iterdir()):
            named = parse_data_filename(file)
            if named is None or not file.is_file():
                continue
            # Several formats of one series: prefer Parquet (fastest), then gzip CSV.
            if named.kind is DataKind.FUNDING:
                if _better(named, self._funding_files.get(named.symbol)):
                    self._funding_files[named.symbol] = named
            elif _better(named, self._candle_files.get((named.symbol, str(named.timeframe)))):
                self._candle_files[(named.symbol, str(named.timeframe))] = named
        self._cache: dict[tuple[str, str], pd.DataFrame] = {}
        self._funding_cache: dict[str, pd.DataFrame] = {}
        self._served: dict[tuple[str, str], str] = {}

    def __repr__(self) -> str:
        return f"DirectorySource({str(self.path)!r})"

    def available(self) -> list[DataFileName]:
        """The recognised files, candles then funding."""
        return [*self._candle_files.values(), *self._funding_files.values()]

    def timeframes(self, symbol: str) -> list[str]:
        return [tf for (s, tf) in self._candle_files if s == symbol]

    def _contents(self) -> str:
        by_symbol: dict[str, list[str]] = {}
        for symbol, tf in self._candle_files:
            by_symbol.setdefault(symbol, []).append(tf)
        if not by_symbol:
            return f"{self.path} holds no bybit_linear_<SYMBOL>_<tf> candle files"
        listed = "; ".join(f"{s} {', '.join(sorted(tfs, key=timeframe_ms))}" for s, tfs in sorted(by_symbol.items()))
        return f"{self.path} has {listed}"

    def _series(self, symbol: str, timeframe: str) -> pd.DataFrame:
        """The whole series of one stored timeframe, read once."""
        key = (symbol, timeframe)
        if key not in self._cache:
            named = self._candle_files[key]
            self._cache[key] = read_data_file(named.path, symbol=symbol, timeframe=timeframe,
                                              kind=DataKind.CANDLES).frame
        return self._cache[key]

    def _resampled(self, symbol: str, source_tf: str, timeframe: str) -> pd.DataFrame:
        key = (symbol, f"{timeframe}<{source_tf}")
        if key not in self._cache:
            self._cache[key] = resample_candles(self._series(symbol, source_tf), source_tf, timeframe)
        return self._cache[key]

    def _order(self, symbol: str, timeframe: str) -> list[str]:
        """The exact timeframe if present, then the finer ones that divide it, coarsest first."""
        available = self.timeframes(symbol)
        exact = [timeframe] if timeframe in available else []
        return exact + finer_timeframes(timeframe, available)

    def candles(self, symbol: str, timeframe: str, start_ms: int | None = None,
                end_ms: int | None = None) -> pd.DataFrame:
        symbol = check_symbol(symbol)
        order = self._order(symbol, timeframe)
        if not order:
            raise DataError(f"no {symbol} {timeframe} candles (nor a finer timeframe that divides {timeframe}): "
                            f"{self._contents()}")
        reasons = []
        for source_tf in order:
            frame = (self._series(symbol, timeframe) if source_tf == timeframe
                     else self._resampled(symbol, source_tf, timeframe))
            window = select_window(frame, start_ms, end_ms)
            if not window.empty:
                self._served[(symbol, timeframe)] = source_tf
                return window
            reasons.append(str(self._empty(symbol, timeframe, frame, source_tf, start_ms, end_ms)))
        raise DataError("; ".join(reasons))

    def _empty(self, symbol: str, timeframe: str, frame: pd.DataFrame, source_tf: str, start_ms: int | None,
               end_ms: int | None) -> DataError:
        file = self._candle_files[(symbol, source_tf)].path
        via = f" (resampled from {source_tf})" if source_tf != timeframe else ""
        span = (f"{describe_ts(int(frame['ts'].iloc[0]))} .. {describe_ts(int(frame['ts'].iloc[-1]))}"
                if len(frame) else "nothing")
        return DataError(f"{file}: {symbol} {timeframe} candles{via} cover {span}; none in "
                         f"{window_text(start_ms, end_ms)}")

    def funding(self, symbol: str, start_ms: int | None = None, end_ms: int | None = None) -> pd.DataFrame:
        symbol = check_symbol(symbol)
        named = self._funding_files.get(symbol)
        if named is None:
            return empty_funding()
        if symbol not in self._funding_cache:
            self._funding_cache[symbol] = read_data_file(named.path, symbol=symbol, kind=DataKind.FUNDING).frame
        return select_window(self._funding_cache[symbol], start_ms, end_ms)

    def describe(self, symbol: str, timeframe: str) -> str:
        symbol = check_symbol(symbol)
        source_tf = self._served.get((symbol, timeframe))
        if source_tf is None:
            order = self._order(symbol, timeframe)
            if not order:
                raise DataError(f"no {symbol} {timeframe} candles: {self._contents()}")
            source_tf = order[0]
        via = f", resampled from {source_tf}" if source_tf != timeframe else ""
        return f"file {self._candle_files[(symbol, source_tf)].path}{via}"


class ChainSource:
    """Several sources tried in order; the first that has the candles wins.

    Funding comes preferably from the source that last served the symbol's candles, so generated
    sample candles are never paired with recorded funding or the reverse.
    """

    def __init__(self, sources: Sequence[MarketDataSource]) -> None:
        if not sources:
            raise DataError("ChainSource needs at least one source")
        self.sources = list(sources)
        self._served: dict[tuple[str, str], int] = {}
        self._served_symbol: dict[str, int] = {}

    def __repr__(self) -> str:
        return f"ChainSource([{', '.join(map(repr, self.sources))}])"

    def candles(self, symbol: str, timeframe: str, start_ms: int | None = None,
                end_ms: int | None = None) -> pd.DataFrame:
        tried: list[str] = []
        for i, source in enumerate(self.sources):
            try:
                frame = source.candles(symbol, timeframe, start_ms, end_ms)
            except DataError as exc:
                tried.append(f"{source!r}: {exc}")
                continue
            self._served[(symbol, timeframe)] = i
            self._served_symbol[symbol] = i
            return frame
        raise DataError(f"no source has {symbol} {timeframe} candles in {window_text(start_ms, end_ms)}; tried:\n"
                        + "\n".join(f"  - {line}" for line in tried))

    def _order(self, symbol: str) -> list[int]:
        first = self._served_symbol.get(symbol)
        rest = [i for i in range(len(self.sources)) if i != first]
        return rest if first is None else [first, *rest]

    def funding(self, symbol: str, start_ms: int | None = None, end_ms: int | None = None) -> pd.DataFrame:
        failures: list[str] = []
        for i in self._order(symbol):
            source = self.sources[i]
            try:
                frame = source.funding(symbol, start_ms, end_ms)
            except DataError as exc:
                failures.append(f"{source!r}: {exc}")
                continue
            if len(frame):
                return frame
        if failures:  # a broken funding file must not pass as "no funding"
            raise DataError(f"cannot load {symbol} funding; failed:\n" + "\n".join(f"  - {t}" for t in failures))
        return empty_funding()

    def describe(self, symbol: str, timeframe: str) -> str:
        served = self._served.get((symbol, timeframe))
        if served is not None:
            return self.sources[served].describe(symbol, timeframe)
        tried: list[str] = []
        for source in self.sources:
            try:
                return source.describe(symbol, timeframe)
            except DataError as exc:
                tried.append(f"{source!r}: {exc}")
        raise DataError(f"no source has {symbol} {timeframe} candles; tried:\n"
                        + "\n".join(f"  - {t}" for t in tried))

