"""Strategy parameters: a typed, bounded declaration and strict validation of values against it."""

from __future__ import annotations

import math
from dataclasses import dataclass
from numbers import Integral, Real
from typing import Any

import numpy as np

from perpbot.errors import StrategyError

ParamValue = int | float | bool | str
ParamType = type[int] | type[float] | type[bool] | type[str]

_TYPE_NAMES: dict[type, tuple[str, str]] = {
    # (article form for messages, JSON Schema type)
    int: ("an int", "integer"),
    float: ("a float", "number"),
    bool: ("a bool", "boolean"),
    str: ("a str", "string"),
}


def _fmt(value: object) -> str:
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    return repr(value)


def _kind(value: object) -> str:
    name = type(value).__name__
    return f"an {name}" if name[:1] in "aeiou" else f"a {name}"


@dataclass(frozen=True, slots=True)
class Param:
    """One tunable parameter: its type, default, optional inclusive bounds or allowed choices, and help.

    Validation is strict and never coerces a bad value: an int is accepted for a float parameter,
    but a float (even 3.0) is not an int, a bool is not a number, and a str is not a number.
    """

    type: ParamType
    default: ParamValue
    min: float | None = None
    max: float | None = None
    choices: tuple[ParamValue, ...] | None = None
    help: str = ""

    def __post_init__(self) -> None:
        if self.type not in _TYPE_NAMES:
            raise StrategyError(f"Param type must be one of int, float, bool, str, was {self.type!r}")
        if self.choices is not None:
            object.__setattr__(self, "choices", tuple(self.choices))
        numeric = self.type in (int, float)
        if not numeric and (self.min is not None or self.max is not None):
            raise StrategyError(f"Param min/max apply to int and float parameters only, not {self.type.__name__}")
        if self.min is not None and self.max is not None and self.min > self.max:
            raise StrategyError(f"Param min must not exceed max, was min={self.min}, max={self.max}")
        if self.choices is not None and not self.choices:
            raise StrategyError("Param choices must not be empty")

    def allowed(self) -> str:
        """What a valid value looks like, in words: 'an int in [2, 500]', "one of 'a', 'b'"."""
        article = _TYPE_NAMES[self.type][0]
        if self.choices is not None:
            return f"{article}, one of {', '.join(_fmt(c) for c in self.choices)}"
        if self.min is not None and self.max is not None:
            return f"{article} in [{_fmt(self.min)}, {_fmt(self.max)}]"
        if self.min is not None:
            return f"{article} >= {_fmt(self.min)}"
        if self.max is not None:
            return f"{article} <= {_fmt(self.max)}"
        if self.type is float:
            return "a finite float"
        return article

    def validate(self, strategy: str, name: str, value: Any) -> ParamValue:
        """Return `value` in this parameter's type, or raise StrategyError naming everything involved."""

        def reject(note: str = "") -> StrategyError:
            return StrategyError(f"{strategy}: {name} must be {self.allowed()}, was {value!r}{note}")

        checked: ParamValue
        if self.type is bool:
            if not isinstance(value, bool | np.bool_):
                raise reject(f" ({_kind(value)})")
            checked = bool(value)
        elif self.type is int:
            if isinstance(value, bool | np.bool_) or not isinstance(value, Integral):
                raise reject(f" ({_kind(value)})")
            checked = int(value)
        elif self.type is float:
            if isinstance(value, bool | np.bool_) or not isinstance(value, Real):
                raise reject(f" ({_kind(value)})")
            checked = float(value)
            if not math.isfinite(checked):
                raise reject()
        else:
            if not isinstance(value, str):
                raise reject(f" ({_kind(value)})")
            checked = value
        if self.choices is not None and checked not in self.choices:
            raise reject()
        if isinstance(checked, int | float) and not isinstance(checked, bool):
            if self.min is not None and checked < self.min:
                raise reject()
            if self.max is not None and checked > self.max:
                raise reject()
        return checked

    def parse(self, strategy: str, name: str, text: str) -> ParamValue:
        """Parse a command-line string ('20', '2.5', 'true', 'inside') and validate it."""
        raw = text.strip()
        value: Any = raw
        try:
            if self.type is int:
                value = int(raw)
            elif self.type is float:
                value = float(raw)
        except ValueError:
            raise StrategyError(f"{strategy}: {name} must be {self.allowed()}, was {text!r}") from None
        if self.type is bool:
            lowered = raw.lower()
            if lowered in ("true", "yes", "on", "1"):
                value = True
            elif lowered in ("false", "no", "off", "0"):
                value = False
        return self.validate(strategy, name, value)

    def json_schema(self) -> dict[str, Any]:
        """This parameter as a JSON Schema property."""
        schema: dict[str, Any] = {"type": _TYPE_NAMES[self.type][1], "default": self.default}
        if self.min is not None:
            schema["minimum"] = self.min
        if self.max is not None:
            schema["maximum"] = self.max
        if self.choices is not None:
            schema["enum"] = list(self.choices)
        if self.help:
            schema["description"] = self.help
        return schema
