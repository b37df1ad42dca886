"""Paper-runtime latency: from a candle close to the order command for it.

5 strategies on 8 symbols, every strategy on the execution timeframe with its 500-candle window (the
live path recomputes each on every close). Prints p50/p99 of the whole close (all 8 symbols: signals,
regime, aggregation, risk, orders), with and without the dashboard, in alternated runs. The dashboard's
cost is measured where it is paid: the hand-over on the trading thread, and the CPU of its own thread
(building snapshots, alert rules; with --draw also redrawing, to a null terminal), the most it can take
from trading. Closes follow each other without a pause, the worst case for the dashboard's thread; live
closes are minutes apart. Nothing is a test.
Run: `.venv/bin/python benchmarks/bench_latency.py [--closes N] [--repeat R] [--draw]`."""

from __future__ import annotations

import argparse
import io
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
    parser.add_argument("--draw", action="store_true", help="also redraw the dashboard (to a null terminal)")
    parser.add_argument("--repeat", type=int, default=4, help="runs of each kind, alternated")
    args = parser.parse_args()

    from rich.console import Console

    from perpbot.collector import freeze_long_lived
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

    cpu: dict[bool, list[float]] = {False: [], True: []}  # process CPU seconds per close, every thread
    monitor_cpu: list[float] = []  # CPU seconds per close of the monitor's own thread

    def run(with_dashboard: bool) -> tuple[list[float], list[float]]:
        engine = PaperEngine(config, StrategyRegistry())
        for symbol in SYMBOLS:
            for candle in frames[symbol][:warm]:
                engine.warm_up(symbol, "15m", candle)
        monitor = None
        if with_dashboard:
            screen = Console(file=io.StringIO(), width=180, height=50, force_terminal=True)
            monitor = ConsoleMonitor("bench", console=screen)
            monitor.totals.attach(engine)
            if args.draw:
                monitor.start()
        runtime = _FakeRuntime(engine)
        freeze_long_lived()  # as PaperRuntime.run does once warmed up
        times, handovers = [], []
        cpu_start = time.process_time()
        for k in range(warm, n):
            close = frames[SYMBOLS[0]][k].ts + STEP
            candles = {(s, "15m"): frames[s][k] for s in SYMBOLS}
            t0 = time.perf_counter()
            report = engine.on_close(close, candles, {})
            if monitor is not None:
                t1 = time.perf_counter()
                monitor.on_close(report, runtime)  # type: ignore[arg-type]
                handovers.append(time.perf_counter() - t1)
            times.append(time.perf_counter() - t0)
        if monitor is not None:
            monitor_cpu.append(monitor.busy_s / len(times))
            monitor.stop()  # builds what its thread had not got to yet: counted in the CPU below
            assert monitor.latest is not None and monitor.latest.close_ts == close and not monitor.failures
        cpu[with_dashboard].append((time.process_time() - cpu_start) / len(times))
        orders = sum(1 for _ in engine.node.orders.orders())
        ms = np.array(times) * 1000
        print(f"  {'with   ' if with_dashboard else 'without'} dashboard: {len(times)} closes, {orders} orders, "
              f"{len(engine.node.trades)} trades; p50 {np.percentile(ms, 50):.2f} ms, "
              f"p99 {np.percentile(ms, 99):.2f} ms, max {ms.max():.2f} ms")
        return times, handovers

    print(f"{len(SYMBOLS)} symbols x {len(STRATEGIES)} strategies on 15m, regime on, 500-candle windows"
          + (", dashboard drawing" if args.draw else ""))
    with open("/proc/loadavg") as f:
        print(f"load average before: {' '.join(f.read().split()[:3])}")
    bare: list[list[float]] = []
    dash: list[list[float]] = []
    handover: list[float] = []
    for i in range(args.repeat):
        for with_dashboard in (False, True) if i % 2 == 0 else (True, False):  # no side always runs second
            times, handed = run(with_dashboard)
            (dash if with_dashboard else bare).append(times)
            handover += handed
    for label, runs in (("close -> orders", bare), ("with dashboard", dash)):
        p50 = [float(np.percentile(t, 50)) * 1000 for t in runs]
        p99 = [float(np.percentile(t, 99)) * 1000 for t in runs]
        print(f"{label}: p50 best {min(p50):.2f} / median {np.median(p50):.2f} ms, "
              f"p99 best {min(p99):.2f} / median {np.median(p99):.2f} ms ({len(runs)} runs)")
    median_bare = float(np.median([np.median(t) for t in bare]))
    median_dash = float(np.median([np.median(t) for t in dash]))
    us = np.array(handover) * 1e6
    thread_us = float(np.median(monitor_cpu)) * 1e6
    print(f"dashboard on the trading thread (hand-over): p50 {np.percentile(us, 50):.0f} us, "
          f"p99 {np.percentile(us, 99):.0f} us = {100 * np.median(handover) / median_bare:.1f}% of the median close")
    print(f"dashboard's own thread: {thread_us:.0f} us CPU per close; with the hand-over at most "
          f"{100 * (np.median(handover) + thread_us / 1e6) / median_bare:.1f}% of the median close "
          "(the most it can take from trading)")
    print(f"with / without the dashboard, median close: {100 * (median_dash / median_bare - 1):+.1f}% "
          "(separate runs: mostly the machine's noise)")
    cpu_bare, cpu_dash = float(np.median(cpu[False])), float(np.median(cpu[True]))
    print(f"CPU per close, all threads: {cpu_bare * 1000:.2f} ms without, {cpu_dash * 1000:.2f} ms with the dashboard")
    with open("/proc/loadavg") as f:
        print(f"load average after: {' '.join(f.read().split()[:3])}")


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
