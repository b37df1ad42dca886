"""The public linear WebSocket (`/v5/public/linear`): subscribe/unsubscribe, ping, and kline pushes.

Frames are shaped as Bybit sends them and as pybit's dispatcher needs them (docs/bybit.md): the subscribe
ack echoes `req_id` and comes after a short delay, because pybit registers a topic's callback only after
sending the request and an instant ack or push can reach it first; a topic starts receiving pushes when it
is acknowledged. Nothing is sent that pybit would not expect (no welcome banner).

Runs on the server's event loop; the few numbers the test thread reads (subscribers per topic, connections
opened) are kept under a threading condition so a test can wait on them.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import threading
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from aiohttp import WSCloseCode, WSMsgType, web

from perpbot.venues.bybit.testserver.candles import BYBIT_INTERVALS
from perpbot.venues.bybit.testserver.state import ExchangeState

_CLOSE_TIMEOUT_S = 1.0  # how long a close waits for the client's close reply


def dumps(payload: dict[str, Any]) -> str:
    """JSON as Bybit writes it: compact."""
    return json.dumps(payload, separators=(",", ":"))


@dataclass(eq=False, slots=True)
class PublicConnection:
    conn_id: str
    ws: web.WebSocketResponse
    request: web.Request
    topics: set[str] = field(default_factory=set)  # acknowledged: these receive pushes
    requested: set[str] = field(default_factory=set)  # asked for, ack pending
    send_lock: asyncio.Lock = field(default_factory=asyncio.Lock)

    async def send(self, text: str) -> bool:
        """Send one frame; False if the connection is already gone (it is then left to close)."""
        async with self.send_lock:
            if self.ws.closed:
                return False
            try:
                await self.ws.send_str(text)
            except (ConnectionError, RuntimeError):
                return False
            return True


class PublicHub:
    """Every open public connection and what each subscribed to."""

    def __init__(self, state: ExchangeState, *, ack_delay_s: float) -> None:
        self.state = state
        self.ack_delay_s = ack_delay_s
        self._connections: set[PublicConnection] = set()
        self._ids = itertools.count(1)
        self._changed = threading.Condition()
        self._subscribers: Counter[str] = Counter()
        self._opened = 0

    # ------------------------------------------------------------------ read from any thread
    def subscribers(self, topic: str) -> int:
        with self._changed:
            return self._subscribers[topic]

    @property
    def connections_opened(self) -> int:
        with self._changed:
            return self._opened

    def wait(self, predicate: Any, timeout_s: float) -> bool:
        """Block until `predicate(hub)` is true (re-checked on every subscription change) or the timeout."""
        with self._changed:
            return bool(self._changed.wait_for(lambda: predicate(self), timeout=timeout_s))

    def _count(self, topic: str, delta: int) -> None:
        with self._changed:
            self._subscribers[topic] += delta
            self._changed.notify_all()

    # ------------------------------------------------------------------ the connection
    async def handle(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse(autoping=True, heartbeat=None, timeout=_CLOSE_TIMEOUT_S)
        await ws.prepare(request)
        conn = PublicConnection(f"perpbot-test-{next(self._ids)}", ws, request)
        self._connections.add(conn)
        with self._changed:
            self._opened += 1
            self._changed.notify_all()
        try:
            async for message in ws:
                if message.type == WSMsgType.TEXT:
                    await self._on_text(conn, message.data)
                elif message.type == WSMsgType.ERROR:
                    break
        finally:
            self._forget(conn)
        return ws

    def _forget(self, conn: PublicConnection) -> None:
        if conn in self._connections:
            self._connections.discard(conn)
            for topic in conn.topics:
                self._count(topic, -1)
            conn.topics.clear()

    async def _on_text(self, conn: PublicConnection, text: str) -> None:
        try:
            message = json.loads(text)
            if not isinstance(message, dict):
                raise ValueError("not a JSON object")
        except ValueError as exc:
            await conn.send(dumps({"success": False, "ret_msg": f"Failed to decode incoming data: {exc}",
                                   "conn_id": conn.conn_id, "req_id": "", "op": ""}))
            return
        op = message.get("op")
        req_id = message.get("req_id") or ""
        args = message.get("args") or []
        if op == "ping":
            await conn.send(self._reply(conn, req_id, "ping", True, "pong"))
        elif op == "subscribe":
            await self._subscribe(conn, req_id, args)
        elif op == "unsubscribe":
            await self._unsubscribe(conn, req_id, args)
        else:
            await conn.send(self._reply(conn, req_id, str(op or ""), False, "error:invalid op"))

    @staticmethod
    def _reply(conn: PublicConnection, req_id: str, op: str, success: bool, ret_msg: str) -> str:
        return dumps({"success": success, "ret_msg": ret_msg, "conn_id": conn.conn_id, "req_id": req_id, "op": op})

    def _refusal(self, conn: PublicConnection, topic: object) -> str | None:
        """Why Bybit would refuse this topic, or None. One refused topic fails the whole request."""
        if not isinstance(topic, str):
            return f"error:handler not found,topic:{topic}"
        parts = topic.split(".")
        if len(parts) != 3 or parts[0] != "kline":
            return f"error:handler not found,topic:{topic}"
        if parts[1] not in BYBIT_INTERVALS:
            return f"Invalid kline type :[{topic}]"
        with self.state.lock:
            listed = parts[2] in self.state.market.instruments
        if not listed:
            return f"Invalid symbol :[{topic}]"
        if topic in conn.topics or topic in conn.requested:
            return f"error:already subscribed,topic:{topic}"
        return None

    async def _subscribe(self, conn: PublicConnection, req_id: str, args: list[Any]) -> None:
        for topic in args:
            reason = self._refusal(conn, topic)
            if reason is not None:
                await conn.send(self._reply(conn, req_id, "subscribe", False, reason))
                return
        conn.requested.update(args)
        await asyncio.sleep(self.ack_delay_s)
        if conn not in self._connections:
            return
        conn.requested.difference_update(args)
        for topic in args:
            conn.topics.add(topic)
            self._count(topic, +1)
        await conn.send(self._reply(conn, req_id, "subscribe", True, ""))

    async def _unsubscribe(self, conn: PublicConnection, req_id: str, args: list[Any]) -> None:
        absent = [t for t in args if t not in conn.topics]
        if absent:
            await conn.send(self._reply(conn, req_id, "unsubscribe", False, f"error:not subscribed,topic:{absent[0]}"))
            return
        for topic in args:
            conn.topics.discard(topic)
            self._count(topic, -1)
        await conn.send(self._reply(conn, req_id, "unsubscribe", True, ""))

    # ------------------------------------------------------------------ driven by the test
    async def push(self, topic: str, payload: dict[str, Any], copies: int = 1) -> int:
        """Send a topic message to every connection subscribed to it, `copies` times; returns receivers."""
        text = dumps(payload)
        receivers = [c for c in list(self._connections) if topic in c.topics]
        for conn in receivers:
            for _ in range(copies):
                await conn.send(text)
        return len(receivers)

    async def drop_all(self, *, abrupt: bool) -> int:
        """Close every connection: with a close frame, or by cutting the TCP connection (no close frame)."""
        connections = list(self._connections)
        for conn in connections:
            self._forget(conn)
            if abrupt:
                transport = conn.request.transport
                if transport is not None:
                    transport.abort()
            else:
                await conn.ws.close(code=WSCloseCode.GOING_AWAY, message=b"closed by the test server")
        return len(connections)

    async def close_all(self) -> None:
        await self.drop_all(abrupt=False)
