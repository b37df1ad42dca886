"""Golden backtests: cases on the real shared Bybit data, and the figures each one pins.

A golden file (`tests/engine/golden/<case>.json`) holds what a case produced when it was last
accepted: counts, the exact Decimal ledger, venue statistics, per-symbol net, halts, rounded
metrics and sha256 digests of `BacktestResult.to_json()`. `tests/engine/test_golden.py` re-runs the
cases and compares. A change in numbers is therefore always deliberate: after checking that it is
intended, regenerate with

    python -m tests.engine.golden_cases --update            # every case
    python -m tests.engine.golden_cases --update CASE ...   # some cases
    python -m tests.engine.golden_cases                     # only compare, print the differences

Every run reads only the shared data (PERPBOT_SHARED_DATA) through an empty candle store, so a
user's own store can never change the numbers, and no generated sample may stand in.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import sys
import tempfile
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from perpbot.app import build_source
from perpbot.config import parse_config
from perpbot.data import paths
from perpbot.data.frames import iso_utc
from perpbot.engine.decisions import Action
from perpbot.engine.result import BacktestResult
from perpbot.engine.service import run_backtest

REPO_ROOT = Path(__file__).resolve().parents[2]
GOLDEN_DIR = Path(__file__).resolve().with_name("golden")
EXAMPLE_CONFIG = REPO_ROOT / "examples" / "config.json"
REGENERATE = "python -m tests.engine.golden_cases --update"
SHARED_DATA_PLACEHOLDER = "$PERPBOT_SHARED_DATA"
SIGNIFICANT_DIGITS = 10

# Only the shared Bybit files may feed a golden run: no generated sample, whatever the case says.
SHARED_DATA_ONLY: dict[str, Any] = {"use_shared_data": True, "allow_sample": False}

PINNED_METRICS = (
    "final_equity", "total_return", "cagr", "sharpe", "sortino", "calmar", "max_drawdown",
    "max_drawdown_duration_days", "num_trades", "num_wins", "num_losses", "win_rate", "profit_factor",
    "expectancy", "exposure",
)


@dataclass(frozen=True, slots=True)
class GoldenCase:
    """One pinned backtest: a name (its golden file), what it exercises, and its raw configuration."""

    name: str
    about: str
    raw_config: Callable[[], dict[str, Any]]

    def config_dict(self) -> dict[str, Any]:
        """The raw configuration with the data section forced to the shared data alone."""
        raw = self.raw_config()
        return {**raw, "data": dict(SHARED_DATA_ONLY)}

    @property
    def golden_path(self) -> Path:
        return GOLDEN_DIR / f"{self.name}.json"


def _example_config() -> dict[str, Any]:
    raw = json.loads(EXAMPLE_CONFIG.read_text(encoding="utf-8"))
    assert isinstance(raw, dict)
    return raw


def _example_two_years() -> dict[str, Any]:
    raw = _example_config()
    raw["name"] = "golden-example-two-years"
    raw["risk"] = {**raw["risk"], "max_drawdown_pct": 60, "max_daily_loss_pct": 15}
    raw["backtest"] = {"start": "2024-01-01", "end": "2026-01-01", "close_at_end": True}
    return raw


def _ema_cross_1m_btc() -> dict[str, Any]:
    return {
        "name": "golden-ema-cross-1m-btc",
        "account": {"starting_balance": "100000"},
        "symbols": [{"symbol": "BTCUSDT", "leverage": 5}],
        "strategies": [{"name": "ema_cross", "timeframe": "1m", "params": {"fast": 12, "slow": 26, "atr_mult": 20}}],
        "aggregation": {"threshold": 0.5},
        "regime": {"enabled": False},
        "risk": {"sizing": "fixed_notional", "fixed_notional": "10000", "max_position_size_pct": 100,
                 "max_daily_loss_pct": 99, "max_drawdown_pct": 99},
        "venue": {"taker_fee": "0.00055", "maker_fee": "0.0002", "funding": True},
        "backtest": {"start": "2025-05-30", "end": "2025-06-29", "close_at_end": True},
    }


def _daily_loss_halt() -> dict[str, Any]:
    return {
        "name": "golden-daily-loss-halt",
        "account": {"starting_balance": "10000"},
        "symbols": [{"symbol": "BTCUSDT", "leverage": 10}, {"symbol": "SOLUSDT", "leverage": 10}],
        "strategies": [
            {"name": "ema_cross", "timeframe": "15m", "params": {"fast": 8, "slow": 21}},
            {"name": "macd_momentum", "timeframe": "15m"},
        ],
        "aggregation": {"threshold": 0.5, "close_on_flat": True},
        "regime": {"enabled": False},
        "risk": {"risk_per_trade_pct": 1, "max_position_size_pct": 60, "max_daily_loss_pct": 2,
                 "max_drawdown_pct": 50, "max_correlation": 1, "max_leverage": 10},
        "venue": {"slippage_bps": "1"},
        "backtest": {"start": "2025-03-01", "end": "2025-04-01", "close_at_end": True},
    }


def _limit_touch_liquidation() -> dict[str, Any]:
    return {
        "name": "golden-limit-touch-liquidation",
        "account": {"starting_balance": "10000"},
        "symbols": [{"symbol": "SOLUSDT", "leverage": 50}, {"symbol": "WIFUSDT", "leverage": 25}],
        "strategies": [
            {"name": "donchian_breakout", "timeframe": "1h", "symbols": ["SOLUSDT"]},
            {"name": "rsi_reversion", "timeframe": "1h", "params": {"atr_mult": 0.6}},
        ],
        "aggregation": {"threshold": 0.5},
        "regime": {"enabled": False},
        "risk": {"enabled": False, "sizing": "fixed_notional", "fixed_notional": "2000", "max_leverage": 50},
        "venue": {"slippage_bps": "3", "limit_fill": "touch"},
        "execution": {"entry_order": "limit", "limit_offset_bps": "5"},
        "backtest": {"start": "2024-06-01", "end": "2024-09-01", "close_at_end": True},
    }


def _eth_1m_limit(limit_fill: str) -> Callable[[], dict[str, Any]]:
    def build() -> dict[str, Any]:
        return {
            "name": f"golden-eth-1m-limit-{limit_fill}",
            "account": {"starting_balance": "100000"},
            "symbols": [{"symbol": "ETHUSDT", "leverage": 10}],
            "strategies": [{"name": "ema_cross", "timeframe": "5m", "params": {"fast": 12, "slow": 26, "atr_mult": 3}}],
            "aggregation": {"threshold": 0.5},
            "regime": {"enabled": False},
            "risk": {"risk_per_trade_pct": 1, "max_leverage": 10},
            "venue": {"slippage_bps": "2", "limit_fill": limit_fill},
            "execution": {"entry_order": "limit", "limit_offset_bps": "0"},
            "backtest": {"start": "2025-06-01", "end": "2025-06-29", "execution_timeframe": "1m",
                         "close_at_end": True},
        }
    return build


CASES: tuple[GoldenCase, ...] = (
    GoldenCase("example_config", "examples/config.json as shipped: BTC/ETH/SOL, five strategies on 15m/1h, "
               "regime matrix, risk manager (trips the drawdown breaker), funding", _example_config),
    GoldenCase("example_two_years", "the example over 2024-2025 with looser breakers: long history, "
               "take-profits, correlation gate, drawdown halt late in the run", _example_two_years),
    GoldenCase("ema_cross_1m_btc", "EMA 12/26 on a month of 1m BTCUSDT: always in the market, reverses "
               "on each cross, taker fees and funding", _ema_cross_1m_btc),
    GoldenCase("daily_loss_halt", "BTC+SOL 15m with a 2% daily-loss limit: trips on 2025-03-02 with both "
               "positions open (emergency closure), then stays halted", _daily_loss_halt),
    GoldenCase("limit_touch_liquidation", "limit entries filled on touch, 3 bps slippage, risk off at 50x/25x: "
               "isolated liquidations and a stop-or-target ambiguous bar", _limit_touch_liquidation),
    GoldenCase("eth_1m_limit_through", "ETH limit entries at the close on a 1m grid, filled only when price "
               "trades through", _eth_1m_limit("through")),
    GoldenCase("eth_1m_limit_touch", "the same as eth_1m_limit_through but filled on touch",
               _eth_1m_limit("touch")),
)
CASES_BY_NAME: dict[str, GoldenCase] = {case.name: case for case in CASES}


class GoldenSetupError(RuntimeError):
    """The environment cannot produce a trustworthy golden run (wrong data folder, non-empty store)."""


# ---------------------------------------------------------------------------------------------- running


def run_case(case: GoldenCase, *, shared_dir: Path, store_dir: Path, step_every_bar: bool = False) -> BacktestResult:
    """Run `case` on the shared data in `shared_dir`, through the empty store `store_dir`."""
    configured = paths.shared_data_dir()
    if configured is None or configured.resolve() != shared_dir.resolve():
        raise GoldenSetupError(f"{paths.SHARED_DATA_ENV} must name {shared_dir} for a golden run, "
                               f"it resolves to {configured}")
    if store_dir.exists() and any(store_dir.iterdir()):
        raise GoldenSetupError(f"the golden store {store_dir} must be empty so only the shared data is read")
    config = parse_config(case.config_dict(), source=f"golden case {case.name}")
    resolved = build_source(config, store_dir=store_dir)
    if resolved.label != "real":
        raise GoldenSetupError(f"golden case {case.name} would run on {resolved.label}")
    return run_backtest(config, resolved.source, data_label=resolved.label, step_every_bar=step_every_bar)


def normalised_json(result: BacktestResult, shared_dir: Path) -> str:
    """`result.to_json()` with the shared-data folder replaced by a placeholder, so the digest does
    not depend on where a machine keeps the files (series sources name them)."""
    folder = json.dumps(str(shared_dir))[1:-1]
    return result.to_json().replace(folder, SHARED_DATA_PLACEHOLDER)


def _sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _canonical(value: object) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), allow_nan=False)


def round_significant(value: object) -> object:
    """Floats to SIGNIFICANT_DIGITS significant digits (JSON keeps them exactly); ints and None as they are."""
    if isinstance(value, bool) or value is None or isinstance(value, int):
        return value
    if isinstance(value, float):
        return float(f"{value:.{SIGNIFICANT_DIGITS}g}")
    raise TypeError(f"a pinned metric must be a number or None, was {value!r}")


def pin(result: BacktestResult, shared_dir: Path) -> dict[str, Any]:
    """The figures a golden file holds for one run."""
    text = normalised_json(result, shared_dir)
    body = json.loads(text)
    ledger = result.ledger
    return {
        "data_label": result.data_label,
        "fingerprint": result.fingerprint,
        "timeframe": result.timeframe,
        "series": [
            {"symbol": s.symbol, "timeframe": s.timeframe, "rows": s.rows, "first": iso_utc(s.first_ts),
             "last": iso_utc(s.last_ts), "source": s.source.replace(str(shared_dir), SHARED_DATA_PLACEHOLDER)}
            for s in result.series
        ],
        "counts": {
            "trades": len(result.trades), "fills": len(result.fills), "decisions": len(result.decisions),
            "orders": len(result.orders), "funding_payments": len(result.funding),
        },
        "decisions_by_action": dict(sorted(Counter(d.action.value for d in result.decisions).items())),
        "trades_by_exit_reason": dict(sorted(Counter(t.exit_reason.value for t in result.trades).items())),
        "fills_by_role": dict(sorted(Counter(f.role.value for f in result.fills).items())),
        "orders_by_status": dict(sorted(Counter(o.status.value for o in result.orders).items())),
        "ledger": {
            "starting_balance": str(result.starting_balance), "final_balance": str(result.final_balance),
            "realised_pnl": str(ledger.realised_pnl), "fees": str(ledger.fees_paid), "funding": str(ledger.funding),
        },
        "venue": dict(sorted(result.venue_stats.items())),
        "per_symbol": {symbol: {k: str(v) for k, v in sorted(row.items())}
                       for symbol, row in sorted(result.per_symbol().items())},
        "open_positions": dict(sorted(result.open_positions.items())),
        "emergency_closes": [{"ts": iso_utc(d.ts), "symbol": d.symbol, "note": d.note}
                             for d in result.decisions if d.action is Action.EMERGENCY_CLOSE],
        "metrics": {key: round_significant(result.metrics.get(key)) for key in PINNED_METRICS},
        "sha256": {
            "to_json": _sha256(text),
            "summary": _sha256(_canonical(body["summary"])),
            "trades": _sha256(_canonical(body["trades"])),
            "config": _sha256(_canonical(body["config"])),
        },
    }


# ---------------------------------------------------------------------------------------------- golden files


def golden_record(case: GoldenCase, pinned: Mapping[str, Any]) -> dict[str, Any]:
    """What a golden file holds: the case, how to regenerate it, and the pinned figures."""
    return {"case": case.name, "about": case.about, "regenerate": REGENERATE, "pinned": dict(pinned)}


def load_golden(case: GoldenCase) -> dict[str, Any] | None:
    """The pinned figures of `case`, or None when it has no golden file yet."""
    if not case.golden_path.is_file():
        return None
    record = json.loads(case.golden_path.read_text(encoding="utf-8"))
    pinned = record.get("pinned") if isinstance(record, dict) else None
    if not isinstance(pinned, dict):
        raise ValueError(f"{case.golden_path}: expected an object with a 'pinned' object; regenerate with "
                         f"`{REGENERATE} {case.name}`")
    return pinned


def write_golden(case: GoldenCase, pinned: Mapping[str, Any]) -> Path:
    GOLDEN_DIR.mkdir(parents=True, exist_ok=True)
    text = json.dumps(golden_record(case, pinned), indent=1, sort_keys=True, allow_nan=False) + "\n"
    case.golden_path.write_text(text, encoding="utf-8")
    return case.golden_path


def _flatten(value: object, prefix: str = "") -> dict[str, object]:
    if isinstance(value, Mapping):
        out: dict[str, object] = {}
        for key, item in value.items():
            out.update(_flatten(item, f"{prefix}.{key}" if prefix else str(key)))
        return out or {prefix: {}}
    if isinstance(value, list):
        out = {}
        for i, item in enumerate(value):
            out.update(_flatten(item, f"{prefix}[{i}]"))
        return out or {prefix: []}
    return {prefix: value}


def differences(expected: Mapping[str, Any], actual: Mapping[str, Any]) -> list[str]:
    """One readable line per pinned value that differs, is missing, or is new."""
    want, got = _flatten(expected), _flatten(actual)
    lines = []
    for key in sorted(want.keys() | got.keys()):
        if key not in got:
            lines.append(f"  {key}: pinned {want[key]!r}, no longer produced")
        elif key not in want:
            lines.append(f"  {key}: not pinned, now {got[key]!r}")
        elif want[key] != got[key] or type(want[key]) is not type(got[key]):
            lines.append(f"  {key}: pinned {want[key]!r}, now {got[key]!r}")
    return lines


# Values that change with the configuration's JSON dump alone (a new config field with a default
# changes the fingerprint, which the summary and the whole JSON carry).
_CONFIG_SHAPE_KEYS = frozenset({"fingerprint", "sha256.config", "sha256.summary", "sha256.to_json"})


def explain(case: GoldenCase, lines: Sequence[str]) -> str:
    """The failure message: what changed, a hint where to look, and how to accept it deliberately."""
    keys = {line.strip().split(":", 1)[0] for line in lines}
    if keys <= _CONFIG_SHAPE_KEYS and "sha256.config" in keys:
        hint = ("  (only the configuration's dump changed - a new, renamed or re-defaulted config field? - "
                "while every pinned figure and the trade list agree)\n")
    elif all(key.startswith("sha256.") for key in keys):
        hint = ("  (only digests differ: the pinned totals agree, so look at the trade list or the unpinned "
                "metrics)\n")
    else:
        hint = ""
    return (f"golden case {case.name!r} ({case.about}) changed:\n" + "\n".join(lines) + "\n" + hint
            + f"If the change is intended, regenerate deliberately: {REGENERATE} {case.name}")


# ---------------------------------------------------------------------------------------------- entry point


def _shared_dir() -> Path:
    """PERPBOT_SHARED_DATA (or ../shared/data beside the repository), as the tests resolve it."""
    from tests.conftest import shared_data_dir

    found = shared_data_dir()
    if found is None:
        raise GoldenSetupError("real Bybit data not found: set PERPBOT_SHARED_DATA to the folder holding "
                               "bybit_linear_*.csv.gz")
    return found


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.engine.golden_cases",
                                     description="Run the golden backtests; compare with, or rewrite, their files.")
    parser.add_argument("cases", nargs="*", metavar="CASE",
                        help=f"cases to run (default all: {', '.join(CASES_BY_NAME)})")
    parser.add_argument("--update", action="store_true", help="rewrite the golden files with the current figures")
    args = parser.parse_args(argv)
    unknown = [name for name in args.cases if name not in CASES_BY_NAME]
    if unknown:
        parser.error(f"unknown case(s) {', '.join(unknown)}; known: {', '.join(CASES_BY_NAME)}")
    selected = [CASES_BY_NAME[name] for name in args.cases] or list(CASES)
    try:
        shared = _shared_dir()
    except GoldenSetupError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    changed = 0
    with tempfile.TemporaryDirectory(prefix="perpbot-golden-") as tmp:
        # The runs see only the shared data, and a scratch home instead of the user's.
        os.environ[paths.SHARED_DATA_ENV] = str(shared)
        os.environ[paths.HOME_ENV] = tmp
        for case in selected:
            pinned = pin(run_case(case, shared_dir=shared, store_dir=Path(tmp) / f"store-{case.name}"), shared)
            expected = load_golden(case)
            lines = differences(expected, pinned) if expected is not None else ["  (no golden file yet)"]
            if args.update:
                path = write_golden(case, pinned)
                status = ("written (new)" if expected is None else "unchanged" if not lines
                          else f"rewritten ({len(lines)} value(s) changed)")
                print(f"{case.name}: {path.relative_to(REPO_ROOT)} {status}")
            elif lines:
                changed += 1
                print(explain(case, lines), end="\n\n")
            else:
                print(f"{case.name}: matches its golden file")
    return 1 if changed else 0


if __name__ == "__main__":
    sys.exit(main())
