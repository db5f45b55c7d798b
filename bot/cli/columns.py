"""Text laid out for a terminal: times in UTC, and widths that count a Chinese character as two columns."""

from __future__ import annotations

import unicodedata
from datetime import UTC, datetime


def width(cell: str) -> int:
    """Columns on a terminal: a Chinese character takes two."""
    return sum(2 if unicodedata.east_asian_width(char) in "WF" else 1 for char in cell)


def when(moment: datetime | None) -> str:
    return "-" if moment is None else moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M")
