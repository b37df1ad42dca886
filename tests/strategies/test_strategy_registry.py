"""Strategy discovery: built-ins, a user folder, and plugins through real entry points."""

from __future__ import annotations

import json
import textwrap
import uuid
from pathlib import Path

import pytest

from perpbot.errors import StrategyError
from perpbot.strategies import ENTRY_POINT_GROUP, Strategy, StrategyRegistry
from perpbot.strategies.builtin.ema_cross import EmaCross
from tests.conftest import make_candles

EXPECTED_BUILTINS = {"ema_cross", "rsi_reversion", "donchian_breakout", "macd_momentum", "bollinger_squeeze"}

GOOD_STRATEGY = '''
"""A user strategy: always long."""
from typing import ClassVar

import numpy as np

from perpbot.strategies import Param, Strategy


class AlwaysLong(Strategy):
    """Always wants to be long, with a fixed-percent stop."""

    name = "{name}"
    description = "always long"
    params: ClassVar[dict[str, Param]] = {{"stop_pct": Param(float, 1.0, min=0.1, max=10.0, help="stop in %")}}

    @property
    def warmup(self) -> int:
        return 1

    def compute(self, candles):
        close = candles["close"].to_numpy()
        return self.signal_frame(candles, np.ones(len(candles)), close * self.float_param("stop_pct") / 100)
'''


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text))
    return path


def unique(prefix: str) -> str:
    return f"{prefix}_{uuid.uuid4().hex[:8]}"


# ------------------------------------------------------------------------------------------ built-ins


def test_builtins_are_present() -> None:
    registry = StrategyRegistry(plugins=False)
    assert set(registry.builtin_names()) >= EXPECTED_BUILTINS
    assert len(registry) >= 5
    assert registry.get("ema_cross") is EmaCross
    assert "ema_cross" in registry
    assert registry.origin("ema_cross") == "built-in module perpbot.strategies.builtin.ema_cross"


def test_every_builtin_has_distinct_logic() -> None:
    # The built-ins compute on arrays; `compute` is ArrayStrategy's shared pandas wrapper.
    registry = StrategyRegistry(plugins=False)
    modules = {registry.get(name).compute_arrays.__module__ for name in registry.builtin_names()}
    assert len(modules) == len(registry.builtin_names())


def test_create_validates_params() -> None:
    registry = StrategyRegistry(plugins=False)
    strategy = registry.create("ema_cross", {"fast": 5, "slow": 20})
    assert isinstance(strategy, EmaCross)
    assert strategy.parameters["fast"] == 5
    assert registry.create("ema_cross").parameters == EmaCross.defaults()
    with pytest.raises(StrategyError, match=r"ema_cross: fast must be an int in \[2, 500\], was 1000"):
        registry.create("ema_cross", {"fast": 1000})


def test_unknown_name_lists_known_names_and_a_close_match() -> None:
    registry = StrategyRegistry(plugins=False)
    with pytest.raises(StrategyError) as info:
        registry.get("ema_crosss")
    message = str(info.value)
    assert "unknown strategy 'ema_crosss' (did you mean 'ema_cross'?)" in message
    for name in EXPECTED_BUILTINS:
        assert name in message
    with pytest.raises(StrategyError, match="unknown strategy 'zzz'; known strategies: "):
        registry.get("zzz")


def test_describe_for_the_cli() -> None:
    info = StrategyRegistry(plugins=False).describe("donchian_breakout")
    assert info["name"] == "donchian_breakout"
    assert info["kind"] == "builtin"
    assert "Breakout" in info["doc"]
    assert info["warmup"] == StrategyRegistry(plugins=False).create("donchian_breakout").warmup
    assert set(info["schema"]["properties"]) == {"entry_period", "exit_period", "max_hold", "atr_period", "atr_mult"}
    json.dumps(info)


# ---------------------------------------------------------------------------------------- user folder


def test_user_folder_good_file_and_broken_file(tmp_path: Path) -> None:
    good_name = unique("user_good")
    write(tmp_path / "good.py", GOOD_STRATEGY.format(name=good_name))
    broken = write(tmp_path / "broken.py", "import math\nraise RuntimeError('boom at import')\n")
    write(tmp_path / "_helpers.py", "raise RuntimeError('private helpers are not scanned')\n")
    write(tmp_path / "notes.txt", "not python")

    with pytest.raises(StrategyError) as info:
        StrategyRegistry([tmp_path], plugins=False)
    message = str(info.value)
    assert str(broken) in message
    assert "RuntimeError: boom at import" in message
    assert "Traceback" not in message

    registry = StrategyRegistry([tmp_path], plugins=False, strict=False)
    assert good_name in registry.names()
    assert registry.origin(good_name) == f"user file {tmp_path / 'good.py'}"
    assert len(registry.errors) == 1 and str(broken) in str(registry.errors[0])
    strategy = registry.create(good_name, {"stop_pct": 2.0})
    assert isinstance(strategy, Strategy)
    assert strategy.compute(make_candles(30))["signal"].eq(1.0).all()
    # an unknown name mentions that something failed to load
    with pytest.raises(StrategyError, match="1 strategy source"):
        registry.get("missing_one")


def test_user_file_with_a_syntax_error(tmp_path: Path) -> None:
    path = write(tmp_path / "typo.py", "def oops(:\n")
    with pytest.raises(StrategyError, match=f"strategy file {path} failed to load: SyntaxError"):
        StrategyRegistry([tmp_path], plugins=False)


def test_user_file_with_an_invalid_declaration(tmp_path: Path) -> None:
    write(
        tmp_path / "bad_default.py",
        """
        from typing import ClassVar
        from perpbot.strategies import Param, Strategy

        class BadDefault(Strategy):
            name = "bad_default_user"
            params: ClassVar[dict[str, Param]] = {"n": Param(int, 0, min=1, max=5)}
        """,
    )
    expected = r"bad_default\.py failed to load: StrategyError: bad_default_user: n must be"
    with pytest.raises(StrategyError, match=expected):
        StrategyRegistry([tmp_path], plugins=False)


def test_user_file_with_an_abstract_strategy(tmp_path: Path) -> None:
    write(
        tmp_path / "half.py",
        """
        from perpbot.strategies import Strategy

        class Half(Strategy):
            name = "half_done"
        """,
    )
    with pytest.raises(StrategyError, match=r"strategy 'half_done' from user file .*half\.py is abstract: .*compute"):
        StrategyRegistry([tmp_path], plugins=False)


def test_duplicate_name_names_both_origins(tmp_path: Path) -> None:
    path = write(tmp_path / "clash.py", GOOD_STRATEGY.format(name="ema_cross"))
    with pytest.raises(StrategyError) as info:
        StrategyRegistry([tmp_path], plugins=False)
    message = str(info.value)
    assert "duplicate strategy name 'ema_cross'" in message
    assert "built-in module perpbot.strategies.builtin.ema_cross" in message
    assert f"user file {path}" in message


def test_imported_builtins_in_a_user_file_are_not_duplicates(tmp_path: Path) -> None:
    name = unique("tuned_ema")
    write(
        tmp_path / "tuned.py",
        f"""
        from perpbot.strategies.builtin.ema_cross import EmaCross

        class TunedEma(EmaCross):
            name = "{name}"
        """,
    )
    registry = StrategyRegistry([tmp_path], plugins=False)
    assert registry.create(name).warmup == EmaCross().warmup


def test_missing_user_folder(tmp_path: Path) -> None:
    with pytest.raises(StrategyError, match=r"strategy folder .*nowhere does not exist"):
        StrategyRegistry([tmp_path / "nowhere"], plugins=False)


# ------------------------------------------------------------------------------------- entry points


def make_plugin(site: Path, dist: str, entry_lines: list[str], package: str, code: str) -> None:
    """A minimal installed distribution: a package plus a .dist-info with METADATA and entry_points.txt."""
    write(site / package / "__init__.py", code)
    info = site / f"{dist}-1.0.dist-info"
    write(info / "METADATA", f"Metadata-Version: 2.1\nName: {dist}\nVersion: 1.0\n")
    write(info / "entry_points.txt", f"[{ENTRY_POINT_GROUP}]\n" + "\n".join(entry_lines) + "\n")


def test_entry_point_plugin_is_discovered(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    package = unique("perpbot_plugin")
    cls_name, mod_name = unique("plugin_long"), unique("plugin_mod")
    make_plugin(
        tmp_path,
        f"{package}_dist",
        [f"{cls_name} = {package}:AlwaysLong", f"more = {package}.more"],
        package,
        GOOD_STRATEGY.format(name=cls_name),
    )
    write(tmp_path / package / "more.py", GOOD_STRATEGY.format(name=mod_name))
    monkeypatch.syspath_prepend(str(tmp_path))

    registry = StrategyRegistry()
    assert {cls_name, mod_name} <= set(registry.names())
    assert registry.origin(cls_name) == f"plugin entry point {cls_name} = {package}:AlwaysLong from {package}_dist 1.0"
    assert registry.describe(mod_name)["kind"] == "plugin"
    assert registry.create(cls_name).parameters == {"stop_pct": 1.0}
    assert cls_name not in StrategyRegistry(plugins=False)


def test_broken_entry_point_is_reported(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    package = unique("perpbot_plugin")
    good = unique("plugin_ok")
    make_plugin(
        tmp_path,
        f"{package}_dist",
        [f"{good} = {package}:AlwaysLong", f"gone = {package}_missing.mod:Thing", f"notone = {package}:VALUE"],
        package,
        GOOD_STRATEGY.format(name=good) + "\nVALUE = 42\n",
    )
    monkeypatch.syspath_prepend(str(tmp_path))

    with pytest.raises(StrategyError) as info:
        StrategyRegistry()
    message = str(info.value)
    assert "2 problems loading strategies" in message
    assert f"plugin entry point gone = {package}_missing.mod:Thing from {package}_dist 1.0 failed to load: " in message
    assert "ModuleNotFoundError" in message
    assert "must point to a Strategy subclass with a name, or a module, was 42" in message

    registry = StrategyRegistry(strict=False)
    assert good in registry.names()
    assert len(registry.errors) == 2


def test_plugin_clashing_with_a_builtin(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    package = unique("perpbot_plugin")
    code = GOOD_STRATEGY.format(name="rsi_reversion")
    make_plugin(tmp_path, f"{package}_dist", [f"x = {package}:AlwaysLong"], package, code)
    monkeypatch.syspath_prepend(str(tmp_path))
    expected = r"duplicate strategy name 'rsi_reversion': defined by built-in module .* and by plugin entry point x"
    with pytest.raises(StrategyError, match=expected):
        StrategyRegistry()

