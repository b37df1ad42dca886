"""A paper session in the store: its inputs as they arrive, its live state for `perpbot monitor`, its results
at the end, and an exact resume after a restart.

The engine is deterministic, so the session records what it consumed (every warm-up and live candle,
every funding rate) rather than its internal state; a restart replays those inputs through a fresh engine
and arrives at the very same positions, resting orders, latched halts and ledger, then carries on.

When the regimes switch the strategy set, the session ends and the next one starts (its parent is the one
that ended): each holds the trading done while it ran, and together their inputs are the run's whole
history, which a restart replays session after session.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from decimal import Decimal
from pathlib import Path
from typing import Any

import numpy as np

from perpbot.analytics import breakdowns, compute_metrics
from perpbot.config import PerpbotConfig
from perpbot.data.paths import perpbot_home
from perpbot.engine.clock import Clock, WallClock
from perpbot.engine.paper import CloseReport, PaperEngine
from perpbot.engine.switches import SegmentMarks, StrategySwitch, strategy_label
from perpbot.engine.windows import Candle
from perpbot.errors import StoreError
from perpbot.model import Trade
from perpbot.risk.breakers import iso_utc
from perpbot.runtime.paper import PaperRuntime, RuntimeNotice
from perpbot.sessions.context import engine_context
from perpbot.sessions.frames import SessionFrames, frames_from_parts
from perpbot.sessions.manager import SessionManager
from perpbot.store.repository import SessionRepository


class SessionRecorder:
    """A runtime observer and input listener that keeps one paper session in the store."""

    def __init__(self, manager: SessionManager, config: PerpbotConfig, *, data_label: str, flush_every: int = 50,
                 clock: Clock | None = None, summary_dir: Path | None = None) -> None:
        self.manager = manager
        self.repository: SessionRepository = manager.repository
        self.config = config
        self.data_label = data_label
        self.flush_every = flush_every
        self.clock = clock or WallClock()
        self.summary_dir = summary_dir
        self.session_id: int | None = None
        self.summary_path: Path | None = None
        self._resumed = False
        self.resumed_closes = 0
        self._seq = 0
        self._buffer: list[tuple[Any, ...]] = []
        self._closes_since_flush = 0
        self._marks = SegmentMarks()  # where the current session's records begin in the engine's
        self.resumed_at: int | None = None  # the last close a resume replayed

    # ------------------------------------------------------------------ start: new or resumed
    def prepare(self, engine: PaperEngine, *, resume: bool = True) -> int | None:
        """Before the feed exists: when an unfinished session of this configuration is in the store, replay
        its inputs through `engine` and return the last close replayed (the feed continues after it)."""
        previous = self.repository.find_resumable("paper", self.config.fingerprint()) if resume else None
        if previous is None:
            return None
        self.session_id = previous.id
        self._resumed = True
        self.resumed_at = None
        lineage = self.repository.lineage(previous.id)
        own: list[tuple[Any, ...]] = []
        inputs: list[tuple[Any, ...]] = []
        for sid in lineage:
            own = self.repository.load_inputs(sid)
            inputs.extend(own)
        last = replay_inputs(engine, inputs)
        if len(engine.switches) != len(lineage) - 1:
            raise StoreError(
                f"session {previous.id} cannot be resumed exactly: its run of {len(lineage)} sessions switched "
                f"strategies {len(lineage) - 1} time(s), the replay of its inputs {len(engine.switches)}; "
                f"start a new session with --fresh")
        self._marks = engine.segment_start
        self._seq = len(own)
        self.resumed_closes = len(engine.equity_curve) - self._marks.equity
        self.resumed_at = last
        self.repository.reopen(previous.id)
        return last

    def clear_halt(self, engine: PaperEngine) -> str | None:
        """Clear the resumed session's latched halt, recorded as an input at the last replayed close so every
        later resume clears it at the same point; returns the cleared reason (None: nothing to clear)."""
        if self.session_id is None or self.resumed_at is None:
            return None
        reason = engine.clear_halt(self.resumed_at)
        if reason is None:
            return None
        self._buffer.append((self._seq, "reset", self.resumed_at, "", "", self.resumed_at, 0.0, 0.0, 0.0, 0.0, 0.0,
                             None))
        self._seq += 1
        self._flush(engine, self.resumed_at)
        self.repository.add_alert(self.session_id, self.resumed_at, "halt_cleared", "info",
                                  f"the operator cleared the halt ({reason}); trading resumes")
        return reason

    @property
    def resumed(self) -> bool:
        return self._resumed


    def attach(self, runtime: PaperRuntime, *, start_close_ms: int, resumed_at: int | None) -> int:
        """Observe `runtime`; for a new session, create it, warm the runtime up and record the warm-up."""
        runtime.observers.append(self)
        runtime.input_listeners.append(self.on_input)
        runtime.switch_listeners.append(self.on_switch)
        runtime.on_shutdown.append(lambda: self.finish(runtime))
        if self.session_id is not None:
            if resumed_at is not None:
                runtime.barrier.start_after(resumed_at)
            return self.session_id
        syms = self.config.symbols
        self.session_id = self.manager.create_session(
            ",".join(sorted({s.key for s in self.config.strategies})), ",".join(s.symbol for s in syms),
            runtime.engine.exec_tf, str(max(s.leverage for s in syms)), {},
            self.config.model_dump(mode="json"), kind="paper", name=self.config.name, data_label=self.data_label,
            starting_balance=self.config.account.starting_balance, fingerprint=self.config.fingerprint(),
        )
        try:
            runtime.warm_up(start_close_ms)
        except Exception as exc:
            self.repository.mark(self.session_id, "failed", f"the warm-up failed: {exc}", self.clock.now_ms())
            raise
        engine = runtime.engine
        self.repository.set_start(self.session_id, strategy_label(engine.strategy_sets()),
                                  engine_context(engine, start_close_ms))
        self._flush(None)
        return self.session_id

    # ------------------------------------------------------------------ while running
    def on_input(self, phase: str, close_ts: int, candles: Mapping[tuple[str, str], Candle],
                 funding: Mapping[str, Decimal]) -> None:
        for (symbol, tf), c in sorted(candles.items()):
            rate = funding.get(symbol) if phase == "live" else None
            self._buffer.append((self._seq, phase, close_ts, symbol, tf, c.ts, c.open, c.high, c.low, c.close,
                                 c.volume, None if rate is None else str(rate)))
            self._seq += 1

    def on_close(self, report: CloseReport, runtime: PaperRuntime) -> None:
        self._closes_since_flush += 1
        if self._closes_since_flush >= self.flush_every:
            self._flush(runtime.engine, report.close_ts)

    def on_notice(self, notice: RuntimeNotice) -> None:
        if self.session_id is not None:
            severity = "info" if notice.kind == "strategy_switch" else "warning"
            self.repository.add_alert(self.session_id, notice.ts, notice.kind, severity, notice.message)

    def on_switch(self, switch: StrategySwitch, runtime: PaperRuntime) -> None:
        """End the session with its results and start the next with the market as it is now, in one
        transaction: a crash leaves either the old session running or the new one, never neither."""
        assert self.session_id is not None
        engine = runtime.engine
        frames, metrics, breaks, summary = self._results(engine, self._marks, switch.marks)
        summary["ended_by_switch"] = switch.to_json()
        context = engine_context(engine, switch.close_ts) | {"switch": switch.to_json(),
                                                             "previous_session": self.session_id}
        new_id = self.manager.switch_session(
            self.session_id, frames, final_balance=engine.node.ledger.balance, metrics=metrics, breakdowns=breaks,
            summary=summary, inputs=self._buffer, end_reason=f"strategy switch at {iso_utc(switch.close_ts)}: "
            f"{switch.describe()}", strategy_name=strategy_label(switch.sets_after), market_context=context,
            starting_balance=engine.node.ledger.balance)
        self.session_id = new_id
        self._buffer = []
        self._seq = 0
        self._marks = switch.marks
        self._flush(engine, switch.close_ts)  # `perpbot monitor` shows the new session at once

    def _flush(self, engine: PaperEngine | None, close_ts: int | None = None) -> None:
        assert self.session_id is not None
        state = live_state(engine, close_ts) if engine is not None else None
        self.repository.append_inputs(self.session_id, self._buffer, state)
        self._buffer = []
        self._closes_since_flush = 0

    # ------------------------------------------------------------------ the end
    def finish(self, runtime: PaperRuntime) -> None:
        """Flush, then write the session's results and end it: completed when the feed ran out,
        interrupted when the operator stopped it (a later run resumes it)."""
        if self.session_id is None:
            return
        engine = runtime.engine
        last = runtime.health.last_close_ts
        self._flush(engine, last)
        status = "interrupted" if runtime.stopping else "completed"
        reason = "stopped by the operator; the next run resumes it" if runtime.stopping else "the feed ended"
        frames, metrics, breaks, summary = self._results(engine, self._marks, None)
        node = engine.node
        self.repository.complete(self.session_id, frames, final_balance=node.ledger.balance, metrics=metrics,
                                 breakdowns=breaks, summary=summary, ended_at=self.clock.now_ms(), status=status,
                                 end_reason=reason)
        folder = self.summary_dir or perpbot_home() / "sessions"
        folder.mkdir(parents=True, exist_ok=True)
        self.summary_path = folder / f"session-{self.session_id}-summary.json"
        self.summary_path.write_text(json.dumps(summary, indent=1, sort_keys=True, default=str), encoding="utf-8")


    def _results(self, engine: PaperEngine, start: SegmentMarks, end: SegmentMarks | None,
                 ) -> tuple[SessionFrames, dict[str, Any], dict[str, Any], dict[str, Any]]:
        """The tables, metrics, breakdowns and summary of the records between two marks (`end` None: now).
        A session that ends at a switch shares the switch close's equity point with the next one."""
        node = engine.node
        end_marks = end or engine.marks_now()
        curve = engine.equity_curve[start.equity:end_marks.equity + 1 if end is not None else None]
        trades = node.trades[start.trades:end_marks.trades]
        orders = list(node.orders.orders())[start.orders:end_marks.orders]
        frames = frames_from_parts(trades, orders, node.fills[start.fills:end_marks.fills],
                                   node.funding[start.funding:end_marks.funding],
                                   node.decisions[start.decisions:end_marks.decisions], curve)
        opening = float(self.config.account.starting_balance) if start.equity == 0 else curve[0][1]
        metrics, breaks = segment_results(curve, trades, opening, node.fills[start.fills:end_marks.fills],
                                          node.funding[start.funding:end_marks.funding])
        summary = {"closes": end_marks.equity - start.equity, "trades": len(trades),
                   "final_balance": str(node.ledger.balance),
                   "equity": curve[-1][1] if curve else node.equity_float(),
                   "open_positions": {p.symbol: str(p.qty) for p in node.positions.open_positions()},
                   "halted": engine.risk.halted, "halt_reason": engine.risk.halt_reason, "metrics": metrics}
        return frames, metrics, breaks, summary


def replay_inputs(engine: PaperEngine, inputs: list[tuple[Any, ...]]) -> int | None:
    """Feed recorded inputs through a fresh engine, exactly as they first arrived; returns the last close."""
    last: int | None = None
    group: dict[tuple[str, str], Candle] = {}
    funding: dict[str, Decimal] = {}
    key: tuple[str, int] | None = None

    def flush() -> None:
        nonlocal last
        if key is None:
            return
        phase, close = key
        if phase == "live":
            engine.on_close(close, group, funding)
            last = close
        elif phase == "gap":
            engine.absorb(group)
            last = close

    for _seq, phase, close_ts, symbol, tf, ts, o, h, lo, c, v, rate in inputs:
        if phase == "reset":  # the operator cleared a halt here
            flush()
            key, group, funding = None, {}, {}
            engine.clear_halt(int(close_ts))
            continue
        candle = Candle(int(ts), float(o), float(h), float(lo), float(c), float(v))
        if phase == "warmup":
            flush()
            key, group, funding = None, {}, {}
            engine.warm_up(symbol, tf, candle)
            continue
        if key != (phase, int(close_ts)):
            flush()
            key, group, funding = (phase, int(close_ts)), {}, {}
        group[(symbol, tf)] = candle
        if rate is not None:
            funding[symbol] = Decimal(rate)
    flush()
    return last


def live_state(engine: PaperEngine, close_ts: int | None) -> dict[str, Any]:
    """What `perpbot monitor` shows of a running session, as plain JSON."""
    node = engine.node
    trades: list[Trade] = node.trades[-8:]
    return {
        "close_ts": close_ts, "equity": node.equity_float(), "balance": str(node.ledger.balance),
        "realised": str(node.ledger.realised_pnl), "fees": str(node.ledger.fees_paid),
        "funding": str(node.ledger.funding), "trades": len(node.trades),
        "positions": [{"symbol": p.symbol, "qty": str(p.qty), "entry": str(p.entry_price),
                       "mark": engine.market.price(p.symbol)} for p in node.positions.open_positions()],
        "recent_trades": [{"symbol": t.symbol, "side": str(t.side), "net": str(t.net_pnl), "exit_ts": t.exit_ts,
                           "reason": str(t.exit_reason)} for t in trades],
        "halted": engine.risk.halted, "halt_reason": engine.risk.halt_reason,
    }


def segment_results(curve: list[tuple[int, float]], trades: list[Trade], opening_equity: float,
                    fills: list[Any], funding: list[Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """Metrics and breakdowns of a session's part of the run (its equity points, trades, fees and funding)."""
    if len(curve) < 2:
        return {}, {}
    ts = np.array([t for t, _ in curve], dtype=np.int64)
    equity = np.array([e for _, e in curve], dtype=np.float64)
    fees = sum((f.fee for f in fills), Decimal(0))
    funded = sum((p.amount for p in funding), Decimal(0))
    report = compute_metrics(equity, ts, trades, starting_balance=opening_equity, fees_paid=float(fees),
                             funding_paid=float(-funded))
    return report.to_dict(), breakdowns(trades)
