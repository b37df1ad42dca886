"""The engine: the trading node (the same in every mode), clocks, and the backtest runner."""
