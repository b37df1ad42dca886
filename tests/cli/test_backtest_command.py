"""`perpbot backtest`: the summary, the JSON it writes, and clear errors for bad or missing configs."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from perpbot.app import build_source
from perpbot.config import load_config
from perpbot.data import paths
from perpbot.engine.service import run_backtest
from tests.cli.support import run_cli, squash, table_rows
from tests.engine.golden_cases import CASES_BY_NAME, load_golden

SAMPLE_WARNING = "DATA: generated sample data (a seeded random walk, NOT real market prices)"


def _write_config(path: Path, raw: dict[str, Any]) -> Path:
    path.write_text(json.dumps(raw, indent=1), encoding="utf-8")
    return path


def _small_config(**changes: Any) -> dict[str, Any]:
    """BTC 1h EMA cross over six weeks: a second or less of work."""
    raw: dict[str, Any] = {
        "name": "cli-test",
        "symbols": [{"symbol": "BTCUSDT", "leverage": 5}],
        "strategies": [{"name": "ema_cross", "timeframe": "1h", "params": {"fast": 8, "slow": 21}}],
        "regime": {"enabled": False},
        "backtest": {"start": "2024-02-01", "end": "2024-03-15"},
        "data": {"use_shared_data": True, "allow_sample": False},
    }
    raw.update(changes)
    return raw


@pytest.mark.shared_data
def test_backtest_prints_the_summary_and_writes_the_same_json_as_run_backtest(
        tmp_path: Path, shared_data: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    case = CASES_BY_NAME["daily_loss_halt"]
    config_path = _write_config(tmp_path / "config.json", case.config_dict())
    out = tmp_path / "out" / "result.json"
    store = tmp_path / "empty-store"
    result = run_cli(["backtest", "--config", config_path, "--json", out, "--quiet", "--store", store],
                     home=tmp_path / "home", shared=shared_data)
    assert result.exit_code == 0, result.output
    text = squash(result.stdout)
    pinned = load_golden(case)
    assert pinned is not None
    final = Decimal(pinned["ledger"]["final_balance"])
    assert "golden-daily-loss-halt: backtest summary" in text and "(15m execution grid)" in text
    rows = table_rows(result.stdout)
    assert ["final balance", f"{float(final):,.2f}"] in rows
    assert ["starting balance", "10,000.00"] in rows
    trades_by_symbol = {row[0]: row[1] for row in rows if row[0] in ("BTCUSDT", "SOLUSDT")}
    assert sum(map(int, trades_by_symbol.values())) == pinned["counts"]["trades"]
    assert "DATA:" not in text, "real data carries no warning"
    for symbol in ("BTCUSDT", "SOLUSDT"):
        assert f"{symbol} 15m: 2,976 candles from file {shared_data}/bybit_linear_{symbol}_15m.csv.gz" in text
    assert "risk_halt" in text
    assert f"result written to {out}" in text

    written = out.read_text(encoding="utf-8")
    body = json.loads(written)
    assert body["summary"]["data"] == "real"
    assert body["summary"]["final_balance"] == pinned["ledger"]["final_balance"]
    assert body["summary"]["trades"] == pinned["counts"]["trades"]

    monkeypatch.setenv(paths.SHARED_DATA_ENV, str(shared_data))
    monkeypatch.setenv(paths.HOME_ENV, str(tmp_path / "home"))
    config = load_config(config_path)
    resolved = build_source(config, store_dir=tmp_path / "another-empty-store")
    assert written == run_backtest(config, resolved.source, data_label=resolved.label).to_json()


@pytest.mark.shared_data
def test_backtest_without_json_writes_nothing_else(tmp_path: Path, shared_data: Path) -> None:
    config_path = _write_config(tmp_path / "config.json", _small_config())
    result = run_cli(["backtest", "-c", config_path, "-q"], home=tmp_path / "home", shared=shared_data)
    assert result.exit_code == 0, result.output
    assert "cli-test: backtest summary" in squash(result.stdout)
    assert "result written" not in result.stdout
    assert sorted(p.name for p in tmp_path.iterdir()) == ["config.json", "home"], "no files beside the config"
    stored = sorted(p.name for p in (tmp_path / "home").iterdir())
    assert stored and all(name.startswith("perpbot.db") for name in stored), f"only the session store: {stored}"


def test_generated_sample_data_is_labelled_in_the_summary_and_the_json(tmp_path: Path) -> None:
    raw = _small_config(symbols=[{"symbol": "ETHUSDT", "leverage": 3}],
                        data={"use_shared_data": False, "allow_sample": True})
    config_path = _write_config(tmp_path / "config.json", raw)
    out = tmp_path / "result.json"
    result = run_cli(["backtest", "--config", config_path, "--json", out, "--store", tmp_path / "store"],
                     home=tmp_path / "home")
    assert result.exit_code == 0, result.output
    assert SAMPLE_WARNING in squash(result.stdout)
    assert json.loads(out.read_text(encoding="utf-8"))["summary"]["data"] == SAMPLE_WARNING.removeprefix("DATA: ")


def test_missing_data_without_the_sample_fallback_is_a_clear_error(tmp_path: Path) -> None:
    raw = _small_config(data={"use_shared_data": False, "allow_sample": False})
    config_path = _write_config(tmp_path / "config.json", raw)
    result = run_cli(["backtest", "--config", config_path, "--store", tmp_path / "store"], home=tmp_path / "home")
    assert result.exit_code == 2
    message = squash(result.stderr)
    assert message.startswith("error: no source has BTCUSDT 1h candles in [2024-02-01T00:00:00Z, 2024-03-15T00:00:00Z)")
    assert "Traceback" not in result.output


@pytest.mark.parametrize(("change", "expected"), [
    ({"risk": {"risk_per_trade_pct": 250}}, "risk.risk_per_trade_pct: risk_per_trade_pct must be in (0, 100], was 250"),
    ({"symbols": [{"symbol": "BTCUSDT", "leverage": "ten"}]}, 'symbols.0.leverage: '),
    ({"symbols": [{"symbol": "btc"}]}, 'symbols.0.symbol: String should match pattern'),
    ({"riks": {"max_drawdown_pct": 10}}, "riks: unknown field (check the spelling; see examples/config.json)"),
    ({"backtest": {"start": "2024-03-01", "end": "2024-02-01"}},
     "backtest: end (2024-02-01) must be after start (2024-03-01)"),
    ({"strategies": [{"name": "ema_cross", "params": {"fast": 1000}}]},
     "strategies.0 (ema_cross): ema_cross: fast must be an int in [2, 500], was 1000"),
    ({"strategies": [{"name": "ema_crosss"}]}, "unknown strategy 'ema_crosss' (did you mean 'ema_cross'?)"),
])
def test_a_malformed_config_names_the_field_and_the_bad_value(tmp_path: Path, change: dict[str, Any],
                                                              expected: str) -> None:
    config_path = _write_config(tmp_path / "config.json", _small_config(**change))
    out = tmp_path / "result.json"
    result = run_cli(["backtest", "--config", config_path, "--json", out, "--store", tmp_path / "store"],
                     home=tmp_path / "home")
    assert result.exit_code == 2
    message = squash(result.stderr)
    assert message.startswith("error: ")
    assert expected in message
    bad_value = json.dumps(change)
    for token in ("250", '"ten"', '"btc"', "1000", "ema_crosss"):
        if token in bad_value:
            assert token in message, f"the message must show the bad value {token}"
    assert "Traceback" not in result.output
    assert not out.exists()
    assert not (tmp_path / "store").exists(), "a refused config touches no store"


def test_invalid_json_names_the_line_and_column(tmp_path: Path) -> None:
    config_path = tmp_path / "config.json"
    config_path.write_text('{\n  "name": "x",\n  "symbols": [}\n', encoding="utf-8")
    result = run_cli(["backtest", "--config", config_path], home=tmp_path / "home")
    assert result.exit_code == 2
    assert f"error: {config_path}: not valid JSON at line 3, column 15" in squash(result.stderr)


def test_a_secret_in_the_config_is_refused_without_echoing_it(tmp_path: Path) -> None:
    config_path = _write_config(tmp_path / "config.json", _small_config(api_secret="s3cr3t-value"))
    result = run_cli(["backtest", "--config", config_path], home=tmp_path / "home")
    assert result.exit_code == 2
    assert "api_secret: secrets are not read from the config file" in squash(result.stderr)
    assert "s3cr3t-value" not in result.output


def test_a_missing_config_file_is_a_clear_error(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere" / "config.json"
    result = run_cli(["backtest", "--config", missing], home=tmp_path / "home")
    assert result.exit_code == 2
    assert squash(result.stderr) == f"error: config file not found: {missing}"


def test_a_bad_value_that_looks_like_markup_is_still_a_clean_error(tmp_path: Path) -> None:
    config_path = _write_config(tmp_path / "config.json", _small_config(symbols=[{"symbol": "[/x]"}]))
    result = run_cli(["backtest", "--config", config_path], home=tmp_path / "home")
    assert result.exit_code == 2
    assert 'symbols.0.symbol: String should match pattern' in squash(result.stderr)
    assert '"[/x]"' in result.stderr


def test_a_bad_value_with_brackets_is_shown_as_written(tmp_path: Path) -> None:
    config_path = _write_config(tmp_path / "config.json", _small_config(symbols=[{"symbol": "[bold]BTC"}]))
    result = run_cli(["backtest", "--config", config_path], home=tmp_path / "home")
    assert result.exit_code == 2
    assert '"[bold]BTC"' in result.stderr
