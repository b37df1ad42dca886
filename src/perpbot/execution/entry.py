"""How the node enters and reverses positions: market orders, or passive limit orders priced off the close."""

from __future__ import annotations

from decimal import Decimal
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from perpbot.model import Side
from perpbot.model.instrument import Instrument

_BPS = Decimal(10_000)


class ExecutionConfig(BaseModel):
    """Order style for entries and reversals. Exits on a halt or at the end of data are always market orders."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    entry_order: Literal["market", "limit"] = Field(
        "market", description="market: fill at the next open (taker); limit: rest at a price, fill as maker"
    )
    limit_offset_bps: Decimal = Field(
        Decimal(0), ge=0, le=500,
        description="a limit buy rests this many basis points below the decision close, a sell above",
    )
    post_only: bool = Field(False, description="limit orders that would take liquidity are rejected, not filled")

    @model_validator(mode="after")
    def _limit_options_need_limits(self) -> ExecutionConfig:
        if self.entry_order == "market" and (self.post_only or self.limit_offset_bps != 0):
            raise ValueError(
                f"post_only ({self.post_only}) and limit_offset_bps ({self.limit_offset_bps}) apply to limit "
                f"entries; set entry_order='limit' or leave them at their defaults"
            )
        return self


def entry_limit_price(instrument: Instrument, side: Side, reference: Decimal, offset_bps: Decimal) -> Decimal:
    """The passive price: below the reference for a buy, above for a sell, rounded away from the market."""
    offset = reference * offset_bps / _BPS
    if side is Side.BUY:
        return instrument.price_floor(reference - offset)
    return instrument.price_ceiling(reference + offset)
