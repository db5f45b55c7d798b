"""What the version watch saw change between two readings, as facts: the Slack side words them in the reader's
language (bot/slack/messages/watch.py). The record keeps them in English words as well (the audit chain's event,
`release_watch.last_change`, the command line), and as facts in JSON beside them."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from enum import StrEnum
from typing import Any

from bot.wechat.types import GRAY_STATUS_WORDS


class ChangeKind(StrEnum):
    RELEASED = "released"  # version, before: a newer version went online
    ROLLED_BACK = "rolled_back"  # version, before: an older one (by its release time) went online
    GRAY_STARTED = "gray_started"  # status, percentage
    GRAY_MOVED = "gray_moved"  # from_percentage, percentage
    GRAY_PAUSED = "gray_paused"  # percentage
    GRAY_RESUMED = "gray_resumed"  # percentage
    GRAY_FINISHED = "gray_finished"  # released to everyone
    GRAY_STOPPED = "gray_stopped"  # percentage: where it stood when last seen


@dataclass(frozen=True)
class Change:
    """One difference between two readings; the fields its kind does not use keep their defaults."""

    kind: ChangeKind
    version: str | None = None  # the online version after (None: none reported)
    before: str | None = None  # the online version before
    status: int = 0  # the phased release's status code (getgrayreleaseplan)
    percentage: int = 0
    from_percentage: int = 0

    @property
    def words(self) -> str:
        """In English, for the record."""
        match self.kind:
            case ChangeKind.RELEASED | ChangeKind.ROLLED_BACK:
                verb = "released" if self.kind is ChangeKind.RELEASED else "rolled back to"
                return f"{verb} {self.version or 'none'} (online before: {self.before or 'none'})"
            case ChangeKind.GRAY_STARTED:
                status = GRAY_STATUS_WORDS.get(self.status, f"status {self.status}")
                return f"a phased release started ({status}, {self.percentage}%)"
            case ChangeKind.GRAY_MOVED:
                return f"the phased release moved from {self.from_percentage}% to {self.percentage}%"
            case ChangeKind.GRAY_PAUSED:
                return f"the phased release was paused at {self.percentage}%"
            case ChangeKind.GRAY_RESUMED:
                return f"the phased release was resumed at {self.percentage}%"
            case ChangeKind.GRAY_FINISHED:
                return "the phased release finished (released to everyone)"
            case ChangeKind.GRAY_STOPPED:
                return f"the phased release was stopped at {self.percentage}%"


@dataclass(frozen=True)
class SeenChange:
    """What one check saw change, and which of the bot's requests made it (none: made outside the bot)."""

    changes: tuple[Change, ...]
    by_requests: tuple[int, ...] = ()

    @property
    def words(self) -> str:
        """In English, for the record: "released 1.3.0 (online before: 1.2.0) (by the bot: request #3)"."""
        said = "; ".join(change.words for change in self.changes)
        if not self.by_requests:
            return said
        ids = ", ".join(f"#{request_id}" for request_id in self.by_requests)
        return f"{said} (by the bot: {'request' if len(self.by_requests) == 1 else 'requests'} {ids})"

    def to_json(self) -> str:
        return json.dumps(
            {"changes": [_plain(change) for change in self.changes], "by_requests": list(self.by_requests)},
            sort_keys=True,
            separators=(",", ":"),
        )

    @classmethod
    def from_json(cls, text: str | None) -> SeenChange | None:
        """None for a row written before the facts were kept (its English words are all there is), or unreadable."""
        if not text:
            return None
        try:
            data = json.loads(text)
            changes = tuple(
                Change(ChangeKind(item.pop("kind")), **{k: v for k, v in item.items() if k in _FIELDS})
                for item in data["changes"]
            )
            return cls(changes, tuple(int(request_id) for request_id in data.get("by_requests", ())))
        except (ValueError, KeyError, TypeError, AttributeError):
            return None


_FIELDS = ("version", "before", "status", "percentage", "from_percentage")


def _plain(change: Change) -> dict[str, Any]:
    return {name: value for name, value in asdict(change).items() if value not in (None, 0) or name == "kind"}
