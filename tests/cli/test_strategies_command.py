"""`perpbot strategies list|show`: every built-in, its parameter schema, user folders, unknown names."""

from __future__ import annotations

import json
import textwrap
import uuid
from pathlib import Path

import pytest

from perpbot.strategies import StrategyRegistry
from perpbot.strategies.params import Param
from tests.cli.support import run_cli, squash, table_rows

BUILTINS = ("bollinger_squeeze", "donchian_breakout", "ema_cross", "macd_momentum", "rsi_reversion")
JSON_TYPES = {int: "integer", float: "number", bool: "boolean", str: "string"}

USER_STRATEGY = '''
"""A user strategy for the CLI tests."""
from typing import ClassVar

import numpy as np

from perpbot.strategies import Param, Strategy


class FlipFlop(Strategy):
    """Long on even candles, short on odd ones: only here to be listed."""

    name = "{name}"
    description = "alternates long and short every candle"
    params: ClassVar[dict[str, Param]] = {{
        "stop_pct": Param(float, 1.5, min=0.1, max=10.0, help="stop distance in % of the close"),
        "mode": Param(str, "plain", choices=("plain", "inverted"), help="which way to start"),
    }}

    @property
    def warmup(self) -> int:
        return 1

    def compute(self, candles):
        sign = np.where(np.arange(len(candles)) % 2 == 0, 1.0, -1.0)
        close = candles["close"].to_numpy()
        return self.signal_frame(candles, sign, close * self.float_param("stop_pct") / 100)
'''


def _registry() -> StrategyRegistry:
    return StrategyRegistry(plugins=False)


def _cell(value: object) -> str:
    return "" if value is None else str(value)


def _expected_row(name: str, param: Param) -> list[str]:
    """What the parameter table must show, from the declaration itself (not from the CLI's schema)."""
    choices = "" if param.choices is None else str(list(param.choices))
    return [name, JSON_TYPES[param.type], str(param.default), _cell(param.min), _cell(param.max), choices, param.help]


def _user_folder(tmp_path: Path) -> tuple[Path, str]:
    name = f"flip_flop_{uuid.uuid4().hex[:8]}"
    folder = tmp_path / "strategies"
    folder.mkdir()
    (folder / "flip_flop.py").write_text(textwrap.dedent(USER_STRATEGY.format(name=name)), encoding="utf-8")
    return folder, name


def test_list_shows_every_builtin_with_its_origin_and_description(tmp_path: Path) -> None:
    result = run_cli(["strategies", "list"], home=tmp_path)
    assert result.exit_code == 0, result.output
    rows = {row[0]: row for row in table_rows(result.stdout)}
    registry = _registry()
    assert set(BUILTINS) <= set(rows)
    for name in BUILTINS:
        info = registry.describe(name)
        assert rows[name] == [name, f"built-in module perpbot.strategies.builtin.{name}",
                              str(info["description"]).split("\n")[0]]


@pytest.mark.parametrize("name", BUILTINS)
def test_show_prints_every_parameter_with_type_default_bounds_choices_and_help(tmp_path: Path, name: str) -> None:
    result = run_cli(["strategies", "show", name], home=tmp_path)
    assert result.exit_code == 0, result.output
    cls = _registry().get(name)
    rows = table_rows(result.stdout)
    assert rows == [_expected_row(pname, param) for pname, param in cls.params.items()]
    text = squash(result.stdout)
    assert f"{name} (built-in module perpbot.strategies.builtin.{name}), needs {cls().warmup} closed candles" in text
    for constraint in cls.constraints:
        assert f"constraint: {constraint}" in text


def test_show_marks_choices(tmp_path: Path) -> None:
    result = run_cli(["strategies", "show", "rsi_reversion"], home=tmp_path)
    row = next(r for r in table_rows(result.stdout) if r[0] == "band_mode")
    assert row[1:6] == ["string", "inside", "", "", "['inside', 'outside', 'off']"]


def test_show_json_is_the_registry_description(tmp_path: Path) -> None:
    result = run_cli(["strategies", "show", "donchian_breakout", "--json"], home=tmp_path)
    assert result.exit_code == 0, result.output
    shown = json.loads(result.stdout)
    assert shown == json.loads(json.dumps(_registry().describe("donchian_breakout"), default=str))
    assert set(shown["schema"]["properties"]) == set(_registry().get("donchian_breakout").params)


@pytest.mark.parametrize(("asked", "hint"), [("nope", ""), ("ema_crosss", " (did you mean 'ema_cross'?)")])
def test_show_of_an_unknown_name_lists_the_known_ones(tmp_path: Path, asked: str, hint: str) -> None:
    result = run_cli(["strategies", "show", asked], home=tmp_path)
    assert result.exit_code == 2
    message = squash(result.stderr)
    assert message.startswith(f"error: unknown strategy {asked!r}{hint}; known strategies: ")
    for name in BUILTINS:
        assert name in message
    assert result.stdout == ""


def test_a_user_strategy_folder_adds_its_strategies(tmp_path: Path) -> None:
    folder, name = _user_folder(tmp_path)
    listed = run_cli(["strategies", "list", "--strategy-dir", folder], home=tmp_path)
    assert listed.exit_code == 0, listed.output
    rows = {row[0]: row for row in table_rows(listed.stdout)}
    assert rows[name] == [name, f"user file {folder / 'flip_flop.py'}", "alternates long and short every candle"]
    assert set(BUILTINS) <= set(rows)
    without = run_cli(["strategies", "list"], home=tmp_path)
    assert name not in without.stdout

    shown = run_cli(["strategies", "show", name, "--strategy-dir", folder], home=tmp_path)
    assert shown.exit_code == 0, shown.output
    assert table_rows(shown.stdout) == [
        ["stop_pct", "number", "1.5", "0.1", "10.0", "", "stop distance in % of the close"],
        ["mode", "string", "plain", "", "", "['plain', 'inverted']", "which way to start"],
    ]
    assert "Long on even candles, short on odd ones" in shown.stdout


def test_a_broken_user_file_is_named_with_its_error(tmp_path: Path) -> None:
    folder, _ = _user_folder(tmp_path)
    broken = folder / "broken.py"
    broken.write_text("raise RuntimeError('boom at import')\n", encoding="utf-8")
    result = run_cli(["strategies", "list", "--strategy-dir", folder], home=tmp_path)
    assert result.exit_code == 2
    assert f"error: strategy file {broken} failed to load: RuntimeError: boom at import" in squash(result.stderr)
    assert "Traceback" not in result.output


def test_a_missing_user_folder_is_named(tmp_path: Path) -> None:
    missing = tmp_path / "no-such-folder"
    result = run_cli(["strategies", "list", "--strategy-dir", missing], home=tmp_path)
    assert result.exit_code == 2
    assert f"strategy folder {missing} does not exist or is not a directory" in squash(result.stderr)
