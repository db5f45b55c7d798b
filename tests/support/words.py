"""Reading what the bot said by the message functions' own output, in any language the bot speaks, never by
matching its sentences: shared by the tests and bench/."""

from __future__ import annotations

import re

from bot.i18n import LANGUAGES, speaking
from bot.slack.messages.forms import posted_notice
from bot.slack.messages.picker import version_from_button
from bot.slack.messages.timeline import anchor_line

__all__ = ["anchor_head", "posted_request_id", "version_from_button"]


def posted_request_id(text: str) -> int | None:
    """The request a "posted" confirmation names (bot.slack.messages.forms.posted_notice), or None."""
    channel = re.search(r"<#(\w+)>", text)  # Slack's markup for a channel, not words
    if channel is None:
        return None
    for number in {int(found) for found in re.findall(r"\d+", text)}:
        for language in LANGUAGES:
            with speaking(language):
                if posted_notice(number, channel.group(1)) in text:  # in the sandbox, after its prefix
                    return number
    return None


def anchor_head(text: str) -> str | None:
    """The audit chain head a thread reply shows (bot.slack.messages.timeline.anchor_line), or None."""
    for head in re.findall(r"\b[0-9a-f]{64}\b", text):
        for language in LANGUAGES:
            with speaking(language):
                if anchor_line(head) in text:
                    return str(head)
    return None
