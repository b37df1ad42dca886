"""The compiled core: a stale build is refused, and compiled and interpreted runs give the same bytes."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
from importlib import import_module
from importlib.machinery import EXTENSION_SUFFIXES
from pathlib import Path

import pytest

from perpbot import kernels
from perpbot.compiled import BUILT_MODULES, CORE_MODULES, MANIFEST, CompiledCoreStale, core_build, source_path
from tests.conftest import REPO_ROOT


def _fake_tree(root: Path, *, compiled: tuple[str, ...] = BUILT_MODULES, manifest: bool = True) -> None:
    """A source tree with every core module, `compiled` ones with an extension file beside them."""
    digests = {}
    for module in BUILT_MODULES:
        path = source_path(module, root)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(f"NAME = {module!r}\n")
        digests[module] = hashlib.sha256(path.read_bytes()).hexdigest()
        if module in compiled:
            path.with_name(path.stem + EXTENSION_SUFFIXES[0]).write_bytes(b"")
    if manifest:
        (root / "perpbot" / MANIFEST).write_text(json.dumps(digests))


def test_a_build_that_matches_its_source_is_the_compiled_core(tmp_path: Path) -> None:
    _fake_tree(tmp_path)
    build = core_build(tmp_path)
    assert build.compiled and build.modules == BUILT_MODULES and build.label == "compiled (mypyc)"


def test_without_compiled_files_the_core_runs_interpreted(tmp_path: Path) -> None:
    _fake_tree(tmp_path, compiled=(), manifest=False)
    assert core_build(tmp_path).compiled is False


def test_a_source_changed_after_compiling_is_refused_by_name(tmp_path: Path) -> None:
    _fake_tree(tmp_path)
    source_path("perpbot.risk.manager", tmp_path).write_text("NAME = 'edited'\n")
    with pytest.raises(CompiledCoreStale, match=r"source changed since it was compiled: perpbot\.risk\.manager\);"
                                                r".*make core.*make pure"):
        core_build(tmp_path)


def test_a_partial_build_and_a_build_without_manifest_are_refused(tmp_path: Path) -> None:
    _fake_tree(tmp_path / "partial", compiled=tuple(m for m in BUILT_MODULES if m != "perpbot.engine.backtest"))
    with pytest.raises(CompiledCoreStale, match=r"not compiled: perpbot\.engine\.backtest"):
        core_build(tmp_path / "partial")
    _fake_tree(tmp_path / "bare", manifest=False)
    with pytest.raises(CompiledCoreStale, match="have no build manifest"):
        core_build(tmp_path / "bare")


def _compiled_or_skip() -> None:
    if core_build().compiled:
        return
    reason = "the core is not compiled in this checkout (`make core` builds it)"
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"{reason}; CI must test the compiled core")
    pytest.skip(reason)


def test_python_imports_the_build_it_reports() -> None:
    compiled = core_build().compiled
    for module in CORE_MODULES:
        file = str(import_module(module).__file__)
        assert file.endswith(tuple(EXTENSION_SUFFIXES)) == compiled, (module, file)
    assert compiled == kernels.COMPILED  # the C kernels, or their Python twins
    _compiled_or_skip()


def parity_run() -> str:
    """A backtest using most of the core (two symbols, two timeframes, risk limits, funding, limit entries)
    as JSON; run in both builds by the test below."""
    from perpbot.engine.service import run_backtest
    from tests.engine.test_backtest_loop import _config, _source

    config = _config(execution={"entry_order": "limit", "limit_offset_bps": "5"},
                     risk={"risk_per_trade_pct": 2, "max_daily_loss_pct": 3, "max_drawdown_pct": 12,
                           "max_correlation": 0.6})
    return run_backtest(config, _source()).to_json()


def test_the_compiled_and_the_interpreted_core_give_the_same_bytes(tmp_path: Path) -> None:
    _compiled_or_skip()
    interpreted = tmp_path / "src"
    shutil.copytree(REPO_ROOT / "src" / "perpbot", interpreted / "perpbot",
                    ignore=shutil.ignore_patterns("*.so", "*.pyd", MANIFEST, "__pycache__"))
    code = ("import sys, perpbot.engine.node as node; from perpbot.compiled import core_build; "
            "assert not core_build().compiled and node.__file__.endswith('.py'), node.__file__; "
            "from tests.test_compiled import parity_run; sys.stdout.write(parity_run())")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(interpreted), str(REPO_ROOT)])}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, cwd=REPO_ROOT,
                         check=True)
    assert len(json.loads(out.stdout)["trades"]) > 10
    assert out.stdout == parity_run()
