"""The record of every decision, so a user can ask "why did it do that?" of any order or non-order."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Final

from perpbot.model import Intent, RiskDecision


class Action(StrEnum):
    ENTER = "enter"
    REVERSE = "reverse"
    EXIT = "exit"
    HOLD = "hold"  # already positioned as the intent wants
    REJECTED = "rejected"  # the risk manager said no
    DEFERRED = "deferred"  # an earlier order for the symbol is still in flight
    EMERGENCY_CLOSE = "emergency_close"


# Records made for every order write out `__init__` (compiled; see perpbot.model.trading's docstring).
@dataclass(slots=True, init=False, unsafe_hash=True)
class Decision:
    """One pass of the pipeline for one symbol: the intent, the risk verdict and the orders it made."""

    seq: Final[int]
    ts: Final[int]
    symbol: Final[str]
    action: Final[Action]
    intent: Final[Intent | None]
    risk: Final[RiskDecision | None]
    client_ids: Final[tuple[str, ...]]
    note: Final[str]

    def __init__(self, seq: int, ts: int, symbol: str, action: Action, intent: Intent | None, risk: RiskDecision | None,
                 client_ids: tuple[str, ...], note: str = "") -> None:
        self.seq = seq
        self.ts = ts
        self.symbol = symbol
        self.action = action
        self.intent = intent
        self.risk = risk
        self.client_ids = client_ids
        self.note = note
