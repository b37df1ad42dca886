"""Storing a session: the year-long 1-minute benchmark backtest written to SQLite (and PostgreSQL if it answers).

Prints rows per table and seconds; nothing here is a test. Run: `.venv/bin/python benchmarks/bench_store.py`.
The issue's target: the whole session in under a second on SQLite.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_backtest import SYMBOLS, load, run_once, write_store


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--bars", type=int, default=525_600)
    parser.add_argument("--postgres", default="postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
    args = parser.parse_args()

    from perpbot.sessions.frames import frames_from_result
    from perpbot.sessions.manager import SessionManager
    from perpbot.store.database import open_database
    from perpbot.store.repository import SessionRepository

    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        write_store(tmp, args.bars, SYMBOLS[:1])
        _, result = run_once(load(tmp, SYMBOLS[:1]), SYMBOLS[:1], risk=True, funding=True)
        t0 = time.perf_counter()
        frames = frames_from_result(result)
        print(f"result to tables: {time.perf_counter() - t0:.3f} s")
        for name, frame in frames.tables().items():
            print(f"  {name:13s} {len(frame):>9,} rows")
        targets = [("SQLite", f"sqlite:///{tmp / 'sessions.db'}")]
        pg_db = _postgres_database(args.postgres)
        if pg_db is not None:
            targets.append(("PostgreSQL", pg_db[0]))
        try:
            for label, url in targets:
                manager = SessionManager(SessionRepository(open_database(url)))
                t0 = time.perf_counter()
                session_id = manager.save_backtest(result)
                elapsed = time.perf_counter() - t0
                stored = manager.repository.load_frames(session_id)
                rows = sum(len(f) for f in stored.tables().values())
                print(f"{label}: whole session stored in {elapsed:.3f} s ({rows:,} rows, equity kept at "
                      f"{len(stored.equity):,} of {len(frames.equity):,} points)")
                manager.repository.db.dispose()
        finally:
            if pg_db is not None:
                pg_db[1]()


def _postgres_database(admin_url: str):  # type: ignore[no-untyped-def]
    import uuid

    import sqlalchemy as sa

    try:
        admin = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT", connect_args={"connect_timeout": 3})
        name = f"perpbot_bench_{uuid.uuid4().hex[:8]}"
        with admin.connect() as conn:
            conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    except Exception as exc:
        print(f"PostgreSQL skipped: {str(exc).splitlines()[0]}")
        return None

    def drop() -> None:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

    return str(sa.engine.make_url(admin_url).set(database=name).render_as_string(hide_password=False)), drop


if __name__ == "__main__":
    main()
