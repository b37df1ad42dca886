"""The session a paper or live session continues (after a strategy switch), so a restart can replay the
whole run and a monitor can follow it from one session to the next.

Revision ID: 0004
Revises: 0003

SQLite takes the column with its foreign key through ALTER TABLE ADD COLUMN. A batch rebuild of `sessions`
would drop the old table, and with foreign keys on that deletes every child row by cascade, so neither
direction rebuilds it: the SQLite downgrade drops the index and leaves the (nullable) column, which older
perpbot versions never read or write.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute("ALTER TABLE sessions ADD COLUMN parent_id INTEGER REFERENCES sessions (id) ON DELETE SET NULL")
    else:
        op.add_column("sessions", sa.Column("parent_id", sa.Integer(), nullable=True))
        op.create_foreign_key("fk_sessions_parent_id", "sessions", "sessions", ["parent_id"], ["id"],
                              ondelete="SET NULL")
    op.create_index("ix_sessions_parent_id", "sessions", ["parent_id"])


def downgrade() -> None:
    op.drop_index("ix_sessions_parent_id", "sessions")
    if op.get_bind().dialect.name != "sqlite":
        op.drop_constraint("fk_sessions_parent_id", "sessions", type_="foreignkey")
        op.drop_column("sessions", "parent_id")
