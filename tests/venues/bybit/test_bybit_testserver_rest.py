"""The test server's public REST, called through pybit's own HTTP client as the bot will call Bybit."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st
from pybit.exceptions import FailedRequestError, InvalidRequestError
from pybit.unified_trading import HTTP

from perpbot.data.formats import read_candles
from perpbot.model.instrument import REFERENCE_INSTRUMENTS
from perpbot.venues.bybit.testserver import BybitTestServer, decimal_text

HOUR = 3_600_000


def kline_list(http: HTTP, **params: Any) -> list[list[str]]:
    response = http.get_kline(**{"category": "linear", "symbol": "BTCUSDT", "interval": "60", **params})
    assert response["retCode"] == 0 and response["retMsg"] == "OK"
    assert set(response) == {"retCode", "retMsg", "result", "retExtInfo", "time"}
    return response["result"]["list"]


def as_frame(rows: list[list[str]]) -> pd.DataFrame:
    """Newest-first 7-string rows as a project candle frame (oldest first, floats parsed from the text)."""
    ordered = rows[::-1]
    columns = ("open", "high", "low", "close", "volume")
    return pd.DataFrame({
        "ts": [int(r[0]) for r in ordered],
        **{name: [float(r[i]) for r in ordered] for i, name in enumerate(columns, 1)},
    })


def test_server_time_is_the_server_clock(http: HTTP, clock: Any) -> None:
    clock.now = 1_704_067_212_345
    response = http.get_server_time()
    assert response["result"] == {"timeSecond": "1704067212", "timeNano": "1704067212345000000"}
    assert response["time"] == 1_704_067_212_345


def test_kline_is_newest_first_seven_strings_exact(server: BybitTestServer, http: HTTP,
                                                   candles: pd.DataFrame) -> None:
    server.load_candles("BTCUSDT", "60", candles)
    rows = kline_list(http, limit=1000)
    assert len(rows) == len(candles)
    assert all(len(r) == 7 and all(isinstance(v, str) for v in r) for r in rows)
    assert [int(r[0]) for r in rows] == sorted(candles["ts"], reverse=True)
    pd.testing.assert_frame_equal(as_frame(rows), candles, check_exact=True)


def test_kline_default_limit_is_200_newest(server: BybitTestServer, http: HTTP, candles: pd.DataFrame) -> None:
    server.load_candles("BTCUSDT", "60", candles)
    rows = kline_list(http)
    assert len(rows) == 200
    assert int(rows[0][0]) == int(candles["ts"].iloc[-1])
    assert int(rows[-1][0]) == int(candles["ts"].iloc[-200])


def test_kline_range_bounds_are_inclusive(server: BybitTestServer, http: HTTP, candles: pd.DataFrame) -> None:
    server.load_candles("BTCUSDT", "60", candles)
    ts = candles["ts"]
    rows = kline_list(http, start=int(ts[10]), end=int(ts[19]))
    assert [int(r[0]) for r in rows] == list(ts[10:20][::-1])


def test_kline_over_long_range_keeps_the_newest_and_start_only_keeps_the_oldest(
        server: BybitTestServer, http: HTTP, candles: pd.DataFrame) -> None:
    server.load_candles("BTCUSDT", "60", candles)
    ts = candles["ts"]
    both = kline_list(http, start=int(ts[0]), end=int(ts[99]), limit=5)
    assert [int(r[0]) for r in both] == list(ts[95:100][::-1])
    start_only = kline_list(http, start=int(ts[0]), limit=5)
    assert [int(r[0]) for r in start_only] == list(ts[0:5][::-1])


def test_kline_shows_the_forming_candle_as_newest(server: BybitTestServer, http: HTTP,
                                                  candles: pd.DataFrame) -> None:
    server.load_candles("BTCUSDT", "60", candles.iloc[:10])
    forming = candles.iloc[10].copy()
    server.publish_candle("BTCUSDT", "60", forming, confirm=False)
    rows = kline_list(http, limit=3)
    assert int(rows[0][0]) == int(candles["ts"].iloc[10])
    assert rows[0][4] == decimal_text(forming["close"])


def test_kline_for_a_listed_symbol_without_candles_is_empty(http: HTTP) -> None:
    assert kline_list(http, symbol="ETHUSDT") == []


@pytest.mark.parametrize(("params", "message"), [
    ({"interval": "7"}, "params error: intervalTime is invalid"),
    ({"interval": None}, "params error: intervalTime is invalid"),
    ({"symbol": "NOPEUSDT"}, "Not supported symbols"),
    ({"symbol": "btcusdt"}, "Not supported symbols"),
    ({"symbol": None}, "params error: symbol invalid"),
    ({"category": "spot"}, "params error: category invalid"),
    ({"limit": 0}, "params error: limit invalid"),
    ({"limit": 1001}, "params error: limit invalid"),
    ({"limit": "ten"}, "params error: limit invalid"),
    ({"start": "yesterday"}, "params error: start invalid"),
    ({"end": "1.5"}, "params error: end invalid"),
])
def test_kline_bad_params_get_bybit_retcode_10001(http: HTTP, params: dict[str, Any], message: str) -> None:
    query = {"category": "linear", "symbol": "BTCUSDT", "interval": "60", **params}
    with pytest.raises(InvalidRequestError) as caught:
        http.get_kline(**{k: v for k, v in query.items() if v is not None})
    assert caught.value.status_code == 10001
    assert caught.value.message == message


def test_error_envelope_has_bybit_shape(server: BybitTestServer, clock: Any) -> None:
    session = HTTP(testnet=False, max_retries=1, retry_delay=0, ignore_codes={10001})
    session.endpoint = server.rest_url
    response = session.get_kline(category="linear", symbol="BTCUSDT", interval="2")
    session.client.close()
    assert response == {"retCode": 10001, "retMsg": "params error: intervalTime is invalid", "result": {},
                        "retExtInfo": {}, "time": clock.now}


def test_unknown_path_is_http_404(http: HTTP) -> None:
    with pytest.raises(FailedRequestError) as caught:
        http.get_orderbook(category="linear", symbol="BTCUSDT")
    assert caught.value.status_code == 404


def test_requests_are_logged_as_sent(server: BybitTestServer, http: HTTP) -> None:
    kline_list(http, start=1, end=2, limit=3)
    (call,) = server.rest_calls("/v5/market/kline")
    assert (call.method, call.query) == ("GET", "category=linear&end=2&interval=60&limit=3&start=1&symbol=BTCUSDT")


# ---------------------------------------------------------------------------- instruments
def test_instruments_info_mirrors_the_reference_filters(http: HTTP) -> None:
    response = http.get_instruments_info(category="linear", symbol="BTCUSDT")
    (info,) = response["result"]["list"]
    btc = REFERENCE_INSTRUMENTS["BTCUSDT"]
    assert info["symbol"] == "BTCUSDT" and info["contractType"] == "LinearPerpetual" and info["status"] == "Trading"
    assert (info["baseCoin"], info["quoteCoin"], info["settleCoin"]) == ("BTC", "USDT", "USDT")
    assert Decimal(info["priceFilter"]["tickSize"]) == btc.tick_size
    assert info["priceScale"] == "1"
    lot = info["lotSizeFilter"]
    assert Decimal(lot["qtyStep"]) == btc.qty_step and Decimal(lot["minOrderQty"]) == btc.min_qty
    assert Decimal(lot["maxOrderQty"]) == btc.max_qty and Decimal(lot["maxMktOrderQty"]) == btc.max_market_qty
    assert Decimal(lot["minNotionalValue"]) == btc.min_notional
    assert Decimal(info["leverageFilter"]["maxLeverage"]) == btc.max_leverage
    assert info["fundingInterval"] == btc.funding_interval_minutes
    assert response["result"]["nextPageCursor"] == ""


def test_instruments_info_pages_with_a_cursor(http: HTTP) -> None:
    seen: list[str] = []
    cursor = None
    for _ in range(len(REFERENCE_INSTRUMENTS)):
        page = http.get_instruments_info(category="linear", limit=4, cursor=cursor)["result"]
        assert len(page["list"]) <= 4
        seen += [i["symbol"] for i in page["list"]]
        cursor = page["nextPageCursor"] or None
        if cursor is None:
            break
    assert seen == sorted(REFERENCE_INSTRUMENTS)


@pytest.mark.parametrize(("params", "message"), [
    ({"category": None}, "params error: category invalid"),
    ({"category": "inverse"}, "params error: category invalid"),
    ({"symbol": "NOPEUSDT"}, "params error: symbol invalid"),
    ({"limit": 1001}, "params error: limit invalid"),
    ({"cursor": "abc"}, "params error: cursor invalid"),
])
def test_instruments_info_bad_params(http: HTTP, params: dict[str, Any], message: str) -> None:
    query = {"category": "linear", **params}
    with pytest.raises(InvalidRequestError) as caught:
        http.get_instruments_info(**{k: v for k, v in query.items() if v is not None})
    assert (caught.value.status_code, caught.value.message) == (10001, message)


# ---------------------------------------------------------------------------- funding
def funding_frame() -> pd.DataFrame:
    ts = [1_704_067_200_000 + 8 * HOUR * i for i in range(10)]
    return pd.DataFrame({"ts": ts, "rate": [0.0001, -0.00005, 0.000125, 0.0001, 1e-05, 0.0, 0.0002, 0.0001,
                                            -0.0003, 0.00375]})


def test_funding_history_is_newest_first_and_exact(server: BybitTestServer, http: HTTP) -> None:
    frame = funding_frame()
    server.load_funding("BTCUSDT", frame)
    rows = http.get_funding_rate_history(category="linear", symbol="BTCUSDT")["result"]["list"]
    assert [int(r["fundingRateTimestamp"]) for r in rows] == list(frame["ts"][::-1])
    assert [r["fundingRate"] for r in rows][::-1] == ["0.0001", "-0.00005", "0.000125", "0.0001", "0.00001", "0",
                                                      "0.0002", "0.0001", "-0.0003", "0.00375"]
    assert all(r["symbol"] == "BTCUSDT" for r in rows)


def test_funding_history_window_and_limit(server: BybitTestServer, http: HTTP) -> None:
    frame = funding_frame()
    server.load_funding("BTCUSDT", frame)
    ts = frame["ts"]
    window = http.get_funding_rate_history(category="linear", symbol="BTCUSDT", startTime=int(ts[2]),
                                           endTime=int(ts[5]))["result"]["list"]
    assert [int(r["fundingRateTimestamp"]) for r in window] == list(ts[2:6][::-1])
    newest_two = http.get_funding_rate_history(category="linear", symbol="BTCUSDT", endTime=int(ts[5]),
                                               limit=2)["result"]["list"]
    assert [int(r["fundingRateTimestamp"]) for r in newest_two] == [ts[5], ts[4]]


@pytest.mark.parametrize(("params", "message"), [
    ({"startTime": 1}, "params error: endTime is required with startTime"),
    ({"symbol": None}, "params error: symbol invalid"),
    ({"symbol": "NOPEUSDT"}, "params error: symbol invalid"),
    ({"limit": 201}, "params error: limit invalid"),
])
def test_funding_history_bad_params(http: HTTP, params: dict[str, Any], message: str) -> None:
    query = {"category": "linear", "symbol": "BTCUSDT", **params}
    with pytest.raises(InvalidRequestError) as caught:
        http.get_funding_rate_history(**{k: v for k, v in query.items() if v is not None})
    assert (caught.value.status_code, caught.value.message) == (10001, message)


# ---------------------------------------------------------------------------- tickers
def test_ticker_is_computed_from_the_candles_held(server: BybitTestServer, http: HTTP, clock: Any,
                                                  candles: pd.DataFrame) -> None:
    server.load_candles("BTCUSDT", "60", candles)
    server.load_funding("BTCUSDT", funding_frame())
    clock.now = int(candles["ts"].iloc[-1]) + HOUR
    (ticker,) = http.get_tickers(category="linear", symbol="BTCUSDT")["result"]["list"]
    day = candles.iloc[-24:]
    assert ticker["lastPrice"] == ticker["markPrice"] == decimal_text(candles["close"].iloc[-1])
    assert ticker["prevPrice24h"] == decimal_text(day["open"].iloc[0])
    assert ticker["prevPrice1h"] == decimal_text(candles["open"].iloc[-1])
    assert Decimal(ticker["highPrice24h"]) == Decimal(decimal_text(day["high"].max()))
    assert Decimal(ticker["lowPrice24h"]) == Decimal(decimal_text(day["low"].min()))
    assert Decimal(ticker["volume24h"]) == sum(Decimal(decimal_text(v)) for v in day["volume"])
    assert ticker["fundingRate"] == "0.00375"  # the last settled rate at the server clock
    assert int(ticker["nextFundingTime"]) % (8 * HOUR) == 0 and int(ticker["nextFundingTime"]) > clock.now
    assert "bid1Price" not in ticker and "openInterest" not in ticker  # no book is held: nothing invented


def test_tickers_list_only_symbols_with_candles(server: BybitTestServer, http: HTTP, candles: pd.DataFrame) -> None:
    server.load_candles("ETHUSDT", "60", candles.iloc[:30])
    rows = http.get_tickers(category="linear")["result"]["list"]
    assert [r["symbol"] for r in rows] == ["ETHUSDT"]
    with pytest.raises(InvalidRequestError) as caught:
        http.get_tickers(category="linear", symbol="NOPEUSDT")
    assert caught.value.message == "params error: symbol invalid"


# ---------------------------------------------------------------------------- exact text
@pytest.mark.shared_data
def test_real_candles_round_trip_exactly(server: BybitTestServer, http: HTTP, shared_data: Any) -> None:
    frame = read_candles(shared_data / "bybit_linear_BTCUSDT_5m.csv.gz").iloc[-1000:].reset_index(drop=True)
    server.load_candles("BTCUSDT", "5", frame)
    rows = kline_list(http, interval="5", limit=1000)
    pd.testing.assert_frame_equal(as_frame(rows), frame, check_exact=True)
    # Bybit writes prices as plain decimals: no exponent, no float noise.
    assert all("e" not in v.lower() for r in rows for v in r)


@given(st.floats(min_value=1e-9, max_value=1e9, allow_nan=False, allow_infinity=False))
def test_decimal_text_reads_back_as_the_same_float(value: float) -> None:
    text = decimal_text(value)
    assert "e" not in text.lower()
    assert float(text) == value
    assert Decimal(text) == Decimal(repr(value))


def test_server_refuses_bad_market_data(server: BybitTestServer, candles: pd.DataFrame) -> None:
    with pytest.raises(ValueError, match="not a candle open time"):
        server.load_candles("BTCUSDT", "60", candles.assign(ts=candles["ts"] + 1))
    with pytest.raises(ValueError, match="'NOPEUSDT' is not listed"):
        server.load_candles("NOPEUSDT", "60", candles)
    with pytest.raises(ValueError, match="monthly candles are not held"):
        server.load_candles("BTCUSDT", "M", candles)
    with pytest.raises(ValueError, match="missing volume"):
        server.load_candles("BTCUSDT", "60", candles.drop(columns="volume"))
