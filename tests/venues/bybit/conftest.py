"""Fixtures for the Bybit test server tests: a server on a settable clock, and pybit pointed at it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from pybit.unified_trading import HTTP
from tests.conftest import SetClock

from perpbot.venues.bybit.testserver import BybitTestServer

START_MS = 1_704_067_200_000  # 2024-01-01 00:00 UTC



@pytest.fixture
def clock() -> SetClock:
    return SetClock(START_MS)


@pytest.fixture
def server(clock: SetClock) -> Iterator[BybitTestServer]:
    with BybitTestServer(clock=clock) as running:
        yield running


@pytest.fixture
def http(server: BybitTestServer) -> Iterator[HTTP]:
    """pybit's HTTP session on the server: one attempt, no sleeping between retries."""
    session = HTTP(testnet=False, max_retries=1, retry_delay=0, timeout=5)
    session.endpoint = server.rest_url
    yield session
    session.client.close()
