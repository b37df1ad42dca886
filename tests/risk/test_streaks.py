from __future__ import annotations

import json

import pytest

from perpbot.risk.streaks import LossStreak

from .book import D

LOSS = D(-10)
WIN = D(10)


def streak() -> LossStreak:
    return LossStreak(start=2, factor=0.5, min_factor=0.25, recovery_step=0.25)


def test_scaling_starts_at_the_configured_loss() -> None:
    s = streak()
    assert s.factor == 1
    assert s.on_trade_closed(LOSS) == 1  # one loss: not yet
    assert s.on_trade_closed(LOSS) == D("0.5")  # second consecutive loss: halve
    assert s.on_trade_closed(LOSS) == D("0.25")
    assert s.on_trade_closed(LOSS) == D("0.25")  # floor
    assert s.losses == 4


def test_wins_step_back_to_full_size() -> None:
    s = streak()
    for _ in range(3):
        s.on_trade_closed(LOSS)
    assert s.factor == D("0.25")
    assert s.on_trade_closed(WIN) == D("0.5")
    assert s.losses == 0
    assert s.on_trade_closed(WIN) == D("0.75")
    assert s.on_trade_closed(WIN) == 1
    assert s.on_trade_closed(WIN) == 1  # never above full size


def test_a_win_breaks_the_streak() -> None:
    s = streak()
    s.on_trade_closed(LOSS)
    s.on_trade_closed(WIN)
    assert s.on_trade_closed(LOSS) == 1  # the count started again
    assert s.on_trade_closed(LOSS) == D("0.5")


def test_a_loss_after_partial_recovery_scales_from_where_it_is() -> None:
    s = streak()
    for _ in range(3):
        s.on_trade_closed(LOSS)  # 0.25
    s.on_trade_closed(WIN)  # 0.5, streak over
    assert s.on_trade_closed(LOSS) == D("0.5")  # first loss of a new streak: unchanged
    assert s.on_trade_closed(LOSS) == D("0.25")


def test_breakeven_changes_nothing() -> None:
    s = streak()
    s.on_trade_closed(LOSS)
    assert s.on_trade_closed(D(0)) == 1
    assert s.losses == 1
    assert s.on_trade_closed(LOSS) == D("0.5")


def test_start_of_one_scales_from_the_first_loss() -> None:
    s = LossStreak(start=1, factor=0.8, min_factor=0.1, recovery_step=1.0)
    assert s.on_trade_closed(LOSS) == D("0.8")
    assert s.on_trade_closed(LOSS) == D("0.64")
    assert s.on_trade_closed(WIN) == 1


def test_state_round_trip() -> None:
    s = streak()
    for _ in range(3):
        s.on_trade_closed(LOSS)
    restored = streak()
    restored.restore(json.loads(json.dumps(s.state())))
    assert restored.factor == D("0.25") and restored.losses == 3
    assert restored.on_trade_closed(WIN) == D("0.5")


@pytest.mark.parametrize(
    "state",
    [{}, {"losses": 1}, {"losses": -1, "factor": "0.5"}, {"losses": 1, "factor": "2"},
     {"losses": 1, "factor": "NaN"}, {"losses": "x", "factor": "1"}],
)
def test_restore_refuses_bad_state(state: dict[str, object]) -> None:
    s = streak()
    with pytest.raises(ValueError, match="loss-streak state"):
        s.restore(state)
    assert s.factor == 1 and s.losses == 0


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"start": 0}, "loss_streak_start must be at least 1, was 0"),
        ({"factor": 0.0}, r"loss_streak_factor must be in \(0, 1\], was 0.0"),
        ({"min_factor": 1.5}, r"min_size_factor must be in \(0, 1\], was 1.5"),
        ({"recovery_step": -0.1}, r"win_recovery_step must be in \(0, 1\], was -0.1"),
    ],
)
def test_constructor_validates(kwargs: dict[str, float], message: str) -> None:
    args: dict[str, float] = {"start": 2, "factor": 0.5, "min_factor": 0.25, "recovery_step": 0.25, **kwargs}
    with pytest.raises(ValueError, match=message):
        LossStreak(int(args["start"]), args["factor"], args["min_factor"], args["recovery_step"])
