"""Assembly: where a run's parts are chosen (data sources now; clock and venue per mode as they land)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from perpbot.config import PerpbotConfig
from perpbot.data.paths import default_store_dir, shared_data_dir
from perpbot.data.sample import ensure_sample_store
from perpbot.data.sources import ChainSource, DirectorySource, MarketDataSource, StoreSource
from perpbot.data.store import CandleStore
from perpbot.engine.prepare import execution_timeframe
from perpbot.errors import DataError

SAMPLE_LABEL = "generated sample data (a seeded random walk, NOT real market prices)"


@dataclass(frozen=True, slots=True)
class ResolvedSource:
    source: MarketDataSource
    label: str  # "real", or the plain statement that the data is generated


def build_source(config: PerpbotConfig, *, store_dir: Path | None = None) -> ResolvedSource:
    """The local store, then the configured folder, then the shared Bybit data; else the labelled sample."""
    sources: list[MarketDataSource] = []
    store = CandleStore(store_dir or config.data.store_dir or default_store_dir())
    sources.append(StoreSource(store))
    if config.data.files_dir is not None:
        sources.append(DirectorySource(config.data.files_dir))
    shared = shared_data_dir() if config.data.use_shared_data else None
    if shared is not None:
        sources.append(DirectorySource(shared))
    chain = ChainSource(sources)
    try:
        _probe(chain, config)
        return ResolvedSource(chain, "real")
    except DataError as missing:
        if not config.data.allow_sample:
            raise
        sample_store = CandleStore((store_dir or config.data.store_dir or default_store_dir()).parent / "sample")
        symbols = tuple(s.symbol for s in config.symbols)
        try:
            ensure_sample_store(sample_store, symbols=symbols)
        except DataError as exc:
            raise DataError(f"{missing}\n(and no generated sample could stand in: {exc})") from None
        sample = StoreSource(sample_store)
        _probe(sample, config)
        return ResolvedSource(sample, SAMPLE_LABEL)


def _probe(source: MarketDataSource, config: PerpbotConfig) -> None:
    """Fail early, with the full story, if any series the run needs is missing."""
    tf = execution_timeframe(config)
    start, end = config.backtest.start_ms(), config.backtest.end_ms()
    for sym in config.symbols:
        source.candles(sym.symbol, tf, start, end)
