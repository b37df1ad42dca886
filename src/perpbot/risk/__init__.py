"""The pre-trade gate: sizing, exposure limits, correlation, and latched circuit breakers."""

from perpbot.risk.breakers import BreakerEvent, CircuitBreakers
from perpbot.risk.config import RiskConfig
from perpbot.risk.manager import RiskManager
from perpbot.risk.portfolio import PortfolioView, PositionView
from perpbot.risk.streaks import LossStreak

__all__ = [
    "BreakerEvent",
    "CircuitBreakers",
    "LossStreak",
    "PortfolioView",
    "PositionView",
    "RiskConfig",
    "RiskManager",
]
