"""Paper trading on the live feed: pybit against the loopback Bybit server, candle by candle, makes the
same trades as a replay of the same candles."""

from __future__ import annotations

import threading
import time
from typing import Any

from perpbot.config import parse_config
from perpbot.data.feeds import FeedSettings
from perpbot.data.memory import InMemorySource
from perpbot.engine.paper import PaperEngine
from perpbot.runtime.assemble import build_live
from perpbot.runtime.paper import PaperRuntime
from perpbot.runtime.replay import ReplayFeed
from perpbot.strategies.registry import StrategyRegistry
from perpbot.venues.bybit.testserver import BybitTestServer
from tests.conftest import SetClock, make_candles

STEP = 900_000
HISTORY = 700
LIVE = 160



def _config() -> Any:
    return parse_config({
        "name": "live-feed-test",
        "symbols": [{"symbol": "BTCUSDT", "leverage": 5}],
        "strategies": [{"name": "ema_cross", "timeframe": "15m", "params": {"fast": 5, "slow": 13}}],
        "regime": {"enabled": False},
        "risk": {"risk_per_trade_pct": 1, "max_correlation": 0.95},
        "sessions": {"save": False},
    })


def _wait(predicate: Any, what: str, timeout_s: float = 10.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.005)


def test_live_feed_paper_run_equals_the_replay() -> None:
    candles = make_candles(HISTORY + LIVE, seed=11, step_ms=STEP, price=60000.0)
    config = _config()
    start_close = int(candles["ts"].iloc[HISTORY - 1]) + STEP
    clock = SetClock(start_close + 500)
    with BybitTestServer(clock=clock) as server:
        server.load_candles("BTCUSDT", "15", candles.iloc[:HISTORY])
        settings = FeedSettings(rest_url=server.rest_url, ws_url=server.ws_public_url, late_after_ms=60_000_000,
                                refetch_retry_s=0.05, reconnect_delay_s=0.05)
        runtime = build_live(config, clock=clock, settings=settings)
        thread = threading.Thread(target=runtime.run, daemon=True)
        thread.start()
        try:
            _wait(lambda: server.subscribers("kline.15.BTCUSDT") >= 1, "the subscription")
            for i in range(HISTORY, HISTORY + LIVE):
                clock.now = int(candles["ts"].iloc[i]) + STEP + 500
                server.publish_candle("BTCUSDT", "15", candles.iloc[i], confirm=True)
                _wait(lambda i=i: runtime.health.closes == i - HISTORY + 1, f"close {i}")
        finally:
            runtime.stop()
            thread.join(timeout=10)
    assert not thread.is_alive()
    live_node = runtime.engine.node
    assert len(live_node.decisions) > 5

    replay = PaperRuntime(PaperEngine(config, StrategyRegistry()),  # same config, same client-id prefix
                          ReplayFeed(InMemorySource({("BTCUSDT", "15m"): candles}), [("BTCUSDT", "15m")],
                                     start_ms=start_close))
    replay.warm_up(start_close)
    replay.run()
    assert replay.health.closes == LIVE
    assert live_node.fills == replay.engine.node.fills
    assert live_node.trades == replay.engine.node.trades
    assert live_node.ledger.balance == replay.engine.node.ledger.balance
