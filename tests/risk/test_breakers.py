from __future__ import annotations

import json
from decimal import Decimal

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from perpbot.risk.breakers import DAILY_LOSS, DRAWDOWN, MANUAL, BreakerEvent, CircuitBreakers, iso_utc

from .book import DAY_MS, T0, D, is_halted

HOUR = 3_600_000


def breakers() -> CircuitBreakers:
    return CircuitBreakers(max_daily_loss_pct=5.0, max_drawdown_pct=20.0)


def test_iso_utc() -> None:
    assert iso_utc(T0) == "2024-01-01T00:00:00Z"
    assert iso_utc(T0 + DAY_MS + 90 * 60_000) == "2024-01-02T01:30:00Z"


def test_within_limits_nothing_trips() -> None:
    b = breakers()
    assert b.on_equity(T0, D(10_000)) == []
    assert b.on_equity(T0 + HOUR, D(9_500)) == []  # exactly at the floor: not below it
    assert not b.halted
    assert b.halt_reason is None
    assert b.day_start_equity == D(10_000)
    assert b.peak_equity == D(10_000)


def test_daily_loss_trips_below_the_floor() -> None:
    b = breakers()
    b.on_equity(T0, D(10_000))
    events = b.on_equity(T0 + 2 * HOUR, D("9499.99"))
    assert len(events) == 1
    event = events[0]
    assert event.kind == DAILY_LOSS
    assert event.ts == T0 + 2 * HOUR
    assert event.reference == D(10_000)
    assert event.floor == D("9500.00")
    assert event.detail == (
        "equity 9499.99 fell below the daily floor 9500 (5% under the day's start 10000)"
    )
    assert str(event) == f"daily_loss at 2024-01-01T02:00:00Z: {event.detail}"
    assert b.halted
    assert b.halt_reason == DAILY_LOSS
    assert b.halted_since == T0 + 2 * HOUR


def test_day_start_is_the_first_update_of_each_utc_day() -> None:
    b = breakers()
    b.on_equity(T0 + 3 * HOUR, D(10_000))
    assert b.on_equity(T0 + 23 * HOUR, D(9_600)) == []  # -4 %: within the day's 5 %
    b.on_equity(T0 + DAY_MS + HOUR, D(9_600))  # a new UTC day starts at 9 600
    assert b.day_start_equity == D(9_600)
    events = b.on_equity(T0 + DAY_MS + 2 * HOUR, D(9_119))  # floor 9 120
    assert [e.kind for e in events] == [DAILY_LOSS]
    assert events[0].reference == D(9_600)


def test_the_same_loss_split_over_two_days_does_not_trip() -> None:
    b = breakers()
    b.on_equity(T0, D(10_000))
    b.on_equity(T0 + DAY_MS - 1, D(9_600))
    assert b.on_equity(T0 + DAY_MS, D(9_200)) == []  # the new day starts at 9 200
    assert not b.halted


def test_halt_latches_across_the_day_change() -> None:
    b = breakers()
    b.on_equity(T0, D(10_000))
    assert b.on_equity(T0 + HOUR, D(9_000))
    assert b.on_equity(T0 + HOUR + 1, D(8_000)) == []  # already tripped: not reported again
    assert b.on_equity(T0 + DAY_MS, D(10_500)) == []  # recovered, new day
    assert b.on_equity(T0 + 5 * DAY_MS, D(11_000)) == []
    assert b.halted
    assert b.halt_reason == DAILY_LOSS
    assert b.halted_since == T0 + HOUR


def test_drawdown_from_the_peak_across_days() -> None:
    b = breakers()
    equity = D(10_000)
    b.on_equity(T0, equity)
    b.on_equity(T0 + HOUR, D(12_000))  # the peak
    # Lose 4 % a day: the daily limit never trips, the drawdown does.
    equity = D(12_000)
    tripped: list[BreakerEvent] = []
    day = 1
    while not tripped:
        tripped = b.on_equity(T0 + day * DAY_MS, equity)  # the day starts where the last one ended
        equity = equity * D("0.96")
        tripped += b.on_equity(T0 + day * DAY_MS + HOUR, equity)
        day += 1
        assert day < 20
    assert [e.kind for e in tripped] == [DRAWDOWN]
    assert tripped[0].reference == D(12_000)
    assert tripped[0].floor == D("9600.00")
    assert "fell below the drawdown floor 9600 (20% under the peak 12000)" in tripped[0].detail


def test_both_breakers_can_trip_in_one_update() -> None:
    b = breakers()
    b.on_equity(T0, D(10_000))
    events = b.on_equity(T0 + 1, D(7_000))
    assert [e.kind for e in events] == [DAILY_LOSS, DRAWDOWN]
    assert b.halt_reason == DAILY_LOSS
    assert [e.kind for e in b.tripped] == [DAILY_LOSS, DRAWDOWN]


def test_after_a_daily_halt_a_later_drawdown_is_still_reported() -> None:
    b = breakers()
    b.on_equity(T0, D(10_000))
    assert [e.kind for e in b.on_equity(T0 + 1, D(9_400))] == [DAILY_LOSS]
    assert [e.kind for e in b.on_equity(T0 + DAY_MS, D(7_900))] == [DRAWDOWN]


def test_state_survives_json_and_a_restart() -> None:
    b = breakers()
    b.on_equity(T0, D(10_000))
    b.on_equity(T0 + HOUR, D(9_000))
    saved = json.loads(json.dumps(b.state()))
    restarted = breakers()
    restarted.restore(saved)
    assert restarted.halted
    assert restarted.halt_reason == DAILY_LOSS
    assert restarted.halted_since == T0 + HOUR
    assert restarted.tripped == b.tripped
    # Still latched on the next day after the restart.
    assert restarted.on_equity(T0 + DAY_MS, D(10_000)) == []
    assert restarted.halted
    assert restarted.state() != b.state()  # it moved on; the original did not


def test_a_restart_mid_day_keeps_the_days_start_and_the_peak() -> None:
    b = breakers()
    b.on_equity(T0, D(10_000))
    b.on_equity(T0 + HOUR, D(9_600))
    restarted = breakers()
    restarted.restore(json.loads(json.dumps(b.state())))
    assert restarted.day_start_equity == D(10_000)
    assert restarted.peak_equity == D(10_000)
    # The baseline is still 10 000, not the 9 600 seen first after the restart.
    assert [e.kind for e in restarted.on_equity(T0 + 2 * HOUR, D(9_400))] == [DAILY_LOSS]


def test_restore_refuses_a_bad_state_and_keeps_its_own() -> None:
    b = breakers()
    b.on_equity(T0, D(10_000))
    before = b.state()
    with pytest.raises(ValueError, match="breaker state version must be 1, was 7"):
        b.restore({**before, "version": 7})
    with pytest.raises(ValueError, match="breaker state is incomplete or corrupt"):
        b.restore({**before, "peak_equity": "lots"})
    with pytest.raises(ValueError, match="breaker state is incomplete or corrupt"):
        b.restore({"version": 1})
    assert b.state() == before


def test_reset_by_a_person_clears_and_rebases() -> None:
    b = breakers()
    b.on_equity(T0, D(10_000))
    b.on_equity(T0 + HOUR, D(7_500))
    assert b.halted
    with pytest.raises(ValueError, match="reset needs the name of the person"):
        b.reset(" ", T0 + 2 * HOUR)
    b.reset("alice", T0 + 2 * HOUR)
    assert not is_halted(b)
    assert b.peak_equity == D(7_500)
    assert b.day_start_equity == D(7_500)
    # The same equity does not trip again: the losses so far were accepted.
    assert b.on_equity(T0 + 3 * HOUR, D(7_500)) == []
    assert b.state()["last_reset"] == {"by": "alice", "ts": T0 + 2 * HOUR, "cleared": [DAILY_LOSS, DRAWDOWN]}
    # A fresh 5 % loss from the new base trips again.
    assert [e.kind for e in b.on_equity(T0 + 4 * HOUR, D(7_100))] == [DAILY_LOSS]


def test_reset_to_an_explicit_equity() -> None:
    b = breakers()
    b.on_equity(T0, D(10_000))
    b.on_equity(T0 + HOUR, D(9_000))
    b.reset("bob", T0 + 2 * HOUR, equity=D(9_100))
    assert b.peak_equity == D(9_100)
    assert b.day_start_equity == D(9_100)


def test_manual_halt_latches_until_reset() -> None:
    b = breakers()
    b.on_equity(T0, D(10_000))
    event = b.halt(T0 + 5, "reconciliation: exchange reports an unknown ETHUSDT position")
    assert event.kind == MANUAL
    assert b.halted and b.halt_reason == MANUAL
    restarted = breakers()
    restarted.restore(json.loads(json.dumps(b.state())))
    assert restarted.halted and restarted.tripped[0].detail.startswith("reconciliation")
    restarted.reset("carol", T0 + 10)
    assert not is_halted(restarted)


def test_non_finite_equity_is_refused() -> None:
    with pytest.raises(ValueError, match="equity must be a finite number, was NaN"):
        breakers().on_equity(T0, Decimal("NaN"))


def test_constructor_validates_its_limits() -> None:
    with pytest.raises(ValueError, match=r"max_daily_loss_pct must be in \(0, 100\], was 0"):
        CircuitBreakers(0, 20)
    with pytest.raises(ValueError, match=r"max_drawdown_pct must be in \(0, 100\], was 150"):
        CircuitBreakers(5, 150)


def test_float_floors_for_a_vectorised_search() -> None:
    b = breakers()
    assert b.daily_floor(10_000.0) == pytest.approx(9_500.0)
    assert b.drawdown_floor(D(12_000)) == pytest.approx(9_600.0)


def test_vectorised_first_breach_matches_the_event_loop() -> None:
    """A backtest can find the first breach bar in bulk with the float floors; it agrees with on_equity."""
    rng = np.random.default_rng(3)
    n = 24 * 40
    ts = T0 + HOUR * np.arange(n, dtype=np.int64)
    equity = 10_000 * np.exp(np.cumsum(rng.normal(-0.0004, 0.004, n)))
    b = breakers()
    day = ts // DAY_MS
    first_of_day = np.r_[True, day[1:] != day[:-1]]
    day_start = equity[np.maximum.accumulate(np.where(first_of_day, np.arange(n), 0))]
    peak = np.maximum.accumulate(equity)
    daily = equity < np.array([b.daily_floor(v) for v in day_start])
    drawdown = equity < np.array([b.drawdown_floor(v) for v in peak])
    breach = daily | drawdown
    assert breach.any()
    expected = int(np.argmax(breach))

    loop = breakers()
    found = None
    for i in range(n):
        if loop.on_equity(int(ts[i]), Decimal(repr(float(equity[i])))):
            found = i
            break
    assert found == expected


_marks = st.lists(st.tuples(st.integers(0, DAY_MS // 3), st.floats(min_value=1.0, max_value=20_000.0)), max_size=40)


def _twins(daily: float, drawdown: float, marks: list[tuple[int, float]], start: dict | None = None) -> None:
    """Feed the same marks as Decimals to one breaker and as floats to another: events and state must agree."""
    exact, fast = CircuitBreakers(daily, drawdown), CircuitBreakers(daily, drawdown)
    if start is not None:
        exact.restore(start)
        fast.restore(start)
    ts = T0
    for step, equity in marks:
        ts += step
        assert fast.on_equity_float(ts, equity) == exact.on_equity(ts, Decimal(repr(equity)))
        assert fast.state() == exact.state()


@given(_marks, st.sampled_from([1.0, 5.0, 33.3]), st.sampled_from([2.5, 20.0, 99.0]))
def test_float_marks_leave_the_breakers_as_decimal_marks_do(marks: list[tuple[int, float]], daily: float,
                                                           drawdown: float) -> None:
    _twins(daily, drawdown, marks)


def test_float_marks_on_the_floors_and_the_peak_take_the_exact_path() -> None:
    # 10,000 peak and day start: the daily floor is 9,500 exactly and the drawdown floor 8,000.
    on_and_under = [(0, 10_000.0), (HOUR, 10_000.0), (HOUR, 9_500.0), (HOUR, 9_499.999999999998), (HOUR, 9_000.0)]
    _twins(5.0, 20.0, on_and_under)
    _twins(50.0, 20.0, [(0, 10_000.0), (HOUR, 8_000.0), (HOUR, 7_999.999999999999)])
    # Restored from text that no float holds exactly: the peak sits between two floats.
    state = {"version": 1, "day": T0 // DAY_MS, "day_start_equity": "10000.0000000000000001",
             "peak_equity": "10000.0000000000000001", "last_equity": "10000", "tripped": [], "last_reset": None}
    _twins(5.0, 20.0, [(0, 10_000.0), (0, 10_000.000000000002), (HOUR, 9_500.0)], start=state)
