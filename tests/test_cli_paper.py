"""`perpbot paper --replay` from the command line: runs, summarises, and refuses what it cannot do."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from perpbot.cli import app


@pytest.fixture()
def config_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("PERPBOT_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("PERPBOT_ALERT_URLS", raising=False)
    raw = json.loads(Path("examples/config.json").read_text())
    raw["data"] = {"use_shared_data": False, "allow_sample": True}  # the generated sample: always there
    raw["backtest"] = {}
    path = tmp_path / "config.json"
    path.write_text(json.dumps(raw))
    return path


def test_replay_runs_and_prints_the_summary(config_file: Path) -> None:
    result = CliRunner().invoke(app, ["paper", "--config", str(config_file), "--replay", "--from", "2024-02-01",
                                      "--to", "2024-02-05", "--no-monitor"])
    assert result.exit_code == 0, result.output
    assert "replay finished" in result.output
    assert "generated sample" in result.output  # the data is labelled for what it is


def test_live_without_a_reachable_exchange_says_so(config_file: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Nothing listens on port 1: the live feed's warm-up cannot reach "Bybit", and says where it looked.
    monkeypatch.setenv("PERPBOT_BYBIT_REST_URL", "http://127.0.0.1:1")
    monkeypatch.setenv("PERPBOT_BYBIT_WS_URL", "ws://127.0.0.1:1/v5/public/linear")
    result = CliRunner().invoke(app, ["paper", "--config", str(config_file), "--no-monitor"])
    assert result.exit_code == 2
    assert "cannot reach Bybit at http://127.0.0.1:1" in " ".join(result.output.split())
    assert "Traceback" not in result.output


def test_a_replay_that_ends_before_it_starts_is_refused(config_file: Path) -> None:
    result = CliRunner().invoke(app, ["paper", "--config", str(config_file), "--replay", "--from", "2024-02-05",
                                      "--to", "2024-02-01", "--no-monitor"])
    assert result.exit_code == 2
    assert "must be after its start" in result.output


def test_a_replay_with_tight_risk_stores_its_alerts(config_file: Path) -> None:
    import sqlalchemy as sa

    raw = json.loads(config_file.read_text())
    raw["risk"] = {**raw.get("risk", {}), "max_daily_loss_pct": 0.5, "max_drawdown_pct": 1}
    config_file.write_text(json.dumps(raw))
    db = config_file.parent / "alerts.db"
    result = CliRunner().invoke(app, ["paper", "--config", str(config_file), "--replay", "--from", "2024-02-01",
                                      "--to", "2024-02-10", "--no-monitor", "--db-url", f"sqlite:///{db}"])
    assert result.exit_code == 0, result.output
    engine = sa.create_engine(f"sqlite:///{db}")
    with engine.connect() as conn:
        keys = [row[0] for row in conn.execute(sa.text("SELECT key FROM alerts ORDER BY id"))]
    engine.dispose()
    assert "halt" in keys  # the drawdown breaker trips and the alert is kept with the session
    assert keys.count("halt") == 1


def test_clear_halt_without_a_halted_session_says_there_is_nothing_to_clear(config_file: Path) -> None:
    result = CliRunner().invoke(app, ["paper", "--config", str(config_file), "--replay", "--from", "2024-02-01",
                                      "--to", "2024-02-02", "--no-monitor", "--clear-halt"])
    assert result.exit_code == 0, result.output
    assert "no resumed session is halted; nothing to clear" in " ".join(result.output.split())
