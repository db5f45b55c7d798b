"""Plain domain objects for tests of pure functions: the sample request lives with the other samples
(bot/samples.py)."""

from __future__ import annotations

from bot.samples import T0
from bot.samples import sample_request as make_request

__all__ = ["T0", "make_request"]
