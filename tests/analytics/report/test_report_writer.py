"""Writing is all or nothing: a bad path or bad input gives a clear error and changes no file."""

from __future__ import annotations

import dataclasses
import os
import stat
from pathlib import Path

import pandas as pd
import pytest
from tests.analytics.report import support

from perpbot.analytics.report import ReportError, ReportInput, report_files, write_report
from perpbot.analytics.report.writer import TEMP_PREFIX


def _snapshot(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() if p.is_file() else b"<dir>"
            for p in sorted(folder.rglob("*"))}


def _with_equity(report: ReportInput, equity: pd.DataFrame) -> ReportInput:
    return dataclasses.replace(report, frames=dataclasses.replace(report.frames, equity=equity))


def test_writes_three_files_side_by_side_creating_the_folder(tmp_path: Path) -> None:
    files = write_report(support.generated_input(), tmp_path / "new" / "deeper" / "run-1.html")
    assert files == report_files(tmp_path / "new" / "deeper" / "run-1.html")
    assert sorted(p.name for p in (tmp_path / "new" / "deeper").iterdir()) == [
        "run-1-drawdown.png", "run-1-equity.png", "run-1.html"]
    for path in files.paths():
        assert stat.S_IMODE(path.stat().st_mode) == 0o644


def test_a_parent_that_is_a_file_is_refused_and_nothing_is_written(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("keep me")
    before = _snapshot(tmp_path)
    with pytest.raises(ReportError, match=r"cannot create the report folder .*notes\.txt"):
        write_report(support.generated_input(), tmp_path / "notes.txt" / "run.html")
    assert _snapshot(tmp_path) == before


def test_a_folder_in_the_way_of_one_file_stops_all_three(tmp_path: Path) -> None:
    (tmp_path / "run-drawdown.png").mkdir()
    before = _snapshot(tmp_path)
    with pytest.raises(ReportError, match=r"run-drawdown\.png: a folder of that name is in the way"):
        write_report(support.generated_input(), tmp_path / "run.html")
    assert _snapshot(tmp_path) == before


def test_a_name_too_long_for_the_file_system_is_refused_before_writing(tmp_path: Path) -> None:
    name = "r" * 245 + ".html"  # the .html fits in 255 bytes, "-drawdown.png" does not
    with pytest.raises(ReportError, match=r"choose a shorter report name"):
        write_report(support.generated_input(), tmp_path / name)
    assert list(tmp_path.iterdir()) == []


def _unwritable_folder(tmp_path: Path) -> Path:
    """A folder this process cannot create files in: a 0500 folder, or for root (who ignores modes) /sys."""
    if os.geteuid() != 0:
        locked = tmp_path / "locked"
        locked.mkdir()
        locked.chmod(0o500)
        return locked
    if not Path("/sys").is_dir():
        pytest.skip("running as root without /sys: no folder here refuses root's writes")
    return Path("/sys")


def test_an_unwritable_folder_is_refused_and_left_as_it_was(tmp_path: Path) -> None:
    folder = _unwritable_folder(tmp_path)
    before = sorted(p.name for p in folder.iterdir())
    try:
        with pytest.raises(ReportError, match=rf"cannot write report file {folder}/perpbot-report-test\.html: "):
            write_report(support.generated_input(), folder / "perpbot-report-test.html")
        assert sorted(p.name for p in folder.iterdir()) == before
    finally:
        if folder != Path("/sys"):
            folder.chmod(0o700)


def test_bad_input_keeps_the_previous_report_intact(tmp_path: Path) -> None:
    good = support.generated_input()
    write_report(good, tmp_path / "run.html")
    before = _snapshot(tmp_path)
    empty = _with_equity(good, good.frames.equity.iloc[:0])
    with pytest.raises(ReportError, match="the equity table is empty"):
        write_report(empty, tmp_path / "run.html")
    assert _snapshot(tmp_path) == before
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(TEMP_PREFIX)]


def test_replacing_a_report_leaves_no_temporary_files(tmp_path: Path) -> None:
    write_report(support.generated_input(), tmp_path / "run.html")
    write_report(support.generated_input(), tmp_path / "run.html")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run-drawdown.png", "run-equity.png", "run.html"]


@pytest.mark.parametrize("path", ["report.pdf", "report", ".html"])
def test_the_path_must_name_an_html_file(tmp_path: Path, path: str) -> None:
    with pytest.raises(ReportError, match=r"must name an \.html file|needs a file name"):
        write_report(support.generated_input(), tmp_path / path)
    assert list(tmp_path.iterdir()) == []


def test_equity_out_of_order_is_named_by_row(tmp_path: Path) -> None:
    good = support.generated_input()
    equity = good.frames.equity.copy()
    ts = equity["ts"].to_numpy().copy()
    ts[5] = ts[4]
    equity["ts"] = ts
    with pytest.raises(ReportError, match=r"strictly increasing; row 5 has ts"):
        write_report(_with_equity(good, equity), tmp_path / "run.html")
    assert list(tmp_path.iterdir()) == []


def test_non_finite_equity_is_named_by_row(tmp_path: Path) -> None:
    good = support.generated_input()
    equity = good.frames.equity.copy()
    equity.loc[7, "equity"] = float("nan")
    with pytest.raises(ReportError, match=r"finite number on every row; row 7 is nan"):
        write_report(_with_equity(good, equity), tmp_path / "run.html")


def test_trades_without_candles_for_their_symbol_are_refused(tmp_path: Path) -> None:
    good = support.generated_input()
    partial = dataclasses.replace(good, candles={"BTCUSDT": good.candles["BTCUSDT"]})
    with pytest.raises(ReportError, match=r"trades on ETHUSDT but no candles were given for it \(have: BTCUSDT\)"):
        write_report(partial, tmp_path / "run.html")


def test_a_missing_column_is_named(tmp_path: Path) -> None:
    good = support.generated_input()
    trades = good.frames.trades.drop(columns=["exit_reason"])
    broken = dataclasses.replace(good, frames=dataclasses.replace(good.frames, trades=trades))
    with pytest.raises(ReportError, match=r"trades table lacks column\(s\) exit_reason"):
        write_report(broken, tmp_path / "run.html")
