"""What the version watch sees of a mini program, and what it last recorded: plain data, free of the database."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.rollback.changes import SeenChange
from bot.wechat.types import GrayReleasePlan


@dataclass(frozen=True)
class Sighting:
    """One reading of WeChat: the online version (getversioninfo) and the phased-release plan."""

    online_version: str | None
    online_time: int | None  # release_time
    gray: GrayReleasePlan


@dataclass(frozen=True)
class Watched:
    """What the watch recorded for one mini program."""

    appid: str
    checked_at: datetime | None  # None: never read yet
    seen: Sighting | None  # None: never read yet
    last_change: str | None  # the last change seen, in English words as recorded (made by the bot or not)
    last_change_at: datetime | None
    notice: str | None  # a change made outside the bot, not yet posted to Slack
    last_seen: SeenChange | None = None  # the last change's facts (None: none, or recorded before they were kept)


@dataclass(frozen=True)
class Notice:
    """A change seen outside the bot, to be posted once in the notify channel."""

    id: int
    appid: str
    text: str  # the change in English words, as recorded
    seen_at: datetime
    in_doubt: bool  # a post went out without Slack's answer: look for it before posting again
    failures: int = 0  # posts Slack refused or left unanswered so far
    last_error: str | None = None  # Slack's error code (or the exception's name) of the last failure
    change: SeenChange | None = None  # the change's facts (None: recorded before they were kept)
