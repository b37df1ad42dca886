"""Opening the session database: SQLite by default (WAL), PostgreSQL by URL; always migrated to the head."""

from __future__ import annotations

import os
import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, SQLAlchemyError

from perpbot.data.paths import perpbot_home
from perpbot.errors import StoreError

MIGRATIONS = Path(__file__).resolve().parent / "migrations"


DB_URL_ENV = "PERPBOT_DB_URL"


def default_url() -> str:
    """$PERPBOT_DB_URL when set (the place for a URL that holds a password), else a SQLite file in the
    user data folder ($PERPBOT_HOME)."""
    return os.environ.get(DB_URL_ENV) or f"sqlite:///{perpbot_home() / 'perpbot.db'}"


def masked(url: str) -> str:
    """The URL as it may be shown: any password replaced by ***."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return "<unparseable database URL>"


@dataclass(slots=True)
class Database:
    url: str
    engine: Engine

    @property
    def shown_url(self) -> str:
        return masked(self.url)

    @property
    def is_sqlite(self) -> bool:
        return self.engine.dialect.name == "sqlite"

    def revision(self) -> str | None:
        with self.engine.connect() as conn:
            return MigrationContext.configure(conn).get_current_revision()

    def dispose(self) -> None:
        self.engine.dispose()


def alembic_config() -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    return cfg


def head_revision() -> str:
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None
    return head


def open_database(url: str | None = None, *, upgrade_to: str = "head") -> Database:
    """Connect, check the server answers, and bring the schema to `upgrade_to` (keeping every row)."""
    url = url or default_url()
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise StoreError(f"database URL {masked(url)!r} is not a URL; expected e.g. sqlite:///path/perpbot.db "
                         f"or postgresql+psycopg://user@host:5432/name") from None
    kwargs: dict[str, Any] = {}
    if parsed.get_backend_name() == "sqlite":
        if parsed.database:
            Path(parsed.database).expanduser().parent.mkdir(parents=True, exist_ok=True)
    elif parsed.get_backend_name() == "postgresql":
        kwargs["connect_args"] = {"connect_timeout": 5}
    else:
        raise StoreError(f"database URL {masked(url)!r}: only sqlite and postgresql are supported")
    try:
        engine = create_engine(url, **kwargs)
    except (ArgumentError, ImportError) as exc:
        raise StoreError(f"database URL {masked(url)!r} cannot be used: {exc}") from None
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
        _bind_none_and_bool_directly()
    try:
        with engine.begin() as conn:
            if engine.dialect.name == "sqlite":
                # the driver begins a transaction only before a data change, so a schema change would be
                # committed on its own: begin here, and a failed upgrade leaves the database as it was
                conn.exec_driver_sql("BEGIN")
            conn.execute(text("SELECT 1"))
            cfg = alembic_config()
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, upgrade_to)
    except SQLAlchemyError as exc:
        engine.dispose()
        reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
        raise StoreError(f"the session database at {masked(url)} does not answer or cannot be set up: "
                         f"{reason}") from None
    except StoreError as exc:  # a migration that refuses the rows it found
        engine.dispose()
        raise StoreError(f"the session database at {masked(url)} cannot be upgraded: {exc}") from None
    return Database(url, engine)


SQLITE_PAGE_SIZE = 16_384


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    # Pages of 16 KiB instead of 4 KiB for a database made now (an existing file keeps its own; a WAL
    # database cannot change it): a session is tens of MB written in one go, and larger pages cut the
    # per-page cost of the write, the WAL and its checkpoint (a year-long session stored about 15% faster).
    cursor.execute(f"PRAGMA page_size={SQLITE_PAGE_SIZE}")
    cursor.execute("PRAGMA journal_mode=WAL")  # readers (the monitor) never block the writer
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def _bind_none_and_bool_directly() -> None:
    """The sqlite3 driver binds an exact int, float or str at once, but first asks its adapter registry about
    any other value, None and bool included: with nothing registered it then tries two attribute lookups,
    one of which raises and clears an AttributeError. That made the nullable and boolean columns of a
    year-long session (2 x 10^5 values) cost a tenth of a second. Registering what the driver ends up
    binding anyway (a bool as its integer, None as NULL) turns that into one dictionary lookup; what is
    stored is unchanged. (The registry is the driver's, for the whole process.)"""
    sqlite3.register_adapter(bool, int)
    sqlite3.register_adapter(type(None), _null)


def _null(value: None) -> None:
    return value
