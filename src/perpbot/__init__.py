"""perpbot: a trading bot for Bybit USDT linear perpetual futures (backtest, paper, live on one engine)."""

__version__ = "0.1.0"
