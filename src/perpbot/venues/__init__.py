"""Venues: where orders go. The simulated exchange and (later) Bybit through pybit share one protocol."""
