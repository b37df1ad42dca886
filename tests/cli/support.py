"""Running the `perpbot` command in-process, isolated from the user's folders, and reading its tables."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from typer.testing import CliRunner, Result

from perpbot.cli import app
from perpbot.data import paths

# Wide enough that rich never folds a cell or a message in the middle of what a test looks for.
_COLUMNS = "250"


def run_cli(args: Sequence[str | Path], *, home: Path, shared: Path | None = None) -> Result:
    """`perpbot ARGS` with PERPBOT_HOME at `home` and the shared data at `shared` (None: no shared data)."""
    env = {
        paths.HOME_ENV: str(home),
        # An explicitly set variable is authoritative: a missing folder means "no shared data".
        paths.SHARED_DATA_ENV: str(shared) if shared is not None else str(home / "no-shared-data"),
        "COLUMNS": _COLUMNS,
        "NO_COLOR": "1",
    }
    return CliRunner().invoke(app, [str(a) for a in args], env=env)


def squash(text: str) -> str:
    """Text with every run of whitespace made one space, so a wrapped line still matches."""
    return " ".join(text.split())


def table_rows(text: str) -> list[list[str]]:
    """The body rows of the rich tables in `text`, as stripped cells."""
    rows = []
    for line in text.splitlines():
        if line.startswith("│") and line.endswith("│"):
            rows.append([cell.strip() for cell in line.strip("│").split("│")])
    return rows


def snapshot(root: Path) -> dict[str, bytes]:
    """Every file under `root` (hidden and temporary ones included) with its bytes."""
    if not root.exists():
        return {}
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}
