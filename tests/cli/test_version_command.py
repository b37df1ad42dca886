from pathlib import Path

from perpbot import __version__
from perpbot.compiled import core_build
from tests.cli.support import run_cli


def test_version_names_the_build_of_the_core(tmp_path: Path) -> None:
    result = run_cli(["version"], home=tmp_path)
    assert result.exit_code == 0, result.output
    label = "compiled (mypyc)" if core_build().compiled else "interpreted"
    assert result.output.strip() == f"perpbot {__version__}, core {label}"
