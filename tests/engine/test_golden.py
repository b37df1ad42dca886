"""Golden backtests on the real shared Bybit data: pinned figures, byte-identical reruns.

The cases and their pinned figures live in `tests/engine/golden_cases.py` and `tests/engine/golden/`.
A mismatch prints what changed and how to accept it deliberately
(`python -m tests.engine.golden_cases --update CASE`).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import numpy as np
import pytest

from perpbot.data import paths
from perpbot.engine.result import BacktestResult
from tests.engine.golden_cases import (
    CASES,
    CASES_BY_NAME,
    GOLDEN_DIR,
    REGENERATE,
    SHARED_DATA_PLACEHOLDER,
    GoldenCase,
    GoldenSetupError,
    differences,
    explain,
    load_golden,
    normalised_json,
    pin,
    round_significant,
    run_case,
)

CASE_NAMES = [case.name for case in CASES]


class GoldenRuns:
    """Runs cases on the shared data, each through its own empty store; results are kept per case."""

    def __init__(self, shared_dir: Path, scratch: Path) -> None:
        self.shared_dir = shared_dir
        self._scratch = scratch
        self._runs = 0
        self._results: dict[str, BacktestResult] = {}

    def fresh(self, case: GoldenCase, *, step_every_bar: bool = False) -> BacktestResult:
        self._runs += 1
        store = self._scratch / f"store-{self._runs}"
        return run_case(case, shared_dir=self.shared_dir, store_dir=store, step_every_bar=step_every_bar)

    def result(self, case: GoldenCase) -> BacktestResult:
        if case.name not in self._results:
            self._results[case.name] = self.fresh(case)
        return self._results[case.name]


@pytest.fixture(scope="module")
def runs(shared_data: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[GoldenRuns]:
    scratch = tmp_path_factory.mktemp("golden")
    with pytest.MonkeyPatch.context() as patch:
        # Only the shared data, and a scratch home: the user's store and folders are never read.
        patch.setenv(paths.SHARED_DATA_ENV, str(shared_data))
        patch.setenv(paths.HOME_ENV, str(scratch / "home"))
        yield GoldenRuns(shared_data, scratch)


# ---------------------------------------------------------------------------------------------- pinned figures


@pytest.mark.shared_data
@pytest.mark.parametrize("name", CASE_NAMES)
def test_golden_case_matches_its_pinned_figures(runs: GoldenRuns, name: str) -> None:
    case = CASES_BY_NAME[name]
    result = runs.result(case)
    assert result.data_label == "real"
    for series in result.series:
        assert series.source.startswith(f"file {runs.shared_dir}"), series
    expected = load_golden(case)
    if expected is None:
        pytest.fail(f"golden case {name!r} has no file {case.golden_path}; create it with `{REGENERATE} {name}`")
    lines = differences(expected, pin(result, runs.shared_dir))
    if lines:
        pytest.fail(explain(case, lines), pytrace=False)


@pytest.mark.shared_data
@pytest.mark.parametrize("name", CASE_NAMES)
def test_golden_ledger_reconciles(runs: GoldenRuns, name: str) -> None:
    """The pinned numbers are consistent with each other, exactly: no golden pins a broken ledger."""
    result = runs.result(CASES_BY_NAME[name])
    result.ledger.check()
    per_symbol_net = sum((row["net"] for row in result.per_symbol().values()), Decimal(0))
    assert result.final_balance == result.starting_balance + per_symbol_net
    assert result.ledger.realised_pnl - result.ledger.fees_paid + result.ledger.funding == per_symbol_net
    assert not result.open_positions, "every golden case closes its positions at the end"
    assert sum((t.net_pnl for t in result.trades), Decimal(0)) == per_symbol_net
    assert float(result.equity[-1]) == pytest.approx(float(result.final_balance), rel=1e-12)
    assert result.metrics["num_trades"] == len(result.trades)


@pytest.mark.shared_data
def test_cases_exercise_what_they_claim(runs: GoldenRuns) -> None:
    """Each case still reaches the engine path it was built for (a golden that drifted into a quiet
    run would pin nothing of interest)."""
    example = runs.result(CASES_BY_NAME["example_config"])
    assert {t.exit_reason.value for t in example.trades} >= {"stop_loss", "take_profit", "reversal", "risk_halt"}
    assert any(d.note.startswith("drawdown at ") for d in example.decisions)
    assert len({t.regime for t in example.trades}) == 3
    assert example.funding

    ema = runs.result(CASES_BY_NAME["ema_cross_1m_btc"])
    assert ema.timeframe == "1m" and ema.series[0].rows > 40_000
    assert len(ema.trades) > 1000 and ema.funding
    assert float(ema.metrics["exposure"]) > 0.99

    halted = runs.result(CASES_BY_NAME["daily_loss_halt"])
    closes = [d for d in halted.decisions if d.action.value == "emergency_close"]
    assert len(closes) == 2 and all(d.note.startswith("daily_loss at ") for d in closes)
    halt_ts = closes[0].ts
    later = [d for d in halted.decisions if d.ts > halt_ts and d.action.value not in ("hold",)]
    assert later and all(d.action.value == "rejected" and "trading halted: daily_loss" in d.note for d in later)

    liquidated = runs.result(CASES_BY_NAME["limit_touch_liquidation"])
    assert liquidated.venue_stats["liquidations"] > 0
    assert liquidated.venue_stats["ambiguous_bars"] > 0
    assert any(f.role.value == "maker" for f in liquidated.fills)

    touch = runs.result(CASES_BY_NAME["eth_1m_limit_touch"])
    through = runs.result(CASES_BY_NAME["eth_1m_limit_through"])
    assert touch.config["venue"]["limit_fill"] == "touch" and through.config["venue"]["limit_fill"] == "through"
    assert [t.entry_ts for t in touch.trades] != [t.entry_ts for t in through.trades]


# ---------------------------------------------------------------------------------------------- determinism


@pytest.mark.shared_data
@pytest.mark.parametrize("name", ["example_config", "limit_touch_liquidation"])
def test_same_config_and_data_give_byte_identical_json(runs: GoldenRuns, name: str) -> None:
    case = CASES_BY_NAME[name]
    first = runs.fresh(case).to_json()
    second = runs.fresh(case).to_json()
    assert first == second
    assert first.encode("utf-8") == second.encode("utf-8")


@pytest.mark.shared_data
@pytest.mark.parametrize("name", ["daily_loss_halt", "limit_touch_liquidation"])
def test_skipping_bars_equals_stepping_every_bar_on_real_data(runs: GoldenRuns, name: str) -> None:
    """The event-skipping loop must not change a single number on real candles (halts, liquidations,
    stop-or-target bars included)."""
    case = CASES_BY_NAME[name]
    skipping = runs.result(case)
    stepping = runs.fresh(case, step_every_bar=True)
    assert stepping.bars_visited > skipping.bars_visited
    assert normalised_json(stepping, runs.shared_dir) == normalised_json(skipping, runs.shared_dir)
    assert [e.amount for e in stepping.ledger.entries] == [e.amount for e in skipping.ledger.entries]
    assert np.array_equal(stepping.equity, skipping.equity)


# ---------------------------------------------------------------------------------------------- the harness itself


def test_every_case_has_a_golden_file_and_no_file_is_orphaned() -> None:
    files = {p.stem for p in GOLDEN_DIR.glob("*.json")}
    assert files == set(CASE_NAMES), f"regenerate with `{REGENERATE}` and remove files of deleted cases"
    for case in CASES:
        record = json.loads(case.golden_path.read_text(encoding="utf-8"))
        assert record["case"] == case.name
        assert record["regenerate"] == REGENERATE
        assert record["pinned"]["data_label"] == "real"


def test_every_case_reads_only_the_shared_data() -> None:
    for case in CASES:
        data = case.config_dict()["data"]
        assert data == {"use_shared_data": True, "allow_sample": False}, case.name


def test_a_changed_figure_is_reported_with_its_path_values_and_the_regenerate_command() -> None:
    case = CASES_BY_NAME["daily_loss_halt"]
    pinned = load_golden(case)
    assert pinned is not None
    changed = json.loads(json.dumps(pinned))
    changed["ledger"]["final_balance"] = "1.23"
    changed["counts"]["trades"] += 1
    del changed["venue"]["liquidations"]
    changed["venue"]["new_stat"] = 7
    lines = differences(pinned, changed)
    assert lines == [
        f"  counts.trades: pinned {pinned['counts']['trades']}, now {pinned['counts']['trades'] + 1}",
        f"  ledger.final_balance: pinned {pinned['ledger']['final_balance']!r}, now '1.23'",
        "  venue.liquidations: pinned 0, no longer produced",
        "  venue.new_stat: not pinned, now 7",
    ]
    message = explain(case, lines)
    assert "golden case 'daily_loss_halt'" in message
    assert message.endswith(f"regenerate deliberately: {REGENERATE} daily_loss_halt")
    assert differences(pinned, json.loads(json.dumps(pinned))) == []


def test_a_digest_only_change_says_the_totals_agree() -> None:
    case = CASES_BY_NAME["example_config"]
    pinned = load_golden(case)
    assert pinned is not None
    changed = json.loads(json.dumps(pinned))
    changed["sha256"]["trades"] = "0" * 64
    message = explain(case, differences(pinned, changed))
    assert "sha256.trades" in message
    assert "only digests differ" in message


def test_a_config_shape_change_is_named_as_such() -> None:
    case = CASES_BY_NAME["example_config"]
    pinned = load_golden(case)
    assert pinned is not None
    changed = json.loads(json.dumps(pinned))
    for key in ("config", "summary", "to_json"):
        changed["sha256"][key] = "0" * 64
    changed["fingerprint"] = "0" * 10
    message = explain(case, differences(pinned, changed))
    assert "only the configuration's dump changed" in message


def test_an_int_pinned_where_a_float_is_now_produced_is_a_difference() -> None:
    assert differences({"metrics": {"x": 1}}, {"metrics": {"x": 1.0}}) == ["  metrics.x: pinned 1, now 1.0"]


def test_metrics_are_rounded_to_ten_significant_digits() -> None:
    assert round_significant(-1.2666748139916324) == -1.266674814
    assert round_significant(8666.653263876153) == 8666.653264
    assert round_significant(205) == 205
    assert round_significant(None) is None
    with pytest.raises(TypeError, match="must be a number or None"):
        round_significant("1.0")


def test_the_digest_does_not_depend_on_where_the_shared_data_lives() -> None:
    class Result:
        def to_json(self) -> str:
            return json.dumps({"source": "file /data/x y/bybit_linear_BTCUSDT_1h.csv.gz"})

    text = normalised_json(Result(), Path("/data/x y"))  # type: ignore[arg-type]
    assert text == json.dumps({"source": f"file {SHARED_DATA_PLACEHOLDER}/bybit_linear_BTCUSDT_1h.csv.gz"})


def test_a_golden_run_refuses_a_store_that_holds_anything(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    shared = tmp_path / "shared"
    shared.mkdir()
    monkeypatch.setenv(paths.SHARED_DATA_ENV, str(shared))
    store = tmp_path / "store"
    (store / "candles").mkdir(parents=True)
    with pytest.raises(GoldenSetupError, match="must be empty"):
        run_case(CASES[0], shared_dir=shared, store_dir=store)


def test_a_golden_run_refuses_other_shared_data(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    monkeypatch.setenv(paths.SHARED_DATA_ENV, str(tmp_path / "a"))
    with pytest.raises(GoldenSetupError, match="PERPBOT_SHARED_DATA must name"):
        run_case(CASES[0], shared_dir=tmp_path / "b", store_dir=tmp_path / "store")
