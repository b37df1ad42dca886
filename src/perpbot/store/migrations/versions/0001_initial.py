"""Sessions and everything a run records: orders, their state changes, fills, trades, decisions,
equity and funding.

Revision ID: 0001
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "sessions",
        sa.Column("id", sa.Integer(), primary_key=True, nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("strategy_name", sa.String(400), nullable=False),
        sa.Column("symbol", sa.String(400), nullable=False),
        sa.Column("timeframe", sa.String(16), nullable=False),
        sa.Column("leverage", sa.String(64), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("end_reason", sa.Text(), nullable=False),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.Column("ended_at", sa.BigInteger(), nullable=True),
        sa.Column("code_version", sa.String(100), nullable=False),
        sa.Column("fingerprint", sa.String(64), nullable=False),
        sa.Column("configuration", sa.Text(), nullable=False),
        sa.Column("market_context", sa.Text(), nullable=False),
        sa.Column("data_label", sa.Text(), nullable=False),
        sa.Column("data_start", sa.BigInteger(), nullable=True),
        sa.Column("data_end", sa.BigInteger(), nullable=True),
        sa.Column("starting_balance", sa.String(64), nullable=False),
        sa.Column("final_balance", sa.String(64), nullable=True),
        sa.Column("metrics", sa.Text(), nullable=False),
        sa.Column("breakdowns", sa.Text(), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
    )
    op.create_index("ix_sessions_status", "sessions", ["status"])
    op.create_index("ix_sessions_created_at", "sessions", ["created_at"])
    op.create_table(
        "trades",
        sa.Column("id", sa.Integer(), primary_key=True, nullable=False),
        sa.Column("session_id", sa.Integer(), sa.ForeignKey("sessions.id", ondelete="CASCADE"), nullable=False),
        sa.Column("trade_no", sa.Integer(), nullable=False),
        sa.Column("symbol", sa.String(40), nullable=False),
        sa.Column("side", sa.String(8), nullable=False),
        sa.Column("qty", sa.String(64), nullable=False),
        sa.Column("entry_price", sa.String(64), nullable=False),
        sa.Column("exit_price", sa.String(64), nullable=False),
        sa.Column("entry_ts", sa.BigInteger(), nullable=False),
        sa.Column("exit_ts", sa.BigInteger(), nullable=False),
        sa.Column("gross_pnl", sa.String(64), nullable=False),
        sa.Column("fees", sa.String(64), nullable=False),
        sa.Column("funding", sa.String(64), nullable=False),
        sa.Column("net_pnl", sa.String(64), nullable=False),
        sa.Column("exit_reason", sa.String(32), nullable=False),
        sa.Column("strategies", sa.Text(), nullable=False),
        sa.Column("regime", sa.String(32), nullable=False),
    )
    op.create_index("ix_trades_session_id", "trades", ["session_id"])
    op.create_table(
        "orders",
        sa.Column("id", sa.Integer(), primary_key=True, nullable=False),
        sa.Column("session_id", sa.Integer(), sa.ForeignKey("sessions.id", ondelete="CASCADE"), nullable=False),
        sa.Column("client_id", sa.String(64), nullable=False),
        sa.Column("symbol", sa.String(40), nullable=False),
        sa.Column("side", sa.String(8), nullable=False),
        sa.Column("order_type", sa.String(16), nullable=False),
        sa.Column("qty", sa.String(64), nullable=False),
        sa.Column("price", sa.String(64), nullable=True),
        sa.Column("trigger_price", sa.String(64), nullable=True),
        sa.Column("reduce_only", sa.Boolean(), nullable=False),
        sa.Column("time_in_force", sa.String(16), nullable=False),
        sa.Column("tag", sa.String(40), nullable=False),
        sa.Column("stop_loss", sa.String(64), nullable=True),
        sa.Column("take_profit", sa.String(64), nullable=True),
        sa.Column("created_ts", sa.BigInteger(), nullable=False),
        sa.Column("status", sa.String(24), nullable=False),
        sa.Column("filled_qty", sa.String(64), nullable=False),
        sa.Column("avg_price", sa.String(64), nullable=True),
        sa.Column("fees", sa.String(64), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
    )
    op.create_index("ix_orders_session_id", "orders", ["session_id"])
    op.create_table(
        "order_events",
        sa.Column("id", sa.Integer(), primary_key=True, nullable=False),
        sa.Column("session_id", sa.Integer(), sa.ForeignKey("sessions.id", ondelete="CASCADE"), nullable=False),
        sa.Column("client_id", sa.String(64), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("ts", sa.BigInteger(), nullable=False),
        sa.Column("status", sa.String(24), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
    )
    op.create_index("ix_order_events_session_id", "order_events", ["session_id"])
    op.create_table(
        "fills",
        sa.Column("id", sa.Integer(), primary_key=True, nullable=False),
        sa.Column("session_id", sa.Integer(), sa.ForeignKey("sessions.id", ondelete="CASCADE"), nullable=False),
        sa.Column("exec_id", sa.String(80), nullable=False),
        sa.Column("client_id", sa.String(64), nullable=False),
        sa.Column("symbol", sa.String(40), nullable=False),
        sa.Column("side", sa.String(8), nullable=False),
        sa.Column("qty", sa.String(64), nullable=False),
        sa.Column("price", sa.String(64), nullable=False),
        sa.Column("fee", sa.String(64), nullable=False),
        sa.Column("role", sa.String(8), nullable=False),
        sa.Column("ts", sa.BigInteger(), nullable=False),
    )
    op.create_index("ix_fills_session_id", "fills", ["session_id"])
    op.create_table(
        "funding",
        sa.Column("id", sa.Integer(), primary_key=True, nullable=False),
        sa.Column("session_id", sa.Integer(), sa.ForeignKey("sessions.id", ondelete="CASCADE"), nullable=False),
        sa.Column("symbol", sa.String(40), nullable=False),
        sa.Column("ts", sa.BigInteger(), nullable=False),
        sa.Column("rate", sa.String(64), nullable=False),
        sa.Column("mark_price", sa.String(64), nullable=False),
        sa.Column("position_qty", sa.String(64), nullable=False),
        sa.Column("amount", sa.String(64), nullable=False),
    )
    op.create_index("ix_funding_session_id", "funding", ["session_id"])
    op.create_table(
        "decisions",
        sa.Column("id", sa.Integer(), primary_key=True, nullable=False),
        sa.Column("session_id", sa.Integer(), sa.ForeignKey("sessions.id", ondelete="CASCADE"), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("ts", sa.BigInteger(), nullable=False),
        sa.Column("symbol", sa.String(40), nullable=False),
        sa.Column("action", sa.String(24), nullable=False),
        sa.Column("direction", sa.Integer(), nullable=True),
        sa.Column("strength", sa.Float(), nullable=True),
        sa.Column("score", sa.Float(), nullable=True),
        sa.Column("regime", sa.String(32), nullable=False),
        sa.Column("reference_price", sa.Float(), nullable=True),
        sa.Column("stop_distance", sa.Float(), nullable=True),
        sa.Column("signals", sa.Text(), nullable=False),
        sa.Column("weights", sa.Text(), nullable=False),
        sa.Column("approved", sa.Boolean(), nullable=True),
        sa.Column("qty", sa.String(64), nullable=True),
        sa.Column("stop_price", sa.String(64), nullable=True),
        sa.Column("take_profit_price", sa.String(64), nullable=True),
        sa.Column("leverage", sa.String(64), nullable=True),
        sa.Column("reasons", sa.Text(), nullable=False),
        sa.Column("checks", sa.Text(), nullable=False),
        sa.Column("client_ids", sa.Text(), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
    )
    op.create_index("ix_decisions_session_id", "decisions", ["session_id"])
    op.create_table(
        "equity",
        sa.Column("id", sa.Integer(), primary_key=True, nullable=False),
        sa.Column("session_id", sa.Integer(), sa.ForeignKey("sessions.id", ondelete="CASCADE"), nullable=False),
        sa.Column("ts", sa.BigInteger(), nullable=False),
        sa.Column("equity", sa.Float(), nullable=False),
        sa.Column("exposed", sa.Boolean(), nullable=False),
    )
    op.create_index("ix_equity_session_id", "equity", ["session_id"])
    op.create_index("ix_equity_session_ts", "equity", ["session_id", "ts"])


def downgrade() -> None:
    for table in ("equity", "decisions", "funding", "fills", "order_events", "orders", "trades", "sessions"):
        op.drop_table(table)
