"""`perpbot data import|list`: CSV and Parquet candles and funding, real data slices, and corrupt
input that is refused with a clear message while the store stays exactly as it was."""

from __future__ import annotations

import gzip
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from perpbot.data.store import CandleStore
from tests.cli.support import run_cli, snapshot, squash, table_rows
from tests.conftest import make_candles

HOUR_MS = 3_600_000
START_MS = 1_704_067_200_000  # 2024-01-01 00:00 UTC
FUNDING_STEP_MS = 8 * HOUR_MS


def _minute_text(ts_ms: int) -> str:
    """How `data list` shows a time."""
    return datetime.fromtimestamp(ts_ms / 1000, tz=UTC).strftime("%Y-%m-%d %H:%M")


def _candles(n: int, *, start_ms: int = START_MS, step_ms: int = HOUR_MS, seed: int = 7) -> pd.DataFrame:
    return make_candles(n, seed=seed, start_ms=start_ms, step_ms=step_ms)


def _funding(n: int, *, start_ms: int = START_MS + FUNDING_STEP_MS) -> pd.DataFrame:
    rates = [0.0001 * (1 + i / 10) * (-1) ** i for i in range(n)]
    return pd.DataFrame({"ts": start_ms + FUNDING_STEP_MS * np.arange(n, dtype=np.int64), "rate": rates})


def _shared_layout_csv(frame: pd.DataFrame, path: Path) -> Path:
    """The shared-data CSV layout: `timestamp` instead of `ts`, `funding_rate` instead of `rate`."""
    frame.rename(columns={"ts": "timestamp", "rate": "funding_rate"}).to_csv(path, index=False)
    return path


def _parquet(frame: pd.DataFrame, path: Path) -> Path:
    frame.to_parquet(path, index=False)
    return path


def _listing(store: Path, home: Path) -> list[list[str]]:
    result = run_cli(["data", "list", "--store", store], home=home)
    assert result.exit_code == 0, result.output
    return table_rows(result.stdout)


def _row(kind: str, symbol: str, timeframe: str, frame: pd.DataFrame) -> list[str]:
    ts = frame["ts"].to_numpy()
    return [kind, symbol, timeframe, f"{len(frame):,}", _minute_text(int(ts[0])), _minute_text(int(ts[-1])), ""]


# ---------------------------------------------------------------------------------------------- good imports


def test_csv_and_parquet_candles_and_funding_import_and_list(tmp_path: Path) -> None:
    home, store = tmp_path / "home", tmp_path / "store"
    btc = _candles(48)
    eth = _candles(96, step_ms=15 * 60_000, seed=11)
    btc_funding, eth_funding = _funding(6), _funding(5)
    files = [
        _shared_layout_csv(btc, tmp_path / "bybit_linear_BTCUSDT_1h.csv"),
        _shared_layout_csv(btc_funding, tmp_path / "bybit_linear_BTCUSDT_funding.csv"),
        _parquet(eth, tmp_path / "bybit_linear_ETHUSDT_15m.parquet"),
        _parquet(eth_funding, tmp_path / "bybit_linear_ETHUSDT_funding.parquet"),
    ]
    result = run_cli(["data", "import", *files, "--store", store], home=home)
    assert result.exit_code == 0, result.output
    text = squash(result.stdout)
    assert f"imported {files[0]}: BTCUSDT 1h candles: 48 rows read, 48 new, 48 stored" in text
    assert f"imported {files[1]}: BTCUSDT funding: 6 rows read, 6 new, 6 stored" in text
    assert f"imported {files[2]}: ETHUSDT 15m candles: 96 rows read, 96 new, 96 stored" in text
    assert f"imported {files[3]}: ETHUSDT funding: 5 rows read, 5 new, 5 stored" in text

    assert _listing(store, home) == [
        _row("candles", "BTCUSDT", "1h", btc),
        _row("candles", "ETHUSDT", "15m", eth),
        _row("funding", "BTCUSDT", "", btc_funding),
        _row("funding", "ETHUSDT", "", eth_funding),
    ]
    stored = CandleStore(store)
    pd.testing.assert_frame_equal(stored.load_candles("BTCUSDT", "1h"), btc)
    pd.testing.assert_frame_equal(stored.load_candles("ETHUSDT", "15m"), eth)
    pd.testing.assert_frame_equal(stored.load_funding("ETHUSDT"), eth_funding)


def test_a_file_without_a_telling_name_needs_symbol_and_timeframe(tmp_path: Path) -> None:
    home, store = tmp_path / "home", tmp_path / "store"
    frame = _candles(30, step_ms=5 * 60_000)
    path = _parquet(frame.assign(ts=frame["ts"] // 1000), tmp_path / "export.parquet")  # epoch seconds
    refused = run_cli(["data", "import", path, "--store", store], home=home)
    assert refused.exit_code == 2
    assert f"{path}: cannot infer the symbol from the file name; pass it explicitly" in squash(refused.stderr)
    assert snapshot(store) == {}

    result = run_cli(["data", "import", path, "--symbol", "solusdt", "--store", store], home=home)
    assert result.exit_code == 0, result.output
    text = squash(result.stdout)
    assert "SOLUSDT 5m candles: 30 rows read, 30 new, 30 stored" in text
    assert "time column 'ts' is in seconds; converted to milliseconds" in text
    assert "timeframe 5m inferred from the spacing of the candles" in text
    assert _listing(store, home) == [_row("candles", "SOLUSDT", "5m", frame)]


def test_the_default_store_is_under_perpbot_home(tmp_path: Path) -> None:
    home = tmp_path / "home"
    path = _shared_layout_csv(_candles(24), tmp_path / "bybit_linear_BTCUSDT_1h.csv")
    result = run_cli(["data", "import", path], home=home)
    assert result.exit_code == 0, result.output
    assert sorted(snapshot(home)) == ["store/candles/BTCUSDT/1h.parquet"]
    listed = run_cli(["data", "list"], home=home)
    assert f"candle store: {home / 'store'}" in squash(listed.stdout)


def test_an_empty_store_says_how_to_fill_it(tmp_path: Path) -> None:
    store = tmp_path / "store"
    result = run_cli(["data", "list", "--store", store], home=tmp_path / "home")
    assert result.exit_code == 0
    assert squash(result.stdout) == f"the store at {store} is empty; add data with `perpbot data import FILE`"


@pytest.mark.shared_data
def test_a_slice_of_real_shared_data_imports_exactly(tmp_path: Path, shared_data: Path) -> None:
    home, store = tmp_path / "home", tmp_path / "store"
    candles = pd.read_csv(shared_data / "bybit_linear_SOLUSDT_1h.csv.gz", nrows=500)
    funding = pd.read_csv(shared_data / "bybit_linear_SOLUSDT_funding.csv.gz", nrows=60)
    candle_file = tmp_path / "bybit_linear_SOLUSDT_1h.csv.gz"
    with gzip.open(candle_file, "wt", encoding="utf-8", newline="") as handle:
        candles.to_csv(handle, index=False)
    funding_file = _parquet(funding.rename(columns={"timestamp": "ts", "funding_rate": "rate"}),
                            tmp_path / "bybit_linear_SOLUSDT_funding.parquet")
    result = run_cli(["data", "import", candle_file, funding_file, "--store", store], home=home)
    assert result.exit_code == 0, result.output

    expected = candles.rename(columns={"timestamp": "ts"})
    expected_funding = funding.rename(columns={"timestamp": "ts", "funding_rate": "rate"})
    assert _listing(store, home) == [_row("candles", "SOLUSDT", "1h", expected),
                                     _row("funding", "SOLUSDT", "", expected_funding)]
    stored = CandleStore(store)
    pd.testing.assert_frame_equal(stored.load_candles("SOLUSDT", "1h"), expected.astype({"volume": "float64"}))
    pd.testing.assert_frame_equal(stored.load_funding("SOLUSDT"), expected_funding)

    # the next slice continues the series; re-importing the overlap adds nothing
    more = pd.read_csv(shared_data / "bybit_linear_SOLUSDT_1h.csv.gz", nrows=800).iloc[450:]
    more_file = _shared_layout_csv(more.rename(columns={"timestamp": "ts"}), tmp_path / "bybit_linear_SOLUSDT_1h.csv")
    grown = run_cli(["data", "import", more_file, "--store", store], home=home)
    assert grown.exit_code == 0, grown.output
    assert "SOLUSDT 1h candles: 350 rows read, 300 new, 800 stored" in squash(grown.stdout)
    assert _listing(store, home)[0][3] == "800"


# ---------------------------------------------------------------------------------------------- corrupt input

# Each case: (file name, writer of the bad file from a good continuation of the stored series, fragments
# the error must contain).
Corruption = tuple[str, Callable[[pd.DataFrame, Path], Path], tuple[str, ...]]


def _swap_rows(frame: pd.DataFrame, path: Path) -> Path:
    order = list(range(len(frame)))
    order[5], order[6] = order[6], order[5]
    return _shared_layout_csv(frame.iloc[order], path)


def _blank_close(frame: pd.DataFrame, path: Path) -> Path:
    bad = frame.copy()
    bad.loc[10, "close"] = np.nan
    return _shared_layout_csv(bad, path)


def _nan_text_open(frame: pd.DataFrame, path: Path) -> Path:
    bad = frame.astype({"open": "object"})
    bad.loc[3, "open"] = "NaN"
    return _shared_layout_csv(bad, path)


def _no_low(frame: pd.DataFrame, path: Path) -> Path:
    return _shared_layout_csv(frame.drop(columns=["low"]), path)


def _no_volume(frame: pd.DataFrame, path: Path) -> Path:
    return _shared_layout_csv(frame.drop(columns=["volume"]), path)


def _hole(frame: pd.DataFrame, path: Path) -> Path:
    return _shared_layout_csv(frame.drop(index=[20, 21, 22]), path)


def _duplicate(frame: pd.DataFrame, path: Path) -> Path:
    return _shared_layout_csv(pd.concat([frame.iloc[:8], frame.iloc[7:]]), path)


def _text_price(frame: pd.DataFrame, path: Path) -> Path:
    bad = frame.astype({"high": "object"})
    bad.loc[12, "high"] = "12O.5"
    return _shared_layout_csv(bad, path)


def _negative_price(frame: pd.DataFrame, path: Path) -> Path:
    bad = frame.copy()
    bad.loc[4, ["open", "low"]] = -1.0
    return _shared_layout_csv(bad, path)


def _garbage_gzip(frame: pd.DataFrame, path: Path) -> Path:
    path.write_bytes(b"\x1f\x8b\x08\x00 this is not gzip data")
    return path


def _truncated_parquet(frame: pd.DataFrame, path: Path) -> Path:
    _parquet(frame, path)
    path.write_bytes(path.read_bytes()[:200])
    return path


def _conflict(frame: pd.DataFrame, path: Path) -> Path:
    # starts inside the stored range with one stored candle changed
    stored = _candles(48)
    overlap = stored.iloc[40:].copy()
    volume = overlap["volume"].to_numpy(copy=True)
    volume[4] += 1.0
    overlap["volume"] = volume
    return _shared_layout_csv(pd.concat([overlap, frame]), path)


def _leaves_a_gap(frame: pd.DataFrame, path: Path) -> Path:
    return _shared_layout_csv(frame.iloc[5:], path)


CORRUPTIONS: dict[str, Corruption] = {
    "unsorted": ("bybit_linear_BTCUSDT_1h.csv", _swap_rows, ("timestamps not sorted", "row 6")),
    "empty price": ("bybit_linear_BTCUSDT_1h.csv", _blank_close,
                    ("row 11", "column close has a missing value (NaN); expected a finite number")),
    "NaN price": ("bybit_linear_BTCUSDT_1h.csv", _nan_text_open,
                  ("row 4", "column open has a missing value (NaN)")),
    "missing price column": ("bybit_linear_BTCUSDT_1h.csv", _no_low,
                             ("columns (timestamp, open, high, close, volume)",
                              "expected timestamp,open,high,low,close,volume")),
    "missing volume column": ("bybit_linear_BTCUSDT_1h.csv", _no_volume,
                              ("missing column(s) volume; expected columns ts, open, high, low, close, volume",)),
    "gap": ("bybit_linear_BTCUSDT_1h.csv", _hole,
            ("gap after row 20", "3 candle(s) missing there", "gaps are never filled")),
    "duplicate": ("bybit_linear_BTCUSDT_1h.csv", _duplicate, ("duplicate timestamp", "rows 8 and 9")),
    "text price": ("bybit_linear_BTCUSDT_1h.csv", _text_price, ("row 13", "column high has non-numeric value '12O.5'")),
    "negative price": ("bybit_linear_BTCUSDT_1h.csv", _negative_price, ("row 5", "expected a positive price")),
    "not gzip": ("bybit_linear_BTCUSDT_1h.csv.gz", _garbage_gzip, ("cannot read the file as csv.gz",)),
    "truncated parquet": ("bybit_linear_BTCUSDT_1h.parquet", _truncated_parquet, ("cannot read the file as parquet",)),
    "conflicts with the store": ("bybit_linear_BTCUSDT_1h.csv", _conflict,
                                 ("conflicts with the store's BTCUSDT 1h candles", "nothing was imported")),
    "leaves a gap in the store": ("bybit_linear_BTCUSDT_1h.csv", _leaves_a_gap,
                                  ("importing would leave a gap in the store's BTCUSDT 1h candles",
                                   "5 candle(s) missing", "nothing was imported")),
}


@pytest.fixture
def filled_store(tmp_path: Path) -> tuple[Path, Path]:
    """A store holding 48 BTCUSDT 1h candles and 6 funding rates, imported through the command."""
    home, store = tmp_path / "home", tmp_path / "store"
    files = [_shared_layout_csv(_candles(48), tmp_path / "stored_candles.csv"),
             _shared_layout_csv(_funding(6), tmp_path / "stored_funding.csv")]
    for path, extra in zip(files, (["--timeframe", "1h"], []), strict=True):
        result = run_cli(["data", "import", path, "--symbol", "BTCUSDT", *extra, "--store", store], home=home)
        assert result.exit_code == 0, result.output
    return home, store


@pytest.mark.parametrize("kind", list(CORRUPTIONS))
def test_corrupt_input_is_refused_and_the_store_is_unchanged(tmp_path: Path, filled_store: tuple[Path, Path],
                                                             kind: str) -> None:
    home, store = filled_store
    name, write, fragments = CORRUPTIONS[kind]
    # The next 48 candles after the stored ones: undamaged, they would merge (see the test below).
    continuation = _candles(48, start_ms=START_MS + 48 * HOUR_MS, seed=99)
    incoming = tmp_path / "incoming"
    incoming.mkdir()
    bad = write(continuation, incoming / name)
    files_before, listing_before = snapshot(store), _listing(store, home)

    result = run_cli(["data", "import", bad, "--store", store], home=home)
    assert result.exit_code == 2, result.output
    message = squash(result.stderr)
    assert message.startswith(f"error: {bad}"), message
    for fragment in fragments:
        assert fragment in message, f"{fragment!r} not in {message!r}"
    assert "Traceback" not in result.output
    assert "imported" not in result.stdout
    assert snapshot(store) == files_before
    assert _listing(store, home) == listing_before


def test_the_good_continuation_is_accepted(tmp_path: Path, filled_store: tuple[Path, Path]) -> None:
    """The corrupt cases above fail because of their defect alone: undamaged, the same file merges."""
    home, store = filled_store
    continuation = _candles(48, start_ms=START_MS + 48 * HOUR_MS, seed=99)
    path = _shared_layout_csv(continuation, tmp_path / "bybit_linear_BTCUSDT_1h.csv")
    result = run_cli(["data", "import", path, "--store", store], home=home)
    assert result.exit_code == 0, result.output
    assert "48 rows read, 48 new, 96 stored" in squash(result.stdout)


def test_a_corrupt_funding_file_is_refused(tmp_path: Path, filled_store: tuple[Path, Path]) -> None:
    home, store = filled_store
    funding = _funding(6, start_ms=START_MS + 7 * FUNDING_STEP_MS)
    funding.loc[2, "rate"] = np.nan
    path = _shared_layout_csv(funding, tmp_path / "bybit_linear_BTCUSDT_funding.csv")
    before = snapshot(store)
    result = run_cli(["data", "import", path, "--store", store], home=home)
    assert result.exit_code == 2
    assert "BTCUSDT funding: row 3" in squash(result.stderr)
    assert "column rate has a missing value (NaN)" in squash(result.stderr)
    assert snapshot(store) == before


def test_a_missing_file_is_named(tmp_path: Path, filled_store: tuple[Path, Path]) -> None:
    home, store = filled_store
    missing = tmp_path / "bybit_linear_BTCUSDT_1h.csv"
    before = snapshot(store)
    result = run_cli(["data", "import", missing, "--store", store], home=home)
    assert result.exit_code == 2
    assert squash(result.stderr) == f"error: {missing}: no such file"
    assert snapshot(store) == before


def test_one_bad_file_among_good_ones_changes_only_what_the_good_ones_bring(
        tmp_path: Path, filled_store: tuple[Path, Path]) -> None:
    """Each file is its own import: a bad one is refused whole, the others go in, and the exit code says
    that something failed."""
    home, store = filled_store
    eth = _candles(24, seed=5)
    good = _shared_layout_csv(eth, tmp_path / "bybit_linear_ETHUSDT_1h.csv")
    bad = _hole(_candles(48, start_ms=START_MS + 48 * HOUR_MS, seed=99), tmp_path / "bybit_linear_BTCUSDT_1h.csv")
    btc_before = (store / "candles" / "BTCUSDT" / "1h.parquet").read_bytes()
    result = run_cli(["data", "import", bad, good, "--store", store], home=home)
    assert result.exit_code == 2
    assert f"error: {bad}" in squash(result.stderr)
    assert f"imported {good}: ETHUSDT 1h candles: 24 rows read" in squash(result.stdout)
    assert (store / "candles" / "BTCUSDT" / "1h.parquet").read_bytes() == btc_before
    assert [row[:4] for row in _listing(store, home)] == [
        ["candles", "BTCUSDT", "1h", "48"], ["candles", "ETHUSDT", "1h", "24"], ["funding", "BTCUSDT", "", "6"]]


def test_a_path_with_brackets_is_named_as_written(tmp_path: Path) -> None:
    folder = tmp_path / "[red]exports"
    folder.mkdir()
    bad = _hole(_candles(48), folder / "bybit_linear_BTCUSDT_1h.csv")
    result = run_cli(["data", "import", bad, "--store", tmp_path / "store"], home=tmp_path / "home")
    assert result.exit_code == 2
    assert f"error: {bad}" in squash(result.stderr)
