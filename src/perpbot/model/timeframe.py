"""Candle timeframes: names as perpbot writes them ("1m", "1h") and their Bybit interval codes."""

from __future__ import annotations

_MINUTE_MS = 60_000

_TIMEFRAME_MINUTES: dict[str, int] = {
    "1m": 1, "3m": 3, "5m": 5, "15m": 15, "30m": 30,
    "1h": 60, "2h": 120, "4h": 240, "6h": 360, "12h": 720, "1d": 1440,
}

_BYBIT_INTERVAL: dict[str, str] = {
    "1m": "1", "3m": "3", "5m": "5", "15m": "15", "30m": "30",
    "1h": "60", "2h": "120", "4h": "240", "6h": "360", "12h": "720", "1d": "D",
}

TIMEFRAMES: tuple[str, ...] = tuple(_TIMEFRAME_MINUTES)


def timeframe_ms(timeframe: str) -> int:
    """Length of one candle in milliseconds; raises ValueError naming the allowed values."""
    try:
        return _TIMEFRAME_MINUTES[timeframe] * _MINUTE_MS
    except KeyError:
        raise ValueError(f"timeframe must be one of {', '.join(TIMEFRAMES)}, was {timeframe!r}") from None


def bybit_interval(timeframe: str) -> str:
    timeframe_ms(timeframe)
    return _BYBIT_INTERVAL[timeframe]


def timeframe_from_bybit(interval: str) -> str:
    for name, code in _BYBIT_INTERVAL.items():
        if code == interval:
            return name
    raise ValueError(f"Bybit interval must be one of {', '.join(_BYBIT_INTERVAL.values())}, was {interval!r}")
