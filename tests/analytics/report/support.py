"""Real backtests to report on (built once per test process), and readers for what a report contains."""

from __future__ import annotations

import base64
import json
import re
from functools import cache
from html.parser import HTMLParser
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import pandas as pd
from tests.conftest import make_candles

from perpbot.analytics.report import ReportInput
from perpbot.config import parse_config
from perpbot.data.memory import InMemorySource
from perpbot.data.sources import DirectorySource
from perpbot.engine.result import BacktestResult
from perpbot.engine.service import run_backtest

GENERATED_LABEL = "generated test candles (a seeded random walk, NOT real market prices)"
STEP_15M, STEP_1H = 900_000, 3_600_000


def _raw_config(name: str, symbols: list[str], **overrides: Any) -> dict[str, Any]:
    raw: dict[str, Any] = {
        "name": name,
        "account": {"starting_balance": "10000"},
        "symbols": [{"symbol": s, "leverage": 5} for s in symbols],
        "strategies": [
            {"name": "ema_cross", "timeframe": "15m", "params": {"fast": 8, "slow": 21}},
            {"name": "rsi_reversion", "timeframe": "1h"},
            {"name": "donchian_breakout", "timeframe": "1h"},
        ],
        "aggregation": {"threshold": 0.3},
        "regime": {"enabled": True, "timeframe": "1h", "min_bars_in_regime": 3},
        "risk": {"risk_per_trade_pct": 1, "max_daily_loss_pct": 10, "max_drawdown_pct": 50,
                 "max_correlation": 0.99, "max_open_positions": 3},
        "venue": {"slippage_bps": 2},
        "backtest": {"close_at_end": True},
        "data": {"use_shared_data": False, "allow_sample": False},
    }
    raw.update(overrides)
    return raw


def _hourly(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.groupby(frame["ts"] // STEP_1H).agg(
        ts=("ts", "first"), open=("open", "first"), high=("high", "max"), low=("low", "min"),
        close=("close", "last"), volume=("volume", "sum")).reset_index(drop=True)


@cache
def generated_source() -> InMemorySource:
    """Two symbols of 15m random-walk candles (about 6 weeks) with hourly candles and funding."""
    btc = make_candles(4000, seed=3, step_ms=STEP_15M, price=60000.0)
    eth = make_candles(4000, seed=4, step_ms=STEP_15M, price=3000.0)
    candles = {("BTCUSDT", "15m"): btc, ("ETHUSDT", "15m"): eth,
               ("BTCUSDT", "1h"): _hourly(btc), ("ETHUSDT", "1h"): _hourly(eth)}
    start = int(btc["ts"].iloc[0])
    funding_ts = [start + i * 8 * STEP_1H for i in range(1, 125)]
    funding = {s: pd.DataFrame({"ts": funding_ts, "rate": [0.0001 * (-1) ** i for i in range(len(funding_ts))]})
               for s in ("BTCUSDT", "ETHUSDT")}
    return InMemorySource(candles, funding, label="generated test candles")


@cache
def generated_result() -> BacktestResult:
    config = parse_config(_raw_config("generated-report-test", ["BTCUSDT", "ETHUSDT"]))
    return run_backtest(config, generated_source(), data_label=GENERATED_LABEL)


@cache
def generated_input() -> ReportInput:
    return ReportInput.from_result(generated_result(), generated_source())


@cache
def real_source(shared: Path) -> DirectorySource:
    return DirectorySource(shared)


@cache
def real_result(shared: Path) -> BacktestResult:
    """Three months of real Bybit BTCUSDT and ETHUSDT candles, three strategies, regimes on."""
    raw = _raw_config("real-report-test", ["BTCUSDT", "ETHUSDT"],
                      backtest={"start": "2024-01-01", "end": "2024-04-01", "close_at_end": True})
    return run_backtest(parse_config(raw), real_source(shared), data_label="real")


@cache
def real_input(shared: Path) -> ReportInput:
    return ReportInput.from_result(real_result(shared), real_source(shared))


# --- reading a report back -------------------------------------------------------------------------------


class _ChartData(HTMLParser):
    """Collects the JSON of every <script type="application/json" data-chart=...> block."""

    def __init__(self) -> None:
        super().__init__()
        self.figures: dict[str, dict[str, Any]] = {}
        self._current: str | None = None
        self._text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag == "script" and found.get("type") == "application/json" and found.get("data-chart"):
            self._current, self._text = found["data-chart"], []

    def handle_data(self, data: str) -> None:
        if self._current is not None:
            self._text.append(data)

    def handle_endtag(self, tag: str) -> None:
        if tag == "script" and self._current is not None:
            self.figures[self._current] = json.loads("".join(self._text))
            self._current = None


def chart_figures(html: str) -> dict[str, dict[str, Any]]:
    """Chart element id -> plotly figure (data, layout), as the page embeds them."""
    parser = _ChartData()
    parser.feed(html)
    return parser.figures


def array(value: Any) -> np.ndarray:
    """A plotly array as numpy, whether written as a list or as a base64 typed array."""
    if isinstance(value, dict) and "bdata" in value:
        out = np.frombuffer(base64.b64decode(value["bdata"]), dtype=np.dtype(value["dtype"]))
        return out.reshape(value["shape"]) if "shape" in value else out
    return np.asarray(value)


def traces(figure: dict[str, Any], role: str) -> list[dict[str, Any]]:
    return [t for t in figure["data"] if (t.get("meta") or {}).get("role") == role]


def visible_text(html: str) -> str:
    """The page without its scripts, tags collapsed to spaces: what a reader sees."""
    body = re.sub(r"<script\b.*?</script>", " ", html, flags=re.DOTALL)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", body))


class _Tables(HTMLParser):
    """Cell texts of every <table id=...>, row by row (header row included)."""

    def __init__(self) -> None:
        super().__init__()
        self.tables: dict[str, list[list[str]]] = {}
        self._table: str | None = None
        self._cell: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "table":
            self._table = dict(attrs).get("id") or f"table-{len(self.tables)}"
            self.tables[self._table] = []
        elif tag == "tr" and self._table is not None:
            self.tables[self._table].append([])
        elif tag in ("td", "th") and self._table is not None:
            self._cell = []

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th") and self._cell is not None and self._table is not None:
            self.tables[self._table][-1].append("".join(self._cell).strip())
            self._cell = None
        elif tag == "table":
            self._table = None


def html_tables(html: str) -> dict[str, list[list[str]]]:
    parser = _Tables()
    parser.feed(html)
    return parser.tables


class _Resources(HTMLParser):
    """Every attribute of the page that could make a browser fetch something."""

    FETCHING: ClassVar[set[tuple[str, str]]] = {
        ("script", "src"), ("link", "href"), ("img", "src"), ("iframe", "src"), ("source", "src"), ("video", "src"),
        ("audio", "src"), ("embed", "src"), ("object", "data")}

    def __init__(self) -> None:
        super().__init__()
        self.found: list[str] = []
        self.tags: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self.found.extend(f"<{tag} {name}={value}>" for name, value in attrs if (tag, name) in self.FETCHING)


def fetching_resources(html: str) -> tuple[list[str], list[str]]:
    """(tags with a src/href that loads something, every tag name seen) - script bodies are not parsed as tags."""
    parser = _Resources()
    parser.feed(html)
    return parser.found, parser.tags
