"""The session manager: the operations a user asked for by name, over the session repository."""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

import perpbot
from perpbot.analytics import compute_metrics
from perpbot.collector import collector_paused
from perpbot.engine.clock import Clock, WallClock
from perpbot.errors import StoreError
from perpbot.model import ExitReason, Side, Trade
from perpbot.sessions.export import export_frames
from perpbot.sessions.frames import SessionFrames, equity_frame, rows_from_result
from perpbot.store.repository import SessionInfo, SessionRepository

if TYPE_CHECKING:
    from perpbot.engine.result import BacktestResult

_DAY_MS = 86_400_000


@dataclass(frozen=True, slots=True)
class SessionComparison:
    ids: tuple[int, ...]
    metrics: dict[str, tuple[Any, ...]]  # metric -> value per session, in `ids` order
    config_differences: dict[str, tuple[Any, ...]]  # dotted config path -> value per session


@dataclass(frozen=True, slots=True)
class ParameterImpact:
    path: str  # dotted config path, e.g. "strategies.0.params.fast"
    by_value: dict[str, float]  # value -> mean metric of the sessions that used it
    sessions: int
    rank_correlation: float | None  # Spearman, when every value is a number


def flatten(value: Any, prefix: str = "") -> dict[str, Any]:
    """Nested dicts and lists as dotted paths: {"a": {"b": [1]}} -> {"a.b.0": 1}."""
    out: dict[str, Any] = {}
    if isinstance(value, dict):
        for key, item in value.items():
            out.update(flatten(item, f"{prefix}{key}."))
    elif isinstance(value, list):
        for i, item in enumerate(value):
            out.update(flatten(item, f"{prefix}{i}."))
    else:
        out[prefix[:-1]] = value
    return out


class SessionManager:
    def __init__(self, repository: SessionRepository, *, clock: Clock | None = None) -> None:
        self.repository = repository
        self.clock = clock or WallClock()

    # ------------------------------------------------------------------ the named operations
    def create_session(self, strategy_name: str, symbol: str, timeframe: str, leverage: Decimal | str,
                       market_context: dict[str, Any], configuration: dict[str, Any], *, kind: str = "paper",
                       name: str | None = None, data_label: str = "real",
                       starting_balance: Decimal | None = None, fingerprint: str = "") -> int:
        """Start a session (status running) and return its id. `fingerprint` identifies the configuration
        (PerpbotConfig.fingerprint()); a paper run resumes only a session with the same one."""
        balance = starting_balance if starting_balance is not None else Decimal(
            str(configuration.get("account", {}).get("starting_balance", "0")))
        return self.repository.create(
            kind=kind, name=name or str(configuration.get("name", strategy_name)), strategy_name=strategy_name,
            symbol=symbol, timeframe=timeframe, leverage=str(leverage), configuration=configuration,
            market_context=market_context, code_version=code_version(),
            fingerprint=fingerprint, data_label=data_label,
            starting_balance=balance, created_at=self.clock.now_ms(),
        )

    def switch_session(self, session_id: int, frames: SessionFrames, *, final_balance: Decimal,
                       metrics: dict[str, Any], breakdowns: dict[str, Any], summary: dict[str, Any],
                       inputs: list[tuple[Any, ...]], end_reason: str, strategy_name: str,
                       market_context: dict[str, Any], starting_balance: Decimal) -> int:
        """End a running session with its results and start the one that continues it with a new strategy set
        and market context (same configuration, kind and symbols), atomically; returns the new id."""
        info = self.repository.get(session_id)
        now = self.clock.now_ms()
        successor = {"kind": info.kind, "name": info.name, "strategy_name": strategy_name, "symbol": info.symbol,
                     "timeframe": info.timeframe, "leverage": info.leverage, "configuration": info.configuration,
                     "market_context": market_context, "code_version": code_version(),
                     "fingerprint": info.fingerprint, "data_label": info.data_label,
                     "starting_balance": starting_balance, "created_at": now}
        return self.repository.hand_over(session_id, frames, final_balance=final_balance, metrics=metrics,
                                         breakdowns=breakdowns, summary=summary, ended_at=now, end_reason=end_reason,
                                         inputs=inputs, successor=successor)

    def end_active_sessions(self, reason: str) -> list[int]:
        """Mark every running session interrupted, with the reason."""
        return self.repository.end_active(reason, self.clock.now_ms())

    def get_current_session(self) -> SessionInfo | None:
        return self.repository.current()

    def get_session_performance(self, session_id: int) -> dict[str, Any]:
        """The session's metrics; computed from its stored trades and equity when it has none yet."""
        info = self.repository.get(session_id)
        if info.metrics:
            return info.metrics
        frames = self.repository.load_frames(session_id)
        equity = frames.equity["equity"].to_numpy(dtype=np.float64)
        ts = frames.equity["ts"].to_numpy(dtype=np.int64)
        report = compute_metrics(equity, ts, _trades(frames), starting_balance=float(info.starting_balance),
                                 exposure_fraction=float(frames.equity["exposed"].mean()) if len(ts) else 0.0,
                                 fees_paid=float(sum((Decimal(v) for v in frames.fills["fee"]), Decimal(0))),
                                 funding_paid=float(-sum((Decimal(v) for v in frames.funding["amount"]), Decimal(0))))
        return report.to_dict()

    def compare_sessions(self, ids: list[int]) -> SessionComparison:
        if len(ids) < 2:
            raise StoreError(f"comparing needs at least two sessions, got {len(ids)}")
        infos = [self.repository.get(i) for i in ids]
        perf = [self.get_session_performance(i.id) for i in infos]
        names = sorted({k for p in perf for k, v in p.items() if not isinstance(v, (dict, list))})
        metrics = {k: tuple(p.get(k) for p in perf) for k in names}
        metrics["final_balance"] = tuple(str(i.final_balance) if i.final_balance is not None else None for i in infos)
        flat = [flatten(i.configuration) for i in infos]
        paths = sorted({k for f in flat for k in f})
        diffs = {p: tuple(f.get(p) for f in flat) for p in paths if len({repr(f.get(p)) for f in flat}) > 1}
        return SessionComparison(tuple(ids), metrics, diffs)

    def export_session_data(self, session_id: int, fmt: str, out: Path) -> Path:
        info = self.repository.get(session_id)
        frames = self.repository.load_frames(session_id)
        meta = {k: getattr(info, k) for k in info.__slots__}
        return export_frames(frames, meta, fmt, out)

    # ------------------------------------------------------------------ backtests
    def save_backtest(self, result: BacktestResult, *, market_context: dict[str, Any] | None = None) -> int:
        """Store a finished backtest as a completed session; returns its id."""
        cfg = result.config
        strategies = ",".join(sorted({s.get("id") or s["name"] for s in cfg.get("strategies", [])}))
        symbols = ",".join(s["symbol"] for s in cfg.get("symbols", []))
        leverage = max((Decimal(str(s.get("leverage", 0))) for s in cfg.get("symbols", [])), default=Decimal(0))
        start = min((s.first_ts for s in result.series), default=None)
        end = max((s.last_ts for s in result.series), default=None)
        session_id = self.repository.create(
            kind="backtest", name=result.name, strategy_name=strategies, symbol=symbols, timeframe=result.timeframe,
            leverage=str(leverage), configuration=cfg, market_context=market_context or {},
            code_version=code_version(), fingerprint=result.fingerprint, data_label=result.data_label,
            starting_balance=result.starting_balance, created_at=self.clock.now_ms(), data_start=start,
            data_end=end,
        )
        with collector_paused():  # 10^5 new rows beside a result of millions of objects: see collector_paused
            rows = rows_from_result(result)
            self.repository.complete_rows(session_id, rows, equity_frame(result),
                                          final_balance=result.final_balance, metrics=result.metrics,
                                          breakdowns=result.breakdowns, summary=result.summary(),
                                          ended_at=self.clock.now_ms())
        return session_id

    # ------------------------------------------------------------------ across sessions
    def learning_curve(self, strategy_name: str, metric: str = "sharpe") -> list[tuple[int, int, float | None]]:
        """(session id, created at, metric) for successive completed sessions of one strategy, oldest first."""
        sessions = [s for s in self.repository.list(strategy_name=strategy_name) if s.status == "completed"]
        return [(s.id, s.created_at, _number(self.get_session_performance(s.id).get(metric)))
                for s in reversed(sessions)]

    def configuration_impact(self, metric: str = "sharpe", strategy_name: str | None = None) -> list[ParameterImpact]:
        """For each config value that varies across completed sessions: the mean metric per value, and a
        rank correlation when the values are numbers. Strongest correlations first."""
        sessions = [s for s in self.repository.list(strategy_name=strategy_name) if s.status == "completed"]
        scored = [(flatten(s.configuration), _number(self.get_session_performance(s.id).get(metric)))
                  for s in sessions]
        scored = [(f, m) for f, m in scored if m is not None]
        paths = sorted({k for f, _ in scored for k in f if k not in ("name",)})
        out: list[ParameterImpact] = []
        for path in paths:
            values = [(f.get(path), m) for f, m in scored]
            if len({repr(v) for v, _ in values}) < 2:
                continue
            groups: dict[str, list[float]] = defaultdict(list)
            for v, m in values:
                groups[str(v)].append(m)  # type: ignore[arg-type]
            by_value = {k: float(np.mean(v)) for k, v in sorted(groups.items())}
            out.append(ParameterImpact(path, by_value, len(values), _spearman(values)))
        return sorted(out, key=lambda p: -abs(p.rank_correlation) if p.rank_correlation is not None else 0.0)

    def prune(self, *, keep_last: int | None = None, older_than_days: float | None = None) -> list[int]:
        """Delete sessions beyond the newest `keep_last`, or created more than `older_than_days` ago.
        A session a run may still need is never pruned: one running or interrupted (a restart resumes it),
        and every earlier session of its run (the resume replays their inputs)."""
        if keep_last is None and older_than_days is None:
            raise StoreError("prune needs keep_last or older_than_days")
        everything = self.repository.list()
        needed: set[int] = set()
        for unfinished in (s for s in everything if s.status in ("running", "interrupted")):
            try:
                needed.update(self.repository.lineage(unfinished.id))
            except StoreError:  # its run is already broken: keep what is left of it
                needed.add(unfinished.id)
        sessions = [s for s in everything if s.id not in needed]
        doomed: set[int] = set()
        if keep_last is not None:
            doomed.update(s.id for s in sessions[keep_last:])
        if older_than_days is not None:
            cutoff = self.clock.now_ms() - older_than_days * _DAY_MS
            doomed.update(s.id for s in sessions if s.created_at < cutoff)
        ids = sorted(doomed)
        self.repository.delete(ids)
        return ids


def code_version() -> str:
    return f"perpbot {perpbot.__version__}"


def _number(value: Any) -> float | None:
    if isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value):
        return float(value)
    return None


def _spearman(values: list[tuple[Any, float | None]]) -> float | None:
    xs = [_number(v) for v, _ in values]
    if any(x is None for x in xs) or len(values) < 3:
        return None
    x = np.argsort(np.argsort(np.asarray(xs, dtype=np.float64))).astype(np.float64)
    y = np.argsort(np.argsort(np.asarray([m for _, m in values], dtype=np.float64))).astype(np.float64)
    if x.std() == 0 or y.std() == 0:
        return None
    return float(np.corrcoef(x, y)[0, 1])


def _trades(frames: SessionFrames) -> list[Trade]:
    rows: list[dict[str, Any]] = frames.trades.to_dict("records")  # type: ignore[assignment]
    return [Trade(str(r["symbol"]), Side(str(r["side"])), Decimal(str(r["qty"])), Decimal(str(r["entry_price"])),
                  Decimal(str(r["exit_price"])), int(r["entry_ts"]), int(r["exit_ts"]), Decimal(str(r["gross_pnl"])),
                  Decimal(str(r["fees"])), Decimal(str(r["funding"])), ExitReason(str(r["exit_reason"])),
                  tuple(s for s in str(r["strategies"]).split(",") if s), str(r["regime"]))
            for r in rows]
