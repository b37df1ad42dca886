"""`perpbot monitor` shows a running session from the store another process writes to."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from perpbot.engine.paper import CloseReport
from perpbot.runtime.assemble import ReplayPlan, build_replay
from perpbot.runtime.paper import PaperRuntime, RuntimeNotice
from perpbot.runtime.recorder import SessionRecorder
from perpbot.sessions.manager import SessionManager
from perpbot.store.database import open_database
from perpbot.store.repository import SessionRepository
from tests.cli.support import run_cli, squash
from tests.runtime.support import example_on_sample


class Peek:
    """Runs `perpbot monitor --once` against the store halfway through the run, as a second terminal would."""

    def __init__(self, url: str, home: Path, at: int, recorder: SessionRecorder) -> None:
        self.url, self.home, self.at, self.recorder = url, home, at, recorder
        self.output = ""
        self.session_id: int | None = None

    def on_close(self, report: CloseReport, runtime: PaperRuntime) -> None:
        self.at -= 1
        if self.at == 0:
            self.session_id = self.recorder.session_id
            self.output = run_cli(["monitor", "--once", "--db-url", self.url], home=self.home).output

    def on_notice(self, notice: RuntimeNotice) -> None:
        pass


def test_monitor_shows_the_running_session(tmp_path: Path, monkeypatch: Any) -> None:
    monkeypatch.setenv("PERPBOT_HOME", str(tmp_path / "home"))
    config = example_on_sample("2024-02-01", "2024-02-04")
    url = f"sqlite:///{tmp_path / 's.db'}"
    recorder = SessionRecorder(SessionManager(SessionRepository(open_database(url))), config, data_label="",
                               flush_every=10)
    runtime, _ = build_replay(config, ReplayPlan(), recorder=recorder)
    peek = Peek(url, tmp_path / "home", 120, recorder)
    runtime.observers.append(peek)
    runtime.run()
    text = squash(peek.output)
    assert f"session {peek.session_id}" in text and "running" in text
    assert "equity" in text and "recent trades" in text and "strategies" in text and "regimes" in text
    after = squash(run_cli(["monitor", "--once", "--db-url", url], home=tmp_path / "home").output)
    assert "no running session" in after
    named = squash(run_cli(["monitor", str(recorder.session_id), "--once", "--db-url", url],
                           home=tmp_path / "home").output)
    assert f"session {recorder.session_id}" in named and "completed" in named
    # Named by its first session, the run is followed through its strategy switches to the last one.
    first = recorder.repository.lineage(recorder.session_id or 0)[0]
    assert first != recorder.session_id, "the example's regimes switch strategies within three days"
    followed = squash(run_cli(["monitor", str(first), "--once", "--db-url", url], home=tmp_path / "home").output)
    assert f"session {recorder.session_id}" in followed
    assert f"continuing session {first} after strategy switches" in followed
