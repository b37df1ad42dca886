"""Where perpbot looks for the shared real data and keeps its own store."""

from __future__ import annotations

import os
from pathlib import Path

SHARED_DATA_ENV = "PERPBOT_SHARED_DATA"
HOME_ENV = "PERPBOT_HOME"


def repository_root(start: Path | None = None) -> Path | None:
    """The nearest folder above `start` (default: this file) holding pyproject.toml; None when installed."""
    here = (start or Path(__file__)).resolve()
    for folder in (here, *here.parents):
        if (folder / "pyproject.toml").is_file():
            return folder
    return None


def shared_data_dir() -> Path | None:
    """The folder of real Bybit files: $PERPBOT_SHARED_DATA, else ../shared/data from the working
    directory, else ../shared/data beside the repository; None when none exists.

    An explicitly set variable is authoritative: if it names a missing folder the answer is None,
    rather than quietly using some other data.
    """
    env = os.environ.get(SHARED_DATA_ENV)
    if env:
        path = Path(env).expanduser()
        return path if path.is_dir() else None
    candidates = [Path.cwd().parent / "shared" / "data"]
    root = repository_root()
    if root is not None:
        candidates.append(root.parent / "shared" / "data")
    return next((p.resolve() for p in candidates if p.is_dir()), None)


def perpbot_home() -> Path:
    """$PERPBOT_HOME, else ~/.local/share/perpbot."""
    env = os.environ.get(HOME_ENV)
    return Path(env).expanduser() if env else Path.home() / ".local" / "share" / "perpbot"


def default_store_dir() -> Path:
    """The local candle store: `<perpbot home>/store`."""
    return perpbot_home() / "store"
