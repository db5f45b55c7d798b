"""Small mrkdwn helpers shared by the builders."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.i18n import _


def escape(text: str) -> str:
    # Slack treats these three as markup even in user-supplied text: a version named `<!channel>` would ping.
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def truncate(text: str, limit: int) -> str:
    """Raw text (a reason, a WeChat description) cut to `limit` characters: cut before escaping, never after."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


_LONGEST_ENTITY = len("&amp;")


def clip(mrkdwn: str, limit: int) -> str:
    """Finished mrkdwn cut to `limit` characters, never inside an entity (`&amp;`) or a `<...>` (a mention, a
    link, a date): the cut moves back before it, so what is shown is still what was meant."""
    if len(mrkdwn) <= limit:
        return mrkdwn
    cut = mrkdwn[: limit - 1]
    opened = cut.rfind("<")
    if opened > cut.rfind(">"):
        cut = cut[:opened]
    amp = cut.rfind("&", max(0, len(cut) - _LONGEST_ENTITY + 1))
    if amp != -1 and ";" not in cut[amp:]:
        cut = cut[:amp]
    return cut + "…"


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
    return {"type": "section", "text": {"type": "mrkdwn", "text": clip(text, 3000)}}


def context(text: str) -> dict[str, object]:
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": clip(text, 3000)}]}


def page(target: str) -> str:
    """A mention that pages: a user group (S...), the channel (`here`, `channel`) or a person."""
    if target in ("here", "channel"):
        return f"<!{target}>"
    if target.startswith("S"):
        return f"<!subteam^{target}>"
    return mention(target)


def pages(targets: tuple[str, ...]) -> str:
    return " ".join(page(target) for target in targets)


def people(user_ids: tuple[str, ...]) -> str:
    return ", ".join(mention(user_id) for user_id in user_ids)


def duration(delta: timedelta) -> str:
    """A wait in words: 45 s, 5 min, 1 h 5 min."""
    seconds = max(0, int(delta.total_seconds()))
    if seconds < 60:
        return _("{seconds} s").format(seconds=seconds)
    hours, minutes = divmod(seconds // 60, 60)
    if hours and minutes:
        return _("{hours} h {minutes} min").format(hours=hours, minutes=minutes)
    return _("{hours} h").format(hours=hours) if hours else _("{minutes} min").format(minutes=minutes)
