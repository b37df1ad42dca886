"""The pre-trade gate: every intent passes here before it may become an order, in every venue.

`assess` runs the checks in a fixed order and stops at the first that fails; each applied check is
recorded as a `RiskCheck` so any decision can be explained afterwards:

    halt -> max_open_positions -> correlation -> stop -> sizing -> loss_streak -> leverage
         -> margin_cap -> liquidation -> exchange_filters

The leverage clamp is applied before the margin cap because the margin of a quantity depends on it.
With `enabled=False` only stop, sizing, leverage (the exchange's maximum) and exchange filters apply.

Sizing notes:
- Risk is measured from the intent's reference price to the stop price. The stop is put on the tick
  by rounding TOWARD entry (it is never further than the strategy asked), and the quantity is sized
  from that rounded distance, then rounded DOWN to the qty step, so `qty * |entry - stop|` never
  exceeds the risk budget. Measured from an entry rounded to the nearest tick, the loss at the stop
  is at most budget + qty * tick / 2.
- A reversal (intent against the held side) does not count as a new position and its size is that
  of the new side alone; the engine adds the closing quantity to the order. Because that is one
  market order, the new side is capped so the whole order stays within the market-order maximum.
- An add (intent on the held side) does not count as a new position either; the margin cap and the
  liquidation check then apply to the combined position.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any, Final

from perpbot.model import Instrument, Intent, RiskDecision
from perpbot.model.checks import CheckLog, DeferredCheckLog
from perpbot.model.instrument import liquidation_factor, shared_decimal
from perpbot.risk._format import decimal_of, finite, fmt
from perpbot.risk.breakers import BreakerEvent, CircuitBreakers, iso_utc
from perpbot.risk.config import RiskConfig
from perpbot.risk.correlation import from_window_sums, judge_pair, pearson_many, repeats_exposure
from perpbot.risk.liquidation import stop_inside_liquidation
from perpbot.risk.portfolio import PortfolioView, PositionView
from perpbot.risk.sizing import (
    clamp_leverage,
    equity_fraction_qty,
    fixed_notional_qty,
    margin_cap_qty,
    price_from_floats,
    quantise_qty,
    risk_qty,
    stop_price,
    take_profit_price,
)
from perpbot.risk.streaks import LossStreak

ZERO: Final = Decimal(0)
# A check as assess records it: (name, passed, what it found); a decision keeps them as one CheckLog.
_Check = tuple[str, bool, str]
# Checks whose verdict never varies are shared values, not made again for every decision.
_NOT_HALTED: Final[_Check] = ("halt", True, "not halted")
_FULL_SIZE: Final[_Check] = ("loss_streak", True, "full size")
_NO_OTHERS: Final[_Check] = ("correlation", True, "no other open positions")
_NOT_LIMITED: Final[_Check] = ("correlation", True, "max_correlation is 1: correlation is not limited")
_ONE: Final = Decimal(1)
_HUNDRED: Final = Decimal(100)
STATE_VERSION: Final = 1


def _pct(value: float) -> Decimal:
    """A config percentage as an exact fraction: 1.0 -> 0.01."""
    return decimal_of(value) / _HUNDRED


class RiskManager:
    """Sizes intents and gates them with the configured limits; owns the breakers and the loss streak."""

    __slots__ = (
        "_base",
        "_buffer_fraction",
        "_by_regime",
        "_corr_lookback",
        "_corr_min_points",
        "_enabled",
        "_leverage",
        "_max_corr",
        "_sizing",
        "breakers",
        "config",
        "streak",
    )

    def __init__(self, config: RiskConfig | None = None) -> None:
        cfg = config if config is not None else RiskConfig()
        self.config = cfg
        # Decimals and plain values precomputed once: assess runs for every order of a backtest.
        self._enabled = cfg.enabled
        self._sizing = cfg.sizing
        self._base = _Limits(cfg, "")
        self._by_regime = {regime: _Limits(cfg.for_regime(regime), regime) for regime in cfg.by_regime}
        self._buffer_fraction = _pct(cfg.liquidation_buffer_pct)
        self._max_corr = float(cfg.max_correlation)
        self._corr_lookback = cfg.correlation_lookback
        self._corr_min_points = cfg.correlation_min_points
        self._leverage: dict[str, _Leverage] = {}  # by symbol: see `_leverage_terms`
        self.breakers = CircuitBreakers(cfg.max_daily_loss_pct, cfg.max_drawdown_pct)
        self.streak = LossStreak(
            cfg.loss_streak_start, cfg.loss_streak_factor, cfg.min_size_factor, cfg.win_recovery_step
        )

    def limits_for(self, regime: str) -> dict[str, Any]:
        """The per-order limits an intent in `regime` is sized and gated with (for monitors and sessions)."""
        return (self._by_regime.get(regime) or self._base).describe()

    # ------------------------------------------------------------------ the gate
    def assess(self, intent: Intent, portfolio: PortfolioView, ts: int) -> RiskDecision:
        """Approve and size `intent`, or reject it with the reason; `ts` is the decision time (ms).

        An approved decision's checks are written when first read (`DeferredCheckLog`): `assess` keeps what it
        read of the account and of its own state (`_GateInputs`), and the gate runs again on that to write them,
        equal to what it would have written now. A backtest takes tens of thousands of decisions, and writing
        their texts was a tenth of its time; most are never read. A rejection writes them at once.
        """
        symbol = intent.symbol
        direction = int(intent.direction)
        if direction == 0:
            return _reject([], "intent", f"{symbol}: the intent is flat, there is nothing to size")
        enabled = self._enabled
        limits = self._by_regime.get(intent.regime, self._base)
        if enabled and self.breakers.halted:
            since = self.breakers.halted_since
            reason = f"trading halted: {self.breakers.halt_reason} since {iso_utc(since or 0)}"
            return _reject([], "halt", reason)

        positions = portfolio.positions()
        existing = positions.get(symbol)
        held = existing.qty if existing is not None else ZERO
        open_count = 0
        correlation: _Check | _PassedCorrelation = _NO_OTHERS
        if enabled:
            others = [p for s, p in positions.items() if s != symbol and p.qty != ZERO]
            open_count = len(others)
            if held == ZERO and open_count >= limits.max_open:
                names = ", ".join(sorted(p.symbol for p in others))
                return _reject(
                    self._opening_checks(limits, symbol, direction, held, None), "max_open_positions",
                    f"max open positions reached: {open_count} of {limits.max_open} open ({names})",
                )
            correlation = self._correlation(symbol, direction, others, portfolio)
            if isinstance(correlation, tuple) and not correlation[1]:
                return _reject(self._opening_checks(limits, symbol, direction, held, open_count), "correlation",
                               correlation[2])
        # Risk and equity-fraction sizing, and the margin cap, are all relative to a positive equity. Only they
        # read it: it marks every open position, which a fixed size with the gate off never needs.
        equity = portfolio.equity() if enabled or self._sizing in {"risk", "equity_fraction"} else None
        same_side = held > ZERO if direction > 0 else held < ZERO
        inputs = _GateInputs(
            self, intent, limits, portfolio.instrument(symbol), held,
            existing.entry_price if same_side and existing is not None else None, equity,
            portfolio.leverage(symbol), self.streak.losses, self.streak.factor, open_count, correlation,
        )
        decision = self._gate(inputs, explain=False)
        return decision if decision.approved else self._gate(inputs, explain=True)

    def _opening_checks(self, limits: _Limits, symbol: str, direction: int, held: Decimal,
                        open_count: int | None) -> list[_Check]:
        """The checks before the correlation gate, as they read for a decision that got past them (without the
        open-positions check when `open_count` is None: that one failed)."""
        checks: list[_Check] = []
        enabled = self._enabled
        if enabled:
            checks.append(_NOT_HALTED)
        if limits is not self._base:
            checks.append(("regime_limits", True, limits.note))
        if enabled and open_count is not None:
            if held != ZERO:
                checks.append((
                    "max_open_positions", True,
                    f"{symbol} is already open ({'add' if held * direction > 0 else 'reversal'}): not a new position",
                ))
            else:
                checks.append((
                    "max_open_positions", True, f"{open_count} of {limits.max_open} open before this one"
                ))
        return checks

    def _gate(self, inputs: _GateInputs, *, explain: bool) -> RiskDecision:
        """The gate from the correlation check on, on what `assess` read. With `explain` it writes every check's
        text; without, only a rejection's reason (and then runs again with `explain` for the rest)."""
        intent, limits = inputs.intent, inputs.limits
        symbol = intent.symbol
        direction = int(intent.direction)
        enabled = self._enabled
        long = direction > 0
        held = inputs.held
        checks: list[_Check] = []
        if explain:
            checks = self._opening_checks(limits, symbol, direction, held, inputs.open_count)
            if enabled:
                passed = inputs.correlation
                checks.append(passed if isinstance(passed, tuple) else passed.check())

        ref = intent.reference_price
        if not (finite(ref) and ref > 0):
            return _reject(checks, "price", f"{symbol}: reference price must be a positive finite number, was {ref}")
        instrument = inputs.instrument
        entry = instrument.price_of(ref)

        # Stop: from the intent, else the default percentage; on the tick, rounded toward entry. The intent's
        # distance is a float: the stop comes from floats when they settle it, and its Decimal is written only
        # for the texts.
        raw_distance = intent.stop_distance
        distance: Decimal | None = None
        quick: Decimal | None = None
        if raw_distance is not None and finite(raw_distance) and raw_distance > 0:
            quick = price_from_floats(instrument, ref, raw_distance, below=long)
            if quick is None or explain:
                distance = decimal_of(raw_distance)
            source = "intent"
        else:
            distance = entry * limits.default_stop_fraction
            source = limits.default_stop_text
        if quick is not None:
            stop = quick
        else:
            assert distance is not None
            stop = stop_price(instrument, entry, distance, long=long)
        risk_per_unit = entry - stop if long else stop - entry
        if stop <= ZERO or risk_per_unit <= ZERO:
            if distance is None:
                assert raw_distance is not None
                distance = decimal_of(raw_distance)
            return _reject(
                checks, "stop",
                f"{symbol}: stop distance {fmt(distance)} ({source}) gives no usable stop from entry {fmt(entry)} "
                f"on tick {str(instrument.tick_size)} (stop {str(stop)})",
            )
        take_profit, tp_note = _take_profit(instrument, ref, entry, intent.take_profit_distance, long)
        if explain:
            checks.append((
                "stop", True,
                f"stop {str(stop)} ({source} distance {str(distance)}, {str(risk_per_unit)} from entry {str(entry)} "
                f"after rounding toward entry){tp_note}",
            ))

        # Sizing.
        sizing = self._sizing
        equity = inputs.equity if inputs.equity is not None else ZERO
        if inputs.equity is not None and not (equity.is_finite() and equity > 0):
            return _reject(checks, "sizing", f"equity must be positive to size a position, was {fmt(equity)}",
                           stop=stop, take_profit=take_profit)
        sizing_detail = ""
        if sizing == "risk":
            qty = risk_qty(equity, limits.risk_fraction, risk_per_unit)
            if explain:
                budget = equity * limits.risk_fraction
                sizing_detail = (f"risk {str(budget)} USDT ({limits.risk_pct_text} of equity {str(equity)}) "
                                 f"/ {str(risk_per_unit)} per unit = {fmt(qty)}")
        elif sizing == "fixed_qty":
            qty = limits.fixed_qty or ZERO
            if explain:
                sizing_detail = f"fixed qty {str(qty)}"
        elif sizing == "fixed_notional":
            notional = limits.fixed_notional or ZERO
            qty = fixed_notional_qty(notional, entry)
            if explain:
                sizing_detail = f"fixed notional {str(notional)} USDT / {str(entry)} = {fmt(qty)}"
        else:
            fraction = limits.equity_fraction or ZERO
            qty = equity_fraction_qty(equity, fraction, entry)
            if explain:
                sizing_detail = (f"{limits.equity_fraction_pct:g}% of equity {str(equity)} / {str(entry)} "
                                 f"= {fmt(qty)}")
        if explain:
            checks.append(("sizing", True, sizing_detail))

        if enabled:
            factor = inputs.factor
            if factor != _ONE:
                qty *= factor
                if explain:
                    checks.append((
                        "loss_streak", True,
                        f"{inputs.losses} consecutive losses: size x {str(factor)} = {fmt(qty)}",
                    ))
            elif explain:
                checks.append(_FULL_SIZE)

        # Leverage: configured, at most the config's (when enabled) and the exchange's maximum.
        configured = inputs.configured
        terms = self._leverage_terms(symbol, configured, limits.max_leverage if enabled else configured, instrument)
        leverage = terms.leverage
        if leverage <= ZERO:
            return _reject(checks, "leverage", f"{symbol}: leverage must be positive, was {str(configured)}",
                           stop=stop, take_profit=take_profit)
        if explain:
            checks.append((
                "leverage", True,
                f"{str(leverage)}x" if leverage == configured else
                f"{str(leverage)}x (configured {str(configured)}x clamped to the maximum)",
            ))

        same_side = held > ZERO if direction > 0 else held < ZERO
        if enabled:
            cap = margin_cap_qty(equity, limits.max_margin_fraction, leverage, entry)
            room = cap - abs(held) if same_side else cap
            if room <= ZERO:
                return _reject(
                    checks, "margin_cap",
                    f"{symbol}: the open position of {fmt(abs(held))} already uses the margin cap of "
                    f"{limits.margin_pct_text} of equity (qty {fmt(cap)} at {str(leverage)}x)",
                    stop=stop, take_profit=take_profit, leverage=leverage,
                )
            if qty > room:
                if explain:
                    checks.append((
                        "margin_cap", True,
                        f"qty {fmt(qty)} capped to {fmt(room)}: margin at most "
                        f"{limits.margin_pct_text} of equity at {str(leverage)}x",
                    ))
                qty = room
            elif explain:
                checks.append((
                    "margin_cap", True, f"qty {fmt(qty)} within the cap {fmt(room)} ({limits.margin_pct_text} margin)"
                ))

        # One market order carries a reversal's closing qty too; keep the whole order within the maximum.
        market_room = instrument.max_market_qty - (ZERO if same_side else abs(held))
        market_note = ""
        if qty > market_room > ZERO:
            if explain:
                market_note = f"; capped {fmt(qty)} to the market-order maximum {fmt(market_room)}"
            qty = market_room
        sized = qty
        qty = quantise_qty(instrument, qty)

        if enabled:
            position_qty = abs(held) + qty if same_side else qty
            position_entry = entry
            existing_entry = inputs.existing_entry
            if same_side and position_qty > ZERO and existing_entry is not None:
                position_entry = (abs(held) * existing_entry + qty * entry) / position_qty
            liq = position_entry * terms.liquidation_factor(long)  # = liquidation_price(position_entry, leverage, ...)
            unsafe = stop_inside_liquidation(stop, position_entry, liq, self._buffer_fraction, long=long)
            if unsafe is not None:
                return _reject(checks, "liquidation", f"{symbol}: {unsafe}",
                               stop=stop, take_profit=take_profit, leverage=leverage)
            if explain:
                checks.append((
                    "liquidation", True, f"stop {str(stop)} inside the liquidation price {fmt(liq)} with the buffer"
                ))

        problem = _exchange_problem(instrument, qty, sized, entry, market_room)
        if problem is not None:
            return _reject(checks, "exchange_filters", f"{symbol}: {problem}",
                           stop=stop, take_profit=take_profit, leverage=leverage)
        qty = shared_decimal(qty)  # every order, fill and trade of the decision keeps it
        if not explain:
            return RiskDecision(True, qty, stop, take_profit, leverage, (), DeferredCheckLog(inputs))
        checks.append(("exchange_filters", True, f"qty {str(qty)} passes the filters{market_note}"))
        return RiskDecision(True, qty, stop, take_profit, leverage, (), _check_log(checks))

    def _leverage_terms(self, symbol: str, configured: Decimal, limit: Decimal, instrument: Instrument) -> _Leverage:
        """The clamped leverage of `symbol` and its liquidation factors, kept while the same Decimals come in: a
        symbol's configured leverage, the limits and the instrument are the same objects decision after decision,
        and working them out again was two percent of a backtest's loop."""
        terms = self._leverage.get(symbol)
        if terms is None or not terms.made_of(configured, limit, instrument):
            terms = self._leverage[symbol] = _Leverage(configured, limit, instrument)
        return terms

    def _correlation(self, symbol: str, direction: int, others: list[PositionView],
                     portfolio: PortfolioView) -> _Check | _PassedCorrelation:
        """The correlation check against the open positions; failed, its text is the rejection's reason. A passed
        measurement writes its text when read (`_PassedCorrelation`)."""
        if not others:
            return _NO_OTHERS
        if self._max_corr >= 1.0:  # no correlation can exceed 1: skip the measurement, it cannot fail
            return _NOT_LIMITED
        lookback, min_points, limit = self._corr_lookback, self._corr_min_points, self._max_corr
        sums = portfolio.returns_sums([symbol, *[pos.symbol for pos in others]], lookback)
        measured = from_window_sums(sums, min_points) if sums is not None else None
        if measured is None:  # unequal histories, or a NaN or inf to drop: pair by pair
            measured = pearson_many(portfolio.returns(symbol, lookback),
                                    [portfolio.returns(pos.symbol, lookback) for pos in others], min_points)
        sides: list[tuple[str, int]] = []
        for pos, (corr, points) in zip(others, measured, strict=True):
            side = 1 if pos.qty > ZERO else -1
            if repeats_exposure(direction, side, corr, limit):
                failed = judge_pair(symbol, direction, pos.symbol, side, corr, points, limit, min_points)
                return ("correlation", False, failed.detail)
            sides.append((pos.symbol, side))
        return _PassedCorrelation(symbol, direction, sides, measured, limit, min_points)

    # ------------------------------------------------------------------ feedback from the engine
    def on_equity(self, ts: int, equity: Decimal) -> list[BreakerEvent]:
        """Feed a mark-to-market equity; returns breakers that trip now (close everything on any)."""
        if not self._enabled:
            return []
        return self.breakers.on_equity(ts, equity)

    def on_equity_float(self, ts: int, equity: float) -> list[BreakerEvent]:
        """`on_equity` of a float mark (as a Decimal of its shortest repr, made only when it can matter)."""
        if not self._enabled:
            return []
        return self.breakers.on_equity_float(ts, equity)

    def on_trade_closed(self, net_pnl: Decimal) -> Decimal:
        """Feed a closed trade's net PnL; returns the new size factor."""
        return self.streak.on_trade_closed(net_pnl)

    @property
    def halted(self) -> bool:
        """True while a breaker is latched (with `enabled=False`, assess ignores it)."""
        return self.breakers.halted

    @property
    def halt_reason(self) -> str | None:
        return self.breakers.halt_reason

    @property
    def size_factor(self) -> Decimal:
        return self.streak.factor

    def daily_floor(self, day_start_equity: float | Decimal) -> float:
        """Equity below this trips the daily-loss breaker; for a vectorised first-breach search."""
        return self.breakers.daily_floor(day_start_equity)

    def drawdown_floor(self, peak: float | Decimal) -> float:
        """Equity below this trips the drawdown breaker; for a vectorised first-breach search."""
        return self.breakers.drawdown_floor(peak)

    def halt(self, ts: int, reason: str) -> BreakerEvent:
        """Latch a halt for an engine reason (e.g. reconciliation found something it cannot explain)."""
        return self.breakers.halt(ts, reason)

    def reset(self, by: str, ts: int, equity: Decimal | None = None) -> None:
        """A person clears the halt; see `CircuitBreakers.reset`."""
        self.breakers.reset(by, ts, equity)

    def state(self) -> dict[str, Any]:
        """Breakers and loss streak as a JSON-able dict, to survive a restart."""
        return {"version": STATE_VERSION, "breakers": self.breakers.state(), "streak": self.streak.state()}

    def restore(self, state: dict[str, Any]) -> None:
        version = state.get("version")
        if version != STATE_VERSION:
            raise ValueError(f"risk state version must be {STATE_VERSION}, was {version!r}")
        if "breakers" not in state or "streak" not in state:
            raise ValueError(f"risk state needs 'breakers' and 'streak', had {sorted(state)}")
        self.breakers.restore(state["breakers"])
        self.streak.restore(state["streak"])


class _GateInputs:
    """What one decision read of the account and of the manager's own state. With the intent and the limits the
    gate's outcome follows from these alone, so its checks can be written again later, as they read then."""

    def __init__(self, manager: RiskManager, intent: Intent, limits: _Limits, instrument: Instrument,
                 held: Decimal, existing_entry: Decimal | None, equity: Decimal | None, configured: Decimal,
                 losses: int, factor: Decimal, open_count: int, correlation: _Check | _PassedCorrelation) -> None:
        self.manager = manager
        self.intent = intent
        self.limits = limits
        self.instrument = instrument
        self.held = held  # the symbol's signed position before the order
        self.existing_entry = existing_entry  # its entry price, when the intent adds to it
        self.equity = equity  # None when nothing needed it
        self.configured = configured  # the symbol's configured leverage
        self.losses = losses  # the loss streak and its size factor
        self.factor = factor
        self.open_count = open_count  # other open positions
        self.correlation = correlation  # the correlation check as it passed

    def explain(self) -> CheckLog:
        """The checks of the decision these inputs made, written out."""
        checks = self.manager._gate(self, explain=True).checks
        assert isinstance(checks, CheckLog)
        return checks


class _PassedCorrelation:
    """A correlation check that passed, its text written when read: the text has a note for every open position,
    formatted numbers included, and most decisions' checks are never read (see `RiskManager.assess`)."""

    __slots__ = ("_direction", "_limit", "_measured", "_min_points", "_others", "_symbol")

    def __init__(self, symbol: str, direction: int, others: list[tuple[str, int]],
                 measured: list[tuple[float | None, int]], limit: float, min_points: int) -> None:
        self._symbol = symbol
        self._direction = direction
        self._others = others  # (symbol, side) of each open position, as they stood
        self._measured = measured  # (correlation, points) against each
        self._limit = limit
        self._min_points = min_points

    def check(self) -> _Check:
        notes = [judge_pair(self._symbol, self._direction, other, side, corr, points, self._limit,
                            self._min_points).detail
                 for (other, side), (corr, points) in zip(self._others, self._measured, strict=True)]
        return ("correlation", True, "; ".join(notes))


class _Leverage:
    """A symbol's leverage as the gate clamps it (configured, at most the limit and the exchange's maximum), and
    the liquidation price's factor at it for each side (`instrument.liquidation_factor`), made when first asked."""

    __slots__ = ("_configured", "_instrument", "_limit", "_long", "_short", "leverage")

    def __init__(self, configured: Decimal, limit: Decimal, instrument: Instrument) -> None:
        self._configured = configured
        self._limit = limit
        self._instrument = instrument
        self.leverage = clamp_leverage(configured, limit, instrument)
        self._long: Decimal | None = None
        self._short: Decimal | None = None

    def made_of(self, configured: Decimal, limit: Decimal, instrument: Instrument) -> bool:
        """Were these terms made from these very objects? (Identity: a Decimal is never changed, only replaced.)"""
        return configured is self._configured and limit is self._limit and instrument is self._instrument

    def liquidation_factor(self, long: bool) -> Decimal:
        factor = self._long if long else self._short
        if factor is None:
            factor = liquidation_factor(self.leverage, self._instrument.maintenance_margin_rate, long=long)
            if long:
                self._long = factor
            else:
                self._short = factor
        return factor


class _Limits:
    """Per-order limits of one effective config (the base, or a regime's), precomputed as Decimals."""

    __slots__ = ("default_stop_fraction", "default_stop_text", "equity_fraction", "equity_fraction_pct",
                 "fixed_notional", "fixed_qty", "margin_pct_text", "max_leverage", "max_margin_fraction", "max_open",
                 "note", "risk_fraction", "risk_pct_text", "settings")

    def __init__(self, cfg: RiskConfig, regime: str) -> None:
        self.risk_fraction = _pct(cfg.risk_per_trade_pct)
        self.fixed_qty = cfg.fixed_qty
        self.fixed_notional = cfg.fixed_notional
        self.equity_fraction_pct = cfg.equity_fraction_pct
        self.equity_fraction = _pct(cfg.equity_fraction_pct) if cfg.equity_fraction_pct is not None else None
        self.max_margin_fraction = _pct(cfg.max_position_size_pct)
        max_leverage = decimal_of(cfg.max_leverage)
        self.max_leverage = max_leverage.to_integral_value() if max_leverage % 1 == 0 else max_leverage  # 10, not 10.0
        self.default_stop_fraction = _pct(cfg.default_stop_pct)
        self.max_open = cfg.max_open_positions
        self.risk_pct_text = f"{cfg.risk_per_trade_pct:g}%"
        self.margin_pct_text = f"{cfg.max_position_size_pct:g}%"
        self.default_stop_text = f"default {cfg.default_stop_pct:g}% of entry"
        self.settings: dict[str, Any] = {
            "regime": regime or "base", "risk_per_trade_pct": cfg.risk_per_trade_pct,
            "max_position_size_pct": cfg.max_position_size_pct, "max_open_positions": cfg.max_open_positions,
            "max_leverage": cfg.max_leverage, "default_stop_pct": cfg.default_stop_pct,
        }
        for name in ("fixed_qty", "fixed_notional", "equity_fraction_pct"):
            value = getattr(cfg, name)
            if value is not None:
                self.settings[name] = str(value) if isinstance(value, Decimal) else value
        changed = ", ".join(f"{k} {v}" for k, v in sorted(self.settings.items()) if k != "regime")
        self.note = f"{regime} regime limits: {changed}"

    def describe(self) -> dict[str, Any]:
        return dict(self.settings)


def _check_log(checks: list[_Check]) -> CheckLog:
    return CheckLog.of_parts(tuple([(name, passed) for name, passed, _ in checks]), [text for _, _, text in checks])


def _reject(checks: list[_Check], name: str, reason: str, *, stop: Decimal | None = None,
            take_profit: Decimal | None = None, leverage: Decimal = ZERO) -> RiskDecision:
    checks.append((name, False, reason))
    return RiskDecision(False, ZERO, stop, take_profit, leverage, (reason,), _check_log(checks))


def _take_profit(instrument: Instrument, ref: float, entry: Decimal, raw: float | None,
                 long: bool) -> tuple[Decimal | None, str]:
    """The take-profit price, or None (with a note) when the intent has none or it lands on the wrong side.
    `entry` is `price_of(ref)`; floats settle the price when they can, as for the stop."""
    if raw is None:
        return None, ""
    if not (finite(raw) and raw > 0):
        return None, f"; take-profit distance {raw} ignored"
    price = price_from_floats(instrument, ref, raw, below=not long)
    if price is None:
        price = take_profit_price(instrument, entry, decimal_of(raw), long=long)
    if price <= ZERO or (price <= entry if long else price >= entry):
        return None, f"; take-profit distance {raw} gives no usable price ({str(price)}), ignored"
    return price, f"; take-profit {str(price)}"


def _exchange_problem(instrument: Instrument, qty: Decimal, sized: Decimal, entry: Decimal,
                      market_room: Decimal) -> str | None:
    """Why the quantised qty cannot be sent; sizes below the minimum are rejected, never rounded up."""
    if market_room <= ZERO:
        return f"the reversal's closing qty alone reaches the market-order maximum {str(instrument.max_market_qty)}"
    if qty < instrument.min_qty:
        return (f"sized qty {fmt(sized)} rounds down to {str(qty)} at qtyStep {str(instrument.qty_step)}, "
                f"below minOrderQty {str(instrument.min_qty)}")
    # Entry on the tick (candle data always is): rounding it changes only its exponent, which no check reads
    # unless it fails; so it is rounded only when the check fails, to write the text from the rounded price.
    problem = instrument.check_order(qty, entry, market=True, reduce_only=False)
    if problem is None:
        return None
    return instrument.check_order(qty, instrument.round_price(entry), market=True, reduce_only=False)
