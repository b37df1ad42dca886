"""Market data sources: the store, a folder of real Bybit files, and a chain of sources."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from perpbot.data.formats import read_candles, write_candles, write_funding
from perpbot.data.frames import CANDLE_COLUMNS, FUNDING_COLUMNS
from perpbot.data.resample import resample_candles
from perpbot.data.sample import ensure_sample_store
from perpbot.data.sources import ChainSource, DirectorySource, MarketDataSource, StoreSource
from perpbot.data.store import CandleStore
from perpbot.errors import DataError

from .support import make_candles

H = 3_600_000
T0 = 1_704_067_200_000  # 2024-01-01T00:00:00Z
MAY_2026 = 1_777_593_600_000  # 2026-05-01T00:00:00Z: after the 15m/1h files end, inside the 5m files


@pytest.fixture(scope="module")
def shared_source(shared_data: Path) -> DirectorySource:
    return DirectorySource(shared_data)


@pytest.mark.shared_data
def test_directory_source_serves_real_files(shared_source: DirectorySource, shared_data: Path) -> None:
    assert isinstance(shared_source, MarketDataSource)
    frame = shared_source.candles("BTCUSDT", "1h", T0, T0 + 24 * H)
    assert frame["ts"].tolist() == [T0 + k * H for k in range(24)]
    assert tuple(frame.columns) == CANDLE_COLUMNS
    whole = read_candles(shared_data / "bybit_linear_BTCUSDT_1h.csv.gz")
    pd.testing.assert_frame_equal(frame, whole[(whole["ts"] >= T0) & (whole["ts"] < T0 + 24 * H)]
                                  .reset_index(drop=True))
    assert shared_source.describe("BTCUSDT", "1h") == f"file {shared_data / 'bybit_linear_BTCUSDT_1h.csv.gz'}"


@pytest.mark.shared_data
def test_directory_source_resamples_from_the_coarsest_finer_file(shared_source: DirectorySource,
                                                                 shared_data: Path) -> None:
    four_hourly = shared_source.candles("ETHUSDT", "4h")
    assert shared_source.describe("ETHUSDT", "4h").endswith("bybit_linear_ETHUSDT_1h.csv.gz, resampled from 1h")
    hourly = read_candles(shared_data / "bybit_linear_ETHUSDT_1h.csv.gz")
    pd.testing.assert_frame_equal(four_hourly, resample_candles(hourly, "1h", "4h"))
    assert (four_hourly["ts"] % (4 * H) == 0).all()
    # 30m comes from 15m (coarser than 5m and 1m)
    shared_source.candles("BTCUSDT", "30m", T0, T0 + 24 * H)
    assert "resampled from 15m" in shared_source.describe("BTCUSDT", "30m")


@pytest.mark.shared_data
def test_directory_source_falls_back_to_a_finer_file_outside_the_exact_one(shared_source: DirectorySource) -> None:
    frame = shared_source.candles("SOLUSDT", "1h", MAY_2026, MAY_2026 + 48 * H)
    assert len(frame) == 48
    assert "resampled from 5m" in shared_source.describe("SOLUSDT", "1h")


@pytest.mark.shared_data
def test_directory_source_errors_and_missing_funding(shared_source: DirectorySource) -> None:
    with pytest.raises(DataError) as err:
        shared_source.candles("XRPUSDT", "1h")
    assert "no XRPUSDT 1h candles" in str(err.value)
    assert "BTCUSDT 1m, 5m, 15m, 1h; DOGEUSDT 1m;" in str(err.value)
    with pytest.raises(DataError, match=r"none in \[2030-01-01T00:00:00Z"):
        shared_source.candles("BTCUSDT", "1h", 1_893_456_000_000)
    funding = shared_source.funding("BTCUSDT", T0, T0 + 24 * H)
    assert funding["ts"].tolist() == [T0, T0 + 8 * H, T0 + 16 * H]
    empty = shared_source.funding("DOGEUSDT")  # 1m candles but no funding file
    assert empty.empty
    assert tuple(empty.columns) == FUNDING_COLUMNS
    assert empty["ts"].dtype == np.int64


@pytest.mark.shared_data
def test_loading_a_5m_file_is_fast(shared_data: Path) -> None:
    timings = []
    for _ in range(3):
        source = DirectorySource(shared_data)
        started = time.perf_counter()
        frame = source.candles("SOLUSDT", "5m")
        timings.append(time.perf_counter() - started)
    assert len(frame) == 86_604
    assert min(timings) < 0.3, timings


@pytest.mark.shared_data
def test_cache_is_not_corrupted_by_callers(shared_source: DirectorySource) -> None:
    first = shared_source.candles("BNBUSDT", "1h", T0, T0 + 5 * H)
    expected = first.copy()
    first.loc[0, "close"] = -1.0
    pd.testing.assert_frame_equal(shared_source.candles("BNBUSDT", "1h", T0, T0 + 5 * H), expected)


def test_directory_source_prefers_parquet_and_needs_a_folder(tmp_path: Path) -> None:
    frame = make_candles(30, start_ms=T0, step_ms=H)
    write_candles(frame, tmp_path / "bybit_linear_BTCUSDT_1h.csv.gz")
    write_candles(frame, tmp_path / "bybit_linear_BTCUSDT_1h.parquet")
    (tmp_path / "notes.txt").write_text("not data")
    source = DirectorySource(tmp_path)
    assert source.describe("BTCUSDT", "1h").endswith(".parquet")
    pd.testing.assert_frame_equal(source.candles("BTCUSDT", "1h"), frame)
    with pytest.raises(DataError, match="does not exist"):
        DirectorySource(tmp_path / "nope")


def test_store_source(tmp_path: Path) -> None:
    store = CandleStore(tmp_path / "store")
    frame = make_candles(30, start_ms=T0, step_ms=H)
    store.import_candles(frame, symbol="BTCUSDT", timeframe="1h")
    source = StoreSource(store)
    assert isinstance(source, MarketDataSource)
    pd.testing.assert_frame_equal(source.candles("BTCUSDT", "1h", T0, T0 + 3 * H), frame.iloc[:3])
    assert source.funding("BTCUSDT").empty
    assert tuple(source.funding("BTCUSDT").columns) == FUNDING_COLUMNS
    funding = pd.DataFrame({"ts": [T0, T0 + 8 * H], "rate": [0.0001, -0.0001]})
    store.import_funding(funding, symbol="BTCUSDT")
    pd.testing.assert_frame_equal(source.funding("BTCUSDT"), funding)
    assert source.describe("BTCUSDT", "1h").startswith("store ")


def test_chain_tries_in_order_and_lists_everything_it_tried(tmp_path: Path) -> None:
    store = CandleStore(tmp_path / "store")
    store.import_candles(make_candles(30, start_ms=T0, step_ms=H), symbol="BTCUSDT", timeframe="1h")
    folder = tmp_path / "files"
    folder.mkdir()
    eth = make_candles(30, start_ms=T0, step_ms=H, price=2000.0)
    write_candles(eth, folder / "bybit_linear_ETHUSDT_1h.csv.gz")
    chain = ChainSource([StoreSource(store), DirectorySource(folder)])
    assert isinstance(chain, MarketDataSource)
    pd.testing.assert_frame_equal(chain.candles("ETHUSDT", "1h"), eth)
    assert chain.describe("ETHUSDT", "1h").startswith("file ")
    assert chain.describe("BTCUSDT", "1h").startswith("store ")
    with pytest.raises(DataError) as err:
        chain.candles("SOLUSDT", "1h")
    message = str(err.value)
    assert "no source has SOLUSDT 1h candles" in message
    assert f"StoreSource('{store.root}'): no SOLUSDT 1h candles in the store" in message
    assert f"DirectorySource('{folder}'): no SOLUSDT 1h candles" in message
    assert chain.funding("SOLUSDT").empty


def test_chain_takes_funding_from_the_source_that_served_the_candles(tmp_path: Path) -> None:
    sample_store = CandleStore(tmp_path / "sample")
    ensure_sample_store(sample_store, symbols=("BTCUSDT",), days=5)
    folder = tmp_path / "files"
    folder.mkdir()
    real_funding = pd.DataFrame({"ts": [T0, T0 + 8 * H, T0 + 16 * H], "rate": [0.0003, 0.0003, 0.0003]})
    write_funding(real_funding, folder / "bybit_linear_BTCUSDT_funding.csv")
    chain = ChainSource([DirectorySource(folder), StoreSource(sample_store)])
    assert chain.funding("BTCUSDT", T0, T0 + 24 * H)["rate"].tolist() == [0.0003] * 3
    chain.candles("BTCUSDT", "15m", T0, T0 + 24 * H)  # served by the sample store
    assert chain.funding("BTCUSDT", T0, T0 + 24 * H)["rate"].tolist() != [0.0003] * 3


def test_chain_reports_broken_funding(tmp_path: Path) -> None:
    folder = tmp_path / "files"
    folder.mkdir()
    (folder / "bybit_linear_BTCUSDT_funding.csv.gz").write_bytes(b"not gzip")
    chain = ChainSource([DirectorySource(folder)])
    with pytest.raises(DataError, match="cannot load BTCUSDT funding"):
        chain.funding("BTCUSDT")
