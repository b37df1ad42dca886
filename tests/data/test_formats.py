"""Reading and writing candle/funding files: round trips, accepted layouts, detection and corrupt files."""

from __future__ import annotations

import gzip
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from perpbot.data.formats import (
    DataKind,
    FileFormat,
    parse_data_filename,
    read_candles,
    read_data_file,
    read_funding,
    read_parquet,
    write_candles,
    write_funding,
)
from perpbot.errors import DataError

from .support import make_candles

START = 1_704_067_200_000  # 2024-01-01T00:00:00Z
HOUR = 3_600_000


def candles(n: int = 48) -> pd.DataFrame:
    return make_candles(n, start_ms=START, step_ms=HOUR)


def funding(n: int = 12) -> pd.DataFrame:
    ts = START + 8 * HOUR * np.arange(n, dtype=np.int64)
    return pd.DataFrame({"ts": ts, "rate": np.round(np.linspace(-0.00021, 0.00037, n), 8)})


@pytest.mark.parametrize(
    ("name", "kind", "symbol", "tf", "fmt"),
    [
        ("bybit_linear_BTCUSDT_15m.csv.gz", DataKind.CANDLES, "BTCUSDT", "15m", FileFormat.CSV_GZ),
        ("bybit_linear_ETHUSDT_1h.csv", DataKind.CANDLES, "ETHUSDT", "1h", FileFormat.CSV),
        ("bybit_linear_SOLUSDT_1d.parquet", DataKind.CANDLES, "SOLUSDT", "1d", FileFormat.PARQUET),
        ("bybit_linear_BTCUSDT_funding.csv.gz", DataKind.FUNDING, "BTCUSDT", None, FileFormat.CSV_GZ),
        ("bybit_linear_WIFUSDT_funding.parquet", DataKind.FUNDING, "WIFUSDT", None, FileFormat.PARQUET),
    ],
)
def test_parse_data_filename(name: str, kind: DataKind, symbol: str, tf: str | None, fmt: FileFormat) -> None:
    parsed = parse_data_filename(Path("/some/dir") / name)
    assert parsed is not None
    assert (parsed.kind, parsed.symbol, parsed.timeframe, parsed.fmt) == (kind, symbol, tf, fmt)
    assert parsed.path == Path("/some/dir") / name


@pytest.mark.parametrize("name", ["PROVENANCE.md", "bybit_linear_BTCUSDT_7m.csv.gz", "bybit_spot_BTCUSDT_1h.csv",
                                  "bybit_linear_BTCUSDT_1h.json", "bybit_linear__1h.csv"])
def test_parse_data_filename_rejects_other_names(name: str) -> None:
    assert parse_data_filename(name) is None


@pytest.mark.parametrize("suffix", ["csv", "csv.gz", "parquet"])
def test_candle_round_trip(tmp_path: Path, suffix: str) -> None:
    path = write_candles(candles(), tmp_path / f"bybit_linear_BTCUSDT_1h.{suffix}")
    loaded = read_data_file(path)
    assert (loaded.kind, loaded.symbol, loaded.timeframe, loaded.notes) == (DataKind.CANDLES, "BTCUSDT", "1h", ())
    pd.testing.assert_frame_equal(loaded.frame, candles())  # exact: floats survive as shortest round-trip text


@pytest.mark.parametrize("suffix", ["csv", "csv.gz", "parquet"])
def test_funding_round_trip(tmp_path: Path, suffix: str) -> None:
    path = write_funding(funding(), tmp_path / f"bybit_linear_BTCUSDT_funding.{suffix}")
    pd.testing.assert_frame_equal(read_funding(path), funding())


def test_csv_uses_the_shared_data_header_and_gzip_is_reproducible(tmp_path: Path) -> None:
    a = write_candles(candles(), tmp_path / "a.csv.gz")
    b = write_candles(candles(), tmp_path / "b.csv.gz")
    assert a.read_bytes() == b.read_bytes()
    with gzip.open(a, "rt") as handle:
        assert handle.readline().strip() == "timestamp,open,high,low,close,volume"
    f = write_funding(funding(), tmp_path / "f.csv")
    assert f.read_text().splitlines()[0] == "timestamp,funding_rate"


def test_reads_real_shared_data_files(shared_data: Path) -> None:
    c = read_candles(shared_data / "bybit_linear_BTCUSDT_1h.csv.gz")
    assert c["ts"].dtype == np.int64
    assert len(c) > 18_000
    assert (c["ts"] % HOUR == 0).all()
    f = read_funding(shared_data / "bybit_linear_BTCUSDT_funding.csv.gz")
    assert len(f) > 2_000
    assert f["rate"].between(-0.01, 0.01).all()


def _write(path: Path, text: str) -> Path:
    path.write_text(text)
    return path


def test_iso_datetime_column_instead_of_timestamp(tmp_path: Path) -> None:
    frame = candles(6)
    iso = pd.to_datetime(frame["ts"], unit="ms", utc=True).dt.strftime("%Y-%m-%dT%H:%M:%SZ")
    text = frame.drop(columns="ts").assign(datetime=iso)[["datetime", "open", "high", "low", "close", "volume"]]
    path = tmp_path / "mine.csv"
    text.to_csv(path, index=False)
    loaded = read_data_file(path, symbol="btcusdt")
    pd.testing.assert_frame_equal(loaded.frame, frame)
    assert loaded.symbol == "BTCUSDT"
    assert "time column 'datetime' parsed as ISO-8601 text" in loaded.notes
    assert "timeframe 1h inferred from the spacing of the candles" in loaded.notes


def test_naive_date_column_is_taken_as_utc_and_said_so(tmp_path: Path) -> None:
    path = _write(tmp_path / "f.csv", "date,funding_rate\n2024-01-01 00:00:00,0.0001\n2024-01-01 08:00:00,-0.0002\n")
    loaded = read_data_file(path, symbol="BTCUSDT")
    assert loaded.kind is DataKind.FUNDING
    assert loaded.frame["ts"].tolist() == [START, START + 8 * HOUR]
    assert any("taken as UTC" in note for note in loaded.notes)


def test_timestamps_in_seconds_are_detected_and_converted(tmp_path: Path) -> None:
    frame = candles(5)
    path = tmp_path / "bybit_linear_BTCUSDT_1h.csv"
    frame.assign(timestamp=frame["ts"] // 1000).drop(columns="ts")[
        ["timestamp", "open", "high", "low", "close", "volume"]].to_csv(path, index=False)
    loaded = read_data_file(path)
    pd.testing.assert_frame_equal(loaded.frame, frame)
    assert loaded.notes == ("time column 'timestamp' is in seconds; converted to milliseconds",)


def test_parquet_with_datetime_column_like_freqtrade(tmp_path: Path) -> None:
    frame = candles(5)
    feather_like = frame.assign(date=pd.to_datetime(frame["ts"], unit="ms", utc=True)).drop(columns="ts")
    path = tmp_path / "bybit_linear_BTCUSDT_1h.parquet"
    feather_like.to_parquet(path)
    loaded = read_data_file(path)
    pd.testing.assert_frame_equal(loaded.frame, frame)
    assert "time column 'date' holds datetimes" in loaded.notes


@pytest.mark.parametrize("index", [False, True], ids=["no index", "stored index"])
def test_parquet_reads_as_pandas_wrote_it(tmp_path: Path, index: bool) -> None:
    """Read a column at a time (or whole, when pandas stored an index), the frame is the one written:
    dtypes, missing values, text and time zones included."""
    frame = pd.DataFrame({
        "ts": np.arange(6, dtype=np.int64) * HOUR + START,
        "close": [1.5, np.nan, 2.25, 3.0, 4.0, 5.0],
        "note": ["a", None, "c", "d", "e", "f"],
        "when": pd.date_range("2024-01-01", periods=6, freq="h", tz="UTC"),
    })
    if index:
        frame = frame.set_index(pd.Index([f"r{i}" for i in range(6)], name="row"))
    path = tmp_path / "mixed.parquet"
    frame.to_parquet(path, index=index)
    pd.testing.assert_frame_equal(read_parquet(path), frame)


def test_kind_is_detected_from_columns(tmp_path: Path) -> None:
    path = write_funding(funding(), tmp_path / "whatever.csv")
    assert read_data_file(path, symbol="BTCUSDT").kind is DataKind.FUNDING
    with pytest.raises(DataError, match="expected candles but the columns are funding"):
        read_candles(path, symbol="BTCUSDT")


def test_unknown_columns_are_refused(tmp_path: Path) -> None:
    path = _write(tmp_path / "x.csv", "timestamp,price\n1704067200000,1\n")
    with pytest.raises(DataError, match=r"x\.csv: cannot tell candles from funding by the columns \(timestamp, pr"):
        read_data_file(path, symbol="BTCUSDT")


def test_missing_time_column(tmp_path: Path) -> None:
    path = _write(tmp_path / "x.csv", "open,high,low,close,volume\n1,1,1,1,1\n")
    with pytest.raises(DataError, match="no time column; expected one of ts, timestamp, datetime"):
        read_data_file(path, symbol="BTCUSDT", timeframe="1h")


def test_file_name_and_columns_must_agree(tmp_path: Path) -> None:
    path = write_candles(candles(), tmp_path / "bybit_linear_BTCUSDT_funding.csv")
    with pytest.raises(DataError, match="the file name says funding but the columns are candles"):
        read_data_file(path)


def test_timeframe_from_name_and_argument_must_agree(tmp_path: Path) -> None:
    path = write_candles(candles(), tmp_path / "bybit_linear_BTCUSDT_1h.csv")
    with pytest.raises(DataError, match="the file name says timeframe 1h but 15m was requested"):
        read_data_file(path, timeframe="15m")


def test_symbol_is_required_when_the_name_does_not_say(tmp_path: Path) -> None:
    path = write_candles(candles(), tmp_path / "mine.csv")
    with pytest.raises(DataError, match="cannot infer the symbol from the file name"):
        read_data_file(path)


def test_non_numeric_value_in_csv_names_row_and_value(tmp_path: Path) -> None:
    path = write_candles(candles(), tmp_path / "bybit_linear_BTCUSDT_1h.csv")
    lines = path.read_text().splitlines()
    cells = lines[3].split(",")
    cells[4] = "n/a"  # close of data row 3
    lines[3] = ",".join(cells)
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(DataError) as err:
        read_candles(path)
    message = str(err.value)
    assert str(path) in message
    assert "row 3 (ts 1704074400000 = 2024-01-01T02:00:00Z): column close has non-numeric value 'n/a'" in message


def test_gap_in_file_is_an_error_naming_the_file(tmp_path: Path) -> None:
    path = write_candles(candles().drop(index=[5]), tmp_path / "bybit_linear_BTCUSDT_1h.csv.gz")
    with pytest.raises(DataError, match=r"bybit_linear_BTCUSDT_1h\.csv\.gz: BTCUSDT 1h candles: gap after row 5"):
        read_candles(path)


def _truncated_gzip(tmp_path: Path) -> Path:
    good = write_candles(make_candles(3000, start_ms=START, step_ms=HOUR), tmp_path / "good.csv.gz")
    data = good.read_bytes()
    bad = tmp_path / "bybit_linear_BTCUSDT_1h.csv.gz"
    bad.write_bytes(data[: len(data) // 2])
    return bad


CORRUPT = {
    "truncated gzip": _truncated_gzip,
    "garbage after gzip magic": lambda d: _bytes(d / "bybit_linear_BTCUSDT_1h.csv.gz",
                                                 b"\x1f\x8b\x08\x00" + bytes(range(256)) * 4),
    "not gzip at all": lambda d: _bytes(d / "bybit_linear_BTCUSDT_1h.csv.gz", b"timestamp,open\n1,2\n"),
    "binary csv": lambda d: _bytes(d / "bybit_linear_BTCUSDT_1h.csv", bytes(range(256)) * 40),
    "garbage parquet": lambda d: _bytes(d / "bybit_linear_BTCUSDT_1h.parquet", b"PAR1 not really" * 50),
    "empty csv": lambda d: _bytes(d / "bybit_linear_BTCUSDT_1h.csv", b""),
    "ragged csv": lambda d: _bytes(d / "bybit_linear_BTCUSDT_1h.csv",
                                   b"timestamp,open,high,low,close,volume\n1704067200000,1,2,0.5,1.5,10\n1704070800000,1,2\n"),
}


def _bytes(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


@pytest.mark.parametrize("case", list(CORRUPT))
def test_corrupt_files_raise_data_error_naming_the_file(tmp_path: Path, case: str) -> None:
    path = CORRUPT[case](tmp_path)
    with pytest.raises(DataError) as err:
        read_data_file(path)
    assert str(path) in str(err.value)


def test_missing_file_and_unknown_suffix(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="no such file"):
        read_data_file(tmp_path / "bybit_linear_BTCUSDT_1h.csv")
    with pytest.raises(DataError, match=r"expected a name ending in \.csv, \.csv\.gz or \.parquet"):
        read_data_file(_write(tmp_path / "x.json", "{}"))
