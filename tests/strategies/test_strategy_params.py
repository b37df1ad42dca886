"""Parameter declaration and validation: every rejection path, atomic updates, schema output."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any, ClassVar

import numpy as np
import pandas as pd
import pytest

from perpbot.errors import StrategyError
from perpbot.strategies import Param, ParamValue, SignalFrame, Strategy, StrategyRegistry


class Demo(Strategy):
    """A strategy with one parameter of every kind, to exercise validation."""

    name = "demo"
    description = "test double"
    params: ClassVar[dict[str, Param]] = {
        "fast": Param(int, 10, min=2, max=500, help="fast period"),
        "slow": Param(int, 30, min=3, max=1000, help="slow period"),
        "mult": Param(float, 2.0, min=0.1, max=20.0, help="stop in ATRs"),
        "ratio": Param(float, 0.5),
        "flag": Param(bool, True),
        "mode": Param(str, "a", choices=("a", "b")),
        "label": Param(str, "x"),
        "floor": Param(int, 5, min=1),
        "size": Param(int, 5, choices=(1, 5, 10)),
    }
    constraints = ("fast < slow",)

    @classmethod
    def check_params(cls, values: Mapping[str, ParamValue]) -> None:
        if int(values["fast"]) >= int(values["slow"]):
            raise cls.error(f"fast must be below slow, was fast={values['fast']}, slow={values['slow']}")

    def setup(self) -> None:
        self.setup_calls = getattr(self, "setup_calls", 0) + 1
        if self.float_param("mult") == 13.0:
            raise RuntimeError("setup failed")
        self.derived = self.int_param("fast") * self.int_param("slow")

    @property
    def warmup(self) -> int:
        return self.int_param("slow")

    def compute(self, candles: pd.DataFrame) -> SignalFrame:
        n = len(candles)
        return self.signal_frame(candles, np.zeros(n), np.ones(n))


def rejects(message: str, **params: Any) -> None:
    with pytest.raises(StrategyError, match=re.escape(message)):
        Demo(**params)


def test_defaults_fill_missing_parameters() -> None:
    strategy = Demo(fast=12)
    assert strategy.parameters == {
        "fast": 12, "slow": 30, "mult": 2.0, "ratio": 0.5, "flag": True, "mode": "a", "label": "x",
        "floor": 5, "size": 5,
    }
    assert strategy.derived == 360


def test_out_of_range_message_names_strategy_parameter_value_and_range() -> None:
    rejects("demo: fast must be an int in [2, 500], was 1000", fast=1000)
    rejects("demo: fast must be an int in [2, 500], was 1", fast=1)
    rejects("demo: mult must be a float in [0.1, 20], was 25", mult=25)
    rejects("demo: mult must be a float in [0.1, 20], was 0.05", mult=0.05)
    rejects("demo: floor must be an int >= 1, was 0", floor=0)


@pytest.mark.parametrize(
    ("value", "kind"),
    [(3.5, "a float"), (3.0, "a float"), (True, "a bool"), ("10", "a str"), (None, "a NoneType")],
)
def test_int_parameter_rejects_other_types(value: Any, kind: str) -> None:
    rejects(f"demo: fast must be an int in [2, 500], was {value!r} ({kind})", fast=value)


def test_int_parameter_accepts_numpy_integers_as_int() -> None:
    strategy = Demo(fast=np.int64(20))
    assert strategy.parameters["fast"] == 20
    assert type(strategy.parameters["fast"]) is int


def test_float_parameter_accepts_int_but_stores_float() -> None:
    strategy = Demo(mult=5)
    assert strategy.parameters["mult"] == 5.0
    assert type(strategy.parameters["mult"]) is float


@pytest.mark.parametrize(("value", "kind"), [(True, "a bool"), ("2", "a str"), (np.True_, "a bool")])
def test_float_parameter_rejects_other_types(value: Any, kind: str) -> None:
    with pytest.raises(StrategyError, match=r"demo: mult must be a float in \[0\.1, 20\], was .*\(" + kind):
        Demo(mult=value)


@pytest.mark.parametrize("value", [float("nan"), float("inf"), -float("inf")])
def test_float_parameter_rejects_non_finite(value: float) -> None:
    rejects(f"demo: ratio must be a finite float, was {value!r}", ratio=value)


def test_bool_parameter_is_strict() -> None:
    rejects("demo: flag must be a bool, was 1 (an int)", flag=1)
    rejects("demo: flag must be a bool, was 'true' (a str)", flag="true")
    assert Demo(flag=np.bool_(False)).parameters["flag"] is False


def test_choices() -> None:
    rejects("demo: mode must be a str, one of 'a', 'b', was 'c'", mode="c")
    rejects("demo: mode must be a str, one of 'a', 'b', was 1 (an int)", mode=1)
    rejects("demo: size must be an int, one of 1, 5, 10, was 7", size=7)
    assert Demo(mode="b", size=10).parameters["mode"] == "b"
    rejects("demo: label must be a str, was 3 (an int)", label=3)


def test_unknown_parameter_is_named_with_a_suggestion() -> None:
    with pytest.raises(StrategyError) as info:
        Demo(fsat=3)
    message = str(info.value)
    assert message.startswith("demo: unknown parameter 'fsat' (did you mean 'fast'?)")
    assert "known parameters: fast, slow, mult" in message


def test_cross_parameter_constraint() -> None:
    rejects("demo: fast must be below slow, was fast=40, slow=30", fast=40)


def test_set_parameters_revalidates_the_merged_set() -> None:
    strategy = Demo()
    strategy.set_parameters(fast=40, slow=60)
    assert strategy.parameters["fast"] == 40
    assert strategy.derived == 2400
    with pytest.raises(StrategyError, match="fast must be below slow, was fast=40, slow=35"):
        strategy.set_parameters(slow=35)


@pytest.mark.parametrize(
    "changes",
    [
        {"fast": 20, "slow": 10_000},  # one good, one out of range
        {"fast": 31},  # violates fast < slow only in the merged set
        {"fast": 20, "nope": 1},  # unknown name
        {"mode": "z"},
    ],
)
def test_set_parameters_is_atomic(changes: dict[str, Any]) -> None:
    strategy = Demo()
    before, derived, calls = strategy.parameters, strategy.derived, strategy.setup_calls
    with pytest.raises(StrategyError):
        strategy.set_parameters(**changes)
    assert strategy.parameters == before
    assert strategy.derived == derived
    assert strategy.setup_calls == calls  # validation failed before anything was rebuilt


def test_set_parameters_rolls_back_when_the_rebuild_fails() -> None:
    strategy = Demo(fast=12)
    with pytest.raises(RuntimeError, match="setup failed"):
        strategy.set_parameters(mult=13.0, fast=20)
    assert strategy.parameters["fast"] == 12
    assert strategy.parameters["mult"] == 2.0
    assert strategy.derived == 360


def test_parameters_returns_a_copy() -> None:
    strategy = Demo()
    strategy.parameters["fast"] = 99
    assert strategy.parameters["fast"] == 10


def test_parse_params_from_command_line_strings() -> None:
    parsed = Demo.parse_params({"fast": "20", "flag": "false", "mode": "b", "mult": "2.5"})
    assert parsed["fast"] == 20 and parsed["flag"] is False and parsed["mode"] == "b" and parsed["mult"] == 2.5
    with pytest.raises(StrategyError, match=r"demo: fast must be an int in \[2, 500\], was 'abc'"):
        Demo.parse_params({"fast": "abc"})
    with pytest.raises(StrategyError, match=r"demo: fast must be an int in \[2, 500\], was '2\.5'"):
        Demo.parse_params({"fast": "2.5"})
    with pytest.raises(StrategyError, match="demo: flag must be a bool, was 'maybe'"):
        Demo.parse_params({"flag": "maybe"})
    with pytest.raises(StrategyError, match="unknown parameter 'slwo'"):
        Demo.parse_params({"slwo": "3"})


def test_schema_is_json_schema_and_json_able() -> None:
    schema = Demo.schema()
    assert json.loads(json.dumps(schema)) == schema
    assert schema["title"] == "demo"
    assert schema["description"] == "test double"
    assert schema["additionalProperties"] is False
    assert schema["x-constraints"] == ["fast < slow"]
    props = schema["properties"]
    assert props["fast"] == {
        "type": "integer", "default": 10, "minimum": 2, "maximum": 500, "description": "fast period"
    }
    assert props["mult"]["type"] == "number"
    assert props["flag"] == {"type": "boolean", "default": True}
    assert props["mode"] == {"type": "string", "default": "a", "enum": ["a", "b"]}
    assert list(props) == list(Demo.params)


def test_repr_shows_parameters() -> None:
    assert repr(Demo(fast=3)).startswith("Demo(fast=3, slow=30, mult=2.0")


# ------------------------------------------------------------------------------- declaration mistakes


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"type": list, "default": []}, "Param type must be one of int, float, bool, str"),
        ({"type": str, "default": "a", "min": 1}, "min/max apply to int and float parameters only"),
        ({"type": int, "default": 5, "min": 10, "max": 1}, "min must not exceed max, was min=10, max=1"),
        ({"type": str, "default": "a", "choices": ()}, "choices must not be empty"),
    ],
)
def test_bad_param_declarations(kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(StrategyError, match=re.escape(message)):
        Param(**kwargs)


def test_choices_given_as_list_become_a_tuple() -> None:
    assert Param(str, "a", choices=["a", "b"]).choices == ("a", "b")  # type: ignore[arg-type]


def test_a_default_outside_its_own_range_fails_at_class_definition() -> None:
    with pytest.raises(StrategyError, match=re.escape("broken_default: period must be an int in [2, 10], was 50")):

        class BrokenDefault(Strategy):
            name = "broken_default"
            params: ClassVar[dict[str, Param]] = {"period": Param(int, 50, min=2, max=10)}


def test_bad_strategy_name_and_params_fail_at_class_definition() -> None:
    with pytest.raises(StrategyError, match="name must match"):

        class BadName(Strategy):
            name = "Bad Name"

    with pytest.raises(StrategyError, match=r"bad_params: params\['period'\] must be a Param, was 14"):

        class BadParams(Strategy):
            name = "bad_params"
            params: ClassVar[dict[str, Any]] = {"period": 14}


# ------------------------------------------------------------------------------------------ built-ins

BUILTINS = StrategyRegistry(plugins=False).builtin_names()


@pytest.mark.parametrize("name", BUILTINS)
def test_every_builtin_declares_itself_fully(name: str) -> None:
    cls = StrategyRegistry(plugins=False).get(name)
    assert cls.description and cls.__doc__ and len(cls.__doc__.strip()) > 40
    strategy = cls()
    assert strategy.parameters == cls.defaults()
    schema = cls.schema()
    assert json.loads(json.dumps(schema)) == schema
    for pname, prop in schema["properties"].items():
        assert prop.get("description"), f"{name}.{pname} has no help"
    # every numeric parameter is bounded: an optimizer needs a search space
    for pname, param in cls.params.items():
        if param.type in (int, float):
            assert param.min is not None and param.max is not None, f"{name}.{pname} is unbounded"


@pytest.mark.parametrize("name", BUILTINS)
def test_builtin_rejects_an_unknown_parameter(name: str) -> None:
    cls = StrategyRegistry(plugins=False).get(name)
    with pytest.raises(StrategyError, match=f"^{name}: unknown parameter 'bogus'"):
        cls(bogus=1)


@pytest.mark.parametrize(
    ("name", "params", "message"),
    [
        ("ema_cross", {"fast": 1000}, "ema_cross: fast must be an int in [2, 500], was 1000"),
        ("ema_cross", {"fast": 50, "slow": 20}, "ema_cross: fast must be below slow, was fast=50, slow=20"),
        ("macd_momentum", {"fast": 30}, "macd_momentum: fast must be below slow, was fast=30, slow=26"),
        ("rsi_reversion", {"lower": 50.0, "upper": 50.0}, "rsi_reversion: lower must be below upper"),
        ("rsi_reversion", {"band_mode": "both"}, "rsi_reversion: band_mode must be a str, one of 'inside', 'outside'"),
        ("donchian_breakout", {"exit_period": 30}, "donchian_breakout: exit_period must not exceed entry_period"),
    ],
)
def test_builtin_constraints(name: str, params: dict[str, Any], message: str) -> None:
    with pytest.raises(StrategyError, match=re.escape(message)):
        StrategyRegistry(plugins=False).create(name, params)


@pytest.mark.parametrize("name", BUILTINS)
def test_builtin_warmup_follows_its_parameters(name: str) -> None:
    """set_parameters rebuilds what is derived: lengthening every period never shortens the warm-up."""
    strategy = StrategyRegistry(plugins=False).get(name)()
    before = strategy.warmup
    longer = {
        pname: min(int(param.max or 0), int(value) * 2)
        for pname, param in strategy.params.items()
        if param.type is int and isinstance(value := strategy.parameters[pname], int)
    }
    strategy.set_parameters(**longer)
    assert strategy.warmup > before


def test_defaults_breaking_a_cross_parameter_rule_fail_at_class_definition() -> None:
    with pytest.raises(StrategyError, match="demo: fast must be below slow, was fast=50, slow=30"):

        class BadDefaults(Demo):
            params: ClassVar[dict[str, Param]] = {**Demo.params, "fast": Param(int, 50, min=2, max=500)}
