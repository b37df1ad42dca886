"""Bybit v5: the loopback test server that speaks Bybit's API (and, later, the live venue through pybit)."""
