"""What the slash command's text asks for: `[program] [status|history]`, `status|history [program]` or `help`."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Verb = Literal["pick", "status", "history", "help", "unknown"]

HELP_WORDS = frozenset({"help", "-h", "--help", "?"})
READ_VERBS: frozenset[Verb] = frozenset({"status", "history"})


@dataclass(frozen=True)
class CommandText:
    verb: Verb
    program: str | None = None  # an alias or appid, as typed


def parse_command(text: str) -> CommandText:
    words = text.split()
    lowered = [word.lower() for word in words]
    if not words:
        return CommandText("pick")
    if len(words) == 1 and lowered[0] in HELP_WORDS:
        return CommandText("help")
    if lowered[0] in READ_VERBS and len(words) <= 2:
        return CommandText(_verb(lowered[0]), words[1] if len(words) == 2 else None)
    if len(words) == 1:
        return CommandText("pick", words[0])
    if len(words) == 2 and lowered[1] in READ_VERBS:
        return CommandText(_verb(lowered[1]), words[0])
    return CommandText("unknown")


def _verb(word: str) -> Verb:
    return "status" if word == "status" else "history"
