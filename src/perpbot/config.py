"""The one configuration file: typed, frozen, validated before anything runs.

Errors name the field's path, the bad value and what is allowed. Secrets are never read from
here: API keys come only from the environment (see `perpbot.secrets`).
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from perpbot.errors import ConfigError
from perpbot.execution.entry import ExecutionConfig
from perpbot.model.instrument import REFERENCE_INSTRUMENTS, Instrument
from perpbot.model.timeframe import TIMEFRAMES, timeframe_ms
from perpbot.monitor.alert_config import AlertsConfig
from perpbot.risk.config import RiskConfig
from perpbot.sessions.config import SessionsConfig
from perpbot.signals.config import AggregationConfig, MatrixConfig, RegimeConfig
from perpbot.venues.sim.config import SimVenueConfig

_SECRET_WORDS = ("api_key", "apikey", "api_secret", "secret", "password", "token")


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class InstrumentOverrides(_Frozen):
    """Exchange filters for a symbol perpbot has no reference for, or to override the reference."""

    tick_size: Decimal | None = Field(None, gt=0)
    qty_step: Decimal | None = Field(None, gt=0)
    min_qty: Decimal | None = Field(None, gt=0)
    max_qty: Decimal | None = Field(None, gt=0)
    max_market_qty: Decimal | None = Field(None, gt=0)
    min_notional: Decimal | None = Field(None, ge=0)
    max_leverage: Decimal | None = Field(None, ge=1)
    maintenance_margin_rate: Decimal | None = Field(None, ge=0, lt=1)
    funding_interval_minutes: int | None = Field(None, gt=0)


class SymbolConfig(_Frozen):
    symbol: str = Field(pattern=r"^[A-Z0-9]{2,20}USDT$", description="a Bybit USDT linear perpetual, e.g. BTCUSDT")
    leverage: Decimal = Field(Decimal(5), ge=1, le=200, description="isolated-margin leverage")
    instrument: InstrumentOverrides = InstrumentOverrides()

    def resolve_instrument(self) -> Instrument:
        """The reference filters for the symbol with this config's overrides applied."""
        base = REFERENCE_INSTRUMENTS.get(self.symbol)
        overrides = {k: v for k, v in self.instrument.model_dump().items() if v is not None}
        if base is None:
            missing = [f for f in ("tick_size", "qty_step", "min_qty") if f not in overrides]
            if missing:
                raise ConfigError(
                    f"symbols.{self.symbol}.instrument: no reference filters for {self.symbol}; "
                    f"set {', '.join(missing)} (known symbols: {', '.join(sorted(REFERENCE_INSTRUMENTS))})"
                )
            defaults: dict[str, Any] = {
                "max_qty": Decimal("1e9"), "max_market_qty": Decimal("1e9"), "min_notional": Decimal(5),
                "max_leverage": Decimal(50), "maintenance_margin_rate": Decimal("0.01"),
            }
            return Instrument(symbol=self.symbol, **{**defaults, **overrides})
        return dataclasses.replace(base, **overrides)


class StrategyConfig(_Frozen):
    """One strategy instance. `id` names it in the matrix and reports (default: its name)."""

    name: str = Field(min_length=1)
    id: str | None = Field(None, pattern=r"^[A-Za-z0-9_.-]{1,40}$")
    symbols: list[str] | None = Field(None, description="symbols it trades; default all")
    timeframe: str = "1h"
    weight: float = Field(1.0, ge=0, le=100)
    is_active: bool = True
    params: dict[str, Any] = Field(default_factory=dict)

    @field_validator("timeframe")
    @classmethod
    def _known_timeframe(cls, value: str) -> str:
        if value not in TIMEFRAMES:
            raise ValueError(f"must be one of {', '.join(TIMEFRAMES)}, was {value!r}")
        return value

    @property
    def key(self) -> str:
        return self.id or self.name


class AccountConfig(_Frozen):
    starting_balance: Decimal = Field(Decimal(10_000), gt=0, description="USDT")


class DataConfig(_Frozen):
    """Where candles come from: the local store, then a folder of Bybit files, then the generated sample."""

    store_dir: Path | None = None
    files_dir: Path | None = Field(None, description="a folder of bybit_linear_<SYMBOL>_<tf>.csv.gz files")
    use_shared_data: bool = Field(True, description="also look in PERPBOT_SHARED_DATA / ../shared/data")
    allow_sample: bool = Field(True, description="fall back to the generated sample data (clearly labelled)")


class BacktestConfig(_Frozen):
    start: date | None = None
    end: date | None = Field(None, description="exclusive")
    execution_timeframe: str | None = Field(None, description="default: the finest strategy timeframe")
    close_at_end: bool = True

    @field_validator("execution_timeframe")
    @classmethod
    def _known_timeframe(cls, value: str | None) -> str | None:
        if value is not None and value not in TIMEFRAMES:
            raise ValueError(f"must be one of {', '.join(TIMEFRAMES)}, was {value!r}")
        return value

    @model_validator(mode="after")
    def _ordered(self) -> BacktestConfig:
        if self.start and self.end and self.end <= self.start:
            raise ValueError(f"end ({self.end}) must be after start ({self.start})")
        return self

    def start_ms(self) -> int | None:
        return _date_ms(self.start)

    def end_ms(self) -> int | None:
        return _date_ms(self.end)


def _date_ms(value: date | None) -> int | None:
    if value is None:
        return None
    return int(datetime(value.year, value.month, value.day, tzinfo=UTC).timestamp() * 1000)


class PerpbotConfig(_Frozen):
    """Everything a run needs. Load it with `load_config`."""

    name: str = "perpbot"
    mode: Literal["backtest", "paper", "live"] = "backtest"
    account: AccountConfig = AccountConfig()
    symbols: list[SymbolConfig] = Field(min_length=1)
    strategies: list[StrategyConfig] = Field(min_length=1)
    strategy_dirs: list[Path] = Field(default_factory=list, description="folders of user strategy files")
    aggregation: AggregationConfig = AggregationConfig()
    regime: RegimeConfig = RegimeConfig()
    matrix: MatrixConfig | None = None
    risk: RiskConfig = RiskConfig()
    venue: SimVenueConfig = SimVenueConfig()
    execution: ExecutionConfig = ExecutionConfig()
    alerts: AlertsConfig = AlertsConfig()
    sessions: SessionsConfig = SessionsConfig()
    backtest: BacktestConfig = BacktestConfig()
    data: DataConfig = DataConfig()

    @model_validator(mode="after")
    def _consistent(self) -> PerpbotConfig:
        names = [s.symbol for s in self.symbols]
        if len(set(names)) != len(names):
            raise ValueError(f"symbols: each symbol may appear once, got {names}")
        for sym in self.symbols:
            if float(sym.leverage) > self.risk.max_leverage:
                raise ValueError(
                    f"symbols.{sym.symbol}.leverage {sym.leverage} is above risk.max_leverage "
                    f"{self.risk.max_leverage}; the exchange would trade at the higher one"
                )
        keys = [s.key for s in self.strategies]
        dupes = sorted({k for k in keys if keys.count(k) > 1})
        if dupes:
            raise ValueError(f"strategies: ids must be unique, repeated: {', '.join(dupes)} (set `id`)")
        for i, strategy in enumerate(self.strategies):
            for symbol in strategy.symbols or ():
                if symbol not in names:
                    raise ValueError(
                        f"strategies.{i}.symbols: {symbol!r} is not in `symbols` ({', '.join(names)})"
                    )
        if self.matrix is not None:
            for regime, weights in self.matrix.as_mapping().items():
                for key in weights:
                    if key not in keys:
                        raise ValueError(
                            f"matrix.{regime}: unknown strategy id {key!r}; known: {', '.join(keys)}"
                        )
        return self

    def strategies_for(self, symbol: str) -> list[StrategyConfig]:
        return [s for s in self.strategies if s.symbols is None or symbol in s.symbols]

    def fingerprint(self) -> str:
        """A short stable hash of the configuration, used in client ids and result names."""
        text = json.dumps(self.model_dump(mode="json"), sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(text.encode()).hexdigest()[:10]

    def validate_strategies(self) -> None:
        """Instantiate every strategy once so unknown names and bad parameters fail before anything runs."""
        from perpbot.strategies.registry import StrategyRegistry

        registry = StrategyRegistry(self.strategy_dirs)
        for i, strategy in enumerate(self.strategies):
            try:
                registry.create(strategy.name, strategy.params)
            except Exception as exc:  # the registry's errors already name the parameter and value
                raise ConfigError(f"strategies.{i} ({strategy.key}): {exc}") from None


def load_config(path: Path | str, *, check_strategies: bool = True) -> PerpbotConfig:
    """Read and validate a JSON config; every problem is reported with its path, value and expectation."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"config file not found: {path}") from None
    except OSError as exc:
        raise ConfigError(f"cannot read config file {path}: {exc.strerror}") from None
    try:
        raw = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ConfigError(f"{path}: not valid JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}") from None
    return parse_config(raw, source=str(path), check_strategies=check_strategies)


def parse_config(raw: object, *, source: str = "config", check_strategies: bool = True) -> PerpbotConfig:
    if not isinstance(raw, dict):
        raise ConfigError(f"{source}: the top level must be a JSON object, was {type(raw).__name__}")
    _refuse_secrets(raw, source, "")
    try:
        config = PerpbotConfig.model_validate(raw)
    except ValidationError as exc:
        raise ConfigError(format_validation_error(exc, source)) from None
    if check_strategies:
        config.validate_strategies()
    return config


def format_validation_error(exc: ValidationError, source: str) -> str:
    lines = [f"{source}: {exc.error_count()} invalid value(s):"]
    for err in exc.errors():
        where = ".".join(str(p) for p in err["loc"]) or "(top level)"
        value = err.get("input")
        shown = json.dumps(value, default=str) if not isinstance(value, dict) else "{...}"
        if len(shown) > 80:
            shown = shown[:77] + "..."
        message = err["msg"].removeprefix("Value error, ")
        if err["type"] == "extra_forbidden":
            message = "unknown field (check the spelling; see examples/config.json)"
        lines.append(f"  - {where}: {message} (was {shown})")
    return "\n".join(lines)


def _refuse_secrets(node: object, source: str, path: str) -> None:
    """API keys belong in the environment; refuse them in a file that may be shared or committed."""
    if isinstance(node, dict):
        for key, value in node.items():
            where = f"{path}.{key}" if path else str(key)
            if any(word in str(key).lower() for word in _SECRET_WORDS):
                raise ConfigError(
                    f"{source}: {where}: secrets are not read from the config file; set BYBIT_API_KEY and "
                    "BYBIT_API_SECRET in the environment (or PERPBOT_SECRETS_FILE, a 0600 file) instead"
                )
            _refuse_secrets(value, source, where)
    elif isinstance(node, list):
        for i, item in enumerate(node):
            _refuse_secrets(item, source, f"{path}.{i}")


def timeframe_order(timeframe: str) -> int:
    return timeframe_ms(timeframe)
