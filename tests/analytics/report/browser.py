"""Headless Chromium: open a report file with the network cut off and read the DOM after its scripts ran.

Used by the browser test and by benchmarks/bench_report.py. Chromium is found through PERPBOT_CHROMIUM,
else on PATH (chromium, chromium-browser, google-chrome).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
import time
import warnings
from dataclasses import dataclass
from pathlib import Path

CHROMIUM_ENV = "PERPBOT_CHROMIUM"
CANDIDATES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
FLAGS = (
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
    "--disable-sync", "--no-first-run", "--disable-extensions", "--mute-audio",
    "--host-resolver-rules=MAP * ~NOTFOUND",  # no name resolves: a page that needed the network would break
)


def find_chromium() -> str | None:
    explicit = os.environ.get(CHROMIUM_ENV)
    if explicit:
        return explicit if Path(explicit).is_file() else None
    return next((path for name in CANDIDATES if (path := shutil.which(name))), None)


def require_chromium() -> str:
    """Chromium's path, or skip the calling test, saying why (loudly when CI is "true")."""
    path = find_chromium()
    if path is not None:
        return path
    import pytest

    where = f"${CHROMIUM_ENV} ({os.environ[CHROMIUM_ENV]})" if os.environ.get(CHROMIUM_ENV) else \
        f"PATH (looked for {', '.join(CANDIDATES)})"
    if os.environ.get("CI") == "true":
        message = (f"CI=true BUT CHROMIUM IS MISSING from {where}: the report was NOT checked in a real browser. "
                   f"Install it (apt-get install -y chromium) or set {CHROMIUM_ENV}.")
        warnings.warn(message, stacklevel=2)
        pytest.skip(message)
    pytest.skip(f"headless Chromium not found on {where}; install chromium to check that reports render")


@dataclass(frozen=True, slots=True)
class Rendered:
    dom: str  # the document after scripts ran, as Chromium serialises it
    seconds: float  # from launching Chromium to the DOM being printed


def render(html_file: Path, *, window: tuple[int, int] = (1280, 20_000), budget_ms: int = 60_000,
           timeout_s: float = 300.0, chromium: str | None = None, flags: tuple[str, ...] = ()) -> Rendered:
    """Load `html_file` in headless Chromium and return the DOM once the page is idle.

    A report draws a chart when it comes near the screen: the default window is tall enough for every
    chart of a usual report to be on it. --virtual-time-budget lets the page's scripts (and the
    promises they chain) run to completion before the DOM is dumped, so the time is load, parse and draw.
    """
    binary = chromium or find_chromium()
    if binary is None:
        raise FileNotFoundError(f"headless Chromium not found (set {CHROMIUM_ENV})")
    with tempfile.TemporaryDirectory(prefix="perpbot-chromium-") as profile:
        command = [binary, *FLAGS, *flags, f"--user-data-dir={profile}", f"--window-size={window[0]},{window[1]}",
                   f"--virtual-time-budget={budget_ms}", "--dump-dom", html_file.resolve().as_uri()]
        start = time.perf_counter()
        done = subprocess.run(command, capture_output=True, text=True, timeout=timeout_s, check=False)
        seconds = time.perf_counter() - start
    if done.returncode != 0 or "</html>" not in done.stdout:
        tail = "\n".join(done.stderr.strip().splitlines()[-10:])
        raise RuntimeError(f"Chromium exited with {done.returncode} on {html_file}:\n{tail}")
    return Rendered(done.stdout, seconds)


def render_drawn(html_file: Path, *, attempts: int = 3, **kwargs: object) -> Rendered:
    """`render`, again (up to `attempts` times) when the page drew no chart at all.

    On a loaded machine headless Chromium's virtual time can run out before the first chart is scheduled;
    a page that draws nothing on every attempt still fails its test, which then sees rendered == 0.
    """
    result = render(html_file, **kwargs)  # type: ignore[arg-type]
    for _ in range(attempts - 1):
        if (_attribute(result.dom, "data-charts-rendered") or 0) > 0:
            break
        result = render(html_file, **kwargs)  # type: ignore[arg-type]
    return result


@dataclass(frozen=True, slots=True)
class ChartState:
    total: int | None  # charts on the page (data-charts-total), None if the drawing script never ran
    rendered: int | None  # charts the page reports as drawn (data-charts-rendered)
    failed: int | None
    svg_per_chart: dict[str, int]  # chart element id -> plotly <svg class="main-svg"> elements inside it


def chart_state(dom: str, chart_ids: list[str]) -> ChartState:
    """How many plotly SVG roots each chart element holds in the rendered DOM."""
    body = dom.split('<script type="application/json"', 1)[0]  # plotly.js's own text names "main-svg" too
    starts = sorted((body.find(f'id="{cid}"'), cid) for cid in chart_ids)
    counts: dict[str, int] = {}
    for (position, cid), (following, _) in zip(starts, [*starts[1:], (len(body), "")], strict=True):
        counts[cid] = 0 if position < 0 else body[position:following].count('class="main-svg"')
    return ChartState(_attribute(dom, "data-charts-total"), _attribute(dom, "data-charts-rendered"),
                      _attribute(dom, "data-charts-failed"), counts)


def _attribute(dom: str, name: str) -> int | None:
    found = re.search(rf'<body[^>]*\s{name}="(\d+)"', dom)
    return int(found.group(1)) if found else None
