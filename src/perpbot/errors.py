"""Exceptions grouped by what the operator must do about them.

Every message names the offending value and what was expected, so a user can fix it without
reading the code.
"""

from __future__ import annotations


class PerpbotError(Exception):
    """Base of every error perpbot raises on purpose."""


class ConfigError(PerpbotError):
    """The configuration is invalid: fix the file or the flag named in the message."""


class DataError(PerpbotError):
    """Market data is missing, corrupt or inconsistent: fix or re-import the file named."""


class StrategyError(PerpbotError):
    """A strategy is unknown, or its parameters are invalid."""


class OrderError(PerpbotError):
    """An order or its state change is invalid: a programming or exchange-contract error."""


class IllegalTransition(OrderError):
    """An order was asked to move to a state its current state cannot reach."""


class RiskHalted(PerpbotError):
    """Trading is halted by a latched risk breach until a person resets it."""


class VenueError(PerpbotError):
    """The venue (simulated or Bybit) refused or failed a request."""


class StoreError(PerpbotError):
    """The session database cannot be reached, read or written; the message names which and why."""
