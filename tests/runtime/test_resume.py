"""A paper session stopped mid-run and started again ends exactly where an uninterrupted run ends."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from perpbot.runtime.assemble import ReplayPlan, build_replay
from perpbot.runtime.paper import PaperRuntime
from perpbot.runtime.recorder import SessionRecorder
from perpbot.sessions.manager import SessionManager
from perpbot.store.database import open_database
from perpbot.store.repository import SessionRepository
from tests.runtime.support import StopAfter, example_on_sample

PLAN = ReplayPlan()


@pytest.fixture()
def config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Any:
    monkeypatch.setenv("PERPBOT_HOME", str(tmp_path / "home"))
    return example_on_sample("2024-02-01", "2024-02-06")


def _run(config: Any, url: str, *, stop_after: int | None = None) -> tuple[PaperRuntime, SessionRecorder]:
    recorder = SessionRecorder(SessionManager(SessionRepository(open_database(url))), config, data_label="",
                               flush_every=7)
    runtime, _ = build_replay(config, PLAN, recorder=recorder)
    if stop_after is not None:
        runtime.observers.insert(0, StopAfter(stop_after))
    runtime.run()
    return runtime, recorder


def test_stop_and_resume_equals_one_run(config: Any, db_url: str, tmp_path: Path) -> None:
    whole, _ = _run(config, f"sqlite:///{tmp_path / 'whole.db'}")
    assert len(whole.engine.node.trades) > 3

    first, rec1 = _run(config, db_url, stop_after=150)
    assert first.stopping
    open_at_stop = list(first.engine.node.positions.open_positions())
    repo = rec1.repository
    lineage = repo.lineage(rec1.session_id or 0)
    assert len(lineage) > 1, "the example's regimes switch the strategy set in the first 150 closes"
    infos = [repo.get(i) for i in lineage]
    assert [i.status for i in infos] == ["completed"] * (len(lineage) - 1) + ["interrupted"]
    assert all(i.end_reason.startswith("strategy switch at ") for i in infos[:-1])
    assert "resumes" in infos[-1].end_reason
    assert sum(i.summary["closes"] for i in infos) == 150
    assert rec1.summary_path is not None
    assert json.loads(rec1.summary_path.read_text())["closes"] == infos[-1].summary["closes"]

    second, rec2 = _run(config, db_url)
    assert rec2.resumed and rec2.resumed_closes == infos[-1].summary["closes"]
    assert repo.lineage(rec2.session_id or 0)[:len(lineage)] == lineage  # the run went on from the stop
    node, reference = second.engine.node, whole.engine.node
    assert node.trades == reference.trades
    assert node.fills == reference.fills
    assert node.ledger.balance == reference.ledger.balance
    assert second.engine.risk.halted == whole.engine.risk.halted
    assert second.engine.switches == whole.engine.switches
    # Every session of the run, before and after the restart, holds its own part: together, all of it.
    run = [repo.get(i) for i in rec2.repository.lineage(rec2.session_id or 0)]
    assert run[-1].status == "completed"
    stored = [rec2.repository.load_frames(i.id) for i in run]
    assert sum(len(f.trades) for f in stored) == len(reference.trades)
    assert sum(len(f.fills) for f in stored) == len(reference.fills)
    assert sum(len(f.decisions) for f in stored) == len(reference.decisions)
    if not open_at_stop:
        pytest.skip("no position was open at the stop this time; the equality above still held")


def test_the_position_open_at_the_stop_is_there_after_the_restart(config: Any, tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 's.db'}"
    for stop in range(40, 400, 20):  # find a stop with a position open, then restart there
        first, rec = _run(config, url, stop_after=stop)
        held = {p.symbol: p.qty for p in first.engine.node.positions.open_positions()}
        resting = sorted(o.client_id for o in first.engine.node.orders.open_orders())
        if held:
            break
        rec.repository.delete([rec.session_id or 0])
    assert held, "the sample never held a position at a stop"
    recorder = SessionRecorder(SessionManager(SessionRepository(open_database(url))), config, data_label="")
    runtime, _ = build_replay(config, PLAN, recorder=recorder)
    assert {p.symbol: p.qty for p in runtime.engine.node.positions.open_positions()} == held
    assert sorted(o.client_id for o in runtime.engine.node.orders.open_orders()) == resting
    runtime.feed.close()


def test_fresh_ignores_the_unfinished_session(config: Any, tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'f.db'}"
    _, rec1 = _run(config, url, stop_after=30)
    recorder = SessionRecorder(SessionManager(SessionRepository(open_database(url))), config, data_label="")
    runtime, _ = build_replay(config, PLAN, recorder=recorder, resume=False)
    assert recorder.session_id != rec1.session_id and recorder.resumed_closes == 0
    runtime.feed.close()


def test_a_cleared_halt_is_replayed_by_every_later_resume(config: Any, tmp_path: Path) -> None:
    halting = config.model_copy(update={"risk": config.risk.model_copy(update={"max_daily_loss_pct": 0.3})})
    url = f"sqlite:///{tmp_path / 'h.db'}"
    for stop in range(40, 480, 40):  # stop once the daily-loss breaker has latched a halt
        first, rec = _run(halting, url, stop_after=stop)
        if first.engine.risk.halted:
            break
        rec.repository.delete(rec.repository.lineage(rec.session_id or 0))
    assert first.engine.risk.halted, "a 0.3% daily loss limit never tripped on the sample"
    reason = first.engine.risk.halt_reason

    recorder = SessionRecorder(SessionManager(SessionRepository(open_database(url))), halting, data_label="")
    second, _ = build_replay(halting, PLAN, recorder=recorder)
    assert second.engine.risk.halted  # the resume brings the latched halt back ...
    assert recorder.clear_halt(second.engine) == reason  # ... until the operator clears it
    assert not second.engine.risk.halted
    assert recorder.clear_halt(second.engine) is None  # nothing left to clear
    second.observers.insert(0, StopAfter(30))
    second.run()

    # The reset is an input like the candles: a later resume clears the halt at the same close and arrives
    # where the second run stopped, trades made after the clearing included.
    rec3 = SessionRecorder(SessionManager(SessionRepository(open_database(url))), halting, data_label="")
    third, _ = build_replay(halting, PLAN, recorder=rec3)
    assert third.engine.node.fills == second.engine.node.fills
    assert third.engine.node.ledger.balance == second.engine.node.ledger.balance
    assert third.engine.risk.state() == second.engine.risk.state()
    assert third.engine.risk.breakers.state()["last_reset"]["cleared"]
    with rec3.repository.db.engine.connect() as conn:
        keys = [r[0] for r in conn.execute(sa.text("SELECT key FROM alerts"))]
    assert "halt_cleared" in keys
