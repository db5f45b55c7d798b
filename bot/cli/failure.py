"""A command that could not do its work, and a library's error in one line."""

from __future__ import annotations


class Failure(Exception):
    """The command could not do its work: exit 1 with this message."""


def one_line(error: BaseException) -> str:
    cause = getattr(error, "orig", None) or error
    lines = [line.strip() for line in str(cause).splitlines() if line.strip()]
    return lines[0] if lines else type(cause).__name__
