"""validate_candles / validate_funding: every rejection names the source, the row, its time and the rule."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd
import pytest

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
from perpbot.errors import DataError

from .support import make_candles

START = 1_704_067_200_000  # 2024-01-01T00:00:00Z
STEP = 900_000  # 15m


def candles(n: int = 40) -> pd.DataFrame:
    return make_candles(n, start_ms=START, step_ms=STEP)


def check(df: pd.DataFrame) -> pd.DataFrame:
    return validate_candles(df, symbol="BTCUSDT", timeframe="15m", source="btc.csv")


def test_valid_frame_comes_back_clean() -> None:
    raw = candles().assign(extra="x")
    raw.index = raw.index + 100
    raw["ts"] = raw["ts"].astype(np.float64)  # whole numbers stored as floats are accepted
    out = check(raw)
    assert tuple(out.columns) == CANDLE_COLUMNS
    assert out["ts"].dtype == np.int64
    assert all(out[c].dtype == np.float64 for c in CANDLE_COLUMNS[1:])
    assert isinstance(out.index, pd.RangeIndex)
    assert out.index[0] == 0
    pd.testing.assert_frame_equal(out, candles())


def test_empty_frames_are_valid() -> None:
    assert check(empty_candles()).empty
    assert tuple(validate_funding(empty_funding(), symbol="X", source="f").columns) == FUNDING_COLUMNS


def _set(column: str, row: int, value: object) -> Callable[[pd.DataFrame], pd.DataFrame]:
    def mutate(df: pd.DataFrame) -> pd.DataFrame:
        if isinstance(value, str):
            df[column] = df[column].astype(object)
        elif isinstance(value, float):
            df[column] = df[column].astype(np.float64)
        df.loc[row, column] = value
        return df

    return mutate


def _ohlc(row: int, **values: float) -> Callable[[pd.DataFrame], pd.DataFrame]:
    def mutate(df: pd.DataFrame) -> pd.DataFrame:
        for column, value in values.items():
            df.loc[row, column] = value
        return df

    return mutate


# 2024-01-01T00:00Z + 5 * 15m
ROW5 = "row 6 (ts 1704071700000 = 2024-01-01T01:15:00Z)"

CASES: dict[str, tuple[Callable[[pd.DataFrame], pd.DataFrame], list[str]]] = {
    "missing column": (lambda df: df.drop(columns=["volume"]),
                       ["missing column(s) volume", "expected columns ts, open, high, low, close, volume",
                        "found ts, open, high, low, close"]),
    "non-numeric": (_set("open", 5, "abc"), [ROW5, "column open", "non-numeric value 'abc'", "expected a number"]),
    "nan": (_set("close", 5, np.nan), [ROW5, "column close", "NaN", "expected a finite number"]),
    "inf": (_set("high", 5, np.inf), [ROW5, "column high", "inf", "expected a finite number"]),
    "zero price": (_ohlc(5, low=0.0), [ROW5, "low is 0.0", "expected a positive price"]),
    "negative price": (_ohlc(5, open=-1.0, low=-2.0), [ROW5, "open is -1.0", "expected a positive price"]),
    "high below body": (_ohlc(5, open=100.0, close=101.0, high=100.5, low=99.0),
                        [ROW5, "high 100.5 is below max(open 100.0, close 101.0)",
                         "expected low <= open, close <= high"]),
    "low above body": (_ohlc(5, open=100.0, close=101.0, high=102.0, low=100.5),
                       [ROW5, "low 100.5 is above min(open 100.0, close 101.0)"]),
    "negative volume": (_ohlc(5, volume=-3.0), [ROW5, "volume is -3.0", "expected volume >= 0"]),
    "nan timestamp": (_set("ts", 5, np.nan), ["row 6", "column ts", "NaN"]),
    "fractional timestamp": (_set("ts", 5, START + 5 * STEP + 0.5), ["row 6", "not a whole number of milliseconds"]),
}


@pytest.mark.parametrize("name", list(CASES))
def test_rejections_name_source_row_time_and_rule(name: str) -> None:
    mutate, expected = CASES[name]
    with pytest.raises(DataError) as err:
        check(mutate(candles()))
    message = str(err.value)
    assert message.startswith("btc.csv: BTCUSDT 15m candles: ")
    for part in expected:
        assert part in message, (part, message)


def test_duplicate_timestamp() -> None:
    df = candles()
    df.loc[6, "ts"] = df.loc[5, "ts"]
    with pytest.raises(DataError, match=r"duplicate timestamp 1704071700000 = 2024-01-01T01:15:00Z at rows 6 and 7; "
                                        r"expected strictly increasing"):
        check(df)


def test_unsorted_timestamps() -> None:
    df = candles()
    df.loc[[5, 6], "ts"] = df.loc[[6, 5], "ts"].to_numpy()
    with pytest.raises(DataError) as err:
        check(df)
    assert "timestamps not sorted: row 7 (ts 1704071700000 = 2024-01-01T01:15:00Z) comes after ts 1704072600000" \
        in str(err.value)


def test_timestamps_not_aligned_to_timeframe() -> None:
    df = candles()
    df["ts"] += 60_000
    with pytest.raises(DataError) as err:
        check(df)
    message = str(err.value)
    assert "row 1 (ts 1704067260000 = 2024-01-01T00:01:00Z)" in message
    assert "not aligned to the 15m timeframe; expected a multiple of 900000 ms" in message


def test_gap_names_first_gap_and_counts_all_missing() -> None:
    df = candles().drop(index=[10, 11, 12, 30]).reset_index(drop=True)
    with pytest.raises(DataError) as err:
        check(df)
    message = str(err.value)
    assert "gap after row 10 (ts 1704075300000 = 2024-01-01T02:15:00Z)" in message
    assert "next candle is at 1704078900000 = 2024-01-01T03:15:00Z" in message
    assert "expected 1704076200000 = 2024-01-01T02:30:00Z" in message
    assert "3 candle(s) missing there, 4 missing in 2 gap(s) overall" in message
    assert "never filled" in message


def test_datetime_ts_column_is_refused() -> None:
    df = candles()
    df["ts"] = pd.to_datetime(df["ts"], unit="ms", utc=True)
    with pytest.raises(DataError, match="expected int64 milliseconds"):
        check(df)


def test_unknown_timeframe_is_refused() -> None:
    with pytest.raises(ValueError, match="timeframe must be one of"):
        validate_candles(candles(), symbol="BTCUSDT", timeframe="7m", source="x")


def funding(n: int = 10) -> pd.DataFrame:
    ts = START + 8 * 3_600_000 * np.arange(n, dtype=np.int64)
    return pd.DataFrame({"ts": ts, "rate": np.linspace(-0.0002, 0.0003, n)})


def test_valid_funding_keeps_negative_rates() -> None:
    out = validate_funding(funding().assign(other=1), symbol="BTCUSDT", source="f.csv")
    assert tuple(out.columns) == FUNDING_COLUMNS
    assert out["ts"].dtype == np.int64
    assert out["rate"].dtype == np.float64
    assert (out["rate"] < 0).any()


@pytest.mark.parametrize(
    ("mutate", "expected"),
    [
        (lambda df: df.drop(columns=["rate"]), "missing column(s) rate"),
        (_set("rate", 3, np.nan), "row 4 (ts 1704153600000 = 2024-01-02T00:00:00Z): column rate has a missing value"),
        (_set("rate", 3, "x"), "column rate has non-numeric value 'x'"),
        (_set("ts", 4, START + 3 * 8 * 3_600_000), "duplicate timestamp 1704153600000 = 2024-01-02T00:00:00Z"),
        (_set("ts", 4, START), "timestamps not sorted"),
    ],
)
def test_funding_rejections(mutate: Callable[[pd.DataFrame], pd.DataFrame], expected: str) -> None:
    with pytest.raises(DataError) as err:
        validate_funding(mutate(funding()), symbol="BTCUSDT", source="f.csv")
    assert str(err.value).startswith("f.csv: BTCUSDT funding: ")
    assert expected in str(err.value)


def test_iso_utc() -> None:
    assert iso_utc(START) == "2024-01-01T00:00:00Z"
    assert iso_utc(START + 1) == "2024-01-01T00:00:00.001Z"


def test_select_window_is_half_open() -> None:
    df = candles(10)
    out = select_window(df, START + STEP, START + 4 * STEP)
    assert out["ts"].tolist() == [START + STEP, START + 2 * STEP, START + 3 * STEP]
    assert isinstance(out.index, pd.RangeIndex)
    assert out.index[0] == 0
    assert len(select_window(df)) == 10
    assert select_window(df, START + 100 * STEP).empty
