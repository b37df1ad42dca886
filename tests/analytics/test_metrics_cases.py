"""Hand-computed metrics and the edge cases: no trades, flat equity, one day, all wins, all losses."""

from __future__ import annotations

import json
import math
from decimal import Decimal

import numpy as np
import pytest

from perpbot.analytics import PerformanceReport, breakdown, compute_metrics, trade_pnl, trade_stats
from perpbot.analytics.numbers import json_number, safe_ratio
from perpbot.model import ExitReason, Side, Trade

DAY = 86_400_000
HOUR = 3_600_000
T0 = 1_704_067_200_000  # 2024-01-01 00:00 UTC


def trade(net: str, exit_ts: int = T0 + HOUR, *, entry_ts: int = T0, strategies: tuple[str, ...] = ("a",),
          side: Side = Side.BUY, regime: str = "trending", reason: ExitReason = ExitReason.SIGNAL,
          symbol: str = "BTCUSDT", fees: str = "0", funding: str = "0") -> Trade:
    gross = Decimal(net) + Decimal(fees) - Decimal(funding)
    return Trade(symbol, side, Decimal(1), Decimal(100), Decimal(100), entry_ts, exit_ts, gross, Decimal(fees),
                 Decimal(funding), reason, strategies, regime)


def metrics(equity: list[float], ts: list[int], trades: list[Trade] | None = None, **kw: float) -> PerformanceReport:
    return compute_metrics(np.array(equity), np.array(ts, dtype=np.int64), trades or [],
                           starting_balance=kw.pop("starting_balance", 100.0), fees_paid=kw.pop("fees_paid", 0.0),
                           funding_paid=kw.pop("funding_paid", 0.0), **kw)


def test_hand_computed_three_days() -> None:
    ts = [T0, T0 + 12 * HOUR, T0 + DAY + 12 * HOUR, T0 + 2 * DAY + 12 * HOUR]
    r = metrics([100.0, 110.0, 99.0, 121.0], ts)
    daily = [0.10, -0.10, 121 / 99 - 1]  # day ends 110, 99, 121 from the starting 100
    mean = sum(daily) / 3
    sd = math.sqrt(sum((x - mean) ** 2 for x in daily) / 2)
    assert r.total_return == pytest.approx(0.21)
    assert r.num_daily_returns == 3
    assert r.sharpe == pytest.approx(mean / sd * math.sqrt(365))
    assert r.sortino == pytest.approx(mean / math.sqrt(0.01 / 3) * math.sqrt(365))
    assert r.max_drawdown == pytest.approx(0.1)
    assert r.max_drawdown_duration_days == pytest.approx(2.0)  # peak day0 12:00 -> recovered day2 12:00
    assert r.days == pytest.approx(2.5)
    assert r.cagr == pytest.approx(1.21 ** (365 / 2.5) - 1)
    assert r.calmar == pytest.approx(r.cagr / 0.1)


def test_unrecovered_drawdown_runs_to_the_end_and_gap_days_are_flat() -> None:
    ts = [T0, T0 + DAY, T0 + 5 * DAY]
    r = metrics([100.0, 90.0, 95.0], ts)
    assert r.max_drawdown == pytest.approx(0.1)
    assert r.max_drawdown_duration_days == pytest.approx(5.0)  # from the start (the peak is the balance)
    assert r.num_daily_returns == 6  # days 0..5; days 2-4 had no bar and count as flat
    assert r.exposure == 0.0  # no trades and none passed: nothing covers the span


def test_no_trades() -> None:
    r = metrics([100.0, 101.0], [T0, T0 + DAY])
    assert r.num_trades == 0 and r.num_wins == 0
    for name in ("win_rate", "profit_factor", "expectancy", "avg_win", "avg_loss", "best_trade", "worst_trade"):
        assert math.isnan(getattr(r, name)), name
    assert r.longest_win_streak == r.longest_loss_streak == 0
    assert r.exposure == 0.0
    d = r.to_dict()
    assert d["win_rate"] is None and d["profit_factor"] is None
    json.dumps(d, allow_nan=False)


def test_flat_equity() -> None:
    r = metrics([100.0] * 5, [T0 + i * DAY for i in range(5)])
    assert r.total_return == 0.0 and r.cagr == 0.0
    assert r.max_drawdown == 0.0 and r.max_drawdown_duration_days == 0.0
    assert math.isnan(r.sharpe) and math.isnan(r.sortino)  # 0 / 0: no return, no risk
    assert math.isnan(r.calmar)
    json.dumps(r.to_dict(), allow_nan=False)


def test_one_day_of_data() -> None:
    r = metrics([100.0, 100.5, 101.0], [T0, T0 + HOUR, T0 + 23 * HOUR])
    assert r.num_daily_returns == 1
    assert math.isnan(r.sharpe) and math.isnan(r.sortino)  # one daily return has no spread
    assert r.cagr == pytest.approx(1.01 ** (365 * 24 / 23) - 1)
    one_point = metrics([100.0], [T0])
    assert math.isnan(one_point.cagr) and one_point.days == 0.0 and math.isnan(one_point.exposure)
    json.dumps(one_point.to_dict(), allow_nan=False)


def test_all_wins() -> None:
    trades = [trade("5", T0 + HOUR), trade("15", T0 + 2 * HOUR), trade("10", T0 + 3 * HOUR)]
    r = metrics([100.0, 130.0], [T0, T0 + DAY], trades)
    assert r.win_rate == 1.0 and r.num_wins == 3 and r.num_losses == 0
    assert r.profit_factor == math.inf and r.to_dict()["profit_factor"] == "inf"
    assert r.expectancy == pytest.approx(10.0) and r.avg_win == pytest.approx(10.0)
    assert math.isnan(r.avg_loss)
    assert (r.best_trade, r.worst_trade) == (15.0, 5.0)
    assert (r.longest_win_streak, r.longest_loss_streak) == (3, 0)
    assert r.sortino != r.sortino or r.sortino == math.inf


def test_all_losses() -> None:
    trades = [trade("-5", T0 + HOUR), trade("-15", T0 + 2 * HOUR)]
    r = metrics([100.0, 80.0], [T0, T0 + DAY], trades)
    assert r.win_rate == 0.0 and r.profit_factor == 0.0
    assert r.avg_loss == pytest.approx(-10.0) and math.isnan(r.avg_win)
    assert (r.longest_win_streak, r.longest_loss_streak) == (0, 2)
    assert r.cagr == pytest.approx(0.8 ** 365 - 1)


def test_streaks_follow_exit_time_and_breakeven_breaks_them() -> None:
    trades = [trade("1", T0 + 5), trade("-1", T0 + 1), trade("2", T0 + 6), trade("0", T0 + 7), trade("3", T0 + 8),
              trade("-2", T0 + 2), trade("-3", T0 + 3)]
    s = trade_stats(trades)
    assert (s.longest_win_streak, s.longest_loss_streak) == (2, 3)
    assert s.win_rate == pytest.approx(3 / 7)  # the break-even trade is in the count
    assert s.profit_factor == pytest.approx(6 / 6)


def test_fees_and_funding_count_in_net_pnl_and_totals_are_reported() -> None:
    t = trade("-1", fees="3", funding="-0.5")  # gross 2.5 - 3 fees - 0.5 funding = -1
    assert t.net_pnl == Decimal("-1")
    r = metrics([100.0, 99.0], [T0, T0 + DAY], [t], fees_paid=3.0, funding_paid=-0.5)
    assert r.num_losses == 1 and (r.fees_paid, r.funding_paid) == (3.0, -0.5)


def test_exposure_computed_from_trades_or_passed() -> None:
    ts = [T0, T0 + 10 * HOUR]
    trades = [trade("1", T0 + 3 * HOUR, entry_ts=T0 + HOUR), trade("1", T0 + 4 * HOUR, entry_ts=T0 + 2 * HOUR),
              trade("1", T0 + 12 * HOUR, entry_ts=T0 + 9 * HOUR)]
    assert metrics([100.0, 101.0], ts, trades).exposure == pytest.approx(0.4)  # 1h-4h and 9h-10h
    assert metrics([100.0, 101.0], ts, trades, exposure_fraction=0.25).exposure == 0.25


def test_breakdown_by_strategy_credits_every_listed_strategy() -> None:
    trades = [trade("10", strategies=("a", "b")), trade("-4", strategies=("b",)), trade("2", strategies=())]
    rows = breakdown(trades, "strategy")
    assert [r.key for r in rows] == ["(none)", "a", "b"]
    table = {r.key: r for r in rows}
    b = table["b"]
    assert (b.count, b.net_pnl, b.win_rate, b.avg_pnl, b.profit_factor) == (2, 6.0, 0.5, 3.0, 2.5)
    assert table["a"].profit_factor == math.inf
    assert table["a"].to_dict()["profit_factor"] == "inf"
    assert rows[1].to_dict() == {"key": "a", "count": 1, "net_pnl": 10.0, "win_rate": 1.0, "avg_pnl": 10.0,
                                 "profit_factor": "inf"}
    json.dumps([row.to_dict() for row in rows], allow_nan=False)


def _mixed() -> list[Trade]:
    return [trade("1", T0 + 5), trade("-1", T0 + 1), trade("2", T0 + 6), trade("-2", T0 + 2)]


def test_net_pnl_given_by_the_caller_must_match_the_trades() -> None:
    trades = [trade("1"), trade("-1"), trade("2")]
    with pytest.raises(ValueError, match="pnl needs one value per trade: 1 for 3 trades"):
        trade_stats(trades, [1.0])
    with pytest.raises(ValueError, match="pnl needs one value per trade: 0 for 3 trades"):
        breakdown(trades, "side", [])


def test_streaks_follow_exit_order_whatever_the_order_given() -> None:
    trades = _mixed()  # exits in the order 1, 2 (losses), 5, 6 (wins)
    for given in (trades, list(reversed(trades)), sorted(trades, key=lambda t: t.exit_ts)):
        s = trade_stats(given, trade_pnl(given))
        assert (s.longest_win_streak, s.longest_loss_streak) == (2, 2)


def test_a_strategy_listed_twice_counts_once() -> None:
    rows = breakdown([trade("3", strategies=("a", "a")), trade("-1", strategies=("a",))], "strategy")
    assert [(r.key, r.count, r.net_pnl) for r in rows] == [("a", 2, 2.0)]


def test_breakdown_by_other_keys() -> None:
    trades = [trade("1", side=Side.SELL, regime="", reason=ExitReason.STOP_LOSS, symbol="ETHUSDT"), trade("-1")]
    assert {r.key for r in breakdown(trades, "side")} == {"Buy", "Sell"}
    assert {r.key for r in breakdown(trades, "regime")} == {"(none)", "trending"}
    assert {r.key for r in breakdown(trades, "exit_reason")} == {"stop_loss", "signal"}
    assert {r.key for r in breakdown(trades, "symbol")} == {"BTCUSDT", "ETHUSDT"}
    assert breakdown([], "symbol") == []
    with pytest.raises(ValueError, match="breakdown key must be one of strategy, symbol, side, regime, exit_reason"):
        breakdown(trades, "weekday")


def test_wipe_out() -> None:
    r = metrics([100.0, 50.0, -10.0, -10.0], [T0, T0 + DAY, T0 + 2 * DAY, T0 + 3 * DAY])
    assert r.cagr == -1.0 and r.max_drawdown == pytest.approx(1.1)
    assert math.isnan(r.sharpe)  # a return from a base <= 0 is undefined, so is the ratio
    json.dumps(r.to_dict(), allow_nan=False)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"equity": [], "ts": []}, "non-empty"),
        ({"equity": [1.0, 2.0], "ts": [T0]}, "equally long"),
        ({"equity": [1.0, math.nan], "ts": [T0, T0 + 1]}, "finite"),
        ({"equity": [1.0, 2.0], "ts": [T0 + 1, T0]}, "sorted"),
        ({"starting_balance": 0.0}, "starting_balance must be positive, was 0.0"),
        ({"exposure_fraction": 1.5}, r"exposure_fraction must be in \[0, 1\], was 1.5"),
    ],
)
def test_invalid_inputs_are_named(kwargs: dict[str, object], message: str) -> None:
    equity = kwargs.pop("equity", [100.0])
    ts = kwargs.pop("ts", [T0])
    with pytest.raises(ValueError, match=message):
        metrics(equity, ts, **kwargs)  # type: ignore[arg-type]


def test_number_helpers() -> None:
    assert safe_ratio(1.0, 0.0) == math.inf and safe_ratio(-1.0, 0.0) == -math.inf
    assert math.isnan(safe_ratio(0.0, 0.0)) and math.isnan(safe_ratio(math.nan, 1.0))
    assert safe_ratio(3.0, 2.0) == 1.5
    with pytest.raises(ValueError):
        safe_ratio(1.0, -1.0)
    assert [json_number(x) for x in (math.nan, math.inf, -math.inf, 0.5)] == [None, "inf", "-inf", 0.5]


def test_cagr_is_finite_up_to_the_largest_float_and_inf_beyond() -> None:
    # 8,472 to 13,717 in six hours (the case property testing found): an exponent of about 703, a finite 3.46e305.
    from perpbot.analytics.equity import cagr

    six_hours = 6 * 3_600_000
    expected = (13_717.0 / 8_472.0) ** (365 * 24 / 6) - 1
    assert 1e305 < expected < 1e306
    assert cagr(8_472.0, 13_717.0, six_hours) == pytest.approx(expected, rel=1e-9)
    assert cagr(8_472.0, 14_000.0, six_hours) == math.inf  # (14,000 / 8,472) ** 1460 is beyond the largest float
