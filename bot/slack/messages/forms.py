"""Short answers the listeners give while a form or a button is handled: each worded here only."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.i18n import _
from bot.slack.messages.format import escape


def program_gone(appid: str | None = None) -> str:
    """A button or form names a mini program this bot no longer manages."""
    if appid:
        return _("`{appid}` is no longer configured in this bot. Run the command again.").format(appid=escape(appid))
    return _("This mini program is no longer configured in this bot. Run the command again.")


def form_expired() -> str:
    return _("This form is no longer valid: run the command again.")


def holding_text(verb: str, name: str) -> str:
    """Said at once, while WeChat is asked: Slack wants its answer within 3 seconds."""
    if verb == "pick":
        return _("Asking WeChat which versions of `{program}` it can roll back to…").format(program=escape(name))
    return _("Looking up `{program}`…").format(program=escape(name))


def posted_notice(request_id: int, channel_id: str) -> str:
    return _("Request #{id} posted in {channel}: it needs a second person's approval.").format(
        id=request_id, channel=f"<#{channel_id}>"
    )


def plan_label(created: int) -> str:
    """The phased release a stop asks about, as the modal names it (UTC: it goes on the record as shown)."""
    if not created:
        return _("as shown")
    started = datetime.fromtimestamp(created, UTC).strftime("%Y-%m-%d %H:%M UTC")
    return _("started {time}").format(time=started)
