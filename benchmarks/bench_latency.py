"""Paper-runtime latency: from a candle close to the order command for it.

5 strategies on 8 symbols, every strategy on the execution timeframe with its 500-candle window (the
live path recomputes each on every close). Prints p50/p99 of the whole close (all 8 symbols: signals,
regime, aggregation, risk, orders) and what the dashboard's per-close snapshot adds. Nothing is a test.
Run: `.venv/bin/python benchmarks/bench_latency.py`.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_backtest import PRICES, SYMBOLS
from synthetic import synthetic_minutes

STEP = 900_000
STRATEGIES = ["ema_cross", "rsi_reversion", "donchian_breakout", "macd_momentum", "bollinger_squeeze"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--closes", type=int, default=600)
    args = parser.parse_args()

    from perpbot.config import parse_config
    from perpbot.engine.paper import PaperEngine
    from perpbot.engine.windows import Candle
    from perpbot.model.instrument import REFERENCE_INSTRUMENTS
    from perpbot.monitor.dashboard import ConsoleMonitor
    from perpbot.strategies.registry import StrategyRegistry

    config = parse_config({
        "name": "latency",
        "symbols": [{"symbol": s, "leverage": 3} for s in SYMBOLS],
        "strategies": [{"name": n, "timeframe": "15m"} for n in STRATEGIES],
        "aggregation": {"threshold": 0.3},
        "regime": {"enabled": True, "timeframe": "15m"},
        "risk": {"max_open_positions": 8, "max_correlation": 0.9},
        "sessions": {"save": False},
    })
    warm = 700
    n = warm + args.closes
    frames = {}
    for i, symbol in enumerate(SYMBOLS):
        decimals = -REFERENCE_INSTRUMENTS[symbol].tick_size.normalize().as_tuple().exponent
        frame = synthetic_minutes(n, seed=500 + i, start_price=PRICES[symbol], decimals=int(decimals))
        frame["ts"] = frame["ts"].iloc[0] + STEP * np.arange(n)
        frames[symbol] = [Candle(int(r.ts), float(r.open), float(r.high), float(r.low), float(r.close),
                                 float(r.volume)) for r in frame.itertuples(index=False)]

    def run(with_dashboard: bool) -> list[float]:
        engine = PaperEngine(config, StrategyRegistry())
        for symbol in SYMBOLS:
            for candle in frames[symbol][:warm]:
                engine.warm_up(symbol, "15m", candle)
        monitor = ConsoleMonitor("bench") if with_dashboard else None
        runtime = _FakeRuntime(engine)
        times = []
        for k in range(warm, n):
            close = frames[SYMBOLS[0]][k].ts + STEP
            candles = {(s, "15m"): frames[s][k] for s in SYMBOLS}
            t0 = time.perf_counter()
            report = engine.on_close(close, candles, {})
            if monitor is not None:
                monitor.on_close(report, runtime)  # type: ignore[arg-type]
            times.append(time.perf_counter() - t0)
        orders = sum(1 for _ in engine.node.orders.orders())
        print(f"  {'with' if with_dashboard else 'without'} the dashboard snapshot: {len(times)} closes, "
              f"{orders} orders, {len(engine.node.trades)} trades")
        return times

    print(f"{len(SYMBOLS)} symbols x {len(STRATEGIES)} strategies on 15m, regime on, 500-candle windows")
    bare = run(False)
    dash = run(True)
    for label, t in (("close -> orders", bare), ("with dashboard", dash)):
        ms = np.array(t) * 1000
        print(f"{label}: p50 {np.percentile(ms, 50):.2f} ms, p99 {np.percentile(ms, 99):.2f} ms, "
              f"max {ms.max():.2f} ms")
    print(f"dashboard cost: {100 * (np.median(dash) / np.median(bare) - 1):+.1f}% of the median close")


class _FakeRuntime:
    """What the dashboard reads of a runtime: the engine, the barrier's counters and the health."""

    def __init__(self, engine: object) -> None:
        from perpbot.runtime.barrier import CloseBarrier
        from perpbot.runtime.paper import RuntimeHealth

        self.engine = engine
        self.barrier = CloseBarrier([])
        self.health = RuntimeHealth()


if __name__ == "__main__":
    main()
