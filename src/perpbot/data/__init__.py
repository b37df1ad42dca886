"""The data layer: candle and funding frames, file formats, resampling, the local store and sources."""

from perpbot.data.formats import (
    DataFileName,
    DataKind,
    FileFormat,
    LoadedData,
    parse_data_filename,
    read_candles,
    read_data_file,
    read_funding,
    write_candles,
    write_data_file,
    write_funding,
)
from perpbot.data.frames import (
    CANDLE_COLUMNS,
    FUNDING_COLUMNS,
    empty_candles,
    empty_funding,
    iso_utc,
    select_window,
    validate_candles,
    validate_funding,
)
from perpbot.data.paths import default_store_dir, shared_data_dir
from perpbot.data.resample import can_resample, resample_candles
from perpbot.data.sample import SAMPLE_SYMBOLS, ensure_sample_store, generate_sample
from perpbot.data.sources import ChainSource, DirectorySource, MarketDataSource, StoreSource
from perpbot.data.store import CandleStore, ImportResult, StoreEntry

__all__ = [
    "CANDLE_COLUMNS",
    "FUNDING_COLUMNS",
    "SAMPLE_SYMBOLS",
    "CandleStore",
    "ChainSource",
    "DataFileName",
    "DataKind",
    "DirectorySource",
    "FileFormat",
    "ImportResult",
    "LoadedData",
    "MarketDataSource",
    "StoreEntry",
    "StoreSource",
    "can_resample",
    "default_store_dir",
    "empty_candles",
    "empty_funding",
    "ensure_sample_store",
    "generate_sample",
    "iso_utc",
    "parse_data_filename",
    "read_candles",
    "read_data_file",
    "read_funding",
    "resample_candles",
    "select_window",
    "shared_data_dir",
    "validate_candles",
    "validate_funding",
    "write_candles",
    "write_data_file",
    "write_funding",
]
