"""Trades as points on a price chart: where each entered and exited, and where its protective stop sat."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pandas as pd

from perpbot.sessions.frames import SessionFrames

Floats = npt.NDArray[np.float64]
Ints = npt.NDArray[np.int64]

ENTRY_ACTIONS = ("enter", "reverse")


@dataclass(frozen=True, slots=True)
class TradeMarks:
    """One symbol's trades, as float arrays in trade order (prices as floats: they are only drawn)."""

    symbol: str
    trade_no: Ints
    is_long: npt.NDArray[np.bool_]
    entry_ts: Ints
    entry_price: Floats
    exit_ts: Ints
    exit_price: Floats
    exit_reason: list[str]
    stop_price: Floats  # NaN where no stop is recorded
    net_pnl: Floats

    def __len__(self) -> int:
        return int(self.trade_no.size)


def trade_marks(frames: SessionFrames) -> dict[str, TradeMarks]:
    """Every trade's marks, by symbol (symbols sorted)."""
    trades = frames.trades
    stops = entry_stops(frames)
    out: dict[str, TradeMarks] = {}
    for symbol in sorted(trades["symbol"].unique()):
        rows = (trades["symbol"] == symbol).to_numpy()
        mine = trades.loc[rows]
        out[str(symbol)] = TradeMarks(
            symbol=str(symbol),
            trade_no=mine["trade_no"].to_numpy(dtype=np.int64),
            is_long=(mine["side"] == "Buy").to_numpy(),
            entry_ts=mine["entry_ts"].to_numpy(dtype=np.int64),
            entry_price=_floats(mine["entry_price"]),
            exit_ts=mine["exit_ts"].to_numpy(dtype=np.int64),
            exit_price=_floats(mine["exit_price"]),
            exit_reason=[str(r) for r in mine["exit_reason"]],
            stop_price=stops[rows],
            net_pnl=_floats(mine["net_pnl"]),
        )
    return out


def entry_stops(frames: SessionFrames) -> Floats:
    """Each trade's protective stop price, aligned with the trades table (NaN where none is recorded).

    The stop is the one attached to the order whose fill opened the trade (same symbol, fill time =
    entry time). When the orders do not say, the latest approved entry or reversal decision for the
    symbol at or before the entry gives it (the decision's risk verdict set that stop).
    """
    trades = frames.trades
    out = np.full(len(trades), np.nan)
    if trades.empty:
        return out
    keys = pd.DataFrame({"symbol": trades["symbol"].to_numpy(), "ts": trades["entry_ts"].to_numpy(dtype=np.int64),
                         "row": np.arange(len(trades))})
    from_orders = _stops_from_orders(frames)
    if not from_orders.empty:
        found = keys.merge(from_orders, on=["symbol", "ts"], how="inner")
        out[found["row"].to_numpy()] = found["stop"].to_numpy(dtype=np.float64)
    missing = keys.loc[np.isnan(out)]
    from_decisions = _stops_from_decisions(frames)
    if not missing.empty and not from_decisions.empty:
        matched = pd.merge_asof(missing.sort_values("ts"), from_decisions, on="ts", by="symbol",
                                direction="backward")
        matched = matched.dropna(subset=["stop"])
        out[matched["row"].to_numpy()] = matched["stop"].to_numpy(dtype=np.float64)
    return out


def _stops_from_orders(frames: SessionFrames) -> pd.DataFrame:
    orders, fills = frames.orders, frames.fills
    if orders.empty or fills.empty:
        return pd.DataFrame(columns=["symbol", "ts", "stop"])
    with_stop = orders.loc[orders["stop_loss"].notna(), ["client_id", "stop_loss"]]
    joined = fills[["client_id", "symbol", "ts"]].merge(with_stop, on="client_id", how="inner")
    joined = joined.assign(ts=joined["ts"].astype(np.int64), stop=_floats(joined["stop_loss"]))
    return joined[["symbol", "ts", "stop"]].drop_duplicates(["symbol", "ts"], keep="last")


def _stops_from_decisions(frames: SessionFrames) -> pd.DataFrame:
    d = frames.decisions
    if d.empty:
        return pd.DataFrame(columns=["ts", "symbol", "stop"])
    chosen = d.loc[d["action"].isin(ENTRY_ACTIONS) & d["approved"].eq(True) & d["stop_price"].notna()]
    out = pd.DataFrame({"ts": chosen["ts"].to_numpy(dtype=np.int64), "symbol": chosen["symbol"].to_numpy(),
                        "stop": _floats(chosen["stop_price"])})
    return out.sort_values("ts", kind="stable").drop_duplicates(["symbol", "ts"], keep="last")


def _floats(column: pd.Series) -> Floats:
    """Exact decimal text (or numbers) as float64 for drawing; missing values become NaN."""
    return pd.to_numeric(column, errors="raise").to_numpy(dtype=np.float64, na_value=np.nan)
