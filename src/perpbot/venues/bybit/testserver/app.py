"""The aiohttp application: REST calls dispatched through the router, WebSocket paths to their hubs."""

from __future__ import annotations

import json
import logging
import threading
from dataclasses import dataclass

from aiohttp import web

from perpbot.venues.bybit.testserver import envelope
from perpbot.venues.bybit.testserver.params import Query
from perpbot.venues.bybit.testserver.public_ws import PublicHub
from perpbot.venues.bybit.testserver.retcodes import BybitApiError
from perpbot.venues.bybit.testserver.router import RestRequest, Router
from perpbot.venues.bybit.testserver.state import ExchangeState

log = logging.getLogger(__name__)

PUBLIC_LINEAR_PATH = "/v5/public/linear"


@dataclass(frozen=True, slots=True)
class LoggedRequest:
    """A REST call as it arrived: method, path and the raw query string."""

    method: str
    path: str
    query: str


class RequestLog:
    """Every REST call, so a test can see what a client really sent (pagination, parameters)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._entries: list[LoggedRequest] = []
        self.handler_failures: list[str] = []  # server bugs: a handler raised something other than a retCode

    def add(self, entry: LoggedRequest) -> None:
        with self._lock:
            self._entries.append(entry)

    def failure(self, text: str) -> None:
        with self._lock:
            self.handler_failures.append(text)

    def entries(self, path: str | None = None) -> list[LoggedRequest]:
        with self._lock:
            return [e for e in self._entries if path is None or e.path == path]


def build_app(state: ExchangeState, router: Router, public_hub: PublicHub, requests: RequestLog) -> web.Application:
    async def rest(request: web.Request) -> web.StreamResponse:
        requests.add(LoggedRequest(request.method, request.path, request.query_string))
        route = router.find(request.method, request.path)
        if route is None:
            return web.Response(status=404, text="404 page not found")
        body = await request.read()
        with state.lock:
            now = state.now_ms()
            call = RestRequest(request.method, request.path, Query(request.query), request.query_string, body,
                               request.headers, state, now)
            try:
                payload = envelope.ok(route.handler(call), now, route.ret_msg)
            except BybitApiError as exc:
                payload = envelope.error(exc.ret_code, exc.ret_msg, now)
            except Exception as exc:  # a bug in the server itself: make it loud, never a fake answer
                log.exception("handler for %s %s failed", request.method, request.path)
                requests.failure(f"{request.method} {request.path}?{request.query_string}: {exc!r}")
                return web.Response(status=500, text=f"test server handler failed: {exc!r}")
        return web.Response(text=json.dumps(payload, separators=(",", ":")), content_type="application/json")

    async def close_sockets(_: web.Application) -> None:
        await public_hub.close_all()

    app = web.Application()
    app.router.add_get(PUBLIC_LINEAR_PATH, public_hub.handle)
    app.router.add_route("*", "/{tail:.*}", rest)
    app.on_shutdown.append(close_sockets)
    return app
