"""Alembic environment: run with the connection the repository hands over (see perpbot.store.database.open_database)."""

from __future__ import annotations

from alembic import context

from perpbot.store.tables import Base

connection = context.config.attributes["connection"]
context.configure(connection=connection, target_metadata=Base.metadata, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
