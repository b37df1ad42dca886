"""A Bybit v5 test server on loopback: public REST and the public linear WebSocket, driven by tests.

Built to grow into the full exchange the live venue is tested against (docs/bybit.md): routes live in a
registry, state in one exchange object, answers in the v5 envelope with Bybit's retCodes.
"""

from perpbot.venues.bybit.testserver.app import LoggedRequest
from perpbot.venues.bybit.testserver.candles import BYBIT_INTERVALS, decimal_text, interval_ms
from perpbot.venues.bybit.testserver.retcodes import BybitApiError, RetCode
from perpbot.venues.bybit.testserver.server import BybitTestServer
from perpbot.venues.bybit.testserver.state import Clock, WallClock

__all__ = [
    "BYBIT_INTERVALS",
    "BybitApiError",
    "BybitTestServer",
    "Clock",
    "LoggedRequest",
    "RetCode",
    "WallClock",
    "decimal_text",
    "interval_ms",
]
