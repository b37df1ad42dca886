"""Reading query parameters the way Bybit validates them: a bad value is a retCode 10001 with its name.

Bybit's messages for a bad category, symbol and kline interval were seen on the real API
("params error: category invalid", "params error: symbol invalid", "params error: intervalTime is invalid");
the texts for bad numbers follow the same pattern and are assumptions (docs/bybit.md says which).
"""

from __future__ import annotations

from collections.abc import Mapping

from perpbot.venues.bybit.testserver.retcodes import params_error

# The one market this server holds. Spot, inverse and option requests are refused as an invalid category.
LINEAR = "linear"


class Query:
    """The query string of one request; an empty value counts as absent, as it does on Bybit."""

    __slots__ = ("_params",)

    def __init__(self, params: Mapping[str, str]) -> None:
        self._params = params

    def text(self, name: str) -> str | None:
        value = self._params.get(name)
        return value if value else None

    def integer(self, name: str) -> int | None:
        """An optional whole number (timestamps, limits): anything else is 'params error: <name> invalid'."""
        value = self.text(name)
        if value is None:
            return None
        try:
            return int(value)
        except ValueError:
            raise params_error(f"params error: {name} invalid") from None

    def limit(self, *, default: int, low: int, high: int, name: str = "limit") -> int:
        value = self.integer(name)
        if value is None:
            return default
        if not low <= value <= high:
            raise params_error(f"params error: {name} invalid")
        return value

    def category(self, *, default: str | None = None) -> str:
        """The product category; this server holds only linear perpetuals."""
        value = self.text("category") or default
        if value != LINEAR:
            raise params_error("params error: category invalid")
        return value

    def require(self, name: str) -> str:
        value = self.text(name)
        if value is None:
            raise params_error(f"params error: {name} invalid")
        return value

