"""The record of every decision, so a user can ask "why did it do that?" of any order or non-order."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from perpbot.model import Intent, RiskDecision


class Action(StrEnum):
    ENTER = "enter"
    REVERSE = "reverse"
    EXIT = "exit"
    HOLD = "hold"  # already positioned as the intent wants
    REJECTED = "rejected"  # the risk manager said no
    DEFERRED = "deferred"  # an earlier order for the symbol is still in flight
    EMERGENCY_CLOSE = "emergency_close"


@dataclass(frozen=True, slots=True)
class Decision:
    """One pass of the pipeline for one symbol: the intent, the risk verdict and the orders it made."""

    seq: int
    ts: int
    symbol: str
    action: Action
    intent: Intent | None
    risk: RiskDecision | None
    client_ids: tuple[str, ...]
    note: str = ""
