"""The strategy matrix's switches follow the user's flow: the regimes change, a new strategy set is chosen,
the session ends, a new one starts with the new context, the monitor is told, the risk limits change."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from perpbot.engine.paper import CloseReport
from perpbot.engine.switches import StrategySwitch, strategy_label
from perpbot.runtime.assemble import ReplayPlan, build_replay
from perpbot.runtime.paper import PaperRuntime, RuntimeNotice
from perpbot.runtime.recorder import SessionRecorder
from perpbot.sessions.manager import SessionManager
from perpbot.store.database import open_database
from perpbot.store.repository import SessionRepository
from tests.cli.support import run_cli, squash
from tests.runtime.support import example_on_sample


class FlowLog:
    """Writes down, in order, what the runtime does around a switch, and which session is current at each step."""

    def __init__(self, recorder: SessionRecorder) -> None:
        self.recorder = recorder
        self.events: list[tuple[str, Any]] = []

    def on_switch(self, switch: StrategySwitch, runtime: PaperRuntime) -> None:
        self.events.append(("switch", self.recorder.session_id))

    def on_notice(self, notice: RuntimeNotice) -> None:
        if notice.kind == "strategy_switch":
            self.events.append(("monitor told", (self.recorder.session_id, notice.message)))

    def on_close(self, report: CloseReport, runtime: PaperRuntime) -> None:
        if report.switch is not None:
            self.events.append(("close", report))


@pytest.fixture()
def config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Any:
    monkeypatch.setenv("PERPBOT_HOME", str(tmp_path / "home"))
    return example_on_sample("2024-02-01", "2024-02-08")


def _run(config: Any, url: str) -> tuple[PaperRuntime, SessionRecorder, FlowLog]:
    repository = SessionRepository(open_database(url))
    recorder = SessionRecorder(SessionManager(repository), config, data_label="", flush_every=5)
    runtime, _ = build_replay(config, ReplayPlan(), recorder=recorder)
    log = FlowLog(recorder)
    runtime.switch_listeners.append(log.on_switch)  # after the recorder's: the new session exists
    runtime.observers.append(log)
    runtime.run()
    return runtime, recorder, log


def test_each_switch_ends_the_session_and_starts_the_next(config: Any, db_url: str) -> None:
    runtime, recorder, _ = _run(config, db_url)
    engine, repo = runtime.engine, recorder.repository
    switches = engine.switches
    assert len(switches) >= 2 and runtime.health.switches == len(switches)
    lineage = repo.lineage(recorder.session_id or 0)
    assert len(lineage) == len(switches) + 1
    sessions = [repo.get(i) for i in lineage]
    assert [s.parent_id for s in sessions] == [None, *lineage[:-1]]
    assert [s.status for s in sessions] == ["completed"] * len(sessions)
    for ended, started, switch in zip(sessions[:-1], sessions[1:], switches, strict=True):
        assert switch.symbols and switch.describe() in ended.end_reason
        assert ended.summary["ended_by_switch"]["close_ts"] == switch.close_ts
        # the new session starts with the market as it is now and says why it started
        context = started.market_context
        assert context["previous_session"] == ended.id and context["at"] == switch.close_ts
        assert context["switch"]["strategies_after"] == {s: list(v) for s, v in switch.sets_after.items()}
        for symbol, entry in context["symbols"].items():
            assert entry["regime"] == switch.regimes_after[symbol]
            assert entry["strategies"] == list(switch.sets_after[symbol])
            assert entry["risk_limits"] == dict(switch.risk_limits[symbol])
            assert entry["price"] > 0 and entry["volatility_annualised"] > 0
        assert started.strategy_name == strategy_label(switch.sets_after)
        assert started.starting_balance == Decimal(str(ended.final_balance))
    # the first session learnt its strategies and market once warmed up
    assert sessions[0].market_context["symbols"].keys() == {"BTCUSDT", "ETHUSDT", "SOLUSDT"}
    assert sessions[0].strategy_name == strategy_label(switches[0].sets_before)


def test_the_flow_runs_in_the_users_order(config: Any, tmp_path: Path) -> None:
    runtime, recorder, log = _run(config, f"sqlite:///{tmp_path / 's.db'}")
    repo = recorder.repository
    first = runtime.engine.switches[0]
    kinds = [k for k, _ in log.events]
    assert kinds[:3] == ["switch", "monitor told", "close"]
    _, new_id = log.events[0]
    told_id, message = log.events[1][1]
    assert told_id == new_id  # the monitor hears of it once the new session exists
    old = repo.get(repo.get(new_id).parent_id or 0)
    assert old.status == "completed" and old.ended_at is not None  # ... and the old one has ended
    assert first.describe() in message and "Risk limits now" in message
    with repo.db.engine.connect() as conn:
        rows = conn.execute(sa.text("SELECT key, severity FROM alerts WHERE session_id = :s"), {"s": new_id}).all()
    assert ("strategy_switch", "info") in [tuple(r) for r in rows]


def test_sessions_split_the_run_at_the_switch_close(config: Any, tmp_path: Path) -> None:
    runtime, recorder, _ = _run(config, f"sqlite:///{tmp_path / 's.db'}")
    node, repo = runtime.engine.node, recorder.repository
    frames = [repo.load_frames(i) for i in repo.lineage(recorder.session_id or 0)]
    assert sum(len(f.trades) for f in frames) == len(node.trades)
    assert sum(len(f.fills) for f in frames) == len(node.fills)
    assert sum(len(f.funding) for f in frames) == len(node.funding)
    assert sum(len(f.orders) for f in frames) == sum(1 for _ in node.orders.orders())
    assert [d for f in frames for d in f.decisions["seq"]] == [d.seq for d in node.decisions]
    # a session's decisions are those from its first close to the close before the next switch
    bounds = [None, *(s.close_ts for s in runtime.engine.switches), None]
    for part, start, end in zip(frames, bounds, bounds[1:], strict=False):
        ts = part.decisions["ts"]
        if len(ts):
            assert start is None or ts.min() >= start
            assert end is None or ts.max() < end


def test_decisions_after_a_switch_use_the_new_regimes_risk_limits(config: Any, tmp_path: Path) -> None:
    runtime, _, _ = _run(config, f"sqlite:///{tmp_path / 's.db'}")
    volatile = [d for d in runtime.engine.node.decisions
                if d.intent is not None and d.intent.regime == "volatile" and d.risk is not None]
    others = [d for d in runtime.engine.node.decisions
              if d.intent is not None and d.intent.regime != "volatile" and d.risk is not None]
    assert volatile and others, "the sample week has volatile and calmer stretches"
    for d in volatile:
        limits = next(c.detail for c in d.risk.checks if c.name == "regime_limits")
        assert "risk_per_trade_pct 0.5" in limits and "max_leverage 3" in limits
    assert all("regime_limits" not in [c.name for c in d.risk.checks] for d in others)


def test_sessions_show_places_a_session_in_its_run(config: Any, tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 's.db'}"
    _, recorder, _ = _run(config, url)
    first, second, *_ = recorder.repository.lineage(recorder.session_id or 0)
    shown = squash(run_cli(["sessions", "show", str(second), "--db-url", url], home=tmp_path).output)
    assert f"continues session {first}" in shown and "continued by session" in shown
    shown = squash(run_cli(["sessions", "show", str(first), "--db-url", url], home=tmp_path).output)
    assert f"first of its run; continued by session {second}" in shown
