"""An order's state changes kept as one JSON column on its row (`orders.history`, [[ts, "status", "reason"], ...])
instead of one `order_events` row per change: they were half the rows of a long backtest. Every change is
moved onto its order; the downgrade moves them back, one row each.

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

import json
from collections import defaultdict, deque
from typing import Any

import sqlalchemy as sa
from alembic import op

from perpbot.errors import StoreError

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

# The tables as this revision sees them (a migration must not follow later changes of perpbot.store.tables).
_ORDERS = sa.table("orders", sa.column("id", sa.Integer()), sa.column("session_id", sa.Integer()),
                   sa.column("client_id", sa.String()), sa.column("history", sa.Text()))
_EVENTS = sa.table("order_events", sa.column("id", sa.Integer()), sa.column("session_id", sa.Integer()),
                   sa.column("client_id", sa.String()), sa.column("seq", sa.Integer()),
                   sa.column("ts", sa.BigInteger()), sa.column("status", sa.String()), sa.column("reason", sa.Text()))


def _history(changes: list[tuple[int, str, str]]) -> str:
    """The text perpbot.sessions.frames.history_json writes for these changes."""
    return json.dumps([[int(ts), status, reason] for ts, status, reason in changes], separators=(",", ":"))


def upgrade() -> None:
    with op.batch_alter_table("orders") as batch:
        batch.add_column(sa.Column("history", sa.Text(), nullable=False, server_default="[]"))
    conn = op.get_bind()
    sessions = conn.execute(sa.select(_EVENTS.c.session_id).distinct().order_by(_EVENTS.c.session_id)).scalars()
    for session_id in list(sessions):
        _fold_session(conn, int(session_id))
    op.drop_index("ix_order_events_session_id", "order_events")
    op.drop_table("order_events")


def _fold_session(conn: sa.Connection, session_id: int) -> None:
    """Each order of the session gets its client id's changes, as written: from seq 0 on, in id order (a
    repeated client id takes the next run)."""
    runs: defaultdict[str, deque[list[tuple[int, str, str]]]] = defaultdict(deque)
    events = sa.select(_EVENTS.c.client_id, _EVENTS.c.seq, _EVENTS.c.ts, _EVENTS.c.status, _EVENTS.c.reason) \
        .where(_EVENTS.c.session_id == session_id).order_by(_EVENTS.c.id)
    for client_id, seq, ts, status, reason in conn.execute(events):
        queue = runs[client_id]
        if seq == 0 or not queue:
            queue.append([])
        queue[-1].append((ts, status, reason))
    updates: list[dict[str, Any]] = []
    orders = sa.select(_ORDERS.c.id, _ORDERS.c.client_id).where(_ORDERS.c.session_id == session_id) \
        .order_by(_ORDERS.c.id)
    for order_id, client_id in conn.execute(orders):
        found = runs.get(client_id)
        if found:
            updates.append({"order_id": order_id, "text": _history(found.popleft())})
    orphans = sorted(client_id for client_id, queue in runs.items() if queue)
    if orphans:  # nowhere to keep them: refuse (the upgrade is one transaction) rather than lose them
        raise StoreError(f"session {session_id} has order state changes of orders it does not hold "
                           f"(client ids {', '.join(orphans[:5])}); delete those order_events rows or the session, "
                           f"then open the database again")
    if updates:
        conn.execute(sa.update(_ORDERS).where(_ORDERS.c.id == sa.bindparam("order_id"))
                     .values(history=sa.bindparam("text")), updates)


def downgrade() -> None:
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
    conn = op.get_bind()
    sessions = conn.execute(sa.select(_ORDERS.c.session_id).distinct().order_by(_ORDERS.c.session_id)).scalars()
    for session_id in list(sessions):
        orders = sa.select(_ORDERS.c.client_id, _ORDERS.c.history).where(_ORDERS.c.session_id == session_id) \
            .order_by(_ORDERS.c.id)
        rows = [{"session_id": session_id, "client_id": client_id, "seq": seq, "ts": ts, "status": status,
                 "reason": reason}
                for client_id, text in conn.execute(orders)
                for seq, (ts, status, reason) in enumerate(json.loads(text))]
        if rows:
            conn.execute(sa.insert(_EVENTS), rows)
    with op.batch_alter_table("orders") as batch:
        batch.drop_column("history")
