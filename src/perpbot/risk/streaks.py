"""Loss-streak size scaling: after a run of losing trades trade smaller, and earn the size back with wins.

After `start` consecutive losses, that loss and each further one multiplies the size factor by
`factor`, never below `min_factor`. Each winning trade ends the streak and adds `recovery_step` to
the factor, up to 1. A trade with a net PnL of exactly zero changes nothing.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any, Final

from perpbot.risk._format import decimal_of

ZERO: Final = Decimal(0)  # compared with as a Decimal: against the int 0, every comparison converted it

_ONE: Final = Decimal(1)


class LossStreak:
    """The current size factor in (0, 1], driven by the net PnL of closed trades."""

    __slots__ = ("_factor", "_losses", "_min_factor", "_recovery_step", "_shrink", "_start")

    def __init__(self, start: int, factor: float, min_factor: float, recovery_step: float) -> None:
        if start < 1:
            raise ValueError(f"loss_streak_start must be at least 1, was {start}")
        for name, value in (("loss_streak_factor", factor), ("min_size_factor", min_factor),
                            ("win_recovery_step", recovery_step)):
            if not 0 < value <= 1:
                raise ValueError(f"{name} must be in (0, 1], was {value}")
        self._start = start
        self._shrink = decimal_of(factor)
        self._min_factor = decimal_of(min_factor)
        self._recovery_step = decimal_of(recovery_step)
        self._losses = 0
        self._factor = _ONE

    @property
    def factor(self) -> Decimal:
        """Multiply the sized quantity by this (1 = full size)."""
        return self._factor

    @property
    def losses(self) -> int:
        """Consecutive losing trades so far (0 after a win)."""
        return self._losses

    def on_trade_closed(self, net_pnl: Decimal) -> Decimal:
        """Account one closed trade; returns the new factor."""
        if net_pnl < ZERO:
            self._losses += 1
            if self._losses >= self._start:
                self._factor = max(self._min_factor, self._factor * self._shrink)
        elif net_pnl > ZERO:
            self._losses = 0
            self._factor = min(_ONE, self._factor + self._recovery_step)
        return self._factor

    def state(self) -> dict[str, Any]:
        return {"losses": self._losses, "factor": str(self._factor)}

    def restore(self, state: dict[str, Any]) -> None:
        try:
            losses = int(state["losses"])
            factor = Decimal(str(state["factor"]))
        except (KeyError, TypeError, ValueError, ArithmeticError) as exc:
            raise ValueError(f"loss-streak state is incomplete or corrupt ({exc!r}): {state!r}") from exc
        if losses < 0 or not factor.is_finite() or not (0 < factor <= 1):
            raise ValueError(f"loss-streak state must have losses >= 0 and factor in (0, 1], was {state!r}")
        self._losses, self._factor = losses, factor
