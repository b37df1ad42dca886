"""The report opened in a real browser, with the network cut off: every chart is drawn, every trade marked."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from tests.analytics.report import support
from tests.analytics.report.browser import chart_state, render_drawn, require_chromium
from tests.analytics.report.support import array, chart_figures, traces

from perpbot.analytics.report import ReportInput, ReportLimits, write_report
from perpbot.engine.result import BacktestResult


def _check_in_browser(result: BacktestResult, report: ReportInput, tmp_path: Path, *,
                      limits: ReportLimits | None = None, flags: tuple[str, ...] = ()) -> str:
    chromium = require_chromium()
    files = write_report(report, tmp_path / "browser.html", limits=limits)
    html = files.html.read_text(encoding="utf-8")
    figures = chart_figures(html)
    dom = render_drawn(files.html, chromium=chromium, flags=flags).dom
    state = chart_state(dom, list(figures))
    assert state.failed == 0
    assert state.total == state.rendered == len(figures) == 3 + len({t.symbol for t in result.trades})
    assert all(count >= 1 for count in state.svg_per_chart.values()), state.svg_per_chart
    body = dom.split('<script type="application/json"', 1)[0]
    for symbol in sorted({t.symbol for t in result.trades}):
        start = body.index(f'id="chart-candles-{symbol}"')
        chart = body[start:body.index("</section>", start)].split('<h3>', 1)[0]
        candles = len(array(figures[f"chart-candles-{symbol}"]["data"][0]["x"]))
        assert chart.count('<path class="box"') == candles
        markers = len(re.findall(r'<path class="point plotly-customdata"', chart))
        assert markers == 2 * sum(1 for t in result.trades if t.symbol == symbol)  # an entry and an exit each
    return dom


def test_generated_report_renders_offline_with_its_warning(tmp_path: Path) -> None:
    dom = _check_in_browser(support.generated_result(), support.generated_input(), tmp_path)
    assert f"DATA: {support.GENERATED_LABEL}." in dom


@pytest.mark.shared_data
def test_real_report_renders_offline(shared_data: Path, tmp_path: Path) -> None:
    dom = _check_in_browser(support.real_result(shared_data), support.real_input(shared_data), tmp_path)
    assert 'id="data-warning"' not in dom


def test_many_markers_are_drawn_with_webgl(tmp_path: Path) -> None:
    result, report = support.generated_result(), support.generated_input()
    chromium = require_chromium()
    files = write_report(report, tmp_path / "gl.html", limits=ReportLimits(max_svg_trades=10))
    figures = chart_figures(files.html.read_text(encoding="utf-8"))
    for symbol in {t.symbol for t in result.trades}:
        figure = figures[f"chart-candles-{symbol}"]
        assert {t["type"] for role in ("entry", "exit", "stop") for t in traces(figure, role)} == {"scattergl"}
    dom = render_drawn(files.html, chromium=chromium).dom
    state = chart_state(dom, list(figures))
    assert (state.total, state.rendered, state.failed) == (len(figures), len(figures), 0)
    body = dom.split('<script type="application/json"', 1)[0]
    start = body.index('id="chart-candles-BTCUSDT"')
    assert "<canvas" in body[start:body.index("</section>", start)]


def test_without_webgl_the_same_markers_are_drawn_as_svg(tmp_path: Path) -> None:
    _check_in_browser(support.generated_result(), support.generated_input(), tmp_path,
                      limits=ReportLimits(max_svg_trades=10), flags=("--disable-webgl",))
