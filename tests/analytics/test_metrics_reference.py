"""Every metric against an independent plain-Python implementation, on random curves and trades."""

from __future__ import annotations

import itertools
import math
import statistics
from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from perpbot.analytics import PerformanceReport, breakdown, breakdowns, compute_metrics, trade_pnl
from perpbot.analytics import equity as equity_module
from perpbot.model import ExitReason, Side, Trade

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
DAY = 86_400_000


# ------------------------------------------------------------------ the independent implementation


def utc_day(ts: int) -> date:
    return (EPOCH + timedelta(milliseconds=ts)).date()


def ref_daily_values(equity: Sequence[float], ts: Sequence[int]) -> list[float]:
    last: dict[date, float] = {}
    for value, t in zip(equity, ts, strict=True):
        last[utc_day(t)] = value
    days = sorted(last)
    out: list[float] = []
    current = math.nan
    day = days[0]
    while day <= days[-1]:
        if day in last:
            current = last[day]
        out.append(current)
        day += timedelta(days=1)
    return out


def ref_daily_returns(equity: Sequence[float], ts: Sequence[int], start: float) -> list[float]:
    values = ref_daily_values(equity, ts)
    out = []
    prev = start
    for v in values:
        out.append(v / prev - 1 if prev > 0 else math.nan)
        prev = v
    return out


def ref_div(num: float, den: float) -> float:
    if math.isnan(num) or math.isnan(den):
        return math.nan
    if den == 0:
        return math.inf if num > 0 else -math.inf if num < 0 else math.nan
    return num / den


def ref_sharpe(r: list[float]) -> float:
    if len(r) < 2 or any(math.isnan(x) for x in r):
        return math.nan
    return ref_div(statistics.mean(r), statistics.stdev(r)) * math.sqrt(365)


def ref_sortino(r: list[float]) -> float:
    if len(r) < 2 or any(math.isnan(x) for x in r):
        return math.nan
    total = 0.0
    for x in r:
        if x < 0:
            total += x * x
    return ref_div(statistics.mean(r), math.sqrt(total / len(r))) * math.sqrt(365)


def ref_cagr(start: float, final: float, span_ms: int) -> float:
    if span_ms <= 0:
        return math.nan
    if final <= 0:
        return -1.0
    years = span_ms / (365 * DAY)
    try:
        return float((final / start) ** (1 / years)) - 1
    except OverflowError:
        return math.inf


def ref_drawdown(equity: Sequence[float], ts: Sequence[int], start: float) -> tuple[float, float]:
    peak, peak_time, worst, longest, under = start, ts[0], 0.0, 0, False
    for t, v in zip(ts, equity, strict=True):
        if v >= peak:
            if under:
                longest = max(longest, t - peak_time)
                under = False
            peak, peak_time = v, t
        else:
            under = True
            worst = max(worst, (peak - v) / peak)
    if under:
        longest = max(longest, ts[-1] - peak_time)
    return worst, longest / DAY


def ref_exposure(trades: Sequence[Trade], start: int, end: int) -> float:
    if end <= start:
        return math.nan
    points = sorted({start, end} | {min(max(t.entry_ts, start), end) for t in trades}
                    | {min(max(t.exit_ts, start), end) for t in trades})
    covered = 0
    for a, b in itertools.pairwise(points):
        mid = (a + b) / 2
        if any(t.entry_ts <= mid <= t.exit_ts for t in trades):
            covered += b - a
    return covered / (end - start)


def ref_trades(trades: Sequence[Trade]) -> dict[str, float]:
    ordered = sorted(trades, key=lambda t: t.exit_ts)
    pnl = [float(t.gross_pnl - t.fees + t.funding) for t in ordered]
    wins = [p for p in pnl if p > 0]
    losses = [p for p in pnl if p < 0]
    win_streak = loss_streak = w = lo = 0
    for p in pnl:
        w = w + 1 if p > 0 else 0
        lo = lo + 1 if p < 0 else 0
        win_streak, loss_streak = max(win_streak, w), max(loss_streak, lo)
    n = len(pnl)
    return {
        "num_trades": n,
        "num_wins": len(wins),
        "num_losses": len(losses),
        "win_rate": len(wins) / n if n else math.nan,
        "profit_factor": ref_div(sum(wins), -sum(losses)),
        "expectancy": sum(pnl) / n if n else math.nan,
        "avg_win": sum(wins) / len(wins) if wins else math.nan,
        "avg_loss": sum(losses) / len(losses) if losses else math.nan,
        "best_trade": max(pnl) if pnl else math.nan,
        "worst_trade": min(pnl) if pnl else math.nan,
        "longest_win_streak": win_streak,
        "longest_loss_streak": loss_streak,
        "net_pnl": sum(pnl),
    }


def close(a: float, b: float) -> bool:
    if math.isnan(a) or math.isnan(b):
        return math.isnan(a) and math.isnan(b)
    if math.isinf(a) or math.isinf(b):
        return a == b
    return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-9)


# ------------------------------------------------------------------ random inputs

START_MS = 1_704_067_200_000  # 2024-01-01


@st.composite
def curves(draw: st.DrawFn) -> tuple[list[float], list[int], float]:
    n = draw(st.integers(1, 60))
    steps = draw(st.lists(st.sampled_from([0, 60_000, 3_600_000, 4 * 3_600_000, DAY, 3 * DAY + 17]),
                          min_size=n - 1, max_size=n - 1))
    offset = draw(st.integers(0, DAY - 1))
    ts = [START_MS + offset]
    for s in steps:
        ts.append(ts[-1] + s)
    start = draw(st.floats(100, 10_000))
    kind = draw(st.sampled_from(["walk", "flat", "free"]))
    if kind == "flat":
        equity = [start] * n
    elif kind == "free":
        equity = draw(st.lists(st.floats(1, 20_000), min_size=n, max_size=n))
    else:
        moves = draw(st.lists(st.floats(-0.05, 0.05), min_size=n, max_size=n))
        equity, v = [], start
        for m in moves:
            v *= 1 + m
            equity.append(v)
    return equity, ts, start


def money(lo: int, hi: int) -> st.SearchStrategy[Decimal]:
    return st.integers(lo * 100, hi * 100).map(lambda c: Decimal(c) / 100)


@st.composite
def trade_lists(draw: st.DrawFn, first_ts: int, last_ts: int) -> list[Trade]:
    trades = []
    for _ in range(draw(st.integers(0, 25))):
        entry = draw(st.integers(first_ts - DAY, last_ts + DAY))
        exit_ = entry + draw(st.integers(0, 5 * DAY))
        trades.append(Trade(
            symbol=draw(st.sampled_from(["BTCUSDT", "ETHUSDT"])),
            side=draw(st.sampled_from(list(Side))),
            qty=Decimal(1),
            entry_price=Decimal(100),
            exit_price=Decimal(101),
            entry_ts=entry,
            exit_ts=exit_,
            gross_pnl=draw(st.one_of(money(-500, 500), st.just(Decimal(0)))),
            fees=draw(money(0, 5)),
            funding=draw(money(-3, 3)),
            exit_reason=draw(st.sampled_from(list(ExitReason))),
            strategies=tuple(draw(st.lists(st.sampled_from(["a", "b", "c"]), max_size=3, unique=True))),
            regime=draw(st.sampled_from(["trending", "ranging", "volatile", ""])),
        ))
    return trades


@settings(max_examples=250, deadline=None)
@given(data=st.data())
def test_every_metric_matches_the_reference(data: st.DataObject) -> None:
    equity, ts, start = data.draw(curves())
    trades = data.draw(trade_lists(ts[0], ts[-1]))
    report = compute_metrics(np.array(equity), np.array(ts, dtype=np.int64), trades, starting_balance=start,
                             fees_paid=12.5, funding_paid=-3.0)

    daily = ref_daily_returns(equity, ts, start)
    growth = ref_cagr(start, equity[-1], ts[-1] - ts[0])
    dd, dd_days = ref_drawdown(equity, ts, start)
    expected: dict[str, float] = {
        "final_equity": equity[-1],
        "total_return": equity[-1] / start - 1,
        "days": (ts[-1] - ts[0]) / DAY,
        "cagr": growth,
        "sharpe": ref_sharpe(daily),
        "sortino": ref_sortino(daily),
        "max_drawdown": dd,
        "max_drawdown_duration_days": dd_days,
        "calmar": ref_div(growth, dd),
        "num_daily_returns": len(daily),
        "exposure": ref_exposure(trades, ts[0], ts[-1]),
        "fees_paid": 12.5,
        "funding_paid": -3.0,
    }
    ref = ref_trades(trades)
    expected.update({k: v for k, v in ref.items() if k != "net_pnl"})
    for name, want in expected.items():
        got = getattr(report, name)
        assert close(float(got), float(want)), f"{name}: got {got}, reference {want}"
    assert report.sharpe != report.sharpe or report.num_daily_returns >= 2
    given_pnl = compute_metrics(np.array(equity), np.array(ts, dtype=np.int64), trades, starting_balance=start,
                                fees_paid=12.5, funding_paid=-3.0, trade_pnl=trade_pnl(trades))
    assert str(given_pnl) == str(report)  # the same figures from the caller's net PnL (str: NaN != NaN)


@settings(max_examples=150, deadline=None)
@given(data=st.data(), block=st.integers(1, 9))
def test_the_drawdown_is_the_same_whatever_block_it_is_worked_out_in(data: st.DataObject, block: int) -> None:
    equity, ts, start = data.draw(curves())
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(equity_module, "_BLOCK", block)
        got = equity_module.drawdowns(np.array(equity), np.array(ts, dtype=np.int64), start)
    dd, dd_days = ref_drawdown(equity, ts, start)
    assert close(got[0], dd) and close(got[1], dd_days), f"block {block}: got {got}, reference {(dd, dd_days)}"
    whole = equity_module.drawdowns(np.array(equity), np.array(ts, dtype=np.int64), start)
    assert got == whole  # the same floats: a maximum is exact


@settings(max_examples=120, deadline=None)
@given(data=st.data(), key=st.sampled_from(["strategy", "symbol", "side", "regime", "exit_reason"]))
def test_breakdown_matches_the_reference(data: st.DataObject, key: str) -> None:
    trades = data.draw(trade_lists(START_MS, START_MS + 30 * DAY))
    groups: dict[str, list[Trade]] = {}
    for t in trades:
        if key == "strategy":
            labels = list(t.strategies) or ["(none)"]
        elif key == "symbol":
            labels = [t.symbol]
        elif key == "side":
            labels = [t.side.value]
        elif key == "regime":
            labels = [t.regime or "(none)"]
        else:
            labels = [t.exit_reason.value]
        for label in labels:
            groups.setdefault(label, []).append(t)
    rows = breakdown(trades, key)
    assert str(breakdown(trades, key, trade_pnl(trades))) == str(rows)
    # all the keys at once share the row of all trades between the keys with one group: the same rows
    assert str(breakdowns(trades)[key]) == str([row.to_dict() for row in rows])
    assert [r.key for r in rows] == sorted(groups)
    table = {r.key: r for r in rows}
    for label, members in groups.items():
        ref = ref_trades(members)
        row = table[label]
        assert row.count == len(members)
        assert close(row.net_pnl, ref["net_pnl"])
        assert close(row.win_rate, ref["win_rate"])
        assert close(row.avg_pnl, ref["expectancy"])
        assert close(row.profit_factor, ref["profit_factor"])


def test_report_type() -> None:
    report = compute_metrics(np.array([100.0]), np.array([START_MS]), [], starting_balance=100.0,
                             fees_paid=0.0, funding_paid=0.0)
    assert isinstance(report, PerformanceReport)
    with pytest.raises(AttributeError):
        report.sharpe = 1.0  # type: ignore[misc]
