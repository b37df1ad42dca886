"""`perpbot monitor`: watch running sessions from another terminal, through the store they write to."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from rich.console import Group, RenderableType
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from perpbot.store.repository import SessionInfo, SessionRepository


def _when(ms: int | None) -> str:
    return "-" if not ms else datetime.fromtimestamp(ms / 1000, tz=UTC).strftime("%Y-%m-%d %H:%M")


def _money(value: Any) -> Text:
    number = float(Decimal(str(value))) if value is not None else 0.0
    return Text(f"{number:,.2f}", style="green" if number > 0 else "red" if number < 0 else "")


def session_panel(info: SessionInfo, state: dict[str, Any], *, followed_from: int | None = None) -> Panel:
    """One session's live state as the running bot last wrote it, with the strategies that count and the
    regimes it started in (a strategy switch starts the next session)."""
    head = Table.grid(padding=(0, 2))
    head.add_row("equity", _money(state.get("equity")), "balance", _money(state.get("balance")),
                 "realised", _money(state.get("realised")), "trades", str(state.get("trades", 0)))
    risk = Text(f"HALTED: {state.get('halt_reason')}", "bold red") if state.get("halted") else Text("trading", "green")
    head.add_row("risk", risk,
                 "last close", _when(state.get("close_ts")), "fees", _money(-Decimal(str(state.get("fees", 0)))),
                 "funding", _money(state.get("funding", 0)))
    regimes = ", ".join(f"{sym} {entry.get('regime', '?')}"
                        for sym, entry in sorted(info.market_context.get("symbols", {}).items()))
    head.add_row("strategies", Text(info.strategy_name), "regimes", Text(regimes or "-"))
    positions = Table("symbol", "qty", "entry", "mark", title="positions", expand=True)
    for p in state.get("positions", []):
        positions.add_row(p["symbol"], p["qty"], f"{float(p['entry']):g}", f"{p['mark']:g}")
    trades = Table("exit", "symbol", "side", "net", "reason", title="recent trades", expand=True)
    for t in reversed(state.get("recent_trades", [])):
        trades.add_row(_when(t["exit_ts"]), t["symbol"], t["side"], _money(t["net"]), t["reason"])
    title = f"session {info.id}: {info.name} ({info.kind}, {info.status})"
    if followed_from is not None:
        title += f", continuing session {followed_from} after strategy switches"
    return Panel(Group(head, positions, trades), title=title)


def render_sessions(repository: SessionRepository, ids: list[int] | None = None) -> RenderableType:
    """Every running session (or the ones named: each followed to the session that continues it after
    strategy switches), side by side in a column."""
    if ids:
        panels = []
        for named in ids:
            info = _latest(repository, repository.get(named))
            panels.append(session_panel(info, repository.live_state(info.id),
                                        followed_from=named if info.id != named else None))
        return Group(*panels)
    sessions = [s for s in repository.list(last=20) if s.status == "running"]
    if not sessions:
        return Text(f"no running session in {repository.db.shown_url}; start one with `perpbot paper`")
    return Group(*(session_panel(s, repository.live_state(s.id)) for s in sessions))


def _latest(repository: SessionRepository, info: SessionInfo) -> SessionInfo:
    """The newest session of the run `info` belongs to (a switch ends a session and starts its successor)."""
    seen = {info.id}
    while (nxt := repository.successor(info.id)) is not None and nxt not in seen:
        seen.add(nxt)
        info = repository.get(nxt)
    return info
