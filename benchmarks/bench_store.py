"""Storing a session: the year-long 1-minute benchmark backtest written to SQLite (and PostgreSQL if it answers).

Prints rows per table and seconds (best and median of --repeat stores, each a new session in the same
database); nothing here is a test. Run: `.venv/bin/python benchmarks/bench_store.py`.
The issue's target: the whole session in under a second on SQLite.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_backtest import SYMBOLS, load, run_once, write_store


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--bars", type=int, default=525_600)
    parser.add_argument("--repeat", type=int, default=5, help="stores timed per database (default 5)")
    parser.add_argument("--postgres", default="postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
    args = parser.parse_args()

    from perpbot.collector import collector_paused
    from perpbot.sessions.frames import equity_frame, rows_from_result

    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        write_store(tmp, args.bars, SYMBOLS[:1])
        _, result = run_once(load(tmp, SYMBOLS[:1]), SYMBOLS[:1], risk=True, funding=True)
        print(f"load average before timing: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")

        def build() -> dict[str, Any]:
            with collector_paused():  # as save_backtest does
                return rows_from_result(result)

        rows = build()
        print(f"result to rows: {_figures(_timed(build, args.repeat))}")
        changes = sum(len(o.history) for o in result.orders)
        for name, table in rows.items():
            extra = f" (their {changes:,} state changes as JSON on the row)" if name == "orders" else ""
            print(f"  {name:13s} {len(table):>9,} rows{extra}")
        print(f"  {'equity':13s} {len(result.equity):>9,} points")
        targets = [("SQLite", f"sqlite:///{tmp / 'sessions.db'}")]
        pg_db = _postgres_database(args.postgres)
        if pg_db is not None:
            targets.append(("PostgreSQL", pg_db[0]))
        try:
            for label, url in targets:
                _store(label, url, result, rows, equity_frame(result), args.repeat)
        finally:
            if pg_db is not None:
                pg_db[1]()
        print(f"load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


def _timed(work: Callable[[], object], repeat: int) -> list[tuple[float, float]]:
    """(wall, CPU of this process) seconds of each of `repeat` runs of `work`."""
    times = []
    for _ in range(repeat):
        wall, cpu = time.perf_counter(), time.process_time()
        work()
        times.append((time.perf_counter() - wall, time.process_time() - cpu))
    return times


def _figures(times: list[tuple[float, float]]) -> str:
    walls = sorted(w for w, _ in times)
    best = min(times)
    return (f"best {best[0]:.3f} s ({best[1]:.3f} s CPU in this process), median {statistics.median(walls):.3f} s "
            f"of {len(times)}")


def _store(label: str, url: str, result: Any, rows: dict[str, Any], equity: Any, repeat: int) -> None:
    """Time the whole `save_backtest`, then the database write alone (rows already built)."""
    from perpbot.sessions.manager import SessionManager
    from perpbot.store.database import open_database
    from perpbot.store.repository import SessionRepository

    manager = SessionManager(SessionRepository(open_database(url)))
    repo = manager.repository
    saved: list[int] = []
    whole = _timed(lambda: saved.append(manager.save_backtest(result)), repeat)
    stored = repo.load_frames(saved[-1])
    count = sum(len(f) for name, f in stored.tables().items() if name != "order_events")

    def write() -> None:
        second = repo.create(kind="backtest", name="bench", strategy_name="s", symbol="s", timeframe="1m",
                             leverage="1", configuration={}, market_context={}, code_version="bench", fingerprint="",
                             data_label="", starting_balance=result.starting_balance, created_at=0)
        repo.complete_rows(second, rows, equity, final_balance=result.final_balance, metrics={}, breakdowns={},
                           summary={}, ended_at=0)

    print(f"{label}: whole session stored in {_figures(whole)}")
    print(f"  of which the database write {_figures(_timed(write, repeat))}")
    print(f"  {count:,} rows ({len(stored.order_events):,} order state changes on their orders), equity kept at "
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
