"""Why a pending request went stale, as facts: the Slack side words them in the reader's language
(bot/slack/messages/kinds.py), the record keeps them in English words too (the STALE event, the outcome, the
decision note) and as facts in JSON (`requests.stale`)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from enum import StrEnum

from bot.wechat.types import GRAY_STATUS_WORDS


class StaleCause(StrEnum):
    ONLINE_CHANGED = "online_changed"  # before, after: the online version it was asked from changed
    GRAY_BLOCKS = "gray_blocks"  # status: a phased release runs (or is paused) now, and WeChat refuses rollbacks
    GRAY_STOPPED = "gray_stopped"  # the phased release a stop would stop was stopped meanwhile
    GRAY_REPLACED = "gray_replaced"  # another phased release replaced it
    GRAY_ENDED = "gray_ended"  # status: it is no longer running or paused (finished, say)
    GRAY_UNTOLD = "gray_untold"  # no create_timestamp, and no traits recorded to tell it from another plan
    GRAY_CHANGED = "gray_changed"  # status, percentage: no create_timestamp, and the plan reads otherwise now


@dataclass(frozen=True)
class Staleness:
    """One cause, with the facts it names; the fields its cause does not use keep their defaults."""

    cause: StaleCause
    before: str | None = None  # the online version the request was asked from
    after: str | None = None  # the online version now
    status: int = 0  # the phased release's status code now
    percentage: int = 0  # its percentage now

    @property
    def words(self) -> str:
        """In English, for the record."""
        status = GRAY_STATUS_WORDS.get(self.status, f"status {self.status}")
        match self.cause:
            case StaleCause.ONLINE_CHANGED:
                return f"the online version changed from {self.before or 'none'} to {self.after or 'none'}"
            case StaleCause.GRAY_BLOCKS:
                return f"a phased release is {status} now"
            case StaleCause.GRAY_STOPPED:
                return "the phased release it would stop was stopped outside the bot"
            case StaleCause.GRAY_REPLACED:
                return "another phased release replaced the one it would stop"
            case StaleCause.GRAY_ENDED:
                return f"the phased release it would stop is {status} now"
            case StaleCause.GRAY_UNTOLD:
                return (
                    "the phased release it would stop cannot be told apart (no start time from WeChat) from one started"
                )
            case StaleCause.GRAY_CHANGED:
                return (
                    "the phased release (no start time from WeChat to tell plans apart) changed to "
                    f"{status} at {self.percentage}%, started ?"
                )

    def to_json(self) -> str:
        facts: dict[str, str | int | None] = {"cause": self.cause.value, "before": self.before, "after": self.after}
        facts |= {"status": self.status, "percentage": self.percentage}
        return json.dumps(facts, sort_keys=True, separators=(",", ":"))

    @classmethod
    def from_json(cls, text: str | None) -> Staleness | None:
        """None for a request recorded before the facts were kept (its English note is all there is)."""
        if not text:
            return None
        try:
            data = json.loads(text)
            return cls(
                StaleCause(data["cause"]),
                data.get("before"),
                data.get("after"),
                int(data.get("status") or 0),
                int(data.get("percentage") or 0),
            )
        except (ValueError, KeyError, TypeError, AttributeError):
            return None
