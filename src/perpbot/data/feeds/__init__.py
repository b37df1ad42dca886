"""Live candle feeds: closed candles from an exchange stream, in order, with gaps re-fetched or reported."""

from perpbot.data.feeds.bybit_feed import BybitCandleFeed, Clock
from perpbot.data.feeds.bybit_rest import BYBIT_REST_URL, BybitMarketClient
from perpbot.data.feeds.bybit_socket import BYBIT_PUBLIC_WS_URL
from perpbot.data.feeds.events import CandleClosed, FeedCandle, FeedEvent, GapReported, Via, candles_frame
from perpbot.data.feeds.health import FeedHealth, StreamHealth
from perpbot.data.feeds.settings import FeedSettings

__all__ = [
    "BYBIT_PUBLIC_WS_URL",
    "BYBIT_REST_URL",
    "BybitCandleFeed",
    "BybitMarketClient",
    "CandleClosed",
    "Clock",
    "FeedCandle",
    "FeedEvent",
    "FeedHealth",
    "FeedSettings",
    "GapReported",
    "StreamHealth",
    "Via",
    "candles_frame",
]
