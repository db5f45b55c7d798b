"""The conversations the fake knows, and who may post where.

Slack's conversation ids start with C (public or private channel), G (private channels made before 2021, and group
DMs, "mpim") or D (a DM). chat.postMessage refuses (docs.slack.dev/reference/methods/chat.postMessage, Errors):
`channel_not_found` "Value passed for channel was invalid" (an unknown id, or a DM or group DM the bot is not part
of: the bot cannot see it), `not_in_channel` "Cannot post user messages to a channel they are not in" (a channel the
bot was not invited to) and `is_archived` "Channel has been archived". chat.update, chat.delete,
chat.postEphemeral and chat.getPermalink are refused the same way here.

Without set-up, every `C…` id is a public channel the bot is a member of, so tests need not declare channels; a
`D…` or `G…` id is a DM or group DM the bot is not in. Declare others with `fake.add_channel(...)`:

    fake.add_channel("CSECRET", kind="private", bot_member=False)  # not_in_channel
    fake.add_channel("D0ALICE", kind="im")                         # the bot's own DM with someone: it may post
    fake.add_channel("COLD", archived=True)                        # is_archived
    fake.archive("CINCIDENT")                                      # archive a channel (known or default) now

The bot's manifest grants `chat:write.public`, "Send messages to channels your Slack app isn't a member of"
(docs.slack.dev/reference/scopes/chat:write.public, used by chat.postMessage): chat.postMessage to a public channel
the bot is not in succeeds, while reading its history still answers `not_in_channel` (membership is what lets the
bot read it). Other writes (chat.update, chat.delete, chat.postEphemeral) still ask for membership here.

    fake.add_channel("CNOTIFY", bot_member=False)  # the bot posts there, but cannot read it back
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from tests.fakes.slack.records import SlackError

ChannelKind = Literal["public", "private", "im", "mpim"]


@dataclass
class Channel:
    id: str
    kind: ChannelKind = "public"
    bot_member: bool = True
    archived: bool = False


class Channels:
    """Not thread-safe on its own: FakeSlack calls it under its lock."""

    def __init__(self) -> None:
        self.known: dict[str, Channel] = {}

    def add(
        self, channel_id: str, kind: ChannelKind | None = None, *, bot_member: bool = True, archived: bool = False
    ) -> Channel:
        if kind is None:
            kind = "im" if channel_id.startswith("D") else "mpim" if channel_id.startswith("G") else "public"
        channel = self.known[channel_id] = Channel(channel_id, kind, bot_member, archived)
        return channel

    def get(self, channel_id: str) -> Channel | None:
        if channel_id in self.known:
            return self.known[channel_id]
        if channel_id.startswith("C") and len(channel_id) > 1:
            return Channel(channel_id)  # the default: a public channel the bot is in
        return None

    def archive(self, channel_id: str) -> None:
        channel = self.get(channel_id)
        if channel is None:
            raise KeyError(f"no channel {channel_id!r} to archive")
        channel.archived = True
        self.known[channel_id] = channel

    def unarchive(self, channel_id: str) -> None:
        channel = self.get(channel_id)
        if channel is None:
            raise KeyError(f"no channel {channel_id!r} to unarchive")
        channel.archived = False
        self.known[channel_id] = channel

    def check_read(self, channel_id: str) -> Channel:
        """The channel, if the bot may read its history (conversations.history, conversations.replies: Slack
        answers `channel_not_found` for what the bot cannot see and `not_in_channel` where it is no member)."""
        channel = self.get(channel_id)
        if channel is None or (channel.kind in ("im", "mpim") and not channel.bot_member):
            raise SlackError("channel_not_found")
        if not channel.bot_member:
            raise SlackError("not_in_channel")
        return channel

    def check_post(self, channel_id: str, *, public_write: bool = False) -> Channel:
        """The channel, if the bot may post there; else Slack's refusal. `public_write`: chat:write.public applies
        (chat.postMessage), so a public channel takes the post without the bot being a member."""
        channel = self.get(channel_id)
        if channel is None or (channel.kind in ("im", "mpim") and not channel.bot_member):
            raise SlackError("channel_not_found")
        if channel.archived:
            raise SlackError("is_archived")
        if not channel.bot_member and not (public_write and channel.kind == "public"):
            raise SlackError("not_in_channel")
        return channel
