"""Runtime test helpers: observers that record or stop a run, and a base for feeds that tamper with a replay."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from perpbot.config import PerpbotConfig, parse_config
from perpbot.engine.paper import CloseReport
from perpbot.runtime.events import ClosedCandle, FeedGap
from perpbot.runtime.paper import PaperRuntime, RuntimeNotice
from perpbot.runtime.replay import ReplayFeed


def example_on_sample(start: str, end: str) -> PerpbotConfig:
    """examples/config.json replayed on the generated sample (always there) from `start` to `end` (UTC dates)."""
    raw = json.loads(Path("examples/config.json").read_text())
    raw["data"] = {"use_shared_data": False, "allow_sample": True}
    raw["backtest"] = {"start": start, "end": end}
    return parse_config(raw)


class Recorder:
    """Keeps every close report and notice the runtime gives its observers."""

    def __init__(self) -> None:
        self.closes: list[CloseReport] = []
        self.notices: list[RuntimeNotice] = []

    def on_close(self, report: CloseReport, runtime: PaperRuntime) -> None:
        self.closes.append(report)

    def on_notice(self, notice: RuntimeNotice) -> None:
        self.notices.append(notice)


class StopAfter:
    """Asks the runtime to stop after `closes` closes, as Ctrl-C would."""

    def __init__(self, closes: int) -> None:
        self.left = closes

    def on_close(self, report: CloseReport, runtime: PaperRuntime) -> None:
        self.left -= 1
        if self.left == 0:
            runtime.stop()

    def on_notice(self, notice: RuntimeNotice) -> None:
        pass


class TamperedFeed:
    """A replay feed whose events `tamper` rewrites; everything else is the replay's."""

    def __init__(self, inner: ReplayFeed) -> None:
        self.inner = inner

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)

    @property
    def exhausted(self) -> bool:
        return self.inner.exhausted

    def next_events(self, timeout_s: float) -> list[ClosedCandle | FeedGap]:
        return self.tamper(self.inner.next_events(timeout_s))

    def tamper(self, events: list[ClosedCandle | FeedGap]) -> list[ClosedCandle | FeedGap]:
        return events
