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
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_backtest import SYMBOLS, load, run_once, write_store


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--bars", type=int, default=525_600)
    parser.add_argument("--postgres", default="postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
    args = parser.parse_args()

    from perpbot.collector import collector_paused
    from perpbot.sessions.frames import equity_frame, rows_from_result

    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        write_store(tmp, args.bars, SYMBOLS[:1])
        _, result = run_once(load(tmp, SYMBOLS[:1]), SYMBOLS[:1], risk=True, funding=True)
        wall, cpu = time.perf_counter(), time.process_time()
        with collector_paused():  # as save_backtest does
            rows = rows_from_result(result)
        print(f"result to rows: {time.perf_counter() - wall:.3f} s ({time.process_time() - cpu:.3f} s CPU)")
        for name, table in rows.items():
            print(f"  {name:13s} {len(table):>9,} rows")
        print(f"  {'equity':13s} {len(result.equity):>9,} points")
        targets = [("SQLite", f"sqlite:///{tmp / 'sessions.db'}")]
        pg_db = _postgres_database(args.postgres)
        if pg_db is not None:
            targets.append(("PostgreSQL", pg_db[0]))
        try:
            for label, url in targets:
                _store(label, url, result, rows, equity_frame(result))
        finally:
            if pg_db is not None:
                pg_db[1]()


def _store(label: str, url: str, result: Any, rows: dict[str, Any], equity: Any) -> None:
    """Time the whole `save_backtest`, then the database write alone (rows already built)."""
    from perpbot.sessions.manager import SessionManager
    from perpbot.store.database import open_database
    from perpbot.store.repository import SessionRepository

    manager = SessionManager(SessionRepository(open_database(url)))
    repo = manager.repository
    wall, cpu = time.perf_counter(), time.process_time()
    session_id = manager.save_backtest(result)
    whole, whole_cpu = time.perf_counter() - wall, time.process_time() - cpu
    stored = repo.load_frames(session_id)
    count = sum(len(f) for f in stored.tables().values())
    second = repo.create(kind="backtest", name="bench", strategy_name="s", symbol="s", timeframe="1m", leverage="1",
                         configuration={}, market_context={}, code_version="bench", fingerprint="", data_label="",
                         starting_balance=result.starting_balance, created_at=0)
    wall, cpu = time.perf_counter(), time.process_time()
    repo.complete_rows(second, rows, equity, final_balance=result.final_balance, metrics={}, breakdowns={},
                       summary={}, ended_at=0)
    write, write_cpu = time.perf_counter() - wall, time.process_time() - cpu
    print(f"{label}: whole session stored in {whole:.3f} s ({whole_cpu:.3f} s CPU in this process), of which "
          f"the database write {write:.3f} s ({write_cpu:.3f} s CPU); {count:,} rows, equity kept at "
          f"{len(stored.equity):,} of {len(result.equity):,} points")
    repo.db.dispose()


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
