"""Exports hold exactly the session's tables, and a failed export leaves nothing behind."""

from __future__ import annotations

import errno
import json
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from perpbot.engine.result import BacktestResult
from perpbot.engine.service import run_backtest
from perpbot.errors import StoreError
from perpbot.sessions.export import export_frames
from perpbot.sessions.frames import SessionFrames, frames_from_result
from tests.engine.test_backtest_loop import _config, _source

_RESULT: list[BacktestResult] = []
_META = {"id": 7, "name": "export-test", "final_balance": "10123.45"}


def _frames() -> SessionFrames:
    if not _RESULT:
        _RESULT.append(run_backtest(_config(backtest={"end": "2024-01-20"}), _source()))
    return frames_from_result(_RESULT[0])


def _plain(frame: pd.DataFrame) -> list[list[Any]]:
    """Rows with missing values as None, for comparing across formats."""
    return frame.astype(object).where(frame.notna(), None).to_numpy().tolist()


def test_parquet_holds_every_table_exactly(tmp_path: Path) -> None:
    frames = _frames()
    out = export_frames(frames, _META, "parquet", tmp_path / "s")
    for name, frame in frames.tables().items():
        back = pd.read_parquet(out / f"{name}.parquet")
        assert list(back.columns) == list(frame.columns), name
        assert _plain(back) == _plain(frame), name
    assert json.loads((out / "session.json").read_text()) == _META


def test_json_holds_every_table_with_money_as_exact_text(tmp_path: Path) -> None:
    frames = _frames()
    out = export_frames(frames, _META, "json", tmp_path / "s.json")
    body = json.loads(out.read_text())
    assert body["session"] == _META
    for name, frame in frames.tables().items():
        rows = body[name]
        assert len(rows) == len(frame), name
        if name != "equity":
            assert [[row[c] for c in frame.columns] for row in rows] == _plain(frame), name
    assert [row["net_pnl"] for row in body["trades"]] == [str(t.net_pnl) for t in _RESULT[0].trades]
    assert [row["equity"] for row in body["equity"]] == _RESULT[0].equity.tolist()


def test_an_existing_target_or_unknown_format_is_refused_and_left_alone(tmp_path: Path) -> None:
    existing = tmp_path / "old"
    existing.mkdir()
    (existing / "keep.txt").write_text("mine")
    with pytest.raises(StoreError, match=r"already exists; choose a new path"):
        export_frames(_frames(), _META, "csv", existing)
    assert [p.name for p in existing.iterdir()] == ["keep.txt"]
    with pytest.raises(StoreError, match=r"format must be one of csv, json, parquet, was 'xlsx'"):
        export_frames(_frames(), _META, "xlsx", tmp_path / "new")
    assert not (tmp_path / "new").exists()


def test_a_disk_that_fills_up_mid_export_leaves_nothing_half_written(tmp_path: Path,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    written: list[str] = []
    real = pd.DataFrame.to_csv

    def fill_up(frame: pd.DataFrame, path: Any, **kwargs: Any) -> Any:
        if len(written) == 3:
            raise OSError(errno.ENOSPC, "No space left on device")
        written.append(str(path))
        return real(frame, path, **kwargs)

    monkeypatch.setattr(pd.DataFrame, "to_csv", fill_up)
    with pytest.raises(StoreError, match=r"exporting to .*out failed: No space left on device; nothing was written"):
        export_frames(_frames(), _META, "csv", tmp_path / "out")
    assert len(written) == 3
    assert list(tmp_path.iterdir()) == []  # neither the target nor the staging folder
