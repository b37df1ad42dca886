"""Report speed and size: the year-long one-minute benchmark backtest (see bench_backtest.py), reported.

Prints its figures; nothing here is a test. Run: `.venv/bin/python benchmarks/bench_report.py`.
Measures, on 525,600 one-minute bars per symbol unless --bars says otherwise:
  - building the report input from the result (tables of the run, candles read back from the source);
  - write_report, best of --repeat, and its parts: thinning the curve, the HTML page, the two PNGs;
  - the size of each file, and of the HTML without the inlined plotly.js;
  - what the page draws: equity points, candles per symbol, trade markers;
  - headless Chromium (if found), network cut off: wall time to open the file and draw what the first
    screen shows (charts further down are drawn as they are scrolled to), and to draw every chart
    (a window tall enough to hold them all); an empty page's time is printed as the browser's own start-up.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the repository, for the browser helper in tests/
from bench_backtest import SYMBOLS, load, run_once, write_store
from tests.analytics.report.browser import chart_state, find_chromium, render
from tests.analytics.report.support import array, chart_figures, traces

from perpbot.analytics.report import ReportInput, ReportLimits, render_page, write_report
from perpbot.analytics.report.images import drawdown_png, equity_png
from perpbot.analytics.report.page import plotly_js
from perpbot.analytics.report.writer import build_view


def _best(repeat: int, job):  # type: ignore[no-untyped-def]
    best, value = float("inf"), None
    for _ in range(repeat):
        start = time.perf_counter()
        value = job()
        best = min(best, time.perf_counter() - start)
    return best, value


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--bars", type=int, default=525_600)
    parser.add_argument("--symbols", type=int, default=1, choices=range(1, len(SYMBOLS) + 1))
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--keep", type=Path, help="write the report here as well, to open it yourself")
    args = parser.parse_args()
    symbols = SYMBOLS[: args.symbols]
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        write_store(tmp, args.bars, symbols)
        source = load(tmp, symbols)
        elapsed, result = run_once(source, symbols, risk=True, funding=True)
        print(f"backtest: {args.bars:,} 1m bars x {len(symbols)} symbol(s), {len(result.trades):,} trades, "
              f"{len(result.fills):,} fills in {elapsed:.2f} s (for context)")

        t_input, report = _best(1, lambda: ReportInput.from_result(result, source))
        print(f"report input from the result (tables + candles read back): {t_input:.2f} s")

        limits = ReportLimits()
        t_view, view = _best(args.repeat, lambda: build_view(report, limits))
        t_page, _ = _best(args.repeat, lambda: render_page(report, view, limits))
        t_png, _ = _best(args.repeat, lambda: (equity_png(report.name, report.meta, view),
                                               drawdown_png(report.name, report.meta, view)))
        out = tmp / "report" / "bench.html"
        t_write, files = _best(args.repeat, lambda: write_report(report, out))
        print(f"write_report: {t_write:.2f} s best of {args.repeat} (thin the curve {t_view:.3f} s, "
              f"HTML page {t_page:.2f} s, two PNGs {t_png:.2f} s; the rest is checks and writing)")

        html = files.html.read_text(encoding="utf-8")
        html_bytes = files.html.stat().st_size
        js_bytes = len(plotly_js().encode("utf-8"))
        print(f"files: {files.html.name} {html_bytes / 1e6:.2f} MB (inlined plotly.js {js_bytes / 1e6:.2f} MB, "
              f"everything else {(html_bytes - js_bytes) / 1e6:.2f} MB); "
              f"{files.equity_png.name} {files.equity_png.stat().st_size / 1e3:.0f} kB; "
              f"{files.drawdown_png.name} {files.drawdown_png.stat().st_size / 1e3:.0f} kB")

        figures = chart_figures(html)
        equity_points = len(array(figures["chart-equity"]["data"][0]["x"]))
        print(f"drawn: equity {equity_points:,} of {len(report.frames.equity):,} points")
        for symbol in symbols:
            figure = figures[f"chart-candles-{symbol}"]
            candles = len(array(figure["data"][0]["x"]))
            markers = sum(len(array(t["x"])) for role in ("entry", "exit") for t in traces(figure, role))
            print(f"drawn: {symbol} {candles:,} candles (from {len(report.candles[symbol]):,}), "
                  f"{markers:,} entry and exit markers")

        if args.keep:
            kept = write_report(report, args.keep)
            print(f"kept: {kept.html}")

        chromium = find_chromium()
        if chromium is None:
            print("Chromium: not found (set PERPBOT_CHROMIUM or install chromium) - browser load time not measured")
            return
        blank = tmp / "blank.html"
        blank.write_text("<!DOCTYPE html><html><body>blank</body></html>", encoding="utf-8")
        t_blank = min(render(blank, chromium=chromium).seconds for _ in range(args.repeat))
        first = [render(files.html, window=(1280, 900), chromium=chromium) for _ in range(args.repeat)]
        full = [render(files.html, chromium=chromium) for _ in range(args.repeat)]
        for label, runs in (("first screen (what opening the file shows)", first),
                            ("every chart (a window tall enough to hold them all)", full)):
            state = chart_state(runs[0].dom, list(figures))
            best = min(r.seconds for r in runs)
            print(f"Chromium, {label}: {best:.2f} s best of {args.repeat}, {best - t_blank:.2f} s after the "
                  f"browser's own start-up; {state.rendered} of {state.total} charts drawn, {state.failed} failed")
        print(f"(an empty page: {t_blank:.2f} s; headless, no GPU: WebGL runs in software here; network cut off)")

if __name__ == "__main__":
    main()
