"""Writing a session out: CSV (a folder of tables), JSON (one file) or Parquet (a folder of tables).

Everything is written to a temporary path beside the target and renamed into place, so an export that
fails (an unwritable folder, a full disk) leaves nothing half-written.
"""

from __future__ import annotations

import json
import shutil
import tempfile
from pathlib import Path
from typing import Any

import pandas as pd

from perpbot.errors import StoreError
from perpbot.sessions.frames import SessionFrames

FORMATS = ("csv", "json", "parquet")


def export_frames(frames: SessionFrames, meta: dict[str, Any], fmt: str, out: Path) -> Path:
    """Write the session to `out` (a folder for csv/parquet, a file for json); returns the path written."""
    if fmt not in FORMATS:
        raise StoreError(f"export format must be one of {', '.join(FORMATS)}, was {fmt!r}")
    out = out.expanduser()
    if out.exists():
        raise StoreError(f"export target {out} already exists; choose a new path")
    parent = out.parent
    try:
        parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=".perpbot-export-", dir=parent))
    except OSError as exc:
        raise StoreError(f"cannot write an export under {parent}: {exc.strerror or exc}") from None
    try:
        if fmt == "json":
            body = {"session": meta, **{name: _records(frame) for name, frame in frames.tables().items()}}
            target = staging / "session.json"
            target.write_text(json.dumps(body, indent=1, sort_keys=True, default=str), encoding="utf-8")
            target.replace(out)
        else:
            for name, frame in frames.tables().items():
                if fmt == "csv":
                    frame.to_csv(staging / f"{name}.csv", index=False)
                else:
                    frame.to_parquet(staging / f"{name}.parquet", index=False)
            (staging / "session.json").write_text(json.dumps(meta, indent=1, sort_keys=True, default=str),
                                                  encoding="utf-8")
            staging.replace(out)
    except OSError as exc:
        raise StoreError(f"exporting to {out} failed: {exc.strerror or exc}; nothing was written") from None
    finally:
        if staging.exists():
            shutil.rmtree(staging, ignore_errors=True)
    return out


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """Rows as plain Python values, missing ones as None. (pandas' own JSON writer rounds floats to 10
    significant digits; Python's keeps every digit, so the equity and prices read back exactly.)"""
    plain = frame.astype(object).where(frame.notna(), None)
    return plain.to_dict("records")  # type: ignore[return-value]
