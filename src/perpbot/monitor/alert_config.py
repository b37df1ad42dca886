"""Alert settings in the config file. Notification URLs carry tokens, so they come from the environment
(PERPBOT_ALERT_URLS, comma-separated apprise URLs) or a private file, never from the config."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class AlertsConfig(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    enabled: bool = True
    risk_warn_fraction: float = Field(0.8, gt=0, lt=1, description="warn when a risk limit is this much used")
    stale_after_candles: float = Field(2.0, gt=0, description="data is stale after this many execution candles "
                                                              "without a close")
    degradation_window: int = Field(20, ge=5, description="recent trades compared with the whole session")
    degradation_min_trades: int = Field(40, ge=10, description="trades before degradation is judged")
    degradation_win_rate_drop: float = Field(25.0, gt=0, le=100, description="points below the session's win rate")
    min_interval_s: float = Field(900.0, ge=0, description="the same alert is not sent again within this time")
