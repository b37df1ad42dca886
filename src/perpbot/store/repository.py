"""Reading and writing sessions. Writes are bulk inserts; a session row is written first (status running)
and marked completed in the same transaction that writes its rows, so a crash mid-run leaves a session
that says `running` (and `end_active_sessions` marks it interrupted), never a half-written completed one."""

from __future__ import annotations

import contextlib
import json
import sqlite3
from collections import defaultdict, deque
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from itertools import chain
from typing import Any

import pandas as pd
from sqlalchemy import Connection, Integer, Table, delete, func, insert, select, update
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session as OrmSession

from perpbot.collector import collector_paused
from perpbot.errors import StoreError
from perpbot.sessions.equity import downsample_equity
from perpbot.sessions.frames import (
    DECISION_COLUMNS,
    EQUITY_COLUMNS,
    FILL_COLUMNS,
    FUNDING_COLUMNS,
    ORDER_EVENT_COLUMNS,
    STORED_ORDER_COLUMNS,
    TRADE_COLUMNS,
    SessionFrames,
    history_json,
    history_rows,
)
from perpbot.store.database import Database
from perpbot.store.tables import ALERTS_TABLE, CHILD_TABLES, INPUTS_TABLE, AlertRow, SessionRow

# The columns each child table stores (besides id and session_id). An order's state changes are the JSON
# `history` column of its row (revision 0005); `load_frames` unfolds them into the `order_events` table.
COLUMNS = {"trades": TRADE_COLUMNS, "orders": STORED_ORDER_COLUMNS, "fills": FILL_COLUMNS,
           "funding": FUNDING_COLUMNS, "decisions": DECISION_COLUMNS, "equity": EQUITY_COLUMNS}
ORDER_BY = {"trades": "trade_no", "orders": "id", "fills": "id", "funding": "id", "decisions": "seq", "equity": "ts"}
STATUSES = ("running", "completed", "failed", "interrupted")
BULK_CACHE_KIB = 131_072  # SQLite page cache while a session's rows are written (128 MiB at most, as needed)


@dataclass(frozen=True, slots=True)
class SessionInfo:
    id: int
    kind: str
    name: str
    strategy_name: str
    symbol: str
    timeframe: str
    leverage: str
    status: str
    end_reason: str
    created_at: int
    ended_at: int | None
    code_version: str
    fingerprint: str
    configuration: dict[str, Any]
    market_context: dict[str, Any]
    data_label: str
    data_start: int | None
    data_end: int | None
    starting_balance: Decimal
    final_balance: Decimal | None
    metrics: dict[str, Any]
    breakdowns: dict[str, Any]
    summary: dict[str, Any]
    parent_id: int | None = None  # the session this one continues after a strategy switch


def _info(row: SessionRow) -> SessionInfo:
    return SessionInfo(
        id=row.id, kind=row.kind, name=row.name, strategy_name=row.strategy_name, symbol=row.symbol,
        timeframe=row.timeframe, leverage=row.leverage, status=row.status, end_reason=row.end_reason,
        created_at=row.created_at, ended_at=row.ended_at, code_version=row.code_version,
        fingerprint=row.fingerprint, configuration=json.loads(row.configuration),
        market_context=json.loads(row.market_context), data_label=row.data_label, data_start=row.data_start,
        data_end=row.data_end, starting_balance=Decimal(row.starting_balance),
        final_balance=None if row.final_balance is None else Decimal(row.final_balance),
        metrics=json.loads(row.metrics), breakdowns=json.loads(row.breakdowns), summary=json.loads(row.summary),
        parent_id=row.parent_id,
    )


def _new_session(*, kind: str, name: str, strategy_name: str, symbol: str, timeframe: str, leverage: str,
                 configuration: dict[str, Any], market_context: dict[str, Any], code_version: str, fingerprint: str,
                 data_label: str, starting_balance: Decimal, created_at: int, data_start: int | None = None,
                 data_end: int | None = None, parent_id: int | None = None) -> dict[str, Any]:
    """A session row's values at its creation (status running)."""
    return {
        "kind": kind, "name": name, "strategy_name": strategy_name, "symbol": symbol, "timeframe": timeframe,
        "leverage": leverage, "status": "running", "end_reason": "", "created_at": created_at,
        "code_version": code_version, "fingerprint": fingerprint, "configuration": canonical(configuration),
        "market_context": canonical(market_context), "data_label": data_label, "data_start": data_start,
        "data_end": data_end, "starting_balance": str(starting_balance), "metrics": "{}", "breakdowns": "{}",
        "summary": "{}", "parent_id": parent_id,
    }


def canonical(value: object) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), default=str, allow_nan=False)


class SessionRepository:
    """Sessions and their rows in one database."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def _fail(self, doing: str, exc: Exception) -> StoreError:
        reason = (str(getattr(exc, "orig", None) or exc).strip().splitlines() or [type(exc).__name__])[0]
        return StoreError(f"{doing} failed on {self.db.shown_url}: {reason}")

    def _driver_errors(self) -> tuple[type[Exception], ...]:
        """What a failed statement raises: SQLAlchemy's errors, and the driver's own on the bulk path
        (which talks to the driver's cursor directly)."""
        dbapi = self.db.engine.dialect.dbapi
        return (SQLAlchemyError, dbapi.Error) if dbapi is not None else (SQLAlchemyError,)

    # ------------------------------------------------------------------ writing
    def create(self, *, kind: str, name: str, strategy_name: str, symbol: str, timeframe: str, leverage: str,
               configuration: dict[str, Any], market_context: dict[str, Any], code_version: str, fingerprint: str,
               data_label: str, starting_balance: Decimal, created_at: int, data_start: int | None = None,
               data_end: int | None = None, parent_id: int | None = None) -> int:
        """A new session with status `running`, committed at once."""
        values = _new_session(
            kind=kind, name=name, strategy_name=strategy_name, symbol=symbol, timeframe=timeframe, leverage=leverage,
            configuration=configuration, market_context=market_context, code_version=code_version,
            fingerprint=fingerprint, data_label=data_label, starting_balance=starting_balance, created_at=created_at,
            data_start=data_start, data_end=data_end, parent_id=parent_id)
        try:
            with self.db.engine.begin() as conn:
                result = conn.execute(insert(SessionRow).values(**values).returning(SessionRow.id))
                return int(result.scalar_one())
        except SQLAlchemyError as exc:
            raise self._fail("creating a session", exc) from None

    def set_start(self, session_id: int, strategy_name: str, market_context: dict[str, Any]) -> None:
        """What a live session learns once warmed up: the strategies that count and the market it starts in."""
        try:
            with self.db.engine.begin() as conn:
                conn.execute(update(SessionRow).where(SessionRow.id == session_id).values(
                    strategy_name=strategy_name, market_context=canonical(market_context)))
        except SQLAlchemyError as exc:
            raise self._fail(f"recording session {session_id}'s start", exc) from None

    def hand_over(self, session_id: int, frames: SessionFrames, *, final_balance: Decimal, metrics: dict[str, Any],
                  breakdowns: dict[str, Any], summary: dict[str, Any], ended_at: int, end_reason: str,
                  inputs: list[tuple[Any, ...]], successor: dict[str, Any]) -> int:
        """End a session (its last inputs, rows and results; status completed) and start the one that continues
        it (`successor`: `create`'s arguments), in one transaction; returns the new session's id."""
        values = _new_session(**successor, parent_id=session_id)
        rows, equity = _stored_rows(frames)
        try:
            with collector_paused(), self.db.engine.begin() as conn:
                if inputs:
                    self._insert_inputs(conn, session_id, inputs)
                self._write_results(conn, session_id, rows, equity, final_balance=final_balance, metrics=metrics,
                                    breakdowns=breakdowns, summary=summary, ended_at=ended_at, status="completed",
                                    end_reason=end_reason, max_equity_points=5000)
                return int(conn.execute(insert(SessionRow).values(**values).returning(SessionRow.id)).scalar_one())
        except self._driver_errors() as exc:
            raise self._fail(f"ending session {session_id} and starting the next", exc) from None

    def complete(self, session_id: int, frames: SessionFrames, *, final_balance: Decimal, metrics: dict[str, Any],
                 breakdowns: dict[str, Any], summary: dict[str, Any], ended_at: int, status: str = "completed",
                 end_reason: str = "", max_equity_points: int = 5000) -> dict[str, int]:
        """Write every row of the run and mark the session finished, all in one transaction."""
        rows, equity = _stored_rows(frames)
        return self.complete_rows(session_id, rows, equity, final_balance=final_balance, metrics=metrics,
                                  breakdowns=breakdowns, summary=summary, ended_at=ended_at, status=status,
                                  end_reason=end_reason, max_equity_points=max_equity_points)

    def complete_rows(self, session_id: int, rows: dict[str, list[tuple[Any, ...]]], equity: pd.DataFrame, *,
                      final_balance: Decimal, metrics: dict[str, Any], breakdowns: dict[str, Any],
                      summary: dict[str, Any], ended_at: int, status: str = "completed", end_reason: str = "",
                      max_equity_points: int = 5000) -> dict[str, int]:
        """`complete` from rows already in column order (`frames.rows_from_result`) and the full equity
        curve, which is kept at chart resolution."""
        try:
            with collector_paused(), self._bulk_transaction() as conn:
                return self._write_results(conn, session_id, rows, equity, final_balance=final_balance,
                                           metrics=metrics, breakdowns=breakdowns, summary=summary,
                                           ended_at=ended_at, status=status, end_reason=end_reason,
                                           max_equity_points=max_equity_points)
        except self._driver_errors() as exc:
            # nothing of the run was written (one transaction); say so on the session row
            failure = self._fail(f"writing session {session_id}", exc)
            with contextlib.suppress(StoreError):  # if the database itself is gone, the row says `running`
                self.mark(session_id, "failed", f"its rows could not be written: {failure}", ended_at)
            raise failure from None

    @contextlib.contextmanager
    def _bulk_transaction(self) -> Iterator[Connection]:
        """A transaction for one session's bulk write. On SQLite it runs without foreign-key lookups (one
        per row: a tenth of a year-long session's write): every row it writes names the one session whose
        row `_write_results` then updates in the same transaction, refusing one that is not there. Its page
        cache is large enough to hold a year-long session's pages (default 2 MB: the write spilled pages to
        the WAL and wrote the session_id index pages again and again), and given back afterwards."""
        with self.db.engine.connect() as conn:
            raw = conn.connection.dbapi_connection
            assert raw is not None
            if self.db.is_sqlite:
                _pragma(raw, "foreign_keys=OFF")  # only takes effect outside a transaction: before it begins
                _pragma(raw, f"cache_size=-{BULK_CACHE_KIB}")
            try:
                with conn.begin():
                    yield conn
            finally:
                if self.db.is_sqlite:
                    try:
                        _pragma(raw, "foreign_keys=ON")
                        _pragma(raw, "cache_size=-2000")  # SQLite's default
                        _pragma(raw, "shrink_memory")
                    except sqlite3.Error:
                        conn.invalidate()  # never hand a connection on without its foreign keys

    def _write_results(self, conn: Connection, session_id: int, rows: dict[str, list[tuple[Any, ...]]],
                       equity: pd.DataFrame, *, final_balance: Decimal, metrics: dict[str, Any],
                       breakdowns: dict[str, Any], summary: dict[str, Any], ended_at: int, status: str,
                       end_reason: str, max_equity_points: int) -> dict[str, int]:
        """Bulk-insert a session's rows and mark it finished, inside the caller's transaction."""
        if status not in STATUSES:
            raise ValueError(f"status must be one of {STATUSES}, was {status!r}")
        expected = set(CHILD_TABLES) - {"equity"}
        if set(rows) != expected:
            raise ValueError(f"rows must hold exactly the tables {sorted(expected)}, got {sorted(rows)}")
        tables = {**rows, "equity": _tuples(downsample_equity(equity, max_equity_points), CHILD_TABLES["equity"])}
        counts: dict[str, int] = {}
        raw = conn.connection.dbapi_connection
        assert raw is not None
        cursor = raw.cursor()
        for name, table_rows in tables.items():
            counts[name] = len(table_rows)
            if table_rows:
                _bulk_insert(cursor, self.db.is_sqlite, name, COLUMNS[name], session_id, table_rows)
        cursor.close()
        marked = conn.execute(update(SessionRow).where(SessionRow.id == session_id).values(
            status=status, end_reason=end_reason, ended_at=ended_at, final_balance=str(final_balance),
            metrics=canonical(metrics), breakdowns=canonical(breakdowns), summary=canonical(summary)))
        if marked.rowcount != 1:  # raised inside the transaction: none of the rows stay
            raise StoreError(f"session {session_id} is not in {self.db.shown_url}; its rows were not written")
        return counts

    def mark(self, session_id: int, status: str, reason: str, ended_at: int) -> None:
        """Set a session's status and end reason."""
        if status not in STATUSES:
            raise ValueError(f"status must be one of {STATUSES}, was {status!r}")
        try:
            with self.db.engine.begin() as conn:
                conn.execute(update(SessionRow).where(SessionRow.id == session_id).values(
                    status=status, end_reason=reason, ended_at=ended_at))
        except SQLAlchemyError as exc:
            raise self._fail(f"marking session {session_id} {status}", exc) from None

    def end_active(self, reason: str, ended_at: int, status: str = "interrupted") -> list[int]:
        """Every session still `running` becomes `status`, with the reason; returns their ids."""
        try:
            with self.db.engine.begin() as conn:
                ids = [int(i) for i in conn.execute(select(SessionRow.id).where(SessionRow.status == "running"))
                       .scalars()]
                if ids:
                    conn.execute(update(SessionRow).where(SessionRow.id.in_(ids)).values(
                        status=status, end_reason=reason, ended_at=ended_at))
                return ids
        except SQLAlchemyError as exc:
            raise self._fail("ending active sessions", exc) from None

    def add_alert(self, session_id: int, ts: int, key: str, severity: str, message: str) -> None:
        try:
            with self.db.engine.begin() as conn:
                conn.execute(insert(AlertRow).values(session_id=session_id, ts=ts, key=key, severity=severity,
                                                     message=message))
        except SQLAlchemyError as exc:
            raise self._fail("recording an alert", exc) from None

    # ------------------------------------------------------------------ paper and live sessions
    INPUT_COLUMNS = ("seq", "phase", "close_ts", "symbol", "timeframe", "ts", "open", "high", "low", "close",
                     "volume", "funding_rate")

    def append_inputs(self, session_id: int, rows: list[tuple[Any, ...]], live_state: dict[str, Any] | None = None,
                      ) -> None:
        """Record consumed candles (tuples in INPUT_COLUMNS order) and the live state, in one transaction."""
        try:
            with self.db.engine.begin() as conn:
                if rows:
                    self._insert_inputs(conn, session_id, rows)
                if live_state is not None:
                    conn.execute(update(SessionRow).where(SessionRow.id == session_id)
                                 .values(live_state=canonical(live_state)))
        except self._driver_errors() as exc:
            raise self._fail(f"recording session {session_id}'s inputs", exc) from None

    def _insert_inputs(self, conn: Connection, session_id: int, rows: list[tuple[Any, ...]]) -> None:
        raw = conn.connection.dbapi_connection
        assert raw is not None
        cursor = raw.cursor()
        _bulk_insert(cursor, self.db.is_sqlite, "session_inputs", self.INPUT_COLUMNS, session_id, rows)
        cursor.close()

    def lineage(self, session_id: int) -> list[int]:
        """The ids of the sessions of one run that `session_id` ends, oldest first (each continued the one
        before it after a strategy switch); raises when an earlier one was deleted."""
        ids = [session_id]
        try:
            with self.db.engine.connect() as conn:
                while True:
                    parent = conn.execute(select(SessionRow.parent_id, SessionRow.id)
                                          .where(SessionRow.id == ids[-1])).first()
                    if parent is None:
                        raise StoreError(f"session {ids[-1]} is not in {self.db.shown_url}: session {session_id}'s "
                                         f"run cannot be replayed; start a new session with --fresh")
                    if parent[0] is None:
                        break
                    if int(parent[0]) in ids:
                        raise StoreError(f"session {session_id}'s run loops at session {parent[0]}")
                    ids.append(int(parent[0]))
        except SQLAlchemyError as exc:
            raise self._fail(f"reading session {session_id}'s run", exc) from None
        return ids[::-1]

    def successor(self, session_id: int) -> int | None:
        """The session that continued `session_id` after a strategy switch, if any."""
        try:
            with self.db.engine.connect() as conn:
                found = conn.execute(select(SessionRow.id).where(SessionRow.parent_id == session_id)
                                     .order_by(SessionRow.id).limit(1)).scalar()
                return None if found is None else int(found)
        except SQLAlchemyError as exc:
            raise self._fail(f"looking for the session after {session_id}", exc) from None

    def load_inputs(self, session_id: int) -> list[tuple[Any, ...]]:
        """Every recorded input of the session, in arrival order."""
        table = INPUTS_TABLE
        query = select(*(table.c[c] for c in self.INPUT_COLUMNS)).where(table.c.session_id == session_id) \
            .order_by(table.c.seq)
        try:
            with self.db.engine.connect() as conn:
                return [tuple(r) for r in conn.execute(query)]
        except SQLAlchemyError as exc:
            raise self._fail(f"reading session {session_id}'s inputs", exc) from None

    def live_state(self, session_id: int) -> dict[str, Any]:
        try:
            with self.db.engine.connect() as conn:
                text = conn.execute(select(SessionRow.live_state).where(SessionRow.id == session_id)).scalar_one()
                return dict(json.loads(text or "{}"))
        except SQLAlchemyError as exc:
            raise self._fail(f"reading session {session_id}'s live state", exc) from None

    def find_resumable(self, kind: str, fingerprint: str) -> SessionInfo | None:
        """The newest session of this kind and configuration that did not finish (running or interrupted)."""
        query = select(SessionRow).where(SessionRow.kind == kind, SessionRow.fingerprint == fingerprint,
                                         SessionRow.status.in_(("running", "interrupted"))) \
            .order_by(SessionRow.id.desc()).limit(1)
        try:
            with OrmSession(self.db.engine) as orm:
                rows = list(orm.scalars(query))
                return _info(rows[0]) if rows else None
        except SQLAlchemyError as exc:
            raise self._fail("looking for a session to resume", exc) from None

    def reopen(self, session_id: int) -> None:
        """Running again: results written at an earlier stop are removed (the resumed run rewrites them whole)."""
        try:
            with self.db.engine.begin() as conn:
                for table in CHILD_TABLES.values():
                    conn.execute(delete(table).where(table.c.session_id == session_id))
                conn.execute(update(SessionRow).where(SessionRow.id == session_id).values(
                    status="running", end_reason="", ended_at=None))
        except SQLAlchemyError as exc:
            raise self._fail(f"reopening session {session_id}", exc) from None

    def delete(self, ids: list[int]) -> int:
        if not ids:
            return 0
        try:
            with self.db.engine.begin() as conn:
                for table in (*CHILD_TABLES.values(), ALERTS_TABLE, INPUTS_TABLE):
                    conn.execute(delete(table).where(table.c.session_id.in_(ids)))
                return int(conn.execute(delete(SessionRow).where(SessionRow.id.in_(ids))).rowcount or 0)
        except SQLAlchemyError as exc:
            raise self._fail("deleting sessions", exc) from None

    # ------------------------------------------------------------------ reading
    def list(self, *, last: int | None = None, strategy_name: str | None = None) -> list[SessionInfo]:
        """Sessions, newest first."""
        query = select(SessionRow).order_by(SessionRow.id.desc())
        if strategy_name is not None:
            query = query.where(SessionRow.strategy_name == strategy_name)
        if last is not None:
            query = query.limit(last)
        try:
            with OrmSession(self.db.engine) as orm:
                return [_info(row) for row in orm.scalars(query)]
        except SQLAlchemyError as exc:
            raise self._fail("listing sessions", exc) from None

    def get(self, session_id: int) -> SessionInfo:
        try:
            with OrmSession(self.db.engine) as orm:
                rows = list(orm.scalars(select(SessionRow).where(SessionRow.id == session_id)))
                if not rows:
                    newest = [int(i) for i in orm.scalars(
                        select(SessionRow.id).order_by(SessionRow.id.desc()).limit(5))]
                    known = ", ".join(map(str, newest)) if newest else "none: the database has no sessions"
                    raise StoreError(f"no session with id {session_id} in {self.db.shown_url} "
                                     f"(the newest are: {known})")
                return _info(rows[0])
        except SQLAlchemyError as exc:
            raise self._fail(f"reading session {session_id}", exc) from None

    def current(self) -> SessionInfo | None:
        """The newest session still running, if any."""
        try:
            with OrmSession(self.db.engine) as orm:
                rows = list(orm.scalars(select(SessionRow).where(SessionRow.status == "running")
                                        .order_by(SessionRow.id.desc()).limit(1)))
                return _info(rows[0]) if rows else None
        except SQLAlchemyError as exc:
            raise self._fail("reading the current session", exc) from None

    def count(self) -> int:
        with self.db.engine.connect() as conn:
            return int(conn.execute(select(func.count()).select_from(SessionRow)).scalar_one())

    def load_frames(self, session_id: int) -> SessionFrames:
        """The session's tables, in the shape `frames_from_result` gives (equity as stored)."""
        self.get(session_id)
        out: dict[str, pd.DataFrame] = {}
        try:
            with self.db.engine.connect() as conn:
                for name, table in CHILD_TABLES.items():
                    cols = COLUMNS[name]
                    query = select(*(table.c[c] for c in cols)).where(table.c.session_id == session_id) \
                        .order_by(table.c[ORDER_BY[name]])
                    out[name] = pd.DataFrame([tuple(r) for r in conn.execute(query)], columns=list(cols))
        except SQLAlchemyError as exc:
            raise self._fail(f"reading session {session_id}", exc) from None
        equity = out["equity"]
        out["equity"] = pd.DataFrame({"ts": equity["ts"].astype("int64"), "equity": equity["equity"].astype("float64"),
                                      "exposed": equity["exposed"].astype("bool")})
        orders = out["orders"]
        out["order_events"] = pd.DataFrame(
            [row for cid, text in zip(orders["client_id"].tolist(), orders["history"].tolist(), strict=True)
             for row in history_rows(cid, text)], columns=list(ORDER_EVENT_COLUMNS))
        out["orders"] = orders.drop(columns="history")
        return SessionFrames(**out)


def _stored_rows(frames: SessionFrames) -> tuple[dict[str, list[tuple[Any, ...]]], pd.DataFrame]:
    """A run's tables as the store keeps them (what `frames.rows_from_result` gives), and its equity."""
    tables = frames.tables()
    equity = tables.pop("equity")
    events = tables.pop("order_events")
    rows = {name: _tuples(frame, CHILD_TABLES[name]) for name, frame in tables.items()}
    rows["orders"] = _with_histories(rows["orders"], events)
    return rows, equity


def _with_histories(orders: list[tuple[Any, ...]], events: pd.DataFrame) -> list[tuple[Any, ...]]:
    """Orders (ORDER_COLUMNS tuples) with their state changes from the `order_events` table folded in as
    `history_json`. An order's changes are its client id's events from seq 0 on, taken in table order (a
    client id is unique within a run; should one repeat, each order takes the next run of changes)."""
    runs: defaultdict[str, deque[list[tuple[int, str, str]]]] = defaultdict(deque)
    if not events.empty:
        for cid, seq, ts, status, reason in zip(*(events[c].tolist() for c in ORDER_EVENT_COLUMNS), strict=True):
            queue = runs[cid]
            if seq == 0 or not queue:
                queue.append([])
            queue[-1].append((ts, status, reason))
    out = []
    for row in orders:
        found = runs.get(row[0])
        out.append((*row, history_json(found.popleft() if found else ())))
    orphans = sorted(cid for cid, queue in runs.items() if queue)
    if orphans:
        raise ValueError(f"order_events name orders that the orders table does not hold: {', '.join(orphans[:5])}")
    return out


def _pragma(raw: Any, setting: str) -> None:
    cursor = raw.cursor()
    cursor.execute(f"PRAGMA {setting}")
    cursor.close()


def _tuples(frame: pd.DataFrame, table: Table) -> list[tuple[Any, ...]]:
    """Rows as plain Python tuples (no numpy scalars, None for missing, integers as int: a nullable
    integer column arrives from pandas as floats)."""
    if frame.empty:
        return []
    columns = []
    for name in frame.columns:
        col = frame[name]
        values = col.tolist()  # Python ints, floats, bools and strings
        missing = col.isna()
        if missing.any():
            values = [None if m else v for v, m in zip(values, missing.tolist(), strict=True)]
            if isinstance(table.c[name].type, Integer):
                values = [None if v is None else int(v) for v in values]
        columns.append(values)
    return list(zip(*columns, strict=True))


def _bulk_insert(cursor: Any, sqlite: bool, table: str, columns: tuple[str, ...], session_id: int,
                 rows: list[tuple[Any, ...]]) -> None:
    """The driver's fastest bulk path, in the caller's transaction: executemany on SQLite (the session id
    written into the statement, so the rows go in as they are), COPY on PostgreSQL."""
    names = ", ".join(("session_id", *columns))
    if sqlite:
        _sqlite_insert(cursor, f"INSERT INTO {table} ({names}) VALUES ", f"({int(session_id)}, "
                       f"{', '.join('?' * len(columns))})", len(columns), rows)
        return
    with cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row((session_id, *row))


_ROWS_PER_STATEMENT = 100


def _sqlite_insert(cursor: Any, head: str, one_row: str, width: int, rows: list[tuple[Any, ...]]) -> None:
    """executemany with up to 100 rows per statement: each statement runs once for many rows, which
    makes a large write about a fifth faster than one statement per row."""
    limit = cursor.connection.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER)
    per = max(1, min(_ROWS_PER_STATEMENT, limit // width))
    whole = len(rows) - len(rows) % per
    if whole:
        cursor.executemany(head + ", ".join([one_row] * per),
                           [tuple(chain.from_iterable(rows[i:i + per])) for i in range(0, whole, per)])
    if whole < len(rows):
        cursor.executemany(head + one_row, rows[whole:])
