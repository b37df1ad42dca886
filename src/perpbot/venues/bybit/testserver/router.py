"""The REST handler registry: (method, path) -> handler, each returning a v5 `result` or raising a retCode.

Handlers are plain functions of one `RestRequest`; the app wraps their answer in the envelope. The request
keeps the raw query string and body exactly as received because the private half will verify HMAC
signatures over those bytes (Bybit signs what was sent, not a re-serialisation); a signed route will say so
when it is registered, and the app will authenticate it before calling the handler.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from perpbot.venues.bybit.testserver.params import Query
from perpbot.venues.bybit.testserver.state import ExchangeState


@dataclass(frozen=True, slots=True)
class RestRequest:
    """One REST call as a handler sees it; handlers run with the exchange lock held."""

    method: str
    path: str
    query: Query
    raw_query: str
    body: bytes
    headers: Mapping[str, str]
    state: ExchangeState
    now_ms: int


Handler = Callable[[RestRequest], dict[str, Any]]


@dataclass(frozen=True, slots=True)
class Route:
    method: str
    path: str
    handler: Handler
    ret_msg: str = "OK"  # what a success says; Bybit varies it by endpoint family


class Router:
    """Routes by exact (method, path); an unknown one is HTTP 404, as on Bybit."""

    def __init__(self) -> None:
        self._routes: dict[tuple[str, str], Route] = {}

    def add(self, method: str, path: str, handler: Handler, *, ret_msg: str = "OK") -> None:
        key = (method.upper(), path)
        if key in self._routes:
            raise ValueError(f"route {method.upper()} {path} is already registered")
        self._routes[key] = Route(method.upper(), path, handler, ret_msg)

    def get(self, path: str, *, ret_msg: str = "OK") -> Callable[[Handler], Handler]:
        """Decorator form of `add` for GET routes."""
        def register(handler: Handler) -> Handler:
            self.add("GET", path, handler, ret_msg=ret_msg)
            return handler
        return register

    def find(self, method: str, path: str) -> Route | None:
        return self._routes.get((method.upper(), path))

    @property
    def routes(self) -> list[Route]:
        return sorted(self._routes.values(), key=lambda r: (r.path, r.method))
