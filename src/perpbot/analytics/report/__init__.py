"""Reports of a run: one self-contained HTML page (opens offline) and PNG images of equity and drawdown.

    report = ReportInput.from_result(result, source)      # or ReportInput(...) from the session store
    files = write_report(report, "reports/my-run.html")   # + my-run-equity.png, my-run-drawdown.png
"""

from perpbot.analytics.report.errors import ReportError
from perpbot.analytics.report.inputs import ReportInput, ReportMeta, check_input, load_candles
from perpbot.analytics.report.page import ReportLimits, render_page
from perpbot.analytics.report.writer import ReportFiles, report_files, write_report

__all__ = [
    "ReportError",
    "ReportFiles",
    "ReportInput",
    "ReportLimits",
    "ReportMeta",
    "check_input",
    "load_candles",
    "render_page",
    "report_files",
    "write_report",
]
