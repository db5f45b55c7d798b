"""Channel messages as Slack keeps them: each under (channel, ts), ts unique and increasing, blocks with the
block_ids Slack adds (see blockkit.with_block_ids)."""

from __future__ import annotations

from typing import Any

from tests.fakes.slack.blockkit import with_block_ids


class MessageStore:
    """Not thread-safe on its own: FakeSlack calls it under its lock."""

    def __init__(self) -> None:
        self.by_key: dict[tuple[str, str], dict[str, Any]] = {}
        self._ts = 1_700_000_000_000_000  # microseconds: message ts values are unique and increasing

    def new_ts(self) -> str:
        self._ts += 100
        return f"{self._ts // 1_000_000}.{self._ts % 1_000_000:06d}"

    def put(self, channel: str, ts: str, fields: dict[str, Any]) -> dict[str, Any]:
        """Store (or replace) a message; returns it as stored."""
        stored = {**fields, "ts": ts}
        if "blocks" in stored:
            stored["blocks"] = with_block_ids(stored["blocks"])
        self.by_key[(channel, ts)] = stored
        return stored

    def post(self, channel: str, fields: dict[str, Any]) -> dict[str, Any]:
        return self.put(channel, self.new_ts(), fields)
