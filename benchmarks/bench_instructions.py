"""Instructions per fill of the backtest benchmark's job, counted by valgrind's callgrind.

Wall time on a shared or virtual machine drifts by a third within minutes; an instruction count does not:
with the hash seed fixed, the same code and inputs repeat to about 0.1% (what remains comes from object
addresses). Use it to judge a change to the engine: run before and after, and compare. Prints its figures;
nothing here is a test.

Run: `.venv/bin/python benchmarks/bench_instructions.py [--bars 30000] [--symbols 1 8] [--risk on off]`.
Each job runs in its own process under callgrind (about 50 times slower than normal); the imports are
counted once on their own and taken off, so the figure is the run itself: load, signals, loop, metrics.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_backtest import SYMBOLS, load, run_once, write_store


def counted(args: list[str]) -> tuple[int, str]:
    """Run `python args` under callgrind; return its instruction total and its standard output."""
    with tempfile.TemporaryDirectory() as tmp:
        # A fixed hash seed: with a random one, set and dict layouts (and so the count) vary by about 0.5% a run.
        out = subprocess.run(
            ["valgrind", "--tool=callgrind", f"--callgrind-out-file={tmp}/cg.out", sys.executable, *args],
            capture_output=True, text=True, check=True, env={**os.environ, "PYTHONHASHSEED": "0"})
    found = re.search(r"Collected : (\d+)", out.stderr)
    if found is None:
        raise RuntimeError(f"callgrind printed no total:\n{out.stderr[-2000:]}")
    return int(found.group(1)), out.stdout


def imports_only() -> None:
    """Child: everything a job imports and sets up before it reads data (the baseline taken off each job)."""
    from perpbot.config import parse_config
    from perpbot.engine.service import run_backtest
    from perpbot.strategies.registry import StrategyRegistry

    StrategyRegistry().names()
    assert parse_config and run_backtest


def job(count: int, risk: bool, folder: Path) -> None:
    """Child: the benchmark job on `count` symbols; prints its fills."""
    source = load(folder, SYMBOLS[:count])
    _, result = run_once(source, SYMBOLS[:count], risk=risk, funding=True)
    print(len(result.fills))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--bars", type=int, default=30_000)
    parser.add_argument("--symbols", type=int, nargs="+", default=[1, 8])
    parser.add_argument("--risk", choices=["on", "off"], nargs="+", default=["on", "off"])
    parser.add_argument("--job", nargs=3, metavar=("COUNT", "RISK", "DIR"), help=argparse.SUPPRESS)  # child
    parser.add_argument("--imports-only", action="store_true", help=argparse.SUPPRESS)  # child
    args = parser.parse_args()
    if args.imports_only:
        imports_only()
        return
    if args.job:
        count, risk, folder = args.job
        job(int(count), risk == "on", Path(folder))
        return
    if shutil.which("valgrind") is None:
        sys.exit("valgrind is not on PATH: install it (Debian: apt install valgrind) to count instructions")
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        write_store(tmp, args.bars, SYMBOLS[:max(args.symbols)])
        imports, _ = counted([__file__, "--imports-only"])
        from bench_backtest import core_label

        print(f"trading core: {core_label()}")
        print(f"{args.bars:,} one-minute bars per symbol; imports alone: {imports / 1e9:.3f} G instructions "
              "(taken off each job below)")
        for risk in args.risk:
            for count in args.symbols:
                total, out = counted([__file__, "--job", str(count), risk, str(tmp)])
                fills = int(out.split()[-1])
                run = total - imports
                print(f"{count} symbol(s) risk={risk:3s}: {run / 1e9:.3f} G instructions, {fills:,} fills, "
                      f"{run / fills / 1e6:.3f} M per fill")


if __name__ == "__main__":
    main()
