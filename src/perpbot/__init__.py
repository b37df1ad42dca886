"""perpbot: a trading bot for Bybit USDT linear perpetual futures (backtest, paper, live on one engine)."""

from perpbot.compiled import core_build

__version__ = "0.1.0"

# Refuse a compiled core built from other source than the one beside it (it would run old code unseen).
core_build()
