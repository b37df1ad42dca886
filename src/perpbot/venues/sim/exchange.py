"""The simulated exchange. It answers like Bybit: orders are accepted, rejected, filled or cancelled
through events, never by return value, so the engine cannot tell it from the real venue.

It is driven bar by bar: `open_bar` fills market orders at the open, `intrabar` walks the bar's
price path (adverse side first when a position is open, so a bar that touches both the stop and
the take-profit counts as a stop) and `settle_funding` pays funding. The backtest skips bars where
`activation_levels` shows nothing can happen; stepping every bar gives the same result.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal
from typing import Final

from perpbot.execution.positions import Position, PositionBook
from perpbot.kernels import decimal_float
from perpbot.model import (
    Fill,
    FundingPayment,
    Instrument,
    LiquidityRole,
    OrderRequest,
    OrderStatus,
    OrderType,
    Side,
    TimeInForce,
    TriggerKind,
)
from perpbot.model.instrument import liquidation_factor, shared_decimal
from perpbot.venues.events import (
    FundingSettled,
    OrderAccepted,
    OrderAmended,
    OrderCancelled,
    OrderCreatedByVenue,
    OrderFilled,
    OrderRejected,
    OrderStatusReport,
    OrderTriggered,
    PositionLiquidated,
    VenueEvent,
)
from perpbot.venues.sim.config import SimVenueConfig

ZERO: Final = Decimal(0)
ONE: Final = Decimal(1)
_BPS: Final = Decimal("0.0001")
_QTY_PASSED_LIMIT: Final = 64  # see `_Book.market_qty_passed`
_INF: Final = math.inf  # compiled, float("inf") parsed its text at every use
# The attached orders' tags, read once: compiled, an enum's `value` is a generic lookup and a call into enum.
_STOP_TAG: Final = TriggerKind.STOP_LOSS.value
_TAKE_TAG: Final = TriggerKind.TAKE_PROFIT.value


@dataclass(slots=True, init=False, eq=False)
class _Known:
    """What the venue knows of an order it was sent: its status and filled qty, as a status query reports them.
    An object, not a tuple: compiled, a tuple constant was boxed anew at every use, so it could not be shared."""

    status: Final[OrderStatus]
    filled: Final[Decimal]

    def __init__(self, status: OrderStatus, filled: Decimal) -> None:
        self.status = status
        self.filled = filled


# Each status an order can have with nothing filled, made once: the venue keeps one for every order a run ever
# placed, and most of them (every cancelled protective order) end with nothing filled.
_UNFILLED: Final[tuple[_Known, ...]] = tuple(
    _Known(status, ZERO)
    for status in (OrderStatus.NEW, OrderStatus.UNTRIGGERED, OrderStatus.CANCELLED, OrderStatus.REJECTED)
)


class _LastKnown:
    """The last record `_known` made of a filled order, shared by the next one that ends the same way: a run's
    orders fill the same few quantities over and over, and they are the same Decimal objects (`shared_decimal`).
    One attribute, replaced whole, of one instance (`_LAST_KNOWN`)."""

    __slots__ = ("entry",)

    def __init__(self) -> None:
        self.entry: _Known | None = None


_LAST_KNOWN: Final = _LastKnown()


def _known(status: OrderStatus, filled: Decimal) -> _Known:
    """What the venue records of an order: the shared record when nothing is filled, or the last one when it is
    the same (a record is never changed, only replaced)."""
    if not filled:
        for known in _UNFILLED:
            if known.status is status:
                return known
    last = _LAST_KNOWN.entry
    if last is not None and last.status is status and last.filled is filled:
        return last
    known = _LAST_KNOWN.entry = _Known(status, filled)
    return known


_NEVER_SENT: Final = _known(OrderStatus.REJECTED, ZERO)  # what a query of an order it never had reports


def _off_tick(name: str, price: Decimal | None, tick: Decimal) -> str | None:
    """Why an order's `name` price is refused for lying off the tick, or None (also when it has none)."""
    if price is not None and price % tick:  # by its truth: a comparison with zero was a Decimal comparison more
        return f"10001: {name} {price} is not a multiple of tickSize {tick}"
    return None


@dataclass(slots=True, init=False, eq=False)
class _Live:
    """An order resting on the simulated book. Compared by identity: the queues find and remove this very entry
    (by value, every lookup ran dataclass's field-by-field comparison)."""

    request: OrderRequest
    venue_id: str
    filled: Decimal
    born_ts: int  # bar in which an attached order was created intrabar: it may only hurt that bar

    def __init__(self, request: OrderRequest, venue_id: str, filled: Decimal = ZERO, born_ts: int = -1) -> None:
        self.request = request
        self.venue_id = venue_id
        self.filled = filled
        self.born_ts = born_ts

    @property
    def remaining(self) -> Decimal:
        # Unfilled, the request's own qty: the fill then shares it, not a new Decimal equal to it.
        return self.request.qty - self.filled if self.filled else self.request.qty


def _discard(queue: list[_Live], live: _Live) -> bool:
    """Take `live` off `queue` if it is there. Found by identity: `in` and `remove` compared it with each entry
    (by `__eq__`, then identity), and a loop over the queues in a tuple built the tuple and iterated it generically."""
    for i in range(len(queue)):
        if queue[i] is live:
            del queue[i]
            return True
    return False


@dataclass(slots=True)
class _Book:
    instrument: Instrument
    position: Position  # this symbol's in the venue's position book (the same object for the venue's life)
    leverage: Decimal = ONE
    last_price: Decimal | None = None
    # The float `last_price` was made from (with `price_of`, or on the tick with `price_on_tick`): a market order's
    # reference, the last price on the tick, is made from it at once (see `_admission_error`).
    last_float: float = 0.0
    # The last price `_price_on_tick` made, and the float it was made from.
    tick_price: Decimal = ZERO
    tick_price_of: float = math.nan  # nan equals nothing
    market: list[_Live] = field(default_factory=list)
    limits: list[_Live] = field(default_factory=list)
    conditionals: list[_Live] = field(default_factory=list)
    liquidation_price: Decimal | None = None
    liquidation_long: bool = False  # the side of the position `liquidation_price` is for, when it is set
    # What the entry is multiplied by for the liquidation price, long and short, at this leverage (see
    # `SimVenue._update_liquidation`): made on the first fill after the leverage is set.
    liquidation_factors: tuple[Decimal, Decimal] | None = None
    # The position's margin (cost / leverage) and the cost it was worked out from: reused while the position keeps
    # that cost object (a fill replaces it), so an order's margin check divides only what changed.
    margin: Decimal = ZERO
    margin_of: Decimal | None = None
    # `SimVenue.activation_levels`, until a call that can change the book or its position drops it (`_changing`):
    # an attribute, where a dict by symbol cost a lookup at every read and every change.
    levels: tuple[float, float, float, float] | None = None
    # The quantities market orders passed the instrument's quantity rules with, by id (each held, so its id is its
    # own): a run's orders take a few sizes over and over, the same Decimal objects (`shared_decimal`), and the
    # rules of a quantity depend on nothing else. Bounded: cleared when full.
    market_qty_passed: dict[int, Decimal] = field(default_factory=dict)


@dataclass(slots=True)
class SimStats:
    """Counts a report shows so a reader can judge how much the simulation had to assume."""

    ambiguous_bars: int = 0  # bars where both the stop (or liquidation) and the take-profit could have hit
    liquidations: int = 0
    rejected_orders: int = 0


class SimVenue:
    """A Bybit-like exchange for one isolated-margin USDT account, matched on candles."""

    def __init__(self, instruments: dict[str, Instrument], config: SimVenueConfig,
                 starting_balance: Decimal) -> None:
        self.config = config
        self._positions = PositionBook()
        # each book holds its position: looking it up by symbol was a dict lookup at every read
        self._books = {symbol: _Book(inst, self._positions.get(symbol)) for symbol, inst in instruments.items()}
        self.balance = starting_balance
        self.stats = SimStats()
        self._events: list[VenueEvent] = []
        self._status: dict[str, _Known] = {}
        self._venue_seq = 0
        self._exec_seq = 0
        self._taker = config.taker_fee
        self._maker = config.maker_fee
        self._slip = config.slippage_bps * _BPS
        self._through = config.limit_fill == "through"
        # The symbols calls that can change a book or position (`_changing`) touched since the driver last asked
        # (`take_changed`): a backtest of many symbols then revisits only those after an event, which keeps its
        # cost linear. Each book keeps its activation levels until such a call drops them.
        self._changed: set[str] = set()

    # ----------------------------------------------------------------- the Venue protocol
    def instrument(self, symbol: str) -> Instrument:
        return self._book(symbol).instrument

    def set_leverage(self, symbol: str, leverage: Decimal, ts: int) -> None:
        book = self._changing(symbol)
        if not ONE <= leverage <= book.instrument.max_leverage:
            raise ValueError(f"{symbol}: leverage must be in [1, {book.instrument.max_leverage}], was {leverage}")
        if book.position.qty:
            raise ValueError(f"{symbol}: leverage cannot change while a position is open")
        book.leverage = leverage
        book.liquidation_factors = None
        book.margin_of = None  # the margin is at the new leverage from the next check

    def submit(self, request: OrderRequest, ts: int) -> None:
        book = self._changing(request.symbol)
        reason = self._admission_error(book, request)
        if reason is not None:
            self.stats.rejected_orders += 1
            self._status[request.client_id] = _known(OrderStatus.REJECTED, ZERO)
            self._events.append(OrderRejected(ts, request.client_id, reason))
            return
        live = _Live(request, self._next_venue_id())
        if request.is_conditional:
            book.conditionals.append(live)
            status = OrderStatus.UNTRIGGERED
        elif request.order_type is OrderType.MARKET:
            book.market.append(live)
            status = OrderStatus.NEW
        else:
            book.limits.append(live)
            status = OrderStatus.NEW
        self._status[request.client_id] = _known(status, ZERO)
        self._events.append(OrderAccepted(ts, request.client_id, live.venue_id, status))

    def cancel(self, client_id: str, symbol: str, ts: int) -> None:
        book = self._changing(symbol)
        for queue in (book.market, book.limits, book.conditionals):
            for live in queue:
                if live.request.client_id == client_id:
                    queue.remove(live)
                    self._finish(live, OrderStatus.CANCELLED, ts, "CancelByUser")
                    return
        self.query_order(client_id, symbol, ts)  # 110001: not live; report what it is

    def amend(self, client_id: str, symbol: str, ts: int, *, qty: Decimal | None = None,
              price: Decimal | None = None, trigger_price: Decimal | None = None) -> None:
        book = self._changing(symbol)
        for live in (*book.limits, *book.conditionals):
            if live.request.client_id == client_id:
                if qty is not None and qty <= live.filled:
                    self._events.append(OrderStatusReport(ts, client_id, self._status[client_id].status,
                                                          live.filled, f"amend qty {qty} <= filled"))
                    return
                live.request = dataclasses.replace(
                    live.request,
                    qty=qty if qty is not None else live.request.qty,
                    price=price if price is not None else live.request.price,
                    trigger_price=trigger_price if trigger_price is not None else live.request.trigger_price,
                )
                self._events.append(OrderAmended(ts, client_id, qty, price, trigger_price))
                return
        self.query_order(client_id, symbol, ts)

    def query_order(self, client_id: str, symbol: str, ts: int) -> None:
        known = self._status.get(client_id, _NEVER_SENT)
        status, filled = known.status, known.filled
        reason = "" if client_id in self._status else "EC_OrderNotExist"
        self._events.append(OrderStatusReport(ts, client_id, status, filled, reason))

    def drain_events(self) -> list[VenueEvent]:
        events, self._events = self._events, []
        return events

    # ----------------------------------------------------------------- account views
    def position_qty(self, symbol: str) -> Decimal:
        return self._positions.get(symbol).qty

    def position_entry(self, symbol: str) -> Decimal:
        return self._positions.get(symbol).entry_price

    def liquidation_price(self, symbol: str) -> Decimal | None:
        return self._book(symbol).liquidation_price

    def leverage(self, symbol: str) -> Decimal:
        return self._book(symbol).leverage

    def has_resting(self, symbol: str) -> bool:
        book = self._book(symbol)
        return bool(book.market or book.limits or book.conditionals)

    def has_pending_market(self, symbol: str) -> bool:
        return bool(self._book(symbol).market)

    def take_changed(self) -> set[str]:
        """The symbols whose orders or position a call may have changed since the last `take_changed`: the
        only ones whose `activation_levels`, pending market orders or position can differ from before."""
        changed, self._changed = self._changed, set()
        return changed

    def activation_levels(self, symbol: str) -> tuple[float, float, float, float]:
        """Price levels at which `intrabar` would act: (high >= a, high > b, low <= c, low < d).

        Unused levels are +/-inf. The backtest searches candles for the first bar crossing one. The same
        tuple comes back until a call changes the symbol's orders or position.
        """
        book = self._book(symbol)
        cached = book.levels
        if cached is not None:
            return cached
        rise_ge = rise_gt = _INF
        fall_le = fall_lt = -_INF
        for live in book.conditionals:
            level = decimal_float(live.request.trigger_price)  # type: ignore[arg-type]
            if self._rises(live.request):
                rise_ge = min(rise_ge, level)
            else:
                fall_le = max(fall_le, level)
        for live in book.limits:
            level = decimal_float(live.request.price)  # type: ignore[arg-type]
            if live.request.side is Side.BUY:
                if self._through:
                    fall_lt = max(fall_lt, level)
                else:
                    fall_le = max(fall_le, level)
            elif self._through:
                rise_gt = min(rise_gt, level)
            else:
                rise_ge = min(rise_ge, level)
        if book.liquidation_price is not None:
            level = decimal_float(book.liquidation_price)
            if book.liquidation_long:
                fall_le = max(fall_le, level)
            else:
                rise_ge = min(rise_ge, level)
        levels = book.levels = (rise_ge, rise_gt, fall_le, fall_lt)
        return levels

    # ----------------------------------------------------------------- driving the simulation
    def mark(self, symbol: str, price: float) -> None:
        """Record the latest traded price (a candle close) for admission checks."""
        book = self._book(symbol)
        book.last_price = book.instrument.price_of(price)
        book.last_float = price

    def settle_funding(self, symbol: str, ts: int, rate: Decimal, mark_price: float) -> None:
        """Pay or receive funding on an open position: positive rate, longs pay shorts."""
        book = self._changing(symbol)
        qty = book.position.qty
        if not qty or not self.config.funding:
            return
        mark = book.instrument.price_of(mark_price)
        amount = -(qty * mark * rate)
        self.balance += amount
        self._positions.apply_funding(symbol, amount)
        self._events.append(FundingSettled(FundingPayment(symbol, ts, rate, mark, qty, amount)))

    def open_bar(self, symbol: str, ts: int, open_price: float) -> None:
        """Fill the market orders decided before this bar at its open, with slippage."""
        book = self._changing(symbol)
        # Candle prices sit on the tick for real Bybit data; rounding keeps generated data honest too.
        book.last_price = price = self._price_on_tick(book, open_price)
        book.last_float = open_price
        while book.market:
            live = book.market.pop(0)
            side = live.request.side
            fill_price = self._slipped(book.instrument, price, side)
            self._execute(book, live, live.remaining, fill_price, self._taker, LiquidityRole.TAKER, ts)

    def intrabar(self, symbol: str, ts: int, open_price: float, high: float, low: float, close: float) -> None:
        """Walk the bar: open, then the adverse extreme first (when a position is open), then the other."""
        book = self._changing(symbol)
        qty = book.position.qty
        inst = book.instrument
        if not (book.limits or book.conditionals or qty):
            book.last_price = inst.price_of(close)
            book.last_float = close
            return
        o, h, lo = inst.price_of(open_price), inst.price_of(high), inst.price_of(low)
        down_first = qty > ZERO if qty else close >= open_price
        if qty:
            self._count_ambiguous(book, qty, o, h, lo)
        self._walk(book, ts, o, o)  # whatever the open itself already crossed
        if down_first:
            self._walk(book, ts, o, lo)
            self._walk(book, ts, lo, h)
        else:
            self._walk(book, ts, o, h)
            self._walk(book, ts, h, lo)
        book.last_price = inst.price_of(close)
        book.last_float = close

    # ----------------------------------------------------------------- internals
    def _book(self, symbol: str) -> _Book:
        try:
            return self._books[symbol]
        except KeyError:
            raise ValueError(f"symbol {symbol!r} is not traded here; known: {', '.join(self._books)}") from None

    def _changing(self, symbol: str) -> _Book:
        """The book of a symbol a call is about to change: its cached activation levels are dropped first and
        the symbol is noted as changed. Every call that can move a symbol's orders or position takes its book
        through here."""
        book = self._book(symbol)
        book.levels = None
        self._changed.add(symbol)
        return book

    @staticmethod
    def _price_on_tick(book: _Book, value: float) -> Decimal:
        """`price_on_tick(value)`, or its last answer (zero excepted: 0.0 and -0.0 are equal floats): a market
        order's reference is made from the decision's close, and the bar it fills in mostly opens at that price."""
        if value == book.tick_price_of and value != 0.0:
            return book.tick_price
        price = book.tick_price = book.instrument.price_on_tick(value)
        book.tick_price_of = value
        return price

    def _next_venue_id(self) -> str:
        self._venue_seq += 1
        return f"sim-{self._venue_seq}"

    @staticmethod
    def _rises(request: OrderRequest) -> bool:
        """Does this conditional trigger on a rise? A buy stop-loss or a sell take-profit does."""
        return (request.side is Side.BUY) == (request.trigger is TriggerKind.STOP_LOSS)

    def _admission_error(self, book: _Book, request: OrderRequest) -> str | None:
        inst = book.instrument
        last = book.last_price
        trigger_price = request.trigger_price
        rounded = False  # is `ref` the last price put on the tick? Then its tick test cannot fail
        if trigger_price is not None:
            ref: Decimal | None = trigger_price
        elif request.order_type is OrderType.LIMIT:
            ref = request.price
        elif last is not None:  # round_price(last), made from the float `last` was made from
            ref, rounded = self._price_on_tick(book, book.last_float), True
        else:
            ref = None
        if ref is None:
            return "10001: no market price yet for a market order"
        market = request.order_type is OrderType.MARKET
        qty = request.qty
        passed = book.market_qty_passed
        qty_passes = market and passed.get(id(qty)) is qty
        problem = inst.check_order_knowing(qty, ref, market, request.reduce_only, qty_passes, rounded)
        if problem is not None:
            return f"10001: {problem}"
        if market and not qty_passes:
            if len(passed) >= _QTY_PASSED_LIMIT:
                passed.clear()
            passed[id(qty)] = qty
        # Each price checked in a call of its own: a tuple of (name, value) pairs was made for every order. The
        # price `check_order` just tested (the limit price, or the trigger) is on the tick, so is not tested again.
        tick = inst.tick_size
        off_tick = (_off_tick("price", request.price if request.price is not ref else None, tick)
                    or _off_tick("trigger_price", trigger_price if trigger_price is not ref else None, tick)
                    or _off_tick("stop_loss", request.stop_loss, tick)
                    or _off_tick("take_profit", request.take_profit, tick))
        if off_tick is not None:
            return off_tick
        position = book.position.qty
        buy = request.side is Side.BUY
        # Flat, or on the order's side, the position decides nothing: only its sign is read, once.
        against = bool(position) and (position > ZERO) != buy
        if request.reduce_only:
            if not against:
                return "110017: reduce-only rule not satisfied (no position on the other side)"
            return None
        last = last or ref
        # Each side's test written out: a Decimal times the side's sign, an int, converted the int every time.
        if request.stop_loss is not None and (request.stop_loss >= last if buy else request.stop_loss <= last):
            return f"10001: stop loss {request.stop_loss} must be on the losing side of {last} for a {request.side}"
        if request.take_profit is not None and (request.take_profit <= last if buy else request.take_profit >= last):
            return f"10001: take profit {request.take_profit} must be on the winning side of {last}"
        if (request.order_type is OrderType.LIMIT and request.time_in_force is TimeInForce.POST_ONLY
                and (ref >= last if buy else ref <= last)):
            return "EC_PostOnlyWillTakeLiquidity"
        # Isolated margin: the part of the order that adds exposure needs initial margin + taker fee. Against the
        # position, only what exceeds it adds (`max(0, qty - |position|)`, written out); the rest closes.
        held = ZERO
        if against:
            held = abs(position)
            excess = qty - held
            adds = excess if excess > ZERO else ZERO
        else:
            adds = qty
        if adds:
            notional = adds * ref  # the same product both terms had each made
            need = notional / book.leverage + notional * self._taker
            free = self.balance - self._locked_margin()
            if adds is not qty:  # the closing part, all the position (qty - adds, the same number), pays its fee too
                free -= held * ref * self._taker
            if need > free:
                return f"110007: available balance {free:.2f} is below the {need:.2f} this order needs"
        return None

    def _locked_margin(self) -> Decimal:
        """The margin of every open position, summed in the books' order (the position book's). The first is the
        sum so far, not zero plus it: an addition saved for the commonest case, one open position."""
        total: Decimal | None = None
        for book in self._books.values():
            pos = book.position
            if not pos.qty:
                continue
            cost = pos.cost
            if book.margin_of is not cost:
                book.margin, book.margin_of = cost / book.leverage, cost
            total = book.margin if total is None else total + book.margin
        return ZERO if total is None else total

    def _slipped(self, inst: Instrument, price: Decimal, side: Side) -> Decimal:
        if not self._slip:
            return price
        if side is Side.BUY:
            return inst.round_price(price * (ONE + self._slip), ROUND_CEILING)
        return inst.round_price(price * (ONE - self._slip), ROUND_FLOOR)

    def _count_ambiguous(self, book: _Book, qty: Decimal, o: Decimal, h: Decimal, lo: Decimal) -> None:
        adverse = favourable = False
        for live in book.conditionals:
            level = live.request.trigger_price
            assert level is not None
            touched_at_open = (o >= level) if self._rises(live.request) else (o <= level)
            touched = (h >= level) if self._rises(live.request) else (lo <= level)
            if touched and not touched_at_open:
                if live.request.trigger is TriggerKind.STOP_LOSS:
                    adverse = True
                else:
                    favourable = True
        if book.liquidation_price is not None:
            liq = book.liquidation_price
            adverse = adverse or ((lo <= liq < o) if qty > ZERO else (h >= liq > o))
        if adverse and favourable:
            self.stats.ambiguous_bars += 1

    def _walk(self, book: _Book, ts: int, start: Decimal, end: Decimal) -> None:
        """Move the price from `start` to `end`, acting on each level crossed, nearest first.

        `start == end` is the opening print: everything the open already crossed acts at the open.
        """
        if start == end:
            for falling in (True, False):
                while (hit := self._next_hit(book, ts, start, start, falling, gap=True)) is not None:
                    self._act(book, ts, *hit)
            return
        falling = end < start
        cursor = start
        while (hit := self._next_hit(book, ts, cursor, end, falling, gap=False)) is not None:
            self._act(book, ts, *hit)
            cursor = hit[2]

    def _act(self, book: _Book, ts: int, kind: str, live: _Live | None, level: Decimal) -> None:
        if kind == "liq":
            self._liquidate(book, ts)
        elif kind == "cond":
            assert live is not None
            self._trigger(book, live, level, ts)
        else:
            assert live is not None and live.request.price is not None
            self._execute(book, live, live.remaining, live.request.price, self._maker, LiquidityRole.MAKER, ts)

    def _next_hit(self, book: _Book, ts: int, cursor: Decimal, end: Decimal, falling: bool,
                  gap: bool) -> tuple[str, _Live | None, Decimal] | None:
        """The nearest level between `cursor` and `end` (or, for the open, beyond it) and what sits there."""
        best: tuple[str, _Live | None, Decimal] | None = None

        def reached(level: Decimal, strict: bool) -> bool:
            if gap:  # the open printed at `cursor`: levels at or beyond it were crossed by the gap
                if strict:
                    return level > cursor if falling else level < cursor
                return level >= cursor if falling else level <= cursor
            inside = end <= level <= cursor if falling else cursor <= level <= end
            if strict and level == end:
                return False
            return inside

        def nearer(level: Decimal) -> bool:
            return best is None or (level > best[2] if falling else level < best[2])

        for live in book.conditionals:
            level = live.request.trigger_price
            assert level is not None
            if self._rises(live.request) == falling:
                continue
            if live.born_ts == ts and live.request.trigger is TriggerKind.TAKE_PROFIT:
                continue  # placed intrabar by an entry fill: only its stop may act in this bar
            if reached(level, strict=False):
                fill_at = cursor if gap else level
                if nearer(fill_at):
                    best = ("cond", live, fill_at)
        for live in book.limits:
            level = live.request.price
            assert level is not None
            if (live.request.side is Side.BUY) != falling:
                continue
            if reached(level, strict=self._through) and nearer(level):
                best = ("limit", live, level)
        liq = book.liquidation_price
        qty = book.position.qty
        if liq is not None and qty and (qty > ZERO) == falling and reached(liq, strict=False):
            fill_at = cursor if gap else liq
            if best is None or (fill_at > best[2] if falling else fill_at < best[2]):
                best = ("liq", None, fill_at)  # a stop at the same level goes first
        return best

    def _trigger(self, book: _Book, live: _Live, level: Decimal, ts: int) -> None:
        book.conditionals.remove(live)
        self._status[live.request.client_id] = _known(OrderStatus.NEW, live.filled)
        self._events.append(OrderTriggered(ts, live.request.client_id))
        price = self._slipped(book.instrument, level, live.request.side)
        self._execute(book, live, live.remaining, price, self._taker, LiquidityRole.TAKER, ts)

    def _execute(self, book: _Book, live: _Live, qty: Decimal, price: Decimal, fee_rate: Decimal,
                 role: LiquidityRole, ts: int) -> None:
        request = live.request
        symbol = request.symbol
        position = book.position.qty
        if request.reduce_only:
            if not position or (position > ZERO) == (request.side is Side.BUY):
                self._remove(book, live)
                self._finish(live, OrderStatus.CANCELLED, ts, "CancelByReduceOnly")
                return
            if qty > abs(position):
                # Bybit shrinks a reduce-only order to the position; say so, so books agree on its size.
                qty = abs(position)
                live.request = dataclasses.replace(live.request, qty=live.filled + qty)
                request = live.request
                self._events.append(OrderAmended(ts, request.client_id, request.qty, None, None))
        fee = qty * price * fee_rate
        self._exec_seq += 1
        fill = Fill(f"{live.venue_id}-e{self._exec_seq}", request.client_id, symbol, request.side, qty, price,
                    fee, role, ts)
        outcome = self._positions.apply_fill(fill, with_trades=False)  # the exchange keeps no trade list
        self.balance += outcome.realised - fee
        first = not live.filled
        filled = live.filled = qty if first else live.filled + qty  # the fill's own qty, when the first
        # An unfilled order fills its request's own qty object (`remaining`): equal by identity, not compared.
        done = filled is request.qty or filled == request.qty
        self._status[request.client_id] = _known(OrderStatus.FILLED if done else OrderStatus.PARTIALLY_FILLED,
                                                 filled)
        self._events.append(OrderFilled(ts, fill))
        if done:
            self._remove(book, live)
        after = book.position.qty
        if not after:
            self._clear_protection(book, ts)
            book.liquidation_price = None
            return
        long = after > ZERO
        if position and long != (position > ZERO):  # flipped
            self._clear_protection(book, ts)
        size = after if long else -after  # abs(after), its sign read once for the protection and the liquidation
        if (request.stop_loss is not None or request.take_profit is not None) and first:
            self._attach_protection(book, live, shared_decimal(size), ts)
        self._set_liquidation(book, size, long)

    def _remove(self, book: _Book, live: _Live) -> None:
        """Take `live` off whichever queue holds it (a market order or a triggered one was taken off already)."""
        if not _discard(book.market, live) and not _discard(book.limits, live):
            _discard(book.conditionals, live)

    def _finish(self, live: _Live, status: OrderStatus, ts: int, reason: str) -> None:
        self._status[live.request.client_id] = _known(status, live.filled)
        self._events.append(OrderCancelled(ts, live.request.client_id, reason))

    def _clear_protection(self, book: _Book, ts: int) -> None:
        """The position closed or flipped: its reduce-only orders go, as Bybit's TP/SL clear does."""
        self._cancel_reduce_only(book.conditionals, ts)
        self._cancel_reduce_only(book.limits, ts)

    def _cancel_reduce_only(self, queue: list[_Live], ts: int) -> None:
        """Cancel the reduce-only orders of one queue, in order, walking it in place (no copy of it)."""
        i = 0
        while i < len(queue):
            live = queue[i]
            if live.request.reduce_only:
                del queue[i]
                self._finish(live, OrderStatus.CANCELLED, ts, "CancelByTpSlTsClear")
            else:
                i += 1

    def _attach_protection(self, book: _Book, parent: _Live, qty: Decimal, ts: int) -> None:
        """Place the entry's stop and take-profit, sized to the position it opened (Bybit's Full mode)."""
        request = parent.request
        exit_side = Side.SELL if request.side is Side.BUY else Side.BUY
        # One call each: a loop over (kind, tag, price, suffix) tuples built the tuples at every fill.
        if request.stop_loss is not None:
            self._attach(book, request, exit_side, TriggerKind.STOP_LOSS, _STOP_TAG, request.stop_loss, "s", qty, ts)
        if request.take_profit is not None:
            self._attach(book, request, exit_side, TriggerKind.TAKE_PROFIT, _TAKE_TAG, request.take_profit, "t",
                         qty, ts)

    def _attach(self, book: _Book, parent: OrderRequest, side: Side, kind: TriggerKind, tag: str, price: Decimal,
                suffix: str, qty: Decimal, ts: int) -> None:
        """Place one reduce-only conditional order of the entry `parent`, reported as the venue's own."""
        child = OrderRequest(
            client_id=f"{parent.client_id}{suffix}",
            symbol=parent.symbol,
            side=side,
            order_type=OrderType.MARKET,
            qty=qty,
            trigger_price=price,
            trigger=kind,
            reduce_only=True,
            time_in_force=TimeInForce.IOC,
            tag=tag,
        )
        live = _Live(child, self._next_venue_id(), born_ts=ts)
        book.conditionals.append(live)
        self._status[child.client_id] = _known(OrderStatus.UNTRIGGERED, ZERO)
        self._events.append(OrderCreatedByVenue(ts, child, parent.client_id, live.venue_id))

    def _update_liquidation(self, book: _Book) -> None:
        """The position's liquidation price, after every fill (the searches need it as soon as it moves)."""
        qty = book.position.qty
        if not qty:
            book.liquidation_price = None
            return
        long = qty > ZERO
        self._set_liquidation(book, qty if long else -qty, long)

    def _set_liquidation(self, book: _Book, size: Decimal, long: bool) -> None:
        """The liquidation price of the open position, of `size` (its |qty|) on the `long` side or the short."""
        entry = book.position.cost / size  # `Position.entry_price`, with the |qty| the caller has
        factors = book.liquidation_factors
        if factors is None:  # the leverage changes only while flat: the factors serve every fill until it does
            mmr = book.instrument.maintenance_margin_rate
            factors = book.liquidation_factors = (liquidation_factor(book.leverage, mmr, long=True),
                                                  liquidation_factor(book.leverage, mmr, long=False))
        book.liquidation_long = long
        if long:
            book.liquidation_price = book.instrument.round_price(entry * factors[0], ROUND_CEILING)
        else:
            book.liquidation_price = book.instrument.round_price(entry * factors[1], ROUND_FLOOR)

    def _bankruptcy_price(self, book: _Book) -> Decimal:
        """Where a liquidation closes the position: worked out only then. Only a fill moves the entry price and
        the leverage cannot change while a position is open, so it is the price of the last fill's time."""
        pos = book.position
        inv_lev = ONE / book.leverage
        if pos.qty > ZERO:
            return book.instrument.round_price(pos.entry_price * (ONE - inv_lev), ROUND_FLOOR)
        return book.instrument.round_price(pos.entry_price * (ONE + inv_lev), ROUND_CEILING)

    def _liquidate(self, book: _Book, ts: int) -> None:
        symbol = book.instrument.symbol
        pos = book.position
        liq, price = book.liquidation_price, self._bankruptcy_price(book)
        assert liq is not None
        side = Side.SELL if pos.qty > ZERO else Side.BUY
        self._exec_seq += 1
        self._venue_seq += 1
        fill = Fill(f"liq-{self._venue_seq}-e{self._exec_seq}", f"liq-{self._venue_seq}", symbol, side,
                    abs(pos.qty), price, ZERO, LiquidityRole.TAKER, ts)
        outcome = self._positions.apply_fill(fill, with_trades=False)  # the exchange keeps no trade list
        self.balance += outcome.realised
        self.stats.liquidations += 1
        self._events.append(PositionLiquidated(ts, fill, liq))
        self._clear_protection(book, ts)
        self._update_liquidation(book)
