"""The exchange's state: what every handler reads and the test drives.

Today it holds the public market (instruments, candles per interval, funding history). The private half
(accounts, orders, positions, executions) will sit beside `market` in the same object, under the same lock,
so one request sees one consistent exchange. The test thread writes and the server's event loop reads,
hence the lock; every access is short and in memory.
"""

from __future__ import annotations

import bisect
import threading
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Protocol

from perpbot.model.instrument import Instrument
from perpbot.venues.bybit.testserver.candles import CandleSeries, KlineRow, interval_ms


class Clock(Protocol):
    def now_ms(self) -> int: ...


class WallClock:
    """Real time: the server is itself the network edge, so it may read the wall clock by default."""

    __slots__ = ()

    def now_ms(self) -> int:
        return time.time_ns() // 1_000_000


@dataclass(frozen=True, slots=True)
class FundingRow:
    """One settled funding rate: settlement time (ms) and the rate as Bybit's decimal text."""

    ts: int
    rate: str


class MarketState:
    """Instruments, candles and funding of the linear market. Callers hold the exchange lock."""

    def __init__(self, instruments: Mapping[str, Instrument]) -> None:
        self.instruments: dict[str, Instrument] = dict(instruments)
        self._candles: dict[tuple[str, str], CandleSeries] = {}
        self._funding: dict[str, list[FundingRow]] = {}

    def require_symbol(self, symbol: str) -> Instrument:
        instrument = self.instruments.get(symbol)
        if instrument is None:
            raise ValueError(f"symbol {symbol!r} is not listed on this server; listed: "
                             f"{', '.join(sorted(self.instruments))}")
        return instrument

    def series(self, symbol: str, interval: str) -> CandleSeries | None:
        return self._candles.get((symbol, interval))

    def series_for_write(self, symbol: str, interval: str) -> CandleSeries:
        self.require_symbol(symbol)
        series = self._candles.get((symbol, interval))
        if series is None:
            series = self._candles[(symbol, interval)] = CandleSeries(interval_ms(interval))
        return series

    def intervals(self, symbol: str) -> list[tuple[str, CandleSeries]]:
        """The intervals held for `symbol`, shortest candle first."""
        held = [(iv, s) for (sym, iv), s in self._candles.items() if sym == symbol and len(s)]
        return sorted(held, key=lambda item: item[1].step_ms)

    def put_candles(self, symbol: str, interval: str, rows: Iterable[KlineRow]) -> None:
        self.series_for_write(symbol, interval).extend(list(rows))

    def put_funding(self, symbol: str, rows: Iterable[FundingRow]) -> None:
        self.require_symbol(symbol)
        merged = {r.ts: r for r in self._funding.get(symbol, [])}
        merged.update((r.ts, r) for r in rows)
        self._funding[symbol] = [merged[ts] for ts in sorted(merged)]

    def funding(self, symbol: str, start: int | None, end: int | None) -> list[FundingRow]:
        """Settled rates with start <= ts <= end (either bound optional), oldest first."""
        rows = self._funding.get(symbol, [])
        stamps = [r.ts for r in rows]
        lo = 0 if start is None else bisect.bisect_left(stamps, start)
        hi = len(rows) if end is None else bisect.bisect_right(stamps, end)
        return rows[lo:hi] if lo < hi else []


class ExchangeState:
    """Everything the server knows, behind one lock, with the clock it answers `time` from."""

    def __init__(self, instruments: Mapping[str, Instrument], clock: Clock) -> None:
        self.lock = threading.RLock()
        self.clock = clock
        self.market = MarketState(instruments)

    def now_ms(self) -> int:
        return self.clock.now_ms()
