"""Alert rules fire once per episode, respect the rate limit, and reach a webhook on loopback."""

from __future__ import annotations

import json
import threading
from dataclasses import replace
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any, ClassVar

import pytest

from perpbot.model import ExitReason, Side, Trade
from perpbot.monitor.alert_config import AlertsConfig
from perpbot.monitor.alerts import Alert, AlertEngine, AppriseNotifier, alert_urls
from perpbot.monitor.snapshot import FeedRow, MonitorSnapshot, RiskRow

STEP = 900_000


def _snap(ts: int, **changes: Any) -> MonitorSnapshot:
    base = MonitorSnapshot(
        name="t", mode="paper", close_ts=ts, equity=10_000.0, balance=Decimal(10_000), realised=Decimal(0),
        fees=Decimal(0), funding=Decimal(0), unrealised=0.0, positions=(), trades=(), trade_count=0, decisions=(),
        strategies=(), risk=RiskRow(True, False, None, 0.0, 0.0, 20.0, 5.0),
        feed=FeedRow(ts, 1, 0, 0, 0, 0, ""), rejected_orders=0, alerts=(),
    )
    return replace(base, **changes)


def _risk(daily_used: float = 0.0, drawdown: float = 0.0, halted: bool = False) -> RiskRow:
    return RiskRow(True, halted, "drawdown" if halted else None, daily_used, drawdown, 20.0, 5.0)


def _engine(**cfg: Any) -> AlertEngine:
    return AlertEngine(AlertsConfig(min_interval_s=0, **cfg), exec_step_ms=STEP)


def _keys(alerts: list[Alert]) -> list[str]:
    return [a.key for a in alerts]


def test_risk_warnings_fire_once_per_episode() -> None:
    engine = _engine()
    assert engine.on_snapshot(_snap(1 * STEP, risk=_risk(daily_used=50))) == []
    assert _keys(engine.on_snapshot(_snap(2 * STEP, risk=_risk(daily_used=85)))) == ["risk:daily_loss"]
    assert engine.on_snapshot(_snap(3 * STEP, risk=_risk(daily_used=90))) == []  # same episode
    assert engine.on_snapshot(_snap(4 * STEP, risk=_risk(daily_used=10))) == []  # episode over
    assert _keys(engine.on_snapshot(_snap(5 * STEP, risk=_risk(daily_used=81)))) == ["risk:daily_loss"]
    assert _keys(engine.on_snapshot(_snap(6 * STEP, risk=_risk(drawdown=17)))) == ["risk:drawdown"]


def test_a_halt_is_critical_and_said_once() -> None:
    engine = _engine()
    [alert] = engine.on_snapshot(_snap(STEP, risk=_risk(halted=True)))
    assert alert.key == "halt" and alert.severity == "critical" and "HALTED" in alert.message
    assert engine.on_snapshot(_snap(2 * STEP, risk=_risk(halted=True))) == []


def test_rejected_orders_alert_per_burst() -> None:
    engine = _engine()
    assert _keys(engine.on_snapshot(_snap(STEP, rejected_orders=1))) == ["rejected"]
    assert engine.on_snapshot(_snap(2 * STEP, rejected_orders=3)) == []  # still the same burst
    assert engine.on_snapshot(_snap(3 * STEP, rejected_orders=3)) == []
    assert _keys(engine.on_snapshot(_snap(4 * STEP, rejected_orders=4))) == ["rejected"]


def test_stale_data_fires_once_until_data_flows_again() -> None:
    engine = _engine(stale_after_candles=2)
    last = 10 * STEP
    assert engine.check_stale(last + STEP + 2 * STEP, last, "") == []  # exactly at the limit
    [alert] = engine.check_stale(last + STEP + 2 * STEP + 1, last, "ETHUSDT 15m")
    assert alert.key == "stale" and "ETHUSDT 15m" in alert.message
    assert engine.check_stale(last + 10 * STEP, last, "") == []
    assert engine.check_stale(last + STEP, last, "") == []  # a close arrived: episode over
    assert _keys(engine.check_stale(last + 9 * STEP, last, "")) == ["stale"]


def _trade(ts: int, win: bool) -> Trade:
    pnl = Decimal(10) if win else Decimal(-10)
    return Trade("BTCUSDT", Side.BUY, Decimal(1), Decimal(100), Decimal(100), ts, ts, pnl, Decimal(0), Decimal(0),
                 ExitReason.SIGNAL)


def test_performance_degradation_compares_recent_trades_with_the_session() -> None:
    engine = _engine(degradation_window=10, degradation_min_trades=20, degradation_win_rate_drop=25)
    trades: list[Trade] = []
    fired: list[Alert] = []
    outcomes = [True, True, False] * 10 + [False] * 12 + [True] * 12 + [False] * 12
    for i, win in enumerate(outcomes):
        trades.append(_trade(i, win))
        fired += engine.on_snapshot(_snap(i * STEP, trades=tuple(trades[-8:]), trade_count=len(trades)))
    assert _keys(fired) == ["degradation", "degradation"]  # two losing streaks, two episodes


def test_rate_limit_holds_back_a_flapping_alert() -> None:
    engine = AlertEngine(AlertsConfig(min_interval_s=3600), exec_step_ms=STEP)
    sent = []
    for i, used in enumerate([90, 10, 90, 10, 90]):
        sent += engine.on_snapshot(_snap(i * STEP // 3, risk=_risk(daily_used=used)))
    assert len(sent) == 1  # five-minute flaps inside an hour: told once
    sent += engine.on_snapshot(_snap(5 * STEP, risk=_risk(daily_used=10)))
    sent += engine.on_snapshot(_snap(5 * STEP + 3_600_000, risk=_risk(daily_used=90)))
    assert len(sent) == 2


class _Hook(BaseHTTPRequestHandler):
    received: ClassVar[list[dict[str, Any]]] = []

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        _Hook.received.append(json.loads(body))
        self.send_response(200)
        self.end_headers()

    def log_message(self, format: str, *args: Any) -> None:
        pass


def test_alerts_reach_a_json_webhook_on_loopback() -> None:
    server = HTTPServer(("127.0.0.1", 0), _Hook)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    _Hook.received.clear()
    try:
        notifier = AppriseNotifier([f"json://127.0.0.1:{server.server_port}/hook"])
        engine = AlertEngine(AlertsConfig(min_interval_s=0), exec_step_ms=STEP, send=notifier)
        engine.on_snapshot(_snap(STEP, risk=_risk(halted=True)))
        engine.on_snapshot(_snap(2 * STEP, risk=_risk(halted=True)))
        notifier.close()
    finally:
        server.shutdown()
        server.server_close()
    assert notifier.sent == 1 and notifier.failures == 0
    [payload] = _Hook.received
    assert "HALTED" in payload["message"] and payload["title"] == "perpbot: halt"


def test_a_dead_webhook_is_counted_not_raised() -> None:
    server = HTTPServer(("127.0.0.1", 0), _Hook)
    port = server.server_port
    server.server_close()  # nothing listens there any more
    notifier = AppriseNotifier([f"json://127.0.0.1:{port}/hook"])
    notifier(Alert(1, "halt", "critical", "x"))
    notifier.close()
    assert notifier.failures == 1


def test_urls_come_from_the_environment_or_a_private_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PERPBOT_ALERT_URLS", "json://127.0.0.1:1/a, json://127.0.0.1:2/b")
    assert alert_urls() == ["json://127.0.0.1:1/a", "json://127.0.0.1:2/b"]
    monkeypatch.delenv("PERPBOT_ALERT_URLS")
    secret = tmp_path / "urls"
    secret.write_text("# mine\ntgram://123:abc/456\n")
    secret.chmod(0o644)
    monkeypatch.setenv("PERPBOT_ALERT_URLS_FILE", str(secret))
    with pytest.raises(PermissionError, match="chmod 600"):
        alert_urls()
    secret.chmod(0o600)
    assert alert_urls() == ["tgram://123:abc/456"]


def test_an_unknown_url_scheme_is_named_without_the_token() -> None:
    with pytest.raises(ValueError, match="'nosuch'") as info:
        AppriseNotifier(["nosuch://my-secret-token@host"])
    assert "my-secret-token" not in str(info.value)
