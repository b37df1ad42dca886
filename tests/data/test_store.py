"""CandleStore: import, merge, conflicts, gaps, atomic writes (a failed import changes no byte), loading."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from perpbot.data.formats import DataKind, write_candles, write_funding
from perpbot.data.resample import resample_candles
from perpbot.data.store import CandleStore
from perpbot.errors import DataError

from .support import make_candles

Q = 900_000
H = 3_600_000
T0 = 1_704_067_200_000  # 2024-01-01T00:00:00Z


def candles(n: int = 400) -> pd.DataFrame:
    return make_candles(n, start_ms=T0, step_ms=Q)


def funding(n: int = 30) -> pd.DataFrame:
    ts = T0 + 8 * H * np.arange(n, dtype=np.int64)
    return pd.DataFrame({"ts": ts, "rate": np.round(np.sin(np.arange(n)) * 0.0002, 8)})


def snapshot(root: Path) -> dict[str, bytes]:
    """Every file under the store, by relative path: a failed import must leave this identical."""
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


@pytest.fixture
def store(tmp_path: Path) -> CandleStore:
    return CandleStore(tmp_path / "store")


def _file(tmp_path: Path, frame: pd.DataFrame, name: str = "bybit_linear_BTCUSDT_15m.csv.gz") -> Path:
    return write_candles(frame, tmp_path / name)


def test_import_infers_from_name_and_loads_back(store: CandleStore, tmp_path: Path) -> None:
    result = store.import_file(_file(tmp_path, candles()))
    assert (result.kind, result.symbol, result.timeframe) == (DataKind.CANDLES, "BTCUSDT", "15m")
    assert (result.rows_read, result.rows_added, result.rows_total) == (400, 400, 400)
    assert result.path == store.root / "candles" / "BTCUSDT" / "15m.parquet"
    assert not result.generated
    pd.testing.assert_frame_equal(store.load_candles("BTCUSDT", "15m"), candles())
    assert str(result) == ("BTCUSDT 15m candles: 400 rows read, 400 new, 400 stored "
                           "(2024-01-01T00:00:00Z .. 2024-01-05T03:45:00Z)")
    [entry] = store.list()
    assert (entry.kind, entry.symbol, entry.timeframe, entry.rows) == (DataKind.CANDLES, "BTCUSDT", "15m", 400)
    assert (entry.first_ts, entry.last_ts) == (T0, T0 + 399 * Q)
    assert entry.path == result.path
    assert not entry.generated


def test_import_with_explicit_symbol_and_timeframe(store: CandleStore, tmp_path: Path) -> None:
    path = write_candles(candles(), tmp_path / "export.parquet")
    result = store.import_file(path, symbol="ethusdt", timeframe="15m")
    assert (result.symbol, result.timeframe) == ("ETHUSDT", "15m")
    assert store.timeframes("ETHUSDT") == ["15m"]


def test_overlapping_import_merges(store: CandleStore, tmp_path: Path) -> None:
    full = candles()
    store.import_file(_file(tmp_path, full.iloc[:250], "bybit_linear_BTCUSDT_15m.csv"))
    result = store.import_file(_file(tmp_path, full.iloc[200:]))
    assert (result.rows_read, result.rows_added, result.rows_total) == (200, 150, 400)
    pd.testing.assert_frame_equal(store.load_candles("BTCUSDT", "15m"), full)
    # earlier data, adjacent (no overlap, no gap) is fine too
    store2 = CandleStore(tmp_path / "s2")
    store2.import_file(_file(tmp_path, full.iloc[100:]))
    store2.import_file(_file(tmp_path, full.iloc[:100], "bybit_linear_BTCUSDT_15m.parquet"))
    pd.testing.assert_frame_equal(store2.load_candles("BTCUSDT", "15m"), full)


def test_reimport_changes_nothing(store: CandleStore, tmp_path: Path) -> None:
    path = _file(tmp_path, candles())
    store.import_file(path)
    before = snapshot(store.root)
    result = store.import_file(path)
    assert result.rows_added == 0
    assert result.rows_total == 400
    assert snapshot(store.root) == before


def test_conflicting_overlap_is_refused_and_store_is_untouched(store: CandleStore, tmp_path: Path) -> None:
    full = candles()
    store.import_file(_file(tmp_path, full.iloc[:250]))
    before = snapshot(store.root)
    changed = full.iloc[200:].copy()
    changed.loc[210, "close"] = changed.loc[210, "close"] * 1.001
    changed.loc[210, "high"] = max(changed.loc[210, "high"], changed.loc[210, "close"])
    changed.loc[230, "volume"] += 1
    with pytest.raises(DataError) as err:
        store.import_file(_file(tmp_path, changed, "bybit_linear_BTCUSDT_15m.parquet"))
    message = str(err.value)
    assert "conflicts with the store's BTCUSDT 15m candles at ts 1704256200000 = 2024-01-03T04:30:00Z" in message
    assert "2 conflicting row(s)" in message
    assert "overlapping rows must be identical" in message
    assert "nothing was imported" in message
    assert snapshot(store.root) == before


def test_import_that_would_leave_a_gap_is_refused(store: CandleStore, tmp_path: Path) -> None:
    full = candles()
    store.import_file(_file(tmp_path, full.iloc[:100]))
    before = snapshot(store.root)
    with pytest.raises(DataError) as err:
        store.import_file(_file(tmp_path, full.iloc[150:], "bybit_linear_BTCUSDT_15m.csv"))
    message = str(err.value)
    assert "would leave a gap in the store's BTCUSDT 15m candles" in message
    assert "50 candle(s) missing" in message
    assert snapshot(store.root) == before


@pytest.mark.parametrize("damage", ["gap", "corrupt"])
def test_bad_file_changes_nothing(store: CandleStore, tmp_path: Path, damage: str) -> None:
    store.import_file(_file(tmp_path, candles()))
    store.import_file(write_funding(funding(), tmp_path / "bybit_linear_BTCUSDT_funding.csv.gz"))
    before = snapshot(store.root)
    bad = tmp_path / "bad" / "bybit_linear_BTCUSDT_15m.csv.gz"
    bad.parent.mkdir()
    if damage == "gap":
        write_candles(make_candles(500, start_ms=T0, step_ms=Q).drop(index=[450]), bad)
    else:
        bad.write_bytes(_file(tmp_path, candles(), "x.csv.gz").read_bytes()[:3000])
    with pytest.raises(DataError, match=str(bad)):
        store.import_file(bad)
    assert snapshot(store.root) == before
    assert not list(store.root.rglob("*.tmp"))


def test_load_window_is_half_open(store: CandleStore, tmp_path: Path) -> None:
    store.import_file(_file(tmp_path, candles()))
    out = store.load_candles("BTCUSDT", "15m", T0 + 10 * Q, T0 + 20 * Q)
    assert out["ts"].tolist() == [T0 + k * Q for k in range(10, 20)]
    assert len(store.load_candles("BTCUSDT", "15m", start_ms=T0 + 390 * Q)) == 10
    assert len(store.load_candles("BTCUSDT", "15m", end_ms=T0 + 5 * Q)) == 5


def test_empty_window_is_an_error_naming_the_range(store: CandleStore, tmp_path: Path) -> None:
    store.import_file(_file(tmp_path, candles()))
    with pytest.raises(DataError, match=r"15m covers 2024-01-01T00:00:00Z \.\. 2024-01-05T03:45:00Z"):
        store.load_candles("BTCUSDT", "15m", T0 + 1000 * Q, T0 + 2000 * Q)


def test_unknown_series_lists_what_the_store_has(store: CandleStore, tmp_path: Path) -> None:
    with pytest.raises(DataError, match="holds no candles"):
        store.load_candles("BTCUSDT", "15m")
    store.import_file(_file(tmp_path, candles()))
    store.import_file(_file(tmp_path, make_candles(50, start_ms=T0, step_ms=H), "bybit_linear_ETHUSDT_1h.csv"))
    with pytest.raises(DataError) as err:
        store.load_candles("SOLUSDT", "15m")
    assert "no SOLUSDT 15m candles in the store" in str(err.value)
    assert "has BTCUSDT 15m; ETHUSDT 1h" in str(err.value)
    with pytest.raises(DataError, match="no ETHUSDT 15m candles"):
        store.load_candles("ETHUSDT", "15m")


def test_missing_timeframe_is_resampled_from_a_finer_one(store: CandleStore, tmp_path: Path) -> None:
    store.import_file(_file(tmp_path, candles()))
    hourly = store.load_candles("BTCUSDT", "1h")
    pd.testing.assert_frame_equal(hourly, resample_candles(candles(), "15m", "1h"))
    window = store.load_candles("BTCUSDT", "1h", T0 + 2 * H, T0 + 5 * H)
    assert window["ts"].tolist() == [T0 + 2 * H, T0 + 3 * H, T0 + 4 * H]
    assert "resampled from 15m" in store.describe("BTCUSDT", "1h")


def test_funding_import_merge_and_load(store: CandleStore, tmp_path: Path) -> None:
    full = funding()
    store.import_file(write_funding(full.iloc[:20], tmp_path / "bybit_linear_BTCUSDT_funding.csv.gz"))
    result = store.import_file(write_funding(full.iloc[15:], tmp_path / "bybit_linear_BTCUSDT_funding.parquet"))
    assert (result.kind, result.timeframe, result.rows_added, result.rows_total) == (DataKind.FUNDING, None, 10, 30)
    pd.testing.assert_frame_equal(store.load_funding("BTCUSDT"), full)
    assert len(store.load_funding("BTCUSDT", T0, T0 + 24 * H)) == 3
    with pytest.raises(DataError, match=r"no ETHUSDT funding in the store .*it has funding for: BTCUSDT"):
        store.load_funding("ETHUSDT")


def test_funding_gap_and_conflict_are_refused(store: CandleStore, tmp_path: Path) -> None:
    full = funding()
    store.import_file(write_funding(full.iloc[:10], tmp_path / "bybit_linear_BTCUSDT_funding.csv"))
    before = snapshot(store.root)
    with pytest.raises(DataError, match="would leave a gap in the store's BTCUSDT funding"):
        store.import_file(write_funding(full.iloc[12:], tmp_path / "bybit_linear_BTCUSDT_funding.csv.gz"))
    changed = full.iloc[5:].copy()
    changed.loc[7, "rate"] = 0.5
    with pytest.raises(DataError, match=r"at ts 1704268800000 = 2024-01-03T08:00:00Z: stored rate=.*; file rate=0\.5"):
        store.import_file(write_funding(changed, tmp_path / "bybit_linear_BTCUSDT_funding.parquet"))
    assert snapshot(store.root) == before


def test_unsafe_symbols_are_refused(store: CandleStore, tmp_path: Path) -> None:
    with pytest.raises(DataError, match="symbol must be 2-40 letters or digits"):
        store.import_file(write_candles(candles(), tmp_path / "x.csv"), symbol="../evil", timeframe="15m")
    with pytest.raises(DataError, match="symbol must be"):
        store.load_candles("BTC/USDT", "15m")


def test_list_orders_candles_then_funding(store: CandleStore, tmp_path: Path) -> None:
    store.import_file(_file(tmp_path, candles()))
    store.import_file(_file(tmp_path, make_candles(50, start_ms=T0, step_ms=H), "bybit_linear_BTCUSDT_1h.csv"))
    store.import_file(_file(tmp_path, make_candles(50, start_ms=T0, step_ms=Q), "bybit_linear_ADAUSDT_15m.csv"))
    store.import_file(write_funding(funding(), tmp_path / "bybit_linear_BTCUSDT_funding.csv"))
    listed = [(e.kind.value, e.symbol, e.timeframe) for e in store.list()]
    assert listed == [("candles", "ADAUSDT", "15m"), ("candles", "BTCUSDT", "15m"), ("candles", "BTCUSDT", "1h"),
                      ("funding", "BTCUSDT", None)]
    assert store.symbols() == ["ADAUSDT", "BTCUSDT"]
    # the exact timeframe wins over resampling when it is stored
    assert store.describe("BTCUSDT", "1h") == f"store {store.root / 'candles' / 'BTCUSDT' / '1h.parquet'}"


def test_generated_and_recorded_data_never_mix(store: CandleStore, tmp_path: Path) -> None:
    meta = {"generator": "test", "seed": 1}
    store.import_candles(candles(), symbol="BTCUSDT", timeframe="15m", source="generated", generated=meta)
    assert store.is_generated(DataKind.CANDLES, "BTCUSDT", "15m")
    assert [e.generated for e in store.list()] == [True]
    before = snapshot(store.root)
    with pytest.raises(DataError, match="GENERATED sample data"):
        store.import_file(_file(tmp_path, make_candles(30, start_ms=T0, step_ms=H), "bybit_linear_BTCUSDT_1h.csv"))
    assert snapshot(store.root) == before
    assert store.remove_generated() == ["candles/BTCUSDT/15m"]
    assert store.list() == []
    store.import_file(_file(tmp_path, candles()))
    with pytest.raises(DataError, match="already holds recorded BTCUSDT data"):
        store.import_funding(funding(), symbol="BTCUSDT", generated=meta)
    assert not store.list()[0].generated


def test_remove(store: CandleStore, tmp_path: Path) -> None:
    store.import_file(_file(tmp_path, candles()))
    assert store.remove(DataKind.CANDLES, "BTCUSDT", "15m")
    assert not store.remove(DataKind.CANDLES, "BTCUSDT", "15m")
    assert store.list() == []
