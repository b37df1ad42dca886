"""Alert rules over monitor snapshots, each firing once per episode, and their delivery through apprise.

An episode is the time a condition holds: a rule fires when its condition becomes true and not again
until it has been false. On top, the same alert is not sent twice within `min_interval_s` (a condition
that flaps does not flood a phone). Delivery runs on a thread of its own: a slow or failing notification
service never delays trading, and every failure is logged and counted.
"""

from __future__ import annotations

import logging
import os
import queue
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from perpbot.monitor.alert_config import AlertsConfig
from perpbot.monitor.snapshot import MonitorSnapshot

log = logging.getLogger(__name__)

URLS_ENV = "PERPBOT_ALERT_URLS"
URLS_FILE_ENV = "PERPBOT_ALERT_URLS_FILE"


@dataclass(frozen=True, slots=True)
class Alert:
    ts: int  # bot time (ms) of the close or check that raised it
    key: str  # rule and subject, e.g. "drawdown_warn" or "stale:BTCUSDT 15m"
    severity: str  # "warning" or "critical"
    message: str


@dataclass(frozen=True, slots=True)
class _Condition:
    key: str
    severity: str
    message: str


class AlertEngine:
    """Evaluates the rules on each snapshot (and on a timer for stale data) and sends what fires."""

    def __init__(self, config: AlertsConfig, *, exec_step_ms: int, send: Callable[[Alert], None] | None = None) -> None:
        self.config = config
        self.exec_step_ms = exec_step_ms
        self._send = send
        self._active: set[str] = set()
        self._last_sent: dict[str, int] = {}
        self.fired: list[Alert] = []
        self._rejected_seen = 0
        self._outcomes: list[bool] = []  # win/loss of every trade seen, in order
        self._trades_seen = 0

    # ------------------------------------------------------------------ rules
    def on_snapshot(self, snap: MonitorSnapshot) -> list[Alert]:
        if not self.config.enabled:
            return []
        conditions = self._risk(snap) + self._rejections(snap) + self._degradation(snap)
        return self._update(snap.close_ts, conditions, families=("risk", "halt", "rejected", "degradation"))

    def check_stale(self, now_ms: int, last_close_ts: int | None, waiting: str) -> list[Alert]:
        """Called on a timer: no close for `stale_after_candles` execution candles is stale data."""
        if not self.config.enabled or last_close_ts is None:
            return []
        limit = self.config.stale_after_candles * self.exec_step_ms
        late = now_ms - (last_close_ts + self.exec_step_ms)
        conditions = []
        if late > limit:
            conditions.append(_Condition(
                "stale", "critical",
                f"market data is stale: no close for {late / 60_000:.0f} min after the expected one"
                + (f" (waiting for {waiting})" if waiting else "")))
        return self._update(now_ms, conditions, families=("stale",))

    def _risk(self, snap: MonitorSnapshot) -> list[_Condition]:
        risk = snap.risk
        out: list[_Condition] = []
        if not risk.enabled:
            return out
        if risk.halted:
            out.append(_Condition("halt", "critical", f"trading HALTED ({risk.halt_reason}); positions closed"))
            return out
        warn = self.config.risk_warn_fraction * 100
        if risk.daily_loss_used_pct >= warn:
            out.append(_Condition("risk:daily_loss", "warning",
                                  f"daily loss at {risk.daily_loss_used_pct:.0f}% of the {risk.daily_limit_pct:g}% "
                                  f"limit"))
        if risk.drawdown_limit_pct and risk.drawdown_pct >= warn / 100 * risk.drawdown_limit_pct:
            out.append(_Condition("risk:drawdown", "warning",
                                  f"drawdown {risk.drawdown_pct:.2f}% approaching the {risk.drawdown_limit_pct:g}% "
                                  f"limit"))
        return out

    def _rejections(self, snap: MonitorSnapshot) -> list[_Condition]:
        new = snap.rejected_orders - self._rejected_seen
        self._rejected_seen = snap.rejected_orders
        if new <= 0:
            return []
        return [_Condition("rejected", "warning", f"{new} order(s) rejected by the exchange at this close "
                                                  f"({snap.rejected_orders} in the session)")]

    def _degradation(self, snap: MonitorSnapshot) -> list[_Condition]:
        fresh = snap.trade_count - self._trades_seen
        if fresh > 0:
            for trade in snap.trades[-fresh:] if fresh <= len(snap.trades) else snap.trades:
                self._outcomes.append(trade.net_pnl > 0)
            self._trades_seen = snap.trade_count
        cfg = self.config
        if len(self._outcomes) < cfg.degradation_min_trades:
            return []
        overall = 100 * sum(self._outcomes) / len(self._outcomes)
        recent_list = self._outcomes[-cfg.degradation_window:]
        recent = 100 * sum(recent_list) / len(recent_list)
        if recent <= overall - cfg.degradation_win_rate_drop:
            return [_Condition("degradation", "warning",
                               f"performance degrading: win rate {recent:.0f}% over the last {len(recent_list)} "
                               f"trades vs {overall:.0f}% for the session")]
        return []

    # ------------------------------------------------------------------ episodes and rate limits
    def _update(self, ts: int, conditions: list[_Condition], families: tuple[str, ...]) -> list[Alert]:
        now_true = {c.key: c for c in conditions}
        fired: list[Alert] = []
        for key, cond in now_true.items():
            if key in self._active:
                continue  # the same episode: already told
            self._active.add(key)
            last = self._last_sent.get(key)
            if last is not None and ts - last < self.config.min_interval_s * 1000:
                continue
            alert = Alert(ts, key, cond.severity, cond.message)
            self._last_sent[key] = ts
            self.fired.append(alert)
            fired.append(alert)
            log.warning("alert %s (%s): %s", key, cond.severity, cond.message)
            if self._send is not None:
                self._send(alert)
        for key in list(self._active):
            if key.split(":")[0] in families and key not in now_true:
                self._active.discard(key)  # the episode is over; the next one alerts again
        return fired


def alert_urls() -> list[str]:
    """Notification URLs from PERPBOT_ALERT_URLS, or the file named by PERPBOT_ALERT_URLS_FILE (mode 0600)."""
    direct = os.environ.get(URLS_ENV, "")
    if direct.strip():
        return [u.strip() for u in direct.split(",") if u.strip()]
    path = os.environ.get(URLS_FILE_ENV)
    if not path:
        return []
    file = Path(path)
    if file.stat().st_mode & 0o077:
        raise PermissionError(f"{URLS_FILE_ENV} file {file} must be private (chmod 600): it holds tokens")
    return [line.strip() for line in file.read_text().splitlines() if line.strip() and not line.startswith("#")]


class AppriseNotifier:
    """Sends alerts to every configured apprise URL from a background thread; never raises into the caller."""

    def __init__(self, urls: list[str], *, title_prefix: str = "perpbot") -> None:
        import apprise

        self._apprise = apprise.Apprise()
        for url in urls:
            if not self._apprise.add(url):
                # the URL itself may hold a token: name its scheme only
                raise ValueError(f"not a notification URL apprise understands (scheme {url.split(':', 1)[0]!r})")
        self.title_prefix = title_prefix
        self.failures = 0
        self.sent = 0
        self._queue: queue.Queue[Alert | None] = queue.Queue()
        self._thread = threading.Thread(target=self._loop, name="perpbot-alerts", daemon=True)
        self._thread.start()

    def __call__(self, alert: Alert) -> None:
        self._queue.put(alert)

    def _loop(self) -> None:
        import apprise

        while (alert := self._queue.get()) is not None:
            kind = apprise.NotifyType.FAILURE if alert.severity == "critical" else apprise.NotifyType.WARNING
            try:
                ok = bool(self._apprise.notify(body=alert.message, title=f"{self.title_prefix}: {alert.key}",
                                               notify_type=kind))
            except Exception:
                ok = False
                log.exception("sending alert %s failed", alert.key)
            if ok:
                self.sent += 1
            else:
                self.failures += 1
                log.error("alert %s was not delivered to every service", alert.key)

    def close(self, timeout_s: float = 10.0) -> None:
        """Deliver what is queued, then stop."""
        self._queue.put(None)
        self._thread.join(timeout=timeout_s)
