"""The continuous runtime: paper (and later live) trading on the wall clock, fed candle by candle."""
