"""The `sessions` section: where sessions are stored and how long they are kept."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, field_validator


class SessionsConfig(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    db_url: str | None = Field(None, description="SQLAlchemy URL; default a SQLite file in PERPBOT_HOME")
    save: bool = Field(True, description="store every run as a session")
    keep_last: int | None = Field(None, ge=1, description="retention: keep only the newest N sessions")
    prune_older_than_days: float | None = Field(None, gt=0, description="retention: drop sessions older than this")

    @field_validator("db_url")
    @classmethod
    def _no_password(cls, value: str | None) -> str | None:
        if value is None:
            return value
        # Imported here: SQLAlchemy costs 0.15 s to import, and a backtest that stores nothing needs none of it.
        from sqlalchemy.engine import make_url
        from sqlalchemy.exc import ArgumentError

        try:
            url = make_url(value)
        except ArgumentError:
            raise ValueError("db_url is not a database URL, e.g. sqlite:///perpbot.db or "
                             "postgresql+psycopg://user@host/name") from None
        if url.password:
            raise ValueError("db_url must not hold a password (a secret in the config file): use PGPASSWORD or "
                             "~/.pgpass, or pass --db-url on the command line")
        return value
