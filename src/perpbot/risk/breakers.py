"""Latched circuit breakers: a daily-loss and a drawdown limit that halt trading until a person resets them.

A halt survives the UTC day change and a restart (`state()` / `restore()`); only `reset()` clears it.
A reset accepts the losses so far: the drawdown peak and the day's starting equity are rebased to
the current equity, otherwise the very same breach would trip again at the next update.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, Final

from perpbot.risk._format import decimal_of, finite, fmt

_MARGIN: Final = 1e-12  # relative: the float fast path leaves marks this close to a boundary to the exact check
DAY_MS: Final = 86_400_000
DAILY_LOSS: Final = "daily_loss"
DRAWDOWN: Final = "drawdown"
MANUAL: Final = "manual"
STATE_VERSION: Final = 1


def iso_utc(ts: int) -> str:
    """A ms timestamp as ISO-8601 UTC, e.g. 2024-01-01T12:00:00Z."""
    return datetime.fromtimestamp(ts / 1000, tz=UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass(frozen=True, slots=True)
class BreakerEvent:
    """A breaker that has just tripped: which one, when, and the numbers behind it."""

    kind: str  # DAILY_LOSS, DRAWDOWN or MANUAL
    ts: int
    equity: Decimal
    reference: Decimal  # the day's starting equity, or the peak
    floor: Decimal
    detail: str

    def __str__(self) -> str:
        return f"{self.kind} at {iso_utc(self.ts)}: {self.detail}"

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "ts": self.ts,
            "equity": str(self.equity),
            "reference": str(self.reference),
            "floor": str(self.floor),
            "detail": self.detail,
        }

    @staticmethod
    def from_dict(data: dict[str, Any]) -> BreakerEvent:
        return BreakerEvent(
            kind=str(data["kind"]),
            ts=int(data["ts"]),
            equity=Decimal(data["equity"]),
            reference=Decimal(data["reference"]),
            floor=Decimal(data["floor"]),
            detail=str(data["detail"]),
        )


class CircuitBreakers:
    """Tracks the day's starting equity and the peak; latches HALTED when either floor is broken."""

    __slots__ = (
        "_daily_keep",
        "_daily_keep_f",
        "_day",
        "_day_start",
        "_drawdown_keep",
        "_drawdown_keep_f",
        "_floors_f",
        "_last_equity",
        "_last_reset",
        "_max_daily_loss_pct",
        "_max_drawdown_pct",
        "_peak",
        "_tripped",
    )

    def __init__(self, max_daily_loss_pct: float, max_drawdown_pct: float) -> None:
        for name, value in (("max_daily_loss_pct", max_daily_loss_pct), ("max_drawdown_pct", max_drawdown_pct)):
            if not 0 < value <= 100:
                raise ValueError(f"{name} must be in (0, 100], was {value}")
        self._max_daily_loss_pct = max_daily_loss_pct
        self._max_drawdown_pct = max_drawdown_pct
        # Fractions of the reference equity that must be kept, exact and as floats for vectorised search.
        self._daily_keep = 1 - decimal_of(max_daily_loss_pct) / 100
        self._drawdown_keep = 1 - decimal_of(max_drawdown_pct) / 100
        self._daily_keep_f = float(self._daily_keep)
        self._drawdown_keep_f = float(self._drawdown_keep)
        self._day: int | None = None
        self._day_start: Decimal | None = None
        self._peak: Decimal | None = None
        # The last equity seen, kept as given: a float from `on_equity_float` becomes a Decimal only when read.
        self._last_equity: Decimal | float | None = None
        # (peak, daily floor, drawdown floor) as floats, for `on_equity_float` to tell cheaply that nothing moves.
        self._floors_f: tuple[float, float, float] | None = None
        self._tripped: list[BreakerEvent] = []
        self._last_reset: dict[str, Any] | None = None

    # ------------------------------------------------------------------ reading
    @property
    def halted(self) -> bool:
        return bool(self._tripped)

    @property
    def halt_reason(self) -> str | None:
        """The kind of the first breaker that tripped, or None when trading is allowed."""
        return self._tripped[0].kind if self._tripped else None

    @property
    def halted_since(self) -> int | None:
        return self._tripped[0].ts if self._tripped else None

    @property
    def tripped(self) -> tuple[BreakerEvent, ...]:
        return tuple(self._tripped)

    @property
    def day_start_equity(self) -> Decimal | None:
        return self._day_start

    @property
    def peak_equity(self) -> Decimal | None:
        return self._peak

    def daily_floor(self, day_start_equity: float | Decimal) -> float:
        """Equity below this trips the daily-loss breaker (for a vectorised first-breach search)."""
        return float(day_start_equity) * self._daily_keep_f

    def drawdown_floor(self, peak: float | Decimal) -> float:
        """Equity below this trips the drawdown breaker (for a vectorised first-breach search)."""
        return float(peak) * self._drawdown_keep_f

    # ------------------------------------------------------------------ updating
    def on_equity(self, ts: int, equity: Decimal) -> list[BreakerEvent]:
        """Record a mark-to-market equity; return the breakers that trip now (empty if none or already tripped)."""
        if not equity.is_finite():
            raise ValueError(f"equity must be a finite number, was {equity}")
        day = ts // DAY_MS
        day_start = self._day_start
        moved = False
        if day_start is None or self._day is None or day > self._day:
            self._day = day
            self._day_start = day_start = equity
            moved = True
        peak = self._peak
        if peak is None or equity > peak:
            self._peak = peak = equity
            moved = True
        if moved or self._floors_f is None:
            self._refresh_floors()
        self._last_equity = equity
        kinds = {event.kind for event in self._tripped} if self._tripped else ()
        new: list[BreakerEvent] = []
        if DAILY_LOSS not in kinds:
            floor = day_start * self._daily_keep
            if equity < floor:
                new.append(BreakerEvent(
                    DAILY_LOSS, ts, equity, day_start, floor,
                    f"equity {fmt(equity)} fell below the daily floor {fmt(floor)} "
                    f"({fmt(self._max_daily_loss_pct)}% under the day's start {fmt(day_start)})",
                ))
        if DRAWDOWN not in kinds:
            floor = peak * self._drawdown_keep
            if equity < floor:
                new.append(BreakerEvent(
                    DRAWDOWN, ts, equity, peak, floor,
                    f"equity {fmt(equity)} fell below the drawdown floor {fmt(floor)} "
                    f"({fmt(self._max_drawdown_pct)}% under the peak {fmt(peak)})",
                ))
        self._tripped.extend(new)
        return new

    def on_equity_float(self, ts: int, equity: float) -> list[BreakerEvent]:
        """`on_equity(ts, Decimal(repr(equity)))`, without making the Decimal when nothing can change.

        Most marks are no new day, no new peak and well above both floors: then only the last equity moves, and
        it is kept as the float (made a Decimal when read, the same value). The float tests leave a margin of
        1e-12 of the reference, far above a float's rounding, so any mark near a boundary takes the exact path.
        """
        if not finite(equity):
            raise ValueError(f"equity must be a finite number, was {equity}")
        floors = self._floors_f
        if floors is not None and not self._tripped and self._day is not None and ts // DAY_MS <= self._day:
            peak, daily, drawdown = floors
            if (equity < peak - abs(peak) * _MARGIN and equity > daily + abs(daily) * _MARGIN
                    and equity > drawdown + abs(drawdown) * _MARGIN):
                self._last_equity = equity
                return []
        return self.on_equity(ts, Decimal(repr(equity)))

    def _refresh_floors(self) -> None:
        if self._peak is None or self._day_start is None:
            self._floors_f = None
            return
        self._floors_f = (float(self._peak), float(self._day_start * self._daily_keep),
                          float(self._peak * self._drawdown_keep))

    def _last(self) -> Decimal | None:
        last = self._last_equity
        return Decimal(repr(last)) if isinstance(last, float) else last

    def halt(self, ts: int, reason: str) -> BreakerEvent:
        """Latch a halt for a reason of the engine's own (e.g. a reconciliation mismatch)."""
        last = self._last()
        equity = last if last is not None else Decimal(0)
        event = BreakerEvent(MANUAL, ts, equity, equity, equity, reason)
        self._tripped.append(event)
        return event

    def reset(self, by: str, ts: int, equity: Decimal | None = None) -> None:
        """A person clears the halt; the peak and the day's start are rebased to `equity` (default: the last seen)."""
        if not by.strip():
            raise ValueError("reset needs the name of the person resetting, was empty")
        base = equity if equity is not None else self._last()
        self._last_reset = {
            "by": by,
            "ts": ts,
            "cleared": [event.kind for event in self._tripped],
        }
        self._tripped.clear()
        if base is not None:
            self._peak = base
            self._day_start = base
            self._day = ts // DAY_MS
            self._last_equity = base
        self._refresh_floors()

    # ------------------------------------------------------------------ persistence
    def state(self) -> dict[str, Any]:
        """Everything needed to continue after a restart, as JSON-able values (Decimals as strings)."""
        return {
            "version": STATE_VERSION,
            "day": self._day,
            "day_start_equity": _text(self._day_start),
            "peak_equity": _text(self._peak),
            "last_equity": _text(self._last()),
            "tripped": [event.to_dict() for event in self._tripped],
            "last_reset": dict(self._last_reset) if self._last_reset else None,
        }

    def restore(self, state: dict[str, Any]) -> None:
        """Continue from `state()`; a halt in it stays latched."""
        version = state.get("version")
        if version != STATE_VERSION:
            raise ValueError(f"breaker state version must be {STATE_VERSION}, was {version!r}")
        try:
            day = state["day"]
            parsed_day = None if day is None else int(day)
            day_start = _decimal(state["day_start_equity"])
            peak = _decimal(state["peak_equity"])
            last_equity = _decimal(state["last_equity"])
            tripped = [BreakerEvent.from_dict(item) for item in state["tripped"]]
            reset = state.get("last_reset")
            last_reset = dict(reset) if reset else None
        except (KeyError, TypeError, ValueError, ArithmeticError) as exc:
            raise ValueError(f"breaker state is incomplete or corrupt ({exc!r}): {state!r}") from exc
        # Assigned only once everything parsed, so a bad state leaves the breakers as they were.
        self._day, self._day_start, self._peak, self._last_equity = parsed_day, day_start, peak, last_equity
        self._tripped, self._last_reset = tripped, last_reset
        self._refresh_floors()

def _text(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


def _decimal(value: object) -> Decimal | None:
    return None if value is None else Decimal(str(value))
