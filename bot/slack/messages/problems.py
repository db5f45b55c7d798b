"""Failures told in words to the person who asked: never a stack trace or a raw dict."""

from __future__ import annotations

from slack_sdk.errors import SlackApiError

from bot.i18n import _
from bot.rollback.model import Known, RequestRefused, StoreUnavailable
from bot.slack.messages.notices import database_notice, refused_words
from bot.slack.messages.wechat_errors import unavailable_problem, wechat_problem
from bot.slack.payloads import BadPayload
from bot.wechat.errors import WeChatError, WeChatUnavailable


def describe_problem(error: Exception, reference: str) -> str:
    if isinstance(error, RequestRefused):
        return refused_words(error)
    if isinstance(error, WeChatError):
        return ":x: " + _("{problem} Nothing was changed.").format(problem=wechat_problem(error))
    if isinstance(error, WeChatUnavailable):
        return ":x: " + _("{problem} Nothing was changed; try again in a minute.").format(
            problem=unavailable_problem(error)
        )
    if isinstance(error, StoreUnavailable):  # before anything was decided: a listener could not read the request
        return database_notice(Known.NOTHING_RECORDED, None)
    if late_click(error):
        return _(
            "Slack gave the bot too little time to open the form for that click (it allows 3 seconds). Nothing was "
            "changed: click again."
        )
    if isinstance(error, BadPayload):
        return _("That button or form is no longer valid (it may come from an old message). Nothing was changed.")
    return ":warning: " + _(
        "Something went wrong on the bot's side (reference `{reference}`). Check the request message before trying "
        "again; the bot's logs have the details."
    ).format(reference=reference)


def late_click(error: Exception) -> bool:
    """views.open refused the click's trigger: expired (over 3 s old, a slow network or a busy bot) or used."""
    return isinstance(error, SlackApiError) and error.response.get("error") in (
        "expired_trigger_id",
        "invalid_trigger_id",
    )
