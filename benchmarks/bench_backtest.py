"""Backtest speed: a year of 1-minute candles, EMA 12/26 always in the market, reversing on each cross.

Prints its figures; nothing here is a test. Run: `make bench` or `.venv/bin/python benchmarks/bench_backtest.py`.
Measures (on 525,600 bars unless --bars says otherwise):
  - import time of the engine and the data loading time (generated candles are written to Parquet once
    and read back, as a user's store would be);
  - the whole backtest (signals + aggregation + the event loop + metrics), best of --repeat runs,
    with the risk manager and funding each on and off;
  - peak memory (max resident set) of the process;
  - cost per order as history grows (first vs second half of the year) and total cost for 1, 4, 8 symbols,
    each count in a fresh process.
"""

from __future__ import annotations

import argparse
import gc
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from synthetic import synthetic_funding, synthetic_minutes

from perpbot.model.instrument import REFERENCE_INSTRUMENTS

SYMBOLS = ("BTCUSDT", "ETHUSDT", "SOLUSDT", "BNBUSDT", "DOGEUSDT", "ADAUSDT", "DOTUSDT", "WIFUSDT")
PRICES = {"BTCUSDT": 60000.0, "ETHUSDT": 3000.0, "SOLUSDT": 150.0, "BNBUSDT": 600.0, "DOGEUSDT": 0.15,
          "ADAUSDT": 0.5, "DOTUSDT": 6.0, "WIFUSDT": 2.0}


def shared_dir() -> Path | None:
    env = os.environ.get("PERPBOT_SHARED_DATA")
    path = Path(env) if env else Path(__file__).resolve().parents[2] / "shared" / "data"
    return path if path.is_dir() else None


def config_for(symbols: tuple[str, ...], *, risk: bool, funding: bool) -> dict:
    """The benchmark job. EMA 12/26 with 0.055% taker fees loses money on 1m bars by design, so the
    account is large and every order a fixed 1,000 USDT notional: the job then stays in the market all
    year (no depletion, no halt) and the figures measure the engine, not the strategy. The strategy's
    protective stop sits 20 ATRs away, so nearly every exit is a reversal on a cross."""
    return {
        "name": "bench-ema",
        "account": {"starting_balance": "1000000"},
        "symbols": [{"symbol": s, "leverage": 5} for s in symbols],
        "strategies": [{"name": "ema_cross", "timeframe": "1m", "params": {"fast": 12, "slow": 26, "atr_mult": 20}}],
        "aggregation": {"threshold": 0.5},
        "regime": {"enabled": False},
        "risk": ({"enabled": True, "sizing": "fixed_notional", "fixed_notional": "1000", "max_open_positions": 8,
                  "max_drawdown_pct": 99, "max_daily_loss_pct": 99, "max_correlation": 0.9} if risk else
                 {"enabled": False, "sizing": "fixed_notional", "fixed_notional": "1000"}),
        "venue": {"funding": funding},
        "backtest": {"close_at_end": True},
        "data": {"use_shared_data": False, "allow_sample": False},
    }


def write_store(tmp: Path, n: int, symbols: tuple[str, ...]) -> dict[str, Path]:
    shared = shared_dir()
    paths: dict[str, Path] = {}
    for i, symbol in enumerate(symbols):
        decimals = -REFERENCE_INSTRUMENTS[symbol].tick_size.normalize().as_tuple().exponent
        frame = synthetic_minutes(n, seed=1000 + i, shared=shared, symbol="BTCUSDT", start_price=PRICES[symbol],
                                  decimals=int(decimals))
        path = tmp / f"{symbol}_1m.parquet"
        frame.to_parquet(path, index=False)
        funding = synthetic_funding(int(frame.ts.iloc[0]), int(frame.ts.iloc[-1]) + 60_000, seed=2000 + i)
        funding.to_parquet(tmp / f"{symbol}_funding.parquet", index=False)
        paths[symbol] = path
    return paths


def load(tmp: Path, symbols: tuple[str, ...]):  # type: ignore[no-untyped-def]
    from perpbot.data.formats import read_table
    from perpbot.data.memory import InMemorySource

    candles = {(s, "1m"): read_table(tmp / f"{s}_1m.parquet") for s in symbols}
    funding = {s: read_table(tmp / f"{s}_funding.parquet") for s in symbols}
    return InMemorySource(candles, funding, label="synthetic 1m")


def run_once(source, symbols: tuple[str, ...], *, risk: bool, funding: bool):  # type: ignore[no-untyped-def]
    from perpbot.config import parse_config
    from perpbot.engine.service import run_backtest

    cfg = parse_config(config_for(symbols, risk=risk, funding=funding))
    gc.collect()
    start = time.perf_counter()
    result = run_backtest(cfg, source, data_label="synthetic")
    return time.perf_counter() - start, result


def core_label() -> str:
    """Compiled or interpreted: the figures depend on it (`make core` / `make pure`)."""
    out = subprocess.run([sys.executable, "-c", "from perpbot.compiled import core_build; print(core_build().label)"],
                         capture_output=True, text=True, check=True)
    return out.stdout.strip()


def import_time() -> float:
    code = ("import time; t=time.perf_counter(); import perpbot.engine.service, perpbot.config; "
            "print(time.perf_counter()-t)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return float(out.stdout.strip())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--bars", type=int, default=525_600)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--skip-scaling", action="store_true")
    parser.add_argument("--scaling-repeat", type=int, default=2)
    parser.add_argument("--scaling-risk-off", action="store_true",
                        help="also scale with the risk manager off: the engine alone, without the portfolio checks "
                             "(correlation, exposure) whose work per decision grows with the open positions")
    parser.add_argument("--one-job", metavar="DIR", help=argparse.SUPPRESS)  # child: one run, print peak RSS
    parser.add_argument("--symbols-job", nargs=3, metavar=("COUNT", "RISK", "DIR"), help=argparse.SUPPRESS)  # child
    args = parser.parse_args()
    if args.symbols_job:
        count, risk, folder = args.symbols_job
        symbols_job(int(count), risk == "on", Path(folder))
        return
    n = args.bars
    if args.one_job:
        one_job(Path(args.one_job))
        return
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        write_store(tmp, n, SYMBOLS[:1])
        print(f"data: {n:,} one-minute bars per symbol "
              f"({'bootstrapped from real BTCUSDT 1m returns' if shared_dir() else 'seeded random walk'})")
        print(f"trading core: {core_label()}")
        print(f"import perpbot engine: {import_time():.3f} s (fresh interpreter)")
        t0 = time.perf_counter()
        source = load(tmp, SYMBOLS[:1])
        print(f"load one year from Parquet: {time.perf_counter() - t0:.3f} s")
        for risk in (False, True):
            for funding in (False, True):
                best = float("inf")
                result = None
                for _ in range(args.repeat):
                    elapsed, result = run_once(source, SYMBOLS[:1], risk=risk, funding=funding)
                    best = min(best, elapsed)
                assert result is not None
                orders = len(result.fills)
                print(f"1 symbol  risk={'on ' if risk else 'off'} funding={'on ' if funding else 'off'}: "
                      f"{best:.3f} s best of {args.repeat}  ({len(result.trades):,} trades, {orders:,} fills, "
                      f"{best / max(orders, 1) * 1e6:.1f} us per fill incl. signals, "
                      f"final equity {float(result.final_balance):,.2f})")
        # cost per order as history grows: the same job on the first half and on the whole year
        half = n // 2
        source_half = _slice(source, SYMBOLS[:1], half)
        # Alternated and best of --repeat each: one run of each drifted by up to 10% with what ran before it.
        t_half = t_full = float("inf")
        for _ in range(args.repeat):
            elapsed, r_half = run_once(source_half, SYMBOLS[:1], risk=True, funding=True)
            t_half = min(t_half, elapsed)
            elapsed, r_full = run_once(source, SYMBOLS[:1], risk=True, funding=True)
            t_full = min(t_full, elapsed)
        print(f"cost per fill (best of {args.repeat} each), half year: {t_half / max(len(r_half.fills), 1) * 1e6:.1f} "
              f"us; full year: {t_full / max(len(r_full.fills), 1) * 1e6:.1f} us")
        if not args.skip_scaling:
            write_store(tmp, n, SYMBOLS)
            # Each count runs in a fresh process, best of --scaling-repeat: in this one the heap left by the
            # runs before (gigabytes after 8 symbols) would weigh on the runs after.
            for risk in (True, False) if args.scaling_risk_off else (True,):
                for count in (1, 4, 8):
                    best, fills, peak = min(scaling_job(tmp, count, risk=risk) for _ in range(args.scaling_repeat))
                    print(f"{count} symbol(s) risk={'on ' if risk else 'off'}: {best:.3f} s best of "
                          f"{args.scaling_repeat} ({best / count:.3f} s per symbol, {fills:,} fills, "
                          f"{best / fills * 1e6:.1f} us per fill, peak memory {peak:.0f} MB)")
        # The mapped library files' share (pandas, Arrow, numpy) moves by some 20 MB between fresh processes with
        # what the page cache holds, so the job runs three times and the range is shown with the split.
        jobs = sorted(job_peak_mb(tmp) for _ in range(3))
        print(f"peak memory of the 1-symbol job alone (fresh process: import, load, run), 3 runs: "
              f"{jobs[0][0]:.0f}-{jobs[-1][0]:.0f} MB; of it, private "
              f"{min(j[1] for j in jobs):.0f}-{max(j[1] for j in jobs):.0f} MB, mapped library files "
              f"{min(j[2] for j in jobs):.0f}-{max(j[2] for j in jobs):.0f} MB")
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak resident memory of this benchmark process (all runs above): {peak_mb:.0f} MB")


def one_job(tmp: Path) -> None:
    """Import, load one symbol from Parquet and run the job once, then print this process's peak RSS."""
    source = load(tmp, SYMBOLS[:1])
    _, result = run_once(source, SYMBOLS[:1], risk=True, funding=True)
    print(_own_peak_mb(), *_own_split_mb())  # the result still held: the split is the peak's
    del result


def symbols_job(count: int, risk: bool, tmp: Path) -> None:
    """Load `count` symbols and run the job once (funding on); print the seconds, the fills and the peak RSS."""
    source = load(tmp, SYMBOLS[:count])
    elapsed, result = run_once(source, SYMBOLS[:count], risk=risk, funding=True)
    print(elapsed, len(result.fills), _own_peak_mb())


def scaling_job(tmp: Path, count: int, *, risk: bool) -> tuple[float, int, float]:
    out = subprocess.run([sys.executable, __file__, "--symbols-job", str(count), "on" if risk else "off", str(tmp)],
                         capture_output=True, text=True, check=True)
    elapsed, fills, peak = out.stdout.split()
    return float(elapsed), int(fills), float(peak)


def _status_mb() -> dict[str, float]:
    """This process's memory figures from /proc/self/status (VmHWM, RssAnon, RssFile, ...) in MB; empty where
    /proc does not tell."""
    status = Path("/proc/self/status")
    if not status.exists():
        return {}
    fields = (line.split(":", 1) for line in status.read_text().splitlines())
    return {name: int(value.split()[0]) / 1024 for name, value in fields if value.strip().endswith("kB")}


def _own_peak_mb() -> float:
    """This process's own high-water RSS. getrusage's figure can carry the parent's peak across
    fork and exec on Linux, which made a child look as big as the benchmark that started it."""
    peak = _status_mb().get("VmHWM")
    return peak if peak is not None else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _own_split_mb() -> tuple[float, float]:
    """This process's resident memory now, as (private, mapped files): the files are the libraries' code and
    data, shared with other processes and dropped by the kernel under pressure; their resident share depends on
    what the page cache already holds. (0, 0) where /proc does not tell."""
    status = _status_mb()
    return status.get("RssAnon", 0.0), status.get("RssFile", 0.0)


def job_peak_mb(tmp: Path) -> tuple[float, float, float]:
    """The one-symbol job's peak RSS in a fresh process, and its (private, mapped files) split at the peak."""
    out = subprocess.run([sys.executable, __file__, "--one-job", str(tmp)], capture_output=True, text=True,
                         check=True)
    peak, private, files = out.stdout.strip().splitlines()[-1].split()
    return float(peak), float(private), float(files)


def _slice(source, symbols: tuple[str, ...], n: int):  # type: ignore[no-untyped-def]
    from perpbot.data.memory import InMemorySource

    candles = {(s, "1m"): source.candles(s, "1m").iloc[:n].reset_index(drop=True) for s in symbols}
    funding = {s: source.funding(s) for s in symbols}
    return InMemorySource(candles, funding, label="synthetic 1m (half)")


if __name__ == "__main__":
    main()
