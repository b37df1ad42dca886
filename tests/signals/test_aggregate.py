"""Signal aggregation: hand-computed cases, a plain-loop reference, and live/backtest agreement."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from perpbot.model import Direction, Signal
from perpbot.signals import (
    DEFAULT,
    RANGING,
    TRENDING,
    UNKNOWN,
    VOLATILE,
    AggregationConfig,
    MatrixConfig,
    SignalAggregator,
    StrategyMatrix,
    StrategyWeight,
    regime_name,
)

IDS = ("a", "b", "c")


def make_aggregator(threshold: float = 0.5, mode: str = "weighted") -> SignalAggregator:
    matrix = StrategyMatrix(
        MatrixConfig(
            trending={"a": 2.0, "b": 1.0},
            ranging={"b": 1.0, "c": 1.0},
            volatile={"a": 1.0, "b": 1.0, "c": 0.0},
            default={"a": 1.0, "b": 1.0, "c": 1.0},
        ),
        {"a": StrategyWeight(weight=1.0), "b": StrategyWeight(weight=1.0), "c": StrategyWeight(weight=0.5)},
    )
    return SignalAggregator(matrix, AggregationConfig.model_validate({"threshold": threshold, "stop_combine": mode}),
                            IDS)


def test_hand_computed_trending_bar() -> None:
    agg = make_aggregator()
    frame = agg.combine(
        {"a": [1.0], "b": [-0.5], "c": [1.0]},
        {"a": [10.0], "b": [4.0], "c": [7.0]},
        {"a": [30.0]},
        [TRENDING],
    )
    # weights a=2, b=1, c=0 (not in trending): (2*1 + 1*-0.5) / 3 = 0.5
    assert frame.score[0] == pytest.approx(0.5)
    assert frame.direction[0] == 1 and frame.strength[0] == pytest.approx(0.5)
    assert frame.stop_distance[0] == 10.0  # only "a" agrees (c has no weight here)
    assert frame.take_profit_distance[0] == 30.0


def test_silent_strategies_dilute_and_below_threshold_is_flat() -> None:
    agg = make_aggregator()
    frame = agg.combine({"a": [0.0], "b": [0.8], "c": [np.nan]}, {}, {}, [DEFAULT])
    # default: a=1, b=1, c=0.5 -> 0.8 / 2.5 = 0.32 < 0.5
    assert frame.score[0] == pytest.approx(0.32)
    assert frame.direction[0] == 0
    assert math.isnan(frame.stop_distance[0]) and math.isnan(frame.take_profit_distance[0])


def test_unknown_regime_and_no_weights_score_zero() -> None:
    agg = make_aggregator()
    frame = agg.combine({"a": [1.0, 1.0], "b": [1.0, 1.0], "c": [1.0, 1.0]}, {}, {}, [UNKNOWN, RANGING])
    assert frame.score.tolist() == [0.0, 1.0]
    assert frame.direction.tolist() == [0, 1]


@pytest.mark.parametrize(("mode", "expected"), [("weighted", (2 * 1 * 10 + 1 * 0.5 * 4) / 2.5),
                                                 ("widest", 10.0), ("tightest", 4.0)])
def test_stop_combine_modes(mode: str, expected: float) -> None:
    agg = make_aggregator(threshold=0.1, mode=mode)
    frame = agg.combine({"a": [-1.0], "b": [-0.5], "c": [0.0]}, {"a": [10.0], "b": [4.0], "c": [1.0]}, {},
                        [TRENDING])
    assert frame.direction[0] == -1
    assert frame.stop_distance[0] == pytest.approx(expected)


def test_distances_ignore_nan_zero_and_disagreeing_strategies() -> None:
    agg = make_aggregator(threshold=0.1, mode="tightest")
    frame = agg.combine({"a": [1.0], "b": [1.0], "c": [-1.0]}, {"a": [np.nan], "b": [0.0], "c": [1.0]}, {},
                        [DEFAULT])
    assert frame.direction[0] == 1
    assert math.isnan(frame.stop_distance[0])


def test_input_validation() -> None:
    agg = make_aggregator()
    with pytest.raises(ValueError, match="no series for strategies c"):
        agg.combine({"a": [1.0], "b": [1.0]}, {}, {}, [DEFAULT])
    with pytest.raises(ValueError, match="unknown strategies zz"):
        agg.combine({"a": [1.0], "b": [1.0], "c": [0.0], "zz": [0.0]}, {}, {}, [DEFAULT])
    with pytest.raises(ValueError, match=r"must lie in \[-1, 1\]"):
        agg.combine({"a": [1.5], "b": [1.0], "c": [0.0]}, {}, {}, [DEFAULT])
    with pytest.raises(ValueError, match="1-d array of 2 values"):
        agg.combine({"a": [1.0], "b": [1.0], "c": [0.0]}, {}, {}, [DEFAULT, DEFAULT])
    with pytest.raises(ValueError, match="regime codes must be in"):
        agg.combine({"a": [1.0], "b": [1.0], "c": [0.0]}, {}, {}, [7])
    with pytest.raises(ValueError, match="unique"):
        SignalAggregator(agg.matrix, agg.config, ["a", "a"])


def test_decide_builds_a_recorded_intent() -> None:
    agg = make_aggregator()
    sigs = [Signal("a", "BTCUSDT", "1h", 5, 1.0, stop_distance=10.0, take_profit_distance=None),
            Signal("b", "BTCUSDT", "1h", 5, 0.5, stop_distance=6.0)]
    intent = agg.decide("BTCUSDT", 5, sigs, "trending", 100.0)
    assert intent.direction is Direction.LONG
    assert intent.score == pytest.approx(2.5 / 3)
    assert intent.stop_distance == pytest.approx((2 * 10 + 0.5 * 6) / 2.5)
    assert intent.take_profit_distance is None
    assert intent.regime == "trending" and intent.reference_price == 100.0
    assert intent.signals == tuple(sigs)
    assert intent.weights == (("a", 2.0), ("b", 1.0), ("c", 0.0))
    with pytest.raises(ValueError, match="is for ETHUSDT"):
        agg.decide("BTCUSDT", 5, [Signal("a", "ETHUSDT", "1h", 5, 1.0)], "trending", 1.0)
    with pytest.raises(ValueError, match="two signals"):
        agg.decide("BTCUSDT", 5, sigs + sigs[:1], "trending", 1.0)
    with pytest.raises(ValueError, match="regime must be one of"):
        agg.decide("BTCUSDT", 5, sigs, "sideways", 1.0)


# ---------------------------------------------------------------- random inputs

signal_value = st.one_of(st.floats(-1, 1), st.sampled_from([-1.0, 0.0, 1.0, math.nan]))
distance = st.one_of(st.floats(0, 1000), st.just(math.nan))
bar = st.tuples(
    st.lists(signal_value, min_size=3, max_size=3),
    st.lists(distance, min_size=3, max_size=3),
    st.lists(distance, min_size=3, max_size=3),
    st.sampled_from([UNKNOWN, RANGING, TRENDING, VOLATILE, DEFAULT]),
)


def reference_bar(agg: SignalAggregator, values: list[float], stops: list[float], tps: list[float],
                  code: int) -> tuple[float, int, float, float]:
    """The documented arithmetic, one bar at a time, with plain Python."""
    weights = agg.matrix.weights_for(regime_name(code))
    num = den = 0.0
    for sid, v in zip(IDS, values, strict=True):
        w = weights.get(sid, 0.0)
        num += w * (0.0 if math.isnan(v) else v)
        den += w
    score = num / den if den > 0 else 0.0
    direction = (1 if score > 0 else -1) if abs(score) >= agg.config.threshold else 0

    def combine(dist: list[float]) -> float:
        picked = []
        for sid, v, d in zip(IDS, values, dist, strict=True):
            w = weights.get(sid, 0.0)
            if direction and w > 0 and not math.isnan(v) and v * direction > 0 and not math.isnan(d) and d > 0:
                picked.append((w * abs(v), d))
        if not picked:
            return math.nan
        if agg.config.stop_combine == "widest":
            return max(d for _, d in picked)
        if agg.config.stop_combine == "tightest":
            return min(d for _, d in picked)
        return sum(c * d for c, d in picked) / sum(c for c, _ in picked)

    return score, direction, combine(stops), combine(tps)


def same(x: float, y: float) -> bool:
    return (math.isnan(x) and math.isnan(y)) or x == y


@settings(max_examples=300, deadline=None)
@given(bars=st.lists(bar, min_size=1, max_size=40), threshold=st.floats(0.01, 1.0),
       mode=st.sampled_from(["weighted", "widest", "tightest"]))
def test_combine_matches_reference_and_decide_agrees_bit_for_bit(
    bars: list[tuple[list[float], list[float], list[float], int]], threshold: float, mode: str
) -> None:
    agg = make_aggregator(threshold, mode)
    codes = [b[3] for b in bars]
    signals = {sid: [b[0][j] for b in bars] for j, sid in enumerate(IDS)}
    stops = {sid: [b[1][j] for b in bars] for j, sid in enumerate(IDS)}
    tps = {sid: [b[2][j] for b in bars] for j, sid in enumerate(IDS)}
    frame = agg.combine(signals, stops, tps, codes)
    assert len(frame) == len(bars)
    assert ((frame.score >= -1) & (frame.score <= 1)).all()
    for i, (values, stop, tp, code) in enumerate(bars):
        score, direction, ref_stop, ref_tp = reference_bar(agg, values, stop, tp, code)
        assert frame.score[i] == pytest.approx(score, abs=1e-12)
        if abs(abs(score) - threshold) > 1e-9:  # away from the rounding edge of the threshold
            assert frame.direction[i] == direction
        if frame.direction[i] == direction:
            assert same(frame.stop_distance[i], ref_stop) or frame.stop_distance[i] == pytest.approx(ref_stop)
            assert same(frame.take_profit_distance[i], ref_tp) or frame.take_profit_distance[i] == pytest.approx(
                ref_tp)
        # The live path: one candle's Signals through decide() must equal combine() exactly.
        sigs = [Signal(sid, "X", "1h", i, values[j],
                       None if math.isnan(stop[j]) else stop[j], None if math.isnan(tp[j]) else tp[j])
                for j, sid in enumerate(IDS) if not math.isnan(values[j])]
        intent = agg.decide("X", i, sigs, regime_name(code), 1.0)
        assert intent.score == frame.score[i]
        assert int(intent.direction) == frame.direction[i]
        assert intent.strength == frame.strength[i]
        assert same(math.nan if intent.stop_distance is None else intent.stop_distance, frame.stop_distance[i])
        assert same(math.nan if intent.take_profit_distance is None else intent.take_profit_distance,
                    frame.take_profit_distance[i])


@pytest.mark.parametrize("mode", ["weighted", "widest", "tightest"])
def test_decide_is_combine_bit_for_bit_with_many_strategies(mode: str) -> None:
    """Six strategies with uneven weights: sums of several terms depend on their order, so this catches
    the live path summing in any order but the backtest's."""
    ids = [f"s{j}" for j in range(6)]
    rng = np.random.default_rng(5)
    weights = {regime: {sid: float(w) for sid, w in zip(ids, rng.uniform(0.1, 3.0, 6), strict=True)}
               for regime in ("trending", "ranging", "volatile", "default")}
    matrix = StrategyMatrix(MatrixConfig(**weights), {sid: StrategyWeight(weight=1.0) for sid in ids})
    agg = SignalAggregator(matrix, AggregationConfig.model_validate({"threshold": 0.05, "stop_combine": mode}), ids)
    n = 3000
    values = rng.uniform(-1, 1, (n, 6))
    values[rng.random((n, 6)) < 0.1] = np.nan
    stops = rng.uniform(0.1, 500, (n, 6))
    stops[rng.random((n, 6)) < 0.1] = np.nan
    tps = rng.uniform(0.1, 900, (n, 6))
    codes = rng.choice([UNKNOWN, RANGING, TRENDING, VOLATILE, DEFAULT], n).astype(np.int8)
    frame = agg.combine({sid: values[:, j] for j, sid in enumerate(ids)},
                        {sid: stops[:, j] for j, sid in enumerate(ids)},
                        {sid: tps[:, j] for j, sid in enumerate(ids)}, codes)
    assert (frame.direction != 0).sum() > n // 3
    for i in range(n):
        sigs = [Signal(sid, "X", "1h", i, float(values[i, j]),
                       None if np.isnan(stops[i, j]) else float(stops[i, j]), float(tps[i, j]))
                for j, sid in enumerate(ids) if not np.isnan(values[i, j])]
        intent = agg.decide("X", i, sigs, regime_name(int(codes[i])), 1.0)
        assert (intent.score, int(intent.direction), intent.strength) == (
            frame.score[i], frame.direction[i], frame.strength[i]), f"bar {i}"
        assert same(math.nan if intent.stop_distance is None else intent.stop_distance, frame.stop_distance[i])
        assert same(math.nan if intent.take_profit_distance is None else intent.take_profit_distance,
                     frame.take_profit_distance[i])


@pytest.mark.parametrize("mode", ["weighted", "widest", "tightest"])
def test_combine_in_blocks_equals_combine_at_once(monkeypatch: pytest.MonkeyPatch, mode: str) -> None:
    # combine aggregates a block of bars at a time to bound its temporaries; every bar depends on its own row,
    # so any block size must give the same arrays bit for bit (the last block partial here).
    import perpbot.signals.aggregate as aggregate_module

    rng = np.random.default_rng(7)
    n = 1000
    values = rng.choice([-1.0, -0.5, 0.0, 0.3, 1.0, np.nan], size=(n, 3))
    stops = rng.choice([np.nan, 0.0, 2.5, 7.0, np.inf], size=(n, 3))
    tps = rng.choice([np.nan, 1.0, 9.0], size=(n, 3))
    codes = rng.choice([UNKNOWN, TRENDING, RANGING, VOLATILE, DEFAULT], size=n).astype(np.int8)
    agg = make_aggregator(threshold=0.3, mode=mode)

    def run() -> list[bytes]:
        frame = agg.combine({sid: values[:, j] for j, sid in enumerate(IDS)},
                            {sid: stops[:, j] for j, sid in enumerate(IDS)},
                            {sid: tps[:, j] for j, sid in enumerate(IDS)}, codes)
        return [a.tobytes() for a in (frame.score, frame.direction, frame.strength, frame.stop_distance,
                                      frame.take_profit_distance)]

    monkeypatch.setattr(aggregate_module, "_BLOCK", 10**9)
    whole = run()
    monkeypatch.setattr(aggregate_module, "_BLOCK", 97)
    assert run() == whole
