"""The backtest runner: the trading node and the simulated exchange on a simulated clock.

Signals are computed once over the whole history (vectorised), and the loop visits only the bars
where something can happen: a change of intent, a funding time, the first bar of a UTC day, a bar
whose range crosses a resting order, a stop or the liquidation price, and the first bar where the
equity breaches a risk limit. Stepping every bar (`step_every_bar=True`) gives identical results;
a test holds both to that.
"""

from __future__ import annotations

import math
from array import array
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Final, cast

import numpy as np

from perpbot.collector import collector_paused
from perpbot.engine.market import ArrayMarket
from perpbot.engine.node import TradingNode
from perpbot.engine.prepared import PreparedData, PreparedSymbol
from perpbot.execution.entry import ExecutionConfig
from perpbot.kernels import COMPILED, decimal_float, equity_scan, first_hit, write_row
from perpbot.model import Direction, Intent, Signal
from perpbot.risk.manager import RiskManager
from perpbot.signals.codes import regime_name
from perpbot.venues.sim import SimVenue, SimVenueConfig

ZERO: Final = Decimal(0)  # compared with as a Decimal: against the int 0, every comparison converted it

_DAY_MS: Final = 86_400_000
_INF: Final = float("inf")
_NO_LEVELS: Final = (_INF, _INF, -_INF, -_INF)
_DIRECTIONS: Final = (Direction.FLAT, Direction.LONG, Direction.SHORT)  # by code: 0, 1, -1 (a lookup, not an enum call)
_SEARCH_AHEAD: Final = 256  # bars an activation search looks past the stretch, for the stretches that follow
# Compiled, the bar scans are C (`kernels`): a bar costs a few instructions and numpy's cost per call never pays, so
# every stretch is scanned bar by bar (callgrind, 1 symbol, risk on: 3% fewer instructions than numpy from 64 bars
# on). Interpreted, numpy takes stretches of 64 bars or more.
_PLAIN_UP_TO: Final = 1 << 62 if COMPILED else 64


@dataclass(frozen=True, slots=True)
class LoopTuning:
    """How the loop does its bulk work, never what it computes: every setting gives the same run (tested).

    Settings, not module constants, so that tests can force each path in the compiled core as well.
    """

    # Stretches of fewer bars are searched for a breaker breach bar by bar (`kernels.equity_scan`), longer ones with
    # numpy. All of them with the C scans; from 64 bars interpreted (see _PLAIN_UP_TO).
    short_stretch: int = _PLAIN_UP_TO
    # Activation searches over fewer bars scan them bar by bar (`kernels.first_hit`); longer ones use numpy and look
    # _SEARCH_AHEAD bars past the stretch for the stretches that follow.
    short_search: int = _PLAIN_UP_TO
    # With other symbols acting, a bar-by-bar activation search looks this far from its first bar, past its stretch.
    plain_ahead: int = 64
    curve_block: int = 16_384  # bars per block when the equity curve is built from the snapshots


@dataclass(slots=True)
class SearchCounts:
    """How many breaker searches took each path (a diagnostic; tests use it to see a path was taken)."""

    plain: int = 0
    vectorised: int = 0
    plain_activation: int = 0  # activation searches (`_next_hit`), by path
    vectorised_activation: int = 0


@dataclass(slots=True, init=False)
class _Searched:
    """What an activation search of one symbol found: bars [lo, hi] first reach one of its levels at `hit`."""

    lo: int
    hi: int
    hit: int | None

    def __init__(self, lo: int, hi: int, hit: int | None) -> None:
        self.lo = lo
        self.hi = hi
        self.hit = hit


def _view(values: np.ndarray) -> memoryview[Any]:
    """A memoryview of a 1-D array: its item is a Python float or int at once, where an array's is a numpy scalar
    made and then converted (about a thousand instructions a read, compiled; a memoryview's, a fifth of that)."""
    return cast("memoryview[Any]", values.data)


def _hard_bars(ts: np.ndarray, funding: dict[int, list[tuple[int, Decimal]]], last_decision: int) -> np.ndarray:
    """Bars the loop always visits: funding times, the first bar of each UTC day (the daily loss limit starts
    again), the last decision bar and the last bar. A function of its own, so that its day-sized temporaries
    are gone before the run's records grow."""
    day = ts // _DAY_MS
    day_first = np.flatnonzero(np.concatenate([[True], day[1:] != day[:-1]]))
    funding_bars = np.array(sorted(funding), dtype=np.int64)
    hard: np.ndarray = np.union1d(np.union1d(funding_bars, day_first), [last_decision, len(ts) - 1])
    return hard.astype(np.int64, copy=False)


class _Views:
    """One symbol's per-bar series as the loop reads them, one value at a time (see `_view`). Score, strength,
    the distances and the strategies' values are by row (`PreparedSymbol.change_bars`); `row` is the row of the
    symbol's last decision, from which the next one's is found (the loop only moves forward)."""

    __slots__ = ("change_bars", "close", "direction", "high", "low", "open", "regime", "row", "score",
                 "stop_distance", "strategies", "strength", "take_profit_distance")

    def __init__(self, sym: PreparedSymbol, timeframe: str) -> None:
        self.open: memoryview[float] = _view(sym.open)
        self.high: memoryview[float] = _view(sym.high)
        self.low: memoryview[float] = _view(sym.low)
        self.close: memoryview[float] = _view(sym.close)
        self.direction: memoryview[int] = _view(sym.direction)
        self.regime: memoryview[int] = _view(sym.regime)
        self.change_bars: memoryview[int] = _view(sym.change_bars)
        self.row = 0
        self.score: memoryview[float] = _view(sym.score)
        self.strength: memoryview[float] = _view(sym.strength)
        self.stop_distance: memoryview[float] = _view(sym.stop_distance)
        self.take_profit_distance: memoryview[float] = _view(sym.take_profit_distance)
        # (name, timeframe, values) of each strategy
        self.strategies: list[tuple[str, str, memoryview[float]]] = [
            (name, sym.strategy_timeframes.get(name, timeframe), _view(values))
            for name, values in sym.strategy_values.items()
        ]


class EquityTrack:
    """Account state after every bar that changed it; the per-bar curve is rebuilt from it in bulk.

    Kept in typed arrays, one row of `width` values per snapshot in `qty` and `signed_cost`: a year holds tens of
    thousands of snapshots, and as lists of boxed floats they took about 260 bytes each instead of 32. The arrays
    grow by a quarter at a time and are written by index (an array's `append` and `extend` are method calls, four
    a snapshot, which cost more than the item writes); `count` rows are in use."""

    __slots__ = ("balance", "bars", "capacity", "count", "last_bar", "qty", "signed_cost", "width")

    def __init__(self, width: int) -> None:
        self.width = width
        self.last_bar = -1  # the bar of the last snapshot (an attribute: reading the array back is a call)
        self.count = 0  # snapshots recorded
        self.capacity = 0  # rows the arrays hold
        self.bars: array[int] = array("q")
        self.balance: array[float] = array("d")
        self.qty: array[float] = array("d")  # row after row of `width` values
        self.signed_cost: array[float] = array("d")

    def record(self, bar: int, balance: float, qty: list[float], signed_cost: list[float]) -> None:
        """Add the snapshot of `bar`, or replace the last one when it was of the same bar."""
        if bar == self.last_bar:
            row = self.count - 1
        else:
            row = self.count
            if row == self.capacity:
                self._grow()
            self.count = row + 1
            self.last_bar = bar
        # one call (`kernels.write_row`): an array item written from compiled code is a generic call, four a snapshot
        write_row(self.bars, self.balance, self.qty, self.signed_cost, row, bar, balance, qty, signed_cost)

    def _grow(self) -> None:
        rows = max(4096, self.capacity // 4)
        self.capacity += rows
        self.bars.extend(array("q", bytes(8 * rows)))
        self.balance.extend(array("d", bytes(8 * rows)))
        self.qty.extend(array("d", bytes(8 * rows * self.width)))
        self.signed_cost.extend(array("d", bytes(8 * rows * self.width)))

    def columns(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Bars, balances, and the qty and signed-cost rows as (snapshots, width) matrices, without copies."""
        count, width = self.count, self.width
        return (np.frombuffer(self.bars, dtype=np.int64)[:count], np.frombuffer(self.balance, dtype=np.float64)[:count],
                np.frombuffer(self.qty, dtype=np.float64)[:count * width].reshape((count, width)),
                np.frombuffer(self.signed_cost, dtype=np.float64)[:count * width].reshape((count, width)))


@dataclass(slots=True)
class LoopResult:
    node: TradingNode
    venue: SimVenue
    equity: np.ndarray  # per bar, at the close
    exposure: np.ndarray  # per bar: True when any position is open at the close
    bars_visited: int


class BacktestLoop:
    """Runs prepared data through a TradingNode and a SimVenue."""

    def __init__(self, data: PreparedData, *, risk: RiskManager, venue_config: SimVenueConfig,
                 starting_balance: Decimal, id_prefix: str, close_on_flat: bool = False,
                 close_at_end: bool = True, step_every_bar: bool = False,
                 progress: Callable[[int, int], None] | None = None,
                 execution: ExecutionConfig | None = None, tuning: LoopTuning | None = None) -> None:
        self.data = data
        self.tuning = tuning or LoopTuning()
        self.searches = SearchCounts()
        self.risk = risk
        self.close_at_end = close_at_end
        self.step_every_bar = step_every_bar
        self.progress = progress
        self._syms = data.symbols
        self._views = [_Views(s, data.timeframe) for s in self._syms]
        instruments = {s.symbol: s.instrument for s in self._syms}
        self.venue = SimVenue(instruments, venue_config, starting_balance)
        self.market = ArrayMarket({s.symbol: s.close for s in self._syms})
        self.node = TradingNode(
            venue=self.venue, instruments=instruments, leverage={s.symbol: s.leverage for s in self._syms},
            risk=risk, market=self.market, starting_balance=starting_balance, id_prefix=id_prefix,
            close_on_flat=close_on_flat, start_ts=int(data.ts[0]) if len(data.ts) else 0, execution=execution,
        )
        self._close_on_flat = close_on_flat
        self._track = EquityTrack(len(self._syms))
        # the positions of the last snapshot, as floats: (qty, signed cost) per symbol
        self._last_qty = [0.0] * len(self._syms)
        self._last_cost = [0.0] * len(self._syms)
        self._visited = 0
        # Per symbol, the last activation search: reused while its levels stand, so a symbol whose orders
        # did not change is not searched again when another symbol's decision ends the stretch.
        self._searched: list[_Searched | None] = [None] * len(self._syms)
        # Symbols (by index) the venue changed since each of three readers last looked: their activation
        # levels, pending market orders and positions are the only ones that can differ. Revisiting only
        # those after an event keeps a run of many symbols linear in the symbols.
        self._index = {s.symbol: i for i, s in enumerate(self._syms)}
        everything = range(len(self._syms))
        self._stale_levels: set[int] = set(everything)
        self._maybe_pending: set[int] = set(everything)
        self._moved: set[int] = set(everything)
        self._acting = [False] * len(self._syms)  # per symbol: would the venue act at some price?
        self._with_levels: list[int] = []  # those symbols, in symbol order
        # The account as of the last snapshot (positions change only at the events that take one):
        # balance and, per open position, (symbol index, qty, signed cost) as floats.
        self._balance_now = float(starting_balance)
        self._balance_exact: Decimal | None = None  # the ledger balance `_balance_now` was made from
        self._open_now: list[tuple[int, float, float]] = []
        # (peak, day start, and the floats the searches use): see `_search_floors`
        self._floors: tuple[Decimal, Decimal, float, float, float] | None = None
        # Each symbol's Position (the book keeps one object per symbol) and, for `_snapshot`, its last
        # (qty, cost) Decimals with their floats.
        self._positions = [self.node.positions.get(s.symbol) for s in self._syms]
        self._seen: list[tuple[Decimal | None, Decimal | None, float, float]] = [(None, None, 0.0, 0.0)] * len(
            self._syms)

    # ------------------------------------------------------------------ schedule
    def _decision_bars(self, last: int) -> tuple[np.ndarray, np.ndarray, list[int]]:
        """Bars at whose close some symbol's intent changes, and the symbols (by index, in symbol order) whose
        intent changes at the j-th of them: `symbols[bounds[j]:bounds[j + 1]]`."""
        masks = []
        for sym in self._syms:
            d = sym.direction
            change = np.empty(len(d), dtype=bool)
            change[0] = d[0] != 0
            np.not_equal(d[1:], d[:-1], out=change[1:])
            if not self._close_on_flat:
                change &= d != 0
            change[last + 1:] = False
            masks.append(change)
        if not masks:
            return np.zeros(0, dtype=np.int64), np.zeros(1, dtype=np.int64), []
        bars = np.flatnonzero(np.logical_or.reduce(masks))
        ordinal, symbol = np.nonzero(np.stack([m[bars] for m in masks], axis=1))  # row-major: symbol order
        return bars, np.searchsorted(ordinal, np.arange(len(bars) + 1)), symbol.tolist()

    def _funding_schedule(self) -> dict[int, list[tuple[int, Decimal]]]:
        schedule: dict[int, list[tuple[int, Decimal]]] = {}
        for i, sym in enumerate(self._syms):
            for bar, rate in zip(sym.funding_bars.tolist(), sym.funding_rates, strict=True):
                schedule.setdefault(bar, []).append((i, rate))
        return schedule

    # ------------------------------------------------------------------ the loop
    def run(self) -> LoopResult:
        with collector_paused():
            return self._run()

    def _run(self) -> LoopResult:
        ts = self.data.ts
        n = len(ts)
        if n < 2:
            raise ValueError(f"a backtest needs at least 2 bars on the execution grid, got {n}")
        tf_ms = self.data.timeframe_ms
        # Per-bar reads: Python ints at once (`_view`). A bar's close time is its open plus the timeframe, added
        # where it is read: an array of them would hold another 8 bytes a bar through the whole run.
        at_open = _view(ts)
        last_decision = n - 2  # an order decided at the last close could never fill
        decision_arrays = self._decision_bars(last_decision)
        # The schedule as lists of ints (a few per decision): an item of a list of ints is read directly, where a
        # memoryview's is a generic call with the index boxed.
        decision_bars: list[int] = decision_arrays[0].tolist()
        bounds: list[int] = decision_arrays[1].tolist()
        deciding = decision_arrays[2]
        funding = self._funding_schedule()
        hard: list[int] = (list(range(n)) if self.step_every_bar else _hard_bars(ts, funding, last_decision).tolist())
        risk_on = self.risk.config.enabled
        self._snapshot(0)
        k = 0
        decisions, hards = len(decision_bars), len(hard)
        di = hi = 0  # cursors: the first decision bar at or after k, the first hard bar after k
        next_decision = decision_bars[0] if decisions else n - 1
        next_hard_bar = hard[0] if hards else n
        while k < n:
            self._visited += 1
            self.market.index = k
            # Open of bar k: funding on positions held at this instant, then the orders decided before it.
            opened = False
            for i, rate in funding.get(k, ()):
                sym = self._syms[i]
                self.venue.settle_funding(sym.symbol, at_open[k], rate, self._views[i].open[k])
                opened = True
            self._take_changes()
            if self._maybe_pending:
                pending = self._maybe_pending
                for i in pending if len(pending) == 1 else sorted(pending):  # one symbol needs no sorting
                    sym = self._syms[i]
                    if self.venue.has_pending_market(sym.symbol):
                        self.venue.open_bar(sym.symbol, at_open[k], self._views[i].open[k])
                        opened = True
                self._maybe_pending.clear()  # a market order comes only with a submit, which marks its symbol
            if opened:
                self.node.process_events()
            # The quiet stretch [k, e]: nothing scheduled before e's close.
            # k only grows: the next decision and the next hard bar are found by moving a cursor forward, each
            # value read once (a memoryview read and a call of a builtin are generic calls, compiled)
            while di < decisions and next_decision < k:
                di += 1
                next_decision = decision_bars[di] if di < decisions else n - 1
            while hi < hards and next_hard_bar <= k:
                hi += 1
                next_hard_bar = hard[hi] if hi < hards else n
            e = min(next_decision, max(next_hard_bar - 1, k))
            if self.step_every_bar:
                e = k
            t = self._first_activity(k, e)
            quiet_end = t - 1 if t is not None else e
            if opened:
                self._snapshot(k)
            watch = risk_on and not self.risk.halted
            if watch and quiet_end >= k:
                breach = self._check_breakers(k, quiet_end, at_open)
                if breach is not None:
                    self._after_bar(breach)
                    k = breach + 1
                    continue
            if t is not None:
                self.market.index = t
                for i, sym in enumerate(self._syms):  # by index: `zip(..., strict=True)` is a generic call
                    views = self._views[i]
                    self.venue.intrabar(sym.symbol, at_open[t], views.open[t], views.high[t], views.low[t],
                                        views.close[t])
                self.node.process_events()
                self._snapshot(t)
                if watch and self.node.on_equity(at_open[t] + tf_ms, self._equity_at(t)):
                    self._after_bar(t)
                    k = t + 1
                    continue
                e = t
            self.market.index = e
            if di < decisions and e == next_decision:
                for i in deciding[bounds[di]:bounds[di + 1]]:
                    sym = self._syms[i]
                    self.venue.mark(sym.symbol, self._views[i].close[e])
                    self.node.on_intent(self._intent(sym, self._views[i], e, at_open[e] + tf_ms))
            if e == last_decision and self.close_at_end:
                for sym, views in zip(self._syms, self._views, strict=True):
                    self.venue.mark(sym.symbol, views.close[e])
                self.node.close_all(at_open[e] + tf_ms, "end_of_data")
                self.node.process_events()
            self._after_bar(e)
            k = e + 1
        self.node.process_events()
        equity, exposure = self._build_curve(n)
        return LoopResult(self.node, self.venue, equity, exposure, self._visited)

    def _after_bar(self, k: int) -> None:
        self.node.process_events()
        if self.progress is not None:
            self.progress(k + 1, len(self.data.ts))

    # ------------------------------------------------------------------ searches
    def _take_changes(self) -> None:
        changed = self.venue.take_changed()
        if changed:
            # one add at a time: compiled, an add is a direct call, where `update` iterated generically
            index, stale, pending, moved = self._index, self._stale_levels, self._maybe_pending, self._moved
            for symbol in changed:
                row = index[symbol]
                stale.add(row)
                pending.add(row)
                moved.add(row)

    def _first_activity(self, k: int, e: int) -> int | None:
        """The first bar in [k, e] whose range reaches a level where the venue would act."""
        self._take_changes()
        if self._stale_levels:
            acting = self._acting
            changed = False
            for i in self._stale_levels:
                self._searched[i] = None
                now = self.venue.activation_levels(self._syms[i].symbol) != _NO_LEVELS
                changed = changed or now != acting[i]
                acting[i] = now
            self._stale_levels.clear()
            if changed:
                self._with_levels = [i for i, on in enumerate(acting) if on]
        first: int | None = None
        for i in self._with_levels:
            hit = self._next_hit(i, k, first if first is not None else e)
            if hit is not None:
                first = hit
        return first

    def _next_hit(self, i: int, k: int, limit: int) -> int | None:
        """The first bar in [k, limit] where symbol `i`'s range reaches one of its activation levels, or None."""
        known = self._searched[i]  # None when the levels changed since: search again
        if known is not None and known.lo <= k:
            if known.hit is not None and known.hit >= k:
                return known.hit if known.hit <= limit else None
            if known.hit is None and known.hi >= limit:
                return None
        sym = self._syms[i]
        levels = self.venue.activation_levels(sym.symbol)
        if limit - k < self.tuning.short_search:
            # With other symbols acting, past the stretch as well, up to `plain_ahead` bars in all (the numpy search
            # looks _SEARCH_AHEAD past it): their events cut the stretches to a few bars, and searching every symbol
            # again for each one made the searches grow with the square of the symbols. The answer stands until the
            # symbol's levels change. Alone, a symbol's stretch ends where its own levels change: no look-ahead.
            ahead = self.tuning.plain_ahead
            end = limit if len(self._with_levels) < 2 else max(limit, min(len(sym.high) - 1, k + ahead - 1))
            scanned = self._scan_levels(self._views[i], levels, k, end)
            self._searched[i] = _Searched(k, end, scanned)
            return scanned if scanned is not None and scanned <= limit else None
        self.searches.vectorised_activation += 1
        end = min(len(sym.high) - 1, max(limit, k + _SEARCH_AHEAD))
        rise_ge, rise_gt, fall_le, fall_lt = levels
        # Usually one side has a level (a long's stop and liquidation are both below): only the arrays and tests
        # in use are made, each numpy call on these short slices costing more than its arithmetic.
        mask: np.ndarray | None = None
        if rise_ge != _INF or rise_gt != _INF:
            high = sym.high[k:end + 1]
            if rise_ge != _INF:
                mask = high >= rise_ge
            if rise_gt != _INF:
                mask = high > rise_gt if mask is None else mask | (high > rise_gt)
        if fall_le != -_INF or fall_lt != -_INF:
            low = sym.low[k:end + 1]
            if fall_le != -_INF:
                mask = low <= fall_le if mask is None else mask | (low <= fall_le)
            if fall_lt != -_INF:
                mask = low < fall_lt if mask is None else mask | (low < fall_lt)
        hit: int | None = None
        if mask is not None:
            at = int(mask.argmax())  # the first True, or 0 when there is none
            if at or mask[0]:
                hit = k + at
        self._searched[i] = _Searched(k, end, hit)
        return hit if hit is not None and hit <= limit else None

    def _scan_levels(self, views: _Views, levels: tuple[float, float, float, float], k: int,
                     limit: int) -> int | None:
        """`_next_hit`'s search of bars [k, limit], for stretches too short to repay numpy's cost per call: the same
        tests (each level in use, against the high or the low), to the first bar that passes (`kernels.first_hit`)."""
        self.searches.plain_activation += 1
        rise_ge, rise_gt, fall_le, fall_lt = levels
        return first_hit(views.high, views.low, k, limit, rise_ge, rise_gt, fall_le, fall_lt)

    def _equity_curve_slice(self, a: int, b: int) -> np.ndarray:
        """Close-to-close equity over bars [a, b] with the positions as they stand now."""
        equity = np.full(b - a + 1, self._balance_now)
        for i, qty, signed_cost in self._open_now:
            equity += qty * self._syms[i].close[a:b + 1] - signed_cost
        return equity

    def _equity_at(self, k: int) -> float:
        """`_equity_curve_slice(k, k)`'s value in plain floats: the same IEEE operations in the same order."""
        equity = self._balance_now
        for i, qty, signed_cost in self._open_now:
            equity = equity + (qty * self._views[i].close[k] - signed_cost)
        return equity

    def _search_floors(self) -> tuple[float, float, float]:
        """The breakers' peak, drawdown keep and daily floor as the searches compare floats with them. Made again
        only when the peak or the day's start is another Decimal (a Decimal is replaced, never changed): their
        conversions from Decimal were a tenth of a short search."""
        breakers = self.risk.breakers
        peak, day = breakers.peak_equity, breakers.day_start_equity
        assert peak is not None and day is not None
        cached = self._floors
        if cached is None or cached[0] is not peak or cached[1] is not day:
            cached = (peak, day, decimal_float(peak), breakers.drawdown_floor(1.0), breakers.daily_floor(day))
            self._floors = cached
        return cached[2], cached[3], cached[4]

    def _check_breakers(self, a: int, b: int, open_ts: memoryview[int]) -> int | None:
        """Feed the risk manager the equity of bars [a, b] exactly as per-bar calls would; return a breach bar.

        The breakers only depend on the day's first equity, the running peak and each value against
        the floors, so calling them at the first bar, at each new peak before a breach and at the
        breach itself leaves them in the state bar-by-bar calls would.
        """
        if b - a < self.tuning.short_stretch:
            return self._check_breakers_short(a, b, open_ts)
        self.searches.vectorised += 1
        node, tf = self.node, self.data.timeframe_ms  # a bar closes at its open plus the timeframe
        equity = self._equity_curve_slice(a, b)
        if node.on_equity(open_ts[a] + tf, float(equity[0])):
            return a
        i = 1
        while i < len(equity):
            rest = equity[i:]
            peak0, keep, daily = self._search_floors()
            peak = np.maximum.accumulate(np.maximum(rest, peak0))
            floor = np.maximum(peak * keep, daily)
            below = rest < floor
            hit = int(below.argmax())
            end = hit if below[hit] else len(rest) - 1
            top = int(rest[: end + 1].argmax())
            if rest[top] > peak0 and top < end:
                node.on_equity(open_ts[a + i + top] + tf, float(rest[top]))
            bar = a + i + end
            if node.on_equity(open_ts[bar] + tf, float(rest[end])):
                return bar
            if not below[hit]:
                return None
            i += end + 1  # the float search saw a breach the exact check did not: look further
        return None

    def _check_breakers_short(self, a: int, b: int, open_ts: memoryview[int]) -> int | None:
        """`_check_breakers` bar by bar (`kernels.equity_scan`), for stretches too short to repay numpy's cost per call:
        the same IEEE operations in the same order (equity adds each position's `qty * close - cost` to the balance;
        the floor is the running peak times the drawdown factor, or the daily floor if higher), so the same calls
        reach the breakers with the same values."""
        self.searches.plain += 1
        node, tf = self.node, self.data.timeframe_ms
        if node.on_equity(open_ts[a] + tf, self._equity_at(a)):
            return a
        closes: list[memoryview[Any]] = []
        qtys: list[float] = []
        costs: list[float] = []
        for i, qty, signed_cost in self._open_now:
            closes.append(self._views[i].close)
            qtys.append(qty)
            costs.append(signed_cost)
        balance = self._balance_now
        start = a + 1
        while start <= b:
            peak0, keep, daily = self._search_floors()
            breach, top, top_at, value = equity_scan(closes, qtys, costs, balance, start, b, peak0, keep, daily)
            end = breach if breach >= 0 else b
            if top > peak0 and top_at < end:
                node.on_equity(open_ts[top_at] + tf, top)
            if node.on_equity(open_ts[end] + tf, value):
                return end
            if breach < 0:
                return None
            start = end + 1  # the float search saw a breach the exact check did not: look further
        return None

    # ------------------------------------------------------------------ intents and the curve
    def _intent(self, sym: PreparedSymbol, views: _Views, k: int, decided_ts: int) -> Intent:
        regime = regime_name(views.regime[k])
        weights = sym.weights_by_regime.get(regime, ())
        # A decision bar is a bar where the direction changed, so it has a row, after the last decision's.
        row, change_bars = views.row, views.change_bars
        while change_bars[row] < k:
            row += 1
        views.row = row
        signals = tuple(Signal(name, sym.symbol, timeframe, decided_ts, values[row])
                        for name, timeframe, values in views.strategies)
        stop = views.stop_distance[row]
        tp = views.take_profit_distance[row]
        return Intent(
            symbol=sym.symbol, ts=decided_ts, direction=_DIRECTIONS[views.direction[k]],
            strength=views.strength[row], reference_price=views.close[k],
            stop_distance=None if math.isnan(stop) else stop,
            take_profit_distance=None if math.isnan(tp) else tp,
            regime=regime, score=views.score[row], signals=signals, weights=weights,
        )

    def _snapshot(self, k: int) -> None:
        """Record the account after an event: the last snapshot, with the positions that moved since updated."""
        self._take_changes()
        qty, cost = self._last_qty, self._last_cost
        seen = self._seen
        for i in self._moved:
            pos = self._positions[i]
            exact = (pos.qty, pos.cost)
            known = seen[i]
            # a position's Decimals are replaced, never changed, when a fill moves it: the same objects mean
            # the same floats (a symbol marked as moved may not have moved: funding on a flat symbol, say)
            if known[0] is exact[0] and known[1] is exact[1]:
                q, c = known[2], known[3]
            else:
                # `kernels.decimal_float`: float() writes a Decimal's text and parses it back
                q = decimal_float(exact[0])
                c = decimal_float(exact[1]) if exact[0] >= ZERO else -decimal_float(exact[1])
                seen[i] = (exact[0], exact[1], q, c)
            qty[i] = q
            cost[i] = c
        self._moved.clear()
        exact_balance = self.node.ledger.balance
        if exact_balance is not self._balance_exact:  # replaced, never changed, like a position's Decimals
            self._balance_exact = exact_balance
            self._balance_now = decimal_float(exact_balance)
        balance = self._balance_now
        # by index: compiled, `zip(..., strict=True)` is a generic call with a keyword, a tenth of a snapshot
        self._open_now = [(i, qty[i], cost[i]) for i in range(len(qty)) if qty[i] != 0]
        self._track.record(k, balance, qty, cost)

    def _build_curve(self, n: int) -> tuple[np.ndarray, np.ndarray]:
        """Per-bar equity and exposure from the account snapshots. Built in blocks of bars: the bars-by-symbols
        temporaries of a whole year of 8 symbols would take some 170 MB at once; each row's sum is the same."""
        self._snapshot(n - 1)
        bars, balances, qtys, costs = self._track.columns()
        equity = np.empty(n)
        exposure = np.empty(n, dtype=bool)
        block = self.tuning.curve_block
        for start in range(0, n, block):
            stop = min(start + block, n)
            # Each bar's last snapshot at or before it (`searchsorted(bars, bar, "right") - 1`): the snapshots before
            # the block, plus a running count of those inside it. The snapshot bars are unique and sorted, so this
            # takes one pass where a binary search per bar took a dozen steps.
            first, after = np.searchsorted(bars, [start, stop])
            counts = np.zeros(stop - start, dtype=np.int64)
            counts[bars[first:after] - start] = 1
            at = np.cumsum(counts)
            at += first - 1
            qty = qtys[at]
            closes = np.column_stack([s.close[start:stop] for s in self._syms])
            equity[start:stop] = balances[at] + (qty * closes - costs[at]).sum(axis=1)
            exposure[start:stop] = (qty != 0).any(axis=1)
        return equity, exposure
