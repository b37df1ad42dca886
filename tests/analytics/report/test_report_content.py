"""What a report shows, checked against the backtest it reports: on generated candles and on real Bybit data."""

from __future__ import annotations

import dataclasses
import re
import struct
from decimal import Decimal
from pathlib import Path
from typing import NamedTuple

import numpy as np
import pytest
from tests.analytics.report import support
from tests.analytics.report.support import array, chart_figures, fetching_resources, html_tables, traces

from perpbot.analytics.report import ReportInput, write_report
from perpbot.analytics.report.formatting import exact_money
from perpbot.data.sources import MarketDataSource
from perpbot.engine.result import BacktestResult

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


class Run(NamedTuple):
    result: BacktestResult
    report: ReportInput
    source: MarketDataSource


@pytest.fixture(params=["generated", pytest.param("real", marks=pytest.mark.shared_data)])
def run(request: pytest.FixtureRequest) -> Run:
    if request.param == "generated":
        return Run(support.generated_result(), support.generated_input(), support.generated_source())
    shared = request.getfixturevalue("shared_data")
    return Run(support.real_result(shared), support.real_input(shared), support.real_source(shared))


@pytest.fixture
def written(run: Run, tmp_path: Path) -> tuple[BacktestResult, str, Path]:
    result, report, _ = run
    files = write_report(report, tmp_path / "run.html")
    return result, files.html.read_text(encoding="utf-8"), tmp_path


def test_headline_shows_trade_count_and_exact_final_balance(written: tuple[BacktestResult, str, Path]) -> None:
    result, html, _ = written
    assert len(result.trades) > 50
    assert re.search(rf'<div class="label">trades</div><div class="value[^"]*">{len(result.trades):,}</div>', html)
    meta = dict(row for row in html_tables(html)["table-meta"] if len(row) == 2)
    assert meta["final balance (ledger)"] == f"{exact_money(result.final_balance)} USDT"
    assert meta["starting balance"] == f"{exact_money(result.starting_balance)} USDT"
    fees = sum((f.fee for f in result.fills), start=Decimal(0))
    assert f"exact: {exact_money(fees)}" in html
    assert result.ledger.fees_paid == fees  # the figure shown is the ledger's own total


def test_every_breakdown_row_appears(written: tuple[BacktestResult, str, Path]) -> None:
    result, html, _ = written
    tables = html_tables(html)
    for key in ("strategy", "symbol", "regime", "exit_reason", "side"):
        rows = tables[f"table-by-{key.replace('_', '-')}"][1:]
        assert [r[0] for r in rows] == [b["key"] for b in result.breakdowns[key]]
        assert [int(r[1].replace(",", "")) for r in rows] == [b["count"] for b in result.breakdowns[key]]
    assert {r[0] for r in tables["table-by-symbol"][1:]} == {t.symbol for t in result.trades}
    assert {r[0] for r in tables["table-by-regime"][1:]} == {t.regime for t in result.trades}


def test_every_trade_is_marked_on_its_candles(written: tuple[BacktestResult, str, Path]) -> None:
    result, html, _ = written
    figures = chart_figures(html)
    total_entries = total_exits = 0
    for symbol in sorted({t.symbol for t in result.trades}):
        figure = figures[f"chart-candles-{symbol}"]
        mine = [t for t in result.trades if t.symbol == symbol]
        entries = traces(figure, "entry")
        exits = traces(figure, "exit")
        entry_x = np.sort(np.concatenate([array(t["x"]) for t in entries]))
        exit_x = np.sort(np.concatenate([array(t["x"]) for t in exits]))
        assert entry_x.tolist() == sorted(float(t.entry_ts) for t in mine)
        assert exit_x.tolist() == sorted(float(t.exit_ts) for t in mine)
        entry_y = np.sort(np.concatenate([array(t["y"]) for t in entries]))
        assert entry_y.tolist() == sorted(float(t.entry_price) for t in mine)
        by_reason = {t["meta"]["reason"]: len(array(t["x"])) for t in exits}
        assert by_reason == {r: sum(1 for t in mine if t.exit_reason.value == r)
                             for r in {t.exit_reason.value for t in mine}}
        total_entries += len(entry_x)
        total_exits += len(exit_x)
    assert total_entries == total_exits == len(result.trades)


def test_stops_are_those_attached_to_the_entry_orders(written: tuple[BacktestResult, str, Path]) -> None:
    result, html, _ = written
    entry_stop = {}  # (symbol, fill ts) -> stop of the order that filled there
    stops_by_id = {o.client_id: o.request.stop_loss for o in result.orders if o.request.stop_loss is not None}
    for fill in result.fills:
        if fill.client_id in stops_by_id:
            entry_stop[(fill.symbol, fill.ts)] = float(stops_by_id[fill.client_id])
    figures = chart_figures(html)
    for symbol in sorted({t.symbol for t in result.trades}):
        mine = [t for t in result.trades if t.symbol == symbol]
        (stop_trace,) = traces(figures[f"chart-candles-{symbol}"], "stop")
        y = array(stop_trace["y"]).reshape(-1, 3)
        x = array(stop_trace["x"]).reshape(-1, 3)
        expected = sorted((float(t.entry_ts), float(t.exit_ts), entry_stop[(symbol, t.entry_ts)]) for t in mine)
        assert sorted(zip(x[:, 0].tolist(), x[:, 1].tolist(), y[:, 0].tolist(), strict=True)) == expected
        assert (y[:, 0] == y[:, 1]).all() and np.isnan(y[:, 2]).all()


def test_equity_chart_keeps_the_deepest_drawdown_and_the_extremes(written: tuple[BacktestResult, str, Path]) -> None:
    result, html, _ = written
    figure = chart_figures(html)["chart-equity"]
    equity, depth = figure["data"][0], figure["data"][1]
    drawn = array(equity["y"])
    assert drawn.max() == result.equity.max() and drawn.min() == result.equity.min()
    assert -array(depth["y"]).min() / 100 == pytest.approx(result.metrics["max_drawdown"], rel=1e-12)
    assert array(equity["x"])[-1] == float(result.ts[-1])


def test_monthly_returns_compound_to_the_total_return(written: tuple[BacktestResult, str, Path]) -> None:
    result, html, _ = written
    rows = html_tables(html)["table-monthly"]
    assert rows[0][0] == "year" and rows[0][1] == "Jan" and rows[0][-1] == "year"
    monthly = [float(c.removesuffix(" %").replace(",", "")) / 100 for row in rows[1:] for c in row[1:13] if c]
    compounded = float(np.prod(1 + np.array(monthly)) - 1)
    total = result.metrics["total_return"]
    assert compounded == pytest.approx(total, abs=0.002 * len(monthly))  # each month is printed to 0.1 %


def test_generated_data_is_announced_and_real_data_is_not(run: Run, tmp_path: Path) -> None:
    result, report, _ = run
    html = write_report(report, tmp_path / "r.html").html.read_text(encoding="utf-8")
    if result.data_label == "real":
        assert 'id="data-warning"' not in html
        assert "real market data (not generated)" in html
    else:
        assert f'<div class="banner" id="data-warning" role="alert">DATA: {support.GENERATED_LABEL}.' in html
        assert "[GENERATED DATA]</title>" in html


def test_the_page_fetches_nothing(written: tuple[BacktestResult, str, Path]) -> None:
    _, html, _ = written
    found, tags = fetching_resources(html)
    assert found == []
    assert tags.count("script") == len(chart_figures(html)) + 2  # the chart data, plotly.js, the drawing code
    outside_scripts = re.sub(r"<script\b.*?</script>", "", html, flags=re.DOTALL)
    assert "http://" not in outside_scripts and "https://" not in outside_scripts
    assert "@import" not in outside_scripts and "url(" not in outside_scripts


def test_png_images_are_real_pictures(written: tuple[BacktestResult, str, Path]) -> None:
    _, _, folder = written
    for name in ("run-equity.png", "run-drawdown.png"):
        data = (folder / name).read_bytes()
        assert data[:8] == PNG_SIGNATURE
        assert data[12:16] == b"IHDR"
        width, height = struct.unpack(">II", data[16:24])
        assert (width, height) == (1200, 450)
        assert len(data) > 20_000, f"{name} is only {len(data)} bytes: nearly blank"


def test_same_input_same_bytes(run: Run, tmp_path: Path) -> None:
    result, report, source = run
    again = ReportInput.from_result(result, source)  # built afresh: nothing may depend on object identity
    first = write_report(report, tmp_path / "a" / "run.html")
    second = write_report(again, tmp_path / "b" / "run.html")
    for one, two in zip(first.paths(), second.paths(), strict=True):
        assert one.read_bytes() == two.read_bytes(), f"{one.name} differs between two reports of one run"


def test_text_from_the_input_cannot_inject_markup(tmp_path: Path) -> None:
    report = support.generated_input()
    hostile = "</script><script>alert(1)</script>"
    meta = dataclasses.replace(report.meta, data_label=f"generated {hostile}")
    tricky = dataclasses.replace(report, name=f"run {hostile}", meta=meta, config={"note": hostile})
    html = write_report(tricky, tmp_path / "r.html").html.read_text(encoding="utf-8")
    assert "<script>alert(1)" not in html
    assert "run &lt;/script&gt;&lt;script&gt;alert(1)&lt;/script&gt;" in html
