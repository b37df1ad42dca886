"""Settings of the simulated exchange."""

from __future__ import annotations

from decimal import Decimal
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class SimVenueConfig(BaseModel):
    """Fees and fill rules. Defaults are Bybit's non-VIP rates (taker 0.055 %, maker 0.02 %)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    taker_fee: Decimal = Field(Decimal("0.00055"), ge=0, le=Decimal("0.01"), description="taker fee rate")
    maker_fee: Decimal = Field(Decimal("0.0002"), ge=Decimal("-0.01"), le=Decimal("0.01"),
                               description="maker fee rate (negative = rebate)")
    slippage_bps: Decimal = Field(Decimal("0"), ge=0, le=500,
                                  description="adverse slippage on market and triggered fills, basis points")
    limit_fill: Literal["through", "touch"] = Field(
        "through", description="a resting limit fills when price trades through it, or merely touches it")
    funding: bool = Field(True, description="settle funding from the funding-rate history")
