"""Write a report: NAME.html, NAME-equity.png and NAME-drawdown.png side by side, all or nothing.

Everything is rendered in memory first, then written to temporary files in the target folder, then
renamed over the targets. A failure before the renames leaves the folder as it was (an older report
of the same name survives intact); no half-written file is ever visible under a report's name.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

from perpbot.analytics.report.curves import EquityView, equity_view
from perpbot.analytics.report.errors import ReportError
from perpbot.analytics.report.images import drawdown_png, equity_png
from perpbot.analytics.report.inputs import ReportInput, check_input, equity_arrays
from perpbot.analytics.report.page import ReportLimits, render_page

HTML_SUFFIXES = (".html", ".htm")
TEMP_PREFIX = ".perpbot-report-"


@dataclass(frozen=True, slots=True)
class ReportFiles:
    """The files of one report."""

    html: Path
    equity_png: Path
    drawdown_png: Path

    def paths(self) -> tuple[Path, Path, Path]:
        return self.html, self.equity_png, self.drawdown_png


def report_files(out_path: Path | str) -> ReportFiles:
    """The three paths of a report written to `out_path` (which must name the .html file)."""
    html = Path(out_path).expanduser()
    if html.suffix.lower() not in HTML_SUFFIXES:
        raise ReportError(f"a report path must name an .html file, was {str(out_path)!r}")
    stem = html.name[: -len(html.suffix)]
    if not stem:
        raise ReportError(f"a report path needs a file name before {html.suffix}, was {str(out_path)!r}")
    return ReportFiles(html, html.with_name(f"{stem}-equity.png"), html.with_name(f"{stem}-drawdown.png"))


def build_view(report: ReportInput, limits: ReportLimits) -> EquityView:
    ts, equity = equity_arrays(report)
    return equity_view(ts, equity, float(report.meta.starting_balance), limits.max_equity_points)


def write_report(report: ReportInput, out_path: Path | str, *, limits: ReportLimits | None = None) -> ReportFiles:
    """Render and write the report; `ReportError` (naming the path or the input at fault) if it cannot.

    Missing folders are created. An existing report of the same name is replaced only once every new
    file has been written in full.
    """
    files = report_files(out_path)
    check_input(report)
    limits = limits or ReportLimits()
    view = build_view(report, limits)
    contents = {
        files.html: render_page(report, view, limits).encode("utf-8"),
        files.equity_png: equity_png(report.name, report.meta, view),
        files.drawdown_png: drawdown_png(report.name, report.meta, view),
    }
    _write_all(contents)
    return files


def _write_all(contents: dict[Path, bytes]) -> None:
    folder = next(iter(contents)).parent
    _prepare_folder(folder, contents)
    temps: dict[Path, Path] = {}
    try:
        for target, data in contents.items():
            temps[target] = _write_temp(folder, target, data)
        for target, temp in temps.items():
            try:
                os.replace(temp, target)
            except OSError as exc:
                raise ReportError(f"cannot write report file {target}: {exc.strerror or exc}") from exc
    finally:
        for temp in temps.values():
            with contextlib.suppress(FileNotFoundError):
                temp.unlink()


def _prepare_folder(folder: Path, contents: dict[Path, bytes]) -> None:
    """Create the folder and refuse targets that could not be replaced, before anything is written."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ReportError(f"cannot create the report folder {folder}: {exc.strerror or exc}") from exc
    if not folder.is_dir():
        raise ReportError(f"cannot write a report into {folder}: it is not a folder")
    try:
        name_max = os.pathconf(folder, "PC_NAME_MAX")
    except (OSError, ValueError):
        name_max = 255
    for target in contents:
        if len(os.fsencode(target.name)) > name_max:
            raise ReportError(f"cannot write report file {target}: its name is {len(os.fsencode(target.name))} "
                              f"bytes long, the limit in {folder} is {name_max}; choose a shorter report name")
        if target.is_dir():
            raise ReportError(f"cannot write report file {target}: a folder of that name is in the way")


def _write_temp(folder: Path, target: Path, data: bytes) -> Path:
    try:
        handle, name = tempfile.mkstemp(prefix=TEMP_PREFIX, suffix=".tmp", dir=folder)
    except OSError as exc:
        raise ReportError(f"cannot write report file {target}: {exc.strerror or exc} (in {folder})") from exc
    temp = Path(name)
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.chmod(temp, 0o644)  # mkstemp creates 0600; a report is meant to be opened and shared
    except OSError as exc:
        with contextlib.suppress(FileNotFoundError):
            temp.unlink()
        raise ReportError(f"cannot write report file {target}: {exc.strerror or exc}") from exc
    return temp
