"""Small integer codes for regimes, so per-bar regime series are compact int8 arrays.

Codes 0-2 are the detected regimes (names match `perpbot.model.Regime`), 3 is "default" (what the
classifier emits when regime detection is disabled) and -1 is "unknown" (indicator warm-up).
"""

from __future__ import annotations

from typing import Final

from perpbot.model import Regime

UNKNOWN: Final = -1
RANGING: Final = 0
TRENDING: Final = 1
VOLATILE: Final = 2
DEFAULT: Final = 3

# Index = code; "unknown" (-1) is handled apart because it is never configured.
REGIME_NAMES: Final[tuple[str, ...]] = (Regime.RANGING.value, Regime.TRENDING.value, Regime.VOLATILE.value, "default")
UNKNOWN_NAME: Final = "unknown"

_CODES: Final[dict[str, int]] = {name: code for code, name in enumerate(REGIME_NAMES)} | {UNKNOWN_NAME: UNKNOWN}


def regime_code(name: str) -> int:
    """The code of a regime name ("trending", ..., "default", "unknown"); ValueError names the allowed ones."""
    try:
        return _CODES[str(name)]
    except KeyError:
        raise ValueError(f"regime must be one of {', '.join(_CODES)}, was {name!r}") from None


def regime_name(code: int) -> str:
    """The name of a regime code (-1 to 3)."""
    if code == UNKNOWN:
        return UNKNOWN_NAME
    if 0 <= code < len(REGIME_NAMES):
        return REGIME_NAMES[code]
    raise ValueError(f"regime code must be in [-1, {len(REGIME_NAMES) - 1}], was {code}")
