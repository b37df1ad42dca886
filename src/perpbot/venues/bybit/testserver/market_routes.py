"""Public market endpoints (`/v5/market/*`): no authentication, answers from the exchange state."""

from __future__ import annotations

from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any

from perpbot.venues.bybit.testserver.candles import BYBIT_INTERVALS, KlineRow, decimal_text
from perpbot.venues.bybit.testserver.instruments import instrument_info
from perpbot.venues.bybit.testserver.params import LINEAR, Query
from perpbot.venues.bybit.testserver.retcodes import params_error
from perpbot.venues.bybit.testserver.router import RestRequest, Router
from perpbot.venues.bybit.testserver.state import MarketState

_DAY_MS = 86_400_000
_HOUR_MS = 3_600_000
_FUNDING_CAP = "0.00375"


def register_market_routes(router: Router) -> None:
    router.add("GET", "/v5/market/time", server_time)
    router.add("GET", "/v5/market/kline", kline)
    router.add("GET", "/v5/market/instruments-info", instruments_info)
    router.add("GET", "/v5/market/funding/history", funding_history)
    router.add("GET", "/v5/market/tickers", tickers)


def server_time(req: RestRequest) -> dict[str, Any]:
    return {"timeSecond": str(req.now_ms // 1000), "timeNano": str(req.now_ms * 1_000_000)}


def _symbol(query: Query, market: MarketState, *, unknown: str) -> str:
    symbol = query.text("symbol")
    if symbol is None:
        raise params_error("params error: symbol invalid")
    if symbol not in market.instruments:
        raise params_error(unknown)
    return symbol


def kline(req: RestRequest) -> dict[str, Any]:
    """Candles newest first as 7-string arrays; the candle still forming (if any) is the newest, as on Bybit."""
    q = req.query
    category = q.category(default=LINEAR)
    symbol = _symbol(q, req.state.market, unknown="Not supported symbols")
    interval = q.text("interval")
    if interval not in BYBIT_INTERVALS:
        raise params_error("params error: intervalTime is invalid")
    start = q.integer("start")
    end = q.integer("end")
    limit = q.limit(default=200, low=1, high=1000)
    series = req.state.market.series(symbol, interval)
    rows = [] if series is None else series.query(start, end, limit)
    return {"category": category, "symbol": symbol, "list": [r.rest() for r in rows]}


def instruments_info(req: RestRequest) -> dict[str, Any]:
    q = req.query
    q.category()
    market = req.state.market
    symbol = q.text("symbol")
    status = q.text("status")
    base_coin = q.text("baseCoin")
    limit = q.limit(default=500, low=1, high=1000)
    cursor = q.text("cursor")
    if symbol is not None and symbol not in market.instruments:
        raise params_error("params error: symbol invalid")
    rows = [instrument_info(market.instruments[s]) for s in sorted(market.instruments)
            if symbol is None or s == symbol]
    rows = [r for r in rows if (status is None or r["status"] == status)
            and (base_coin is None or r["baseCoin"] == base_coin)]
    # Bybit's cursor is opaque; here it is the offset of the next page, which a client only echoes back.
    offset = 0
    if cursor is not None:
        if not cursor.isdigit():
            raise params_error("params error: cursor invalid")
        offset = int(cursor)
    page = rows[offset:offset + limit]
    next_cursor = str(offset + limit) if offset + limit < len(rows) else ""
    return {"category": LINEAR, "list": page, "nextPageCursor": next_cursor}


def funding_history(req: RestRequest) -> dict[str, Any]:
    """Settled rates newest first; only an end, or both bounds, or neither (only a start is refused)."""
    q = req.query
    q.category()
    market = req.state.market
    symbol = _symbol(q, market, unknown="params error: symbol invalid")
    start = q.integer("startTime")
    end = q.integer("endTime")
    limit = q.limit(default=200, low=1, high=200)
    if start is not None and end is None:
        raise params_error("params error: endTime is required with startTime")
    rows = market.funding(symbol, start, end)[-limit:]
    return {
        "category": LINEAR,
        "list": [{"symbol": symbol, "fundingRate": r.rate, "fundingRateTimestamp": str(r.ts)} for r in rows[::-1]],
    }


def tickers(req: RestRequest) -> dict[str, Any]:
    q = req.query
    q.category()
    market = req.state.market
    symbol = q.text("symbol")
    if symbol is not None and symbol not in market.instruments:
        raise params_error("params error: symbol invalid")
    symbols = [symbol] if symbol is not None else sorted(market.instruments)
    rows = [row for s in symbols if (row := _ticker(market, s, req.now_ms)) is not None]
    return {"category": LINEAR, "list": rows}


def _ticker(market: MarketState, symbol: str, now_ms: int) -> dict[str, Any] | None:
    """A ticker from the shortest-interval candles held: prices and 24 h statistics are the candles'.

    No order book or open interest is held, so bid/ask and open-interest fields are absent rather than
    invented; mark and index prices are the last price (candles stand in for the mark, as in the simulator).
    """
    held = market.intervals(symbol)
    if not held:
        return None
    _, series = held[0]
    latest = series.latest()
    assert latest is not None  # intervals() lists only series with rows
    day = series.between(latest.start + series.step_ms - _DAY_MS, None)
    hour = series.between(latest.start + series.step_ms - _HOUR_MS, None)
    last = Decimal(latest.close)
    prev_24h = Decimal(day[0].open)
    change = ((last / prev_24h) - 1).quantize(Decimal("0.000001"), rounding=ROUND_HALF_EVEN)
    instrument = market.instruments[symbol]
    interval_ms = instrument.funding_interval_minutes * 60_000
    settled = market.funding(symbol, None, now_ms)
    return {
        "symbol": symbol,
        "lastPrice": latest.close,
        "indexPrice": latest.close,
        "markPrice": latest.close,
        "prevPrice24h": day[0].open,
        "price24hPcnt": decimal_text(change),
        "highPrice24h": _extreme(day, "high", max),
        "lowPrice24h": _extreme(day, "low", min),
        "prevPrice1h": hour[0].open,
        "turnover24h": decimal_text(sum((Decimal(r.turnover) for r in day), Decimal(0))),
        "volume24h": decimal_text(sum((Decimal(r.volume) for r in day), Decimal(0))),
        "fundingRate": settled[-1].rate if settled else "0",
        "nextFundingTime": str((now_ms // interval_ms + 1) * interval_ms),
        "fundingIntervalHour": str(instrument.funding_interval_minutes // 60),
        "fundingCap": _FUNDING_CAP,
        "deliveryTime": "0",
    }


def _extreme(rows: list[KlineRow], field: str, pick: Any) -> str:
    values = [getattr(r, field) for r in rows]
    return str(pick(values, key=Decimal))
