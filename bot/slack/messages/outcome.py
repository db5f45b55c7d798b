"""A finished request's outcome in words, for the request message and its thread."""

from __future__ import annotations

from bot.rollback.model import RollbackRequest
from bot.slack.messages.format import escape


def outcome_words(request: RollbackRequest) -> str:
    """The outcome the workflow recorded (English words on the record; see the README's Languages section)."""
    return escape(request.outcome or "")
