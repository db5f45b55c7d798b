"""Small mrkdwn helpers shared by the builders."""

from __future__ import annotations

from datetime import UTC, datetime


def escape(text: str) -> str:
    # Slack treats these three as markup even in user-supplied text.
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def truncate(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def mention(user_id: str) -> str:
    return f"<@{user_id}>"


def when(moment: datetime | int) -> str:
    """A date each reader sees in their own time zone, with UTC as the fallback text."""
    if isinstance(moment, datetime):
        stamp = int(moment.timestamp())
        fallback = moment.strftime("%Y-%m-%d %H:%M UTC")
    else:
        stamp = moment
        fallback = datetime.fromtimestamp(moment, UTC).strftime("%Y-%m-%d %H:%M UTC")
    return f"<!date^{stamp}^{{date_short_pretty}} {{time}}|{fallback}>"


def plain(text: str) -> dict[str, object]:
    return {"type": "plain_text", "text": text, "emoji": True}


def section(text: str) -> dict[str, object]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": truncate(text, 3000)}}


def context(text: str) -> dict[str, object]:
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": truncate(text, 3000)}]}
