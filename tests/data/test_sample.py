"""The GENERATED sample: deterministic, valid, realistic enough for a demo, and marked in the store."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from perpbot.data.formats import DataKind, FileFormat, frame_bytes
from perpbot.data.frames import validate_candles, validate_funding
from perpbot.data.sample import SAMPLE_SYMBOLS, ensure_sample_store, generate_sample
from perpbot.data.store import SAMPLE_FILE, CandleStore
from perpbot.errors import DataError
from perpbot.model.instrument import REFERENCE_INSTRUMENTS

DAY = 86_400_000


@pytest.fixture(scope="module")
def sample() -> dict[str, tuple[pd.DataFrame, pd.DataFrame]]:
    return generate_sample()


def _digest(data: dict[str, tuple[pd.DataFrame, pd.DataFrame]]) -> list[bytes]:
    out = []
    for candles, funding in data.values():
        out.append(frame_bytes(candles, DataKind.CANDLES, FileFormat.CSV))
        out.append(frame_bytes(funding, DataKind.FUNDING, FileFormat.CSV))
    return out


def test_byte_identical_on_every_run(sample: dict[str, tuple[pd.DataFrame, pd.DataFrame]]) -> None:
    assert _digest(generate_sample()) == _digest(sample)
    assert _digest(generate_sample(seed=1)) != _digest(sample)


def test_a_symbol_does_not_depend_on_the_others(sample: dict[str, tuple[pd.DataFrame, pd.DataFrame]]) -> None:
    alone = generate_sample(symbols=("ETHUSDT",))
    pd.testing.assert_frame_equal(alone["ETHUSDT"][0], sample["ETHUSDT"][0])
    pd.testing.assert_frame_equal(alone["ETHUSDT"][1], sample["ETHUSDT"][1])


def test_shape_validity_and_tick_rounding(sample: dict[str, tuple[pd.DataFrame, pd.DataFrame]]) -> None:
    assert list(sample) == list(SAMPLE_SYMBOLS)
    for symbol, (candles, funding) in sample.items():
        assert len(candles) == 180 * 96
        validate_candles(candles, symbol=symbol, timeframe="15m", source="sample")
        validate_funding(funding, symbol=symbol, source="sample")
        instrument = REFERENCE_INSTRUMENTS[symbol]
        for column in ("open", "high", "low", "close"):
            for value in candles[column].iloc[::997]:
                assert Decimal(repr(value)) % instrument.tick_size == 0, (symbol, column, value)
        for value in candles["volume"].iloc[::997]:
            assert Decimal(repr(value)) % instrument.qty_step == 0
        assert (candles["volume"] > 0).all()
        wicks = (candles["high"] > candles[["open", "close"]].max(axis=1)).mean()
        assert wicks > 0.8  # most candles have an upper wick, as real ones do


@pytest.mark.parametrize(("symbol", "low", "high"), [("BTCUSDT", 20_000, 120_000), ("ETHUSDT", 1_000, 7_000),
                                                      ("SOLUSDT", 40, 400)])
def test_price_levels_like_the_real_symbols(sample: dict[str, tuple[pd.DataFrame, pd.DataFrame]], symbol: str,
                                            low: float, high: float) -> None:
    close = sample[symbol][0]["close"]
    assert low < close.min() < close.max() < high


def test_regimes_trend_range_and_turmoil(sample: dict[str, tuple[pd.DataFrame, pd.DataFrame]]) -> None:
    close = sample["BTCUSDT"][0]["close"].to_numpy()
    returns = np.diff(np.log(close))
    daily_vol = pd.Series(returns).rolling(96).std().dropna().to_numpy()[::96]
    assert daily_vol.max() > 2.5 * daily_vol.min()  # calm and volatile stretches
    three_day = np.log(close[288:] / close[:-288])
    assert three_day.max() > 0.05  # rallies
    assert three_day.min() < -0.05  # and sell-offs
    eth = np.diff(np.log(sample["ETHUSDT"][0]["close"].to_numpy()))
    assert 0.4 < np.corrcoef(returns, eth)[0, 1] < 0.95  # one market, not clones


def test_funding_every_8h_around_one_basis_point(sample: dict[str, tuple[pd.DataFrame, pd.DataFrame]]) -> None:
    for candles, funding in sample.values():
        ts = funding["ts"].to_numpy()
        assert (np.diff(ts) == 8 * 3_600_000).all()
        assert (ts % (8 * 3_600_000) == 0).all()
        assert ts[0] >= candles["ts"].iloc[0]
        assert ts[-1] <= candles["ts"].iloc[-1] + 15 * 60_000
        rate = funding["rate"]
        assert 0.00005 < rate.median() <= 0.00015
        assert (rate < 0).sum() >= 5
        assert (rate > 0).sum() >= 5
        assert rate.abs().max() <= 0.00375


def test_unknown_symbol_is_refused() -> None:
    with pytest.raises(DataError, match="no sample profile for FOOUSDT"):
        generate_sample(symbols=("FOOUSDT",))


def test_ensure_sample_store_marks_and_is_idempotent(tmp_path: Path) -> None:
    store = CandleStore(tmp_path / "a")
    assert ensure_sample_store(store, days=20) == list(SAMPLE_SYMBOLS)
    assert ensure_sample_store(store, days=20) == []
    entries = store.list()
    assert len(entries) == 6
    assert all(e.generated for e in entries)
    marker = json.loads((store.root / SAMPLE_FILE).read_text())
    assert "GENERATED" in marker["about"]
    assert sorted(marker["series"]) == sorted([f"candles/{s}/15m" for s in SAMPLE_SYMBOLS]
                                              + [f"funding/{s}" for s in SAMPLE_SYMBOLS])
    assert "GENERATED" in store.describe("BTCUSDT", "1h")
    other = CandleStore(tmp_path / "b")
    ensure_sample_store(other, days=20)
    files = sorted(p.relative_to(store.root) for p in store.root.rglob("*") if p.is_file())
    assert files == sorted(p.relative_to(other.root) for p in other.root.rglob("*") if p.is_file())
    for rel in files:
        assert (store.root / rel).read_bytes() == (other.root / rel).read_bytes(), rel


def test_ensure_sample_store_leaves_recorded_symbols_alone(tmp_path: Path) -> None:
    store = CandleStore(tmp_path / "s")
    recorded = generate_sample(symbols=("BTCUSDT",), days=2, seed=5)["BTCUSDT"][0]
    store.import_candles(recorded, symbol="BTCUSDT", timeframe="15m", source="recorded")
    assert ensure_sample_store(store, days=5) == ["ETHUSDT", "SOLUSDT"]
    by_symbol = {(e.kind, e.symbol): e.generated for e in store.list()}
    assert by_symbol[(DataKind.CANDLES, "BTCUSDT")] is False
    assert (DataKind.FUNDING, "BTCUSDT") not in by_symbol
    assert by_symbol[(DataKind.CANDLES, "ETHUSDT")] is True
