"""The session database's tables (SQLAlchemy 2, typed). Money and quantities are exact decimal text.

Changing a table means a new Alembic revision in `migrations/versions`; the tests build a database at
every revision and upgrade it with rows in place.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Boolean, Float, ForeignKey, Index, Integer, String, Table, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

MONEY = String(64)  # exact decimal text: the same digits back from SQLite and PostgreSQL


class Base(DeclarativeBase):
    pass


class SessionRow(Base):
    __tablename__ = "sessions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(16))  # backtest | paper | live
    name: Mapped[str] = mapped_column(String(200))
    strategy_name: Mapped[str] = mapped_column(String(400))
    symbol: Mapped[str] = mapped_column(String(400))
    timeframe: Mapped[str] = mapped_column(String(16))
    leverage: Mapped[str] = mapped_column(MONEY)
    status: Mapped[str] = mapped_column(String(16), index=True)  # running | completed | failed | interrupted
    end_reason: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[int] = mapped_column(BigInteger, index=True)  # wall clock, ms
    ended_at: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    code_version: Mapped[str] = mapped_column(String(100))
    fingerprint: Mapped[str] = mapped_column(String(64))
    configuration: Mapped[str] = mapped_column(Text)  # the exact config used, canonical JSON
    market_context: Mapped[str] = mapped_column(Text)  # JSON: price, volatility, regime at the start
    data_label: Mapped[str] = mapped_column(Text)
    data_start: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    data_end: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    starting_balance: Mapped[str] = mapped_column(MONEY)
    final_balance: Mapped[str | None] = mapped_column(MONEY, nullable=True)
    metrics: Mapped[str] = mapped_column(Text, default="{}")  # JSON
    breakdowns: Mapped[str] = mapped_column(Text, default="{}")  # JSON
    summary: Mapped[str] = mapped_column(Text, default="{}")  # JSON
    live_state: Mapped[str] = mapped_column(Text, server_default="{}")  # JSON, revision 0003
    # The session this one continues after a strategy switch (revision 0004).
    parent_id: Mapped[int | None] = mapped_column(
        Integer, ForeignKey("sessions.id", ondelete="SET NULL", name="fk_sessions_parent_id"), nullable=True,
        index=True)


def _session_fk() -> Mapped[int]:
    return mapped_column(Integer, ForeignKey("sessions.id", ondelete="CASCADE"), index=True)


class TradeRow(Base):
    __tablename__ = "trades"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    session_id: Mapped[int] = _session_fk()
    trade_no: Mapped[int] = mapped_column(Integer)
    symbol: Mapped[str] = mapped_column(String(40))
    side: Mapped[str] = mapped_column(String(8))
    qty: Mapped[str] = mapped_column(MONEY)
    entry_price: Mapped[str] = mapped_column(MONEY)
    exit_price: Mapped[str] = mapped_column(MONEY)
    entry_ts: Mapped[int] = mapped_column(BigInteger)
    exit_ts: Mapped[int] = mapped_column(BigInteger)
    gross_pnl: Mapped[str] = mapped_column(MONEY)
    fees: Mapped[str] = mapped_column(MONEY)
    funding: Mapped[str] = mapped_column(MONEY)
    net_pnl: Mapped[str] = mapped_column(MONEY)
    exit_reason: Mapped[str] = mapped_column(String(32))
    strategies: Mapped[str] = mapped_column(Text)
    regime: Mapped[str] = mapped_column(String(32))


class OrderRow(Base):
    __tablename__ = "orders"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    session_id: Mapped[int] = _session_fk()
    client_id: Mapped[str] = mapped_column(String(64))
    symbol: Mapped[str] = mapped_column(String(40))
    side: Mapped[str] = mapped_column(String(8))
    order_type: Mapped[str] = mapped_column(String(16))
    qty: Mapped[str] = mapped_column(MONEY)
    price: Mapped[str | None] = mapped_column(MONEY, nullable=True)
    trigger_price: Mapped[str | None] = mapped_column(MONEY, nullable=True)
    reduce_only: Mapped[bool] = mapped_column(Boolean)
    time_in_force: Mapped[str] = mapped_column(String(16))
    tag: Mapped[str] = mapped_column(String(40))
    stop_loss: Mapped[str | None] = mapped_column(MONEY, nullable=True)
    take_profit: Mapped[str | None] = mapped_column(MONEY, nullable=True)
    created_ts: Mapped[int] = mapped_column(BigInteger)
    status: Mapped[str] = mapped_column(String(24))
    filled_qty: Mapped[str] = mapped_column(MONEY)
    avg_price: Mapped[str | None] = mapped_column(MONEY, nullable=True)
    fees: Mapped[str] = mapped_column(MONEY)
    reason: Mapped[str] = mapped_column(Text)
    # Every state change, oldest first: JSON [[ts, "status", "reason"], ...] (revision 0005; until then one
    # row per change in an order_events table).
    history: Mapped[str] = mapped_column(Text, server_default="[]")


class FillRow(Base):
    __tablename__ = "fills"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    session_id: Mapped[int] = _session_fk()
    exec_id: Mapped[str] = mapped_column(String(80))
    client_id: Mapped[str] = mapped_column(String(64))
    symbol: Mapped[str] = mapped_column(String(40))
    side: Mapped[str] = mapped_column(String(8))
    qty: Mapped[str] = mapped_column(MONEY)
    price: Mapped[str] = mapped_column(MONEY)
    fee: Mapped[str] = mapped_column(MONEY)
    role: Mapped[str] = mapped_column(String(8))
    ts: Mapped[int] = mapped_column(BigInteger)


class FundingRow(Base):
    __tablename__ = "funding"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    session_id: Mapped[int] = _session_fk()
    symbol: Mapped[str] = mapped_column(String(40))
    ts: Mapped[int] = mapped_column(BigInteger)
    rate: Mapped[str] = mapped_column(MONEY)
    mark_price: Mapped[str] = mapped_column(MONEY)
    position_qty: Mapped[str] = mapped_column(MONEY)
    amount: Mapped[str] = mapped_column(MONEY)


class DecisionRow(Base):
    __tablename__ = "decisions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    session_id: Mapped[int] = _session_fk()
    seq: Mapped[int] = mapped_column(Integer)
    ts: Mapped[int] = mapped_column(BigInteger)
    symbol: Mapped[str] = mapped_column(String(40))
    action: Mapped[str] = mapped_column(String(24))
    direction: Mapped[int | None] = mapped_column(Integer, nullable=True)
    strength: Mapped[float | None] = mapped_column(Float, nullable=True)
    score: Mapped[float | None] = mapped_column(Float, nullable=True)
    regime: Mapped[str] = mapped_column(String(32))
    reference_price: Mapped[float | None] = mapped_column(Float, nullable=True)
    stop_distance: Mapped[float | None] = mapped_column(Float, nullable=True)
    signals: Mapped[str] = mapped_column(Text)
    weights: Mapped[str] = mapped_column(Text)
    approved: Mapped[bool | None] = mapped_column(Boolean, nullable=True)
    qty: Mapped[str | None] = mapped_column(MONEY, nullable=True)
    stop_price: Mapped[str | None] = mapped_column(MONEY, nullable=True)
    take_profit_price: Mapped[str | None] = mapped_column(MONEY, nullable=True)
    leverage: Mapped[str | None] = mapped_column(MONEY, nullable=True)
    reasons: Mapped[str] = mapped_column(Text)
    checks: Mapped[str] = mapped_column(Text)
    client_ids: Mapped[str] = mapped_column(Text)
    note: Mapped[str] = mapped_column(Text)


class EquityRow(Base):
    __tablename__ = "equity"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    session_id: Mapped[int] = _session_fk()
    ts: Mapped[int] = mapped_column(BigInteger)
    equity: Mapped[float] = mapped_column(Float)
    exposed: Mapped[bool] = mapped_column(Boolean)


class AlertRow(Base):
    """Added in revision 0002."""

    __tablename__ = "alerts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    session_id: Mapped[int] = _session_fk()
    ts: Mapped[int] = mapped_column(BigInteger)
    key: Mapped[str] = mapped_column(String(80))
    severity: Mapped[str] = mapped_column(String(16))
    message: Mapped[str] = mapped_column(Text)


Index("ix_trades_session_exit", TradeRow.session_id, TradeRow.exit_ts)
Index("ix_equity_session_ts", EquityRow.session_id, EquityRow.ts)

CHILD_TABLES: dict[str, Table] = {
    name: Base.metadata.tables[name]
    for name in ("trades", "orders", "fills", "funding", "decisions", "equity")
}
ALERTS_TABLE: Table = Base.metadata.tables["alerts"]


class InputRow(Base):
    """Added in revision 0003: every candle (and funding rate) a paper or live session consumed, so a
    restart rebuilds its exact state by replaying them through the deterministic engine."""

    __tablename__ = "session_inputs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    session_id: Mapped[int] = _session_fk()
    seq: Mapped[int] = mapped_column(Integer)  # order of arrival within the session
    phase: Mapped[str] = mapped_column(String(8))  # warmup | live | gap | reset (a cleared halt)
    close_ts: Mapped[int] = mapped_column(BigInteger)
    symbol: Mapped[str] = mapped_column(String(40))
    timeframe: Mapped[str] = mapped_column(String(8))
    ts: Mapped[int] = mapped_column(BigInteger)
    open: Mapped[float] = mapped_column(Float)
    high: Mapped[float] = mapped_column(Float)
    low: Mapped[float] = mapped_column(Float)
    close: Mapped[float] = mapped_column(Float)
    volume: Mapped[float] = mapped_column(Float)
    funding_rate: Mapped[str | None] = mapped_column(MONEY, nullable=True)


INPUTS_TABLE: Table = Base.metadata.tables["session_inputs"]
