"""The one error a report raises on purpose."""

from __future__ import annotations

from perpbot.errors import PerpbotError


class ReportError(PerpbotError):
    """A report could not be built or written: the message names the path or the input at fault."""
