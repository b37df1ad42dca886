"""Test helpers shared by the data tests: the project's deterministic candle builder."""

from __future__ import annotations

try:  # the tests folder is a package (tests.conftest) or a plain rootdir (conftest)
    from tests.conftest import make_candles
except ImportError:  # pragma: no cover - depends on how the suite is laid out
    from conftest import make_candles  # type: ignore[no-redef]

__all__ = ["make_candles"]
