"""The simulated exchange: Bybit's matching, fees, funding and isolated-margin liquidation on candles."""

from perpbot.venues.sim.config import SimVenueConfig
from perpbot.venues.sim.exchange import SimVenue

__all__ = ["SimVenue", "SimVenueConfig"]
