"""Where the shared data and the store are found."""

from __future__ import annotations

from pathlib import Path

import pytest

from perpbot.data.paths import default_store_dir, repository_root, shared_data_dir


def test_env_variable_wins(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PERPBOT_SHARED_DATA", str(tmp_path))
    assert shared_data_dir() == tmp_path
    monkeypatch.setenv("PERPBOT_SHARED_DATA", str(tmp_path / "missing"))
    assert shared_data_dir() is None  # an explicit setting is never silently replaced


def test_relative_to_working_directory(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PERPBOT_SHARED_DATA", raising=False)
    (tmp_path / "shared" / "data").mkdir(parents=True)
    (tmp_path / "repo").mkdir()
    monkeypatch.chdir(tmp_path / "repo")
    assert shared_data_dir() == (tmp_path / "shared" / "data").resolve()


def test_falls_back_to_beside_the_repository(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PERPBOT_SHARED_DATA", raising=False)
    monkeypatch.chdir(tmp_path)
    root = repository_root()
    assert root is not None
    assert (root / "pyproject.toml").is_file()
    beside = root.parent / "shared" / "data"
    assert shared_data_dir() == (beside.resolve() if beside.is_dir() else None)


def test_store_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PERPBOT_HOME", str(tmp_path / "home"))
    assert default_store_dir() == tmp_path / "home" / "store"
    monkeypatch.delenv("PERPBOT_HOME")
    monkeypatch.setenv("HOME", str(tmp_path))
    assert default_store_dir() == tmp_path / ".local" / "share" / "perpbot" / "store"
