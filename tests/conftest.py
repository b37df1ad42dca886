"""Shared test fixtures: where the real Bybit data lives, and small deterministic candle frames."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]


def shared_data_dir() -> Path | None:
    """PERPBOT_SHARED_DATA, else ../shared/data beside the repository, if it exists."""
    env = os.environ.get("PERPBOT_SHARED_DATA")
    path = Path(env) if env else REPO_ROOT.parent / "shared" / "data"
    return path if path.is_dir() else None


@pytest.fixture(scope="session")
def shared_data() -> Path:
    path = shared_data_dir()
    if path is None:
        pytest.skip(
            "real Bybit data not found: set PERPBOT_SHARED_DATA to the folder holding "
            "bybit_linear_*.csv.gz (default ../shared/data)"
        )
    return path


def make_candles(n: int = 600, *, seed: int = 7, start_ms: int = 1_704_067_200_000,
                 step_ms: int = 3_600_000, price: float = 100.0) -> pd.DataFrame:
    """A deterministic random-walk candle frame in perpbot's column layout."""
    rng = np.random.default_rng(seed)
    returns = rng.normal(0, 0.01, n) + 0.002 * np.sin(np.arange(n) / 40)
    close = price * np.exp(np.cumsum(returns))
    open_ = np.concatenate([[price], close[:-1]])
    spread = np.abs(rng.normal(0, 0.004, n)) * close
    high = np.maximum(open_, close) + spread
    low = np.minimum(open_, close) - spread
    volume = rng.uniform(10, 100, n)
    ts = start_ms + step_ms * np.arange(n, dtype=np.int64)
    return pd.DataFrame(
        {"ts": ts, "open": open_, "high": high, "low": low, "close": close, "volume": volume}
    )


@pytest.fixture
def candles() -> pd.DataFrame:
    return make_candles()


class SetClock:
    """A clock the test sets (read from several threads: the feed's, the server's, the runtime's)."""

    def __init__(self, now_ms: int = 1_800_000_000_000) -> None:
        self.now = now_ms

    def now_ms(self) -> int:
        return self.now


POSTGRES_ADMIN_URL = os.environ.get("PERPBOT_TEST_POSTGRES", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")


def _postgres_or_skip() -> str:
    """The admin URL of the test PostgreSQL server; on CI (CI=true) its absence fails instead of skipping."""
    import sqlalchemy as sa

    try:
        engine = sa.create_engine(POSTGRES_ADMIN_URL, connect_args={"connect_timeout": 3})
        with engine.connect() as conn:
            conn.execute(sa.text("SELECT 1"))
        engine.dispose()
    except Exception as exc:  # any failure to reach it is the same answer: no server here
        reason = f"PostgreSQL at {POSTGRES_ADMIN_URL} does not answer: {str(exc).splitlines()[0]}"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"{reason} (CI must run the PostgreSQL tests)")
        pytest.skip(reason)
    return POSTGRES_ADMIN_URL


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh, empty database URL: a SQLite file, or a PostgreSQL database made for the test and dropped after."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'sessions.db'}"
        return
    import uuid

    import sqlalchemy as sa

    admin_url = _postgres_or_skip()
    name = f"perpbot_test_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    try:
        yield str(sa.engine.make_url(admin_url).set(database=name).render_as_string(hide_password=False))
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(autouse=True)
def _no_user_session_db(monkeypatch: pytest.MonkeyPatch) -> None:
    """A developer's PERPBOT_DB_URL must never send a test run into their real session database."""
    monkeypatch.delenv("PERPBOT_DB_URL", raising=False)
